/*
 * expire.c: `git reftable expire`: reflog expiry by policy for the
 * main stack and every linked worktree's stack, one added table each (the
 * expiry itself is plugin/maint/expire.h's), reported per stack
 * (a dry run too: Git's is silent), per reflog and per entry with
 * --verbose.
 */
#include "plugin/cli/cli.h"
#include "plugin/cmd/progress.h"
#include "plugin/maint/expire.h"
#include "plugin/maint/open.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int duration_option(const struct command *cmd, const char *opt,
			   const char *value, struct policy_duration *out)
{
	const char *why = NULL;

	if (policy_parse_duration(value, out, &why))
		return usage_error(cmd, "%s: bad age '%s'; %s", opt, value,
				   why);
	return 0;
}

/* What is told as reflogs are walked: --dry-run, --verbose, progress. */
struct tell {
	bool entries, reflogs, dry_run;
	bool quiet; /* no summary line */
	struct progress_opt popt;
	struct progress progress;
};

static int parse_options(struct command *cmd, int argc, char **argv,
			 struct expire_overrides *ov, struct tell *tell,
			 bool *compact)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		const char *why = NULL;
		int ret = 0;

		if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			tell->dry_run = true;
		} else if (!strcmp(a, "--compact")) {
			*compact = true;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			tell->quiet = true;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			tell->entries = tell->reflogs = true;
		} else if ((v = skip_prefix(a, "--expire="))) {
			ov->has_expire = true;
			ret = duration_option(cmd, "--expire", v, &ov->expire);
		} else if ((v = skip_prefix(a, "--expire-unreachable="))) {
			ov->has_unreachable = true;
			ret = duration_option(cmd, "--expire-unreachable", v,
					      &ov->expire_unreachable);
		} else if ((v = skip_prefix(a, "--max-entries="))) {
			ov->has_max_entries = true;
			if (policy_parse_uint(v, 0, UINT64_MAX,
					      &ov->max_entries, &why))
				ret = usage_error(cmd, "--max-entries: %s",
						  why);
		} else if ((v = skip_prefix(a, "--ref="))) {
			if (policy_check_pattern(v, &why))
				ret = usage_error(cmd, "--ref: %s", why);
			ov->ref_pattern = v;
		} else if (!progress_option(&tell->popt, a)) {
			ret = usage_error(cmd, "unknown option '%s'", a);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static const char *would(const struct tell *t, const char *done)
{
	return t->dry_run ? "would expire" : done;
}

static void print_entry(void *arg, const char *ref,
			const struct rt_log_record *log, int hash_size)
{
	struct tell *tell = arg;
	const char *nl = memchr(log->message.buf, '\n', log->message.len);
	int mlen = nl ? (int)(nl - log->message.buf) : (int)log->message.len;
	char old_hex[65], new_hex[65];

	rt_hex(old_hex, log->old_id, hash_size);
	rt_hex(new_hex, log->new_id, hash_size);
	progress_stop(&tell->progress);
	printf("  %s %s@{%llu} %s %s %llu %.*s\n", would(tell, "expire"), ref,
	       (unsigned long long)log->update_index, old_hex, new_hex,
	       (unsigned long long)log->time, mlen,
	       log->message.buf ? log->message.buf : "");
}

static void print_reflog(void *arg, const char *ref, uint64_t expired,
			 uint64_t entries)
{
	progress_stop(&((struct tell *)arg)->progress);
	printf("%s: %s %llu of %llu entr%s%s\n", ref, would(arg, "expired"),
	       (unsigned long long)expired, (unsigned long long)entries,
	       entries == 1 ? "y" : "ies",
	       expired == entries ? " (reflog kept, empty)" : "");
}

/* One stack: expire (or say what would go), and the summary line. */
static int expire_one(const struct expire_request *rq,
		      const struct repo_stack *where, struct tell *tell,
		      bool compact)
{
	const char *label = maint_stack_label(where);
	struct rt_compact_result res;
	struct expire_stats s;
	struct rt_err err = { 0 };
	char how[160] = "";
	int ret;

	ret = compact ? expire_compact_all(rq, where, &s, &res, &err) :
			expire_stack(rq, where, &s, &err);
	progress_stop(&tell->progress);
	if (ret && expire_busy(ret)) {
		error("%s: busy: %s; nothing changed, try again later", label,
		      err.msg);
		return EXIT_ERROR;
	}
	if (ret)
		return error_rt(&err);
	if (compact && !rq->dry_run)
		snprintf(how, sizeof(how),
			 "; dropped while compacting %zu tables into %zu",
			 res.tables_before, res.tables_after);
	else if (s.bytes_added)
		snprintf(how, sizeof(how),
			 "; added one table of %llu bytes, tables.list.lock "
			 "held %.1f ms",
			 (unsigned long long)s.bytes_added, s.lock_ms);
	if (!tell->quiet)
		printf("%s: %s %llu of %llu entries in %llu reflogs (%llu left "
		       "empty)%s\n",
		       label, would(tell, "expired"),
		       (unsigned long long)s.expired,
		       (unsigned long long)s.entries,
		       (unsigned long long)s.reflogs,
		       (unsigned long long)s.emptied, how);
	return EXIT_OK;
}

int cmd_expire(struct command *cmd, int argc, char **argv)
{
	struct expire_overrides ov = { 0 };
	struct tell tell = { .popt = { -1 } };
	struct expire_report report;
	struct expire_request rq;
	struct rt_err err = { 0 };
	bool compact = false;
	struct policy p;
	struct repo repo;
	char *path;
	int ret, nerr;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if ((ret = parse_options(cmd, argc, argv, &ov, &tell, &compact)))
		return ret;
	if (tell.quiet && tell.popt.want < 0)
		tell.popt.want = 0; /* as Git: --quiet unless --progress */
	progress_init(&tell.progress, &tell.popt);
	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	nerr = open_policy(&p, &repo, &path);
	if (nerr) {
		/* A policy with errors must not decide what is deleted. */
		error("%s: the policy has errors; nothing expired",
		      path ? path : "git config");
		ret = EXIT_ERROR;
	}
	report = (struct expire_report){
		.entry = tell.entries ? print_entry : NULL,
		.reflog = tell.reflogs ? print_reflog : NULL,
		.arg = &tell,
	};
	rq = (struct expire_request){
		.repo = &repo,
		.policy = &p,
		.ov = &ov,
		.dry_run = tell.dry_run,
		.report = &report,
		.progress = progress_callback,
		.progress_arg = &tell.progress,
	};
	/* A stack that fails does not keep the others from expiring. */
	for (size_t i = 0; !nerr && i < repo.nstacks; i++) {
		int one;

		rq.now = (uint64_t)time(NULL);
		one = expire_one(&rq, &repo.stacks[i], &tell, compact);
		/* The first failure's status (1 | 128 would say 129). */
		if (!ret)
			ret = one;
	}
	policy_release(&p);
	free(path);
	repo_release(&repo);
	return ret;
}
