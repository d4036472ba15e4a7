/*
 * run.c: `git reftable run`: the options, the maintenance engine
 * (plugin/maint/run.h) called with them, and its report printed as text
 * or one JSON document.
 */
#include "plugin/cli/cli.h"
#include "plugin/hooks/takeover.h"
#include "plugin/cmd/progress.h"
#include "plugin/maint/open.h"
#include "plugin/maint/run.h"
#include "plugin/util/json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options {
	struct maint_request req;
	bool detach; /* work in the background, output to the log */
	bool json; /* one JSON document on stdout */
	bool quiet; /* only problems */
	struct progress_opt popt;
};

static const char *trigger_name(const struct sched_trigger *t)
{
	switch (t->kind) {
	case SCHED_TRIGGER_AUTO:
		return "auto";
	case SCHED_TRIGGER_HOOK:
		return "hook";
	case SCHED_TRIGGER_SCHEDULE:
		return policy_freq_name(t->freq);
	case SCHED_TRIGGER_MANUAL:
		break;
	}
	return "manual";
}

/* Clean's line per file: on stdout, or stderr when stdout is JSON. */
static void say_cleaned(void *arg, const char *label,
			const struct rt_clean_item *it)
{
	char line[1024];

	maint_clean_line(line, sizeof(line), label, it);
	fprintf(arg, "%s\n", line);
}

static void print_line(void *arg, const char *text)
{
	(void)arg;
	puts(text);
}

static void json_head(struct json *j, const struct repo *repo,
		      const struct options *o, const char *status)
{
	json_object_begin(j, NULL);
	json_str(j, "git_dir", repo->git_dir);
	json_str(j, "trigger", trigger_name(&o->req.trigger));
	json_bool(j, "dry_run", o->req.dry_run);
	json_str(j, "status", status);
}

static void print_json(const struct repo *repo, const struct options *o,
		       const struct maint_report *rep)
{
	static const char *const status[] = {
		[MAINT_RUN_OK] = "ok",
		[MAINT_RUN_FAILED] = "failed",
		[MAINT_RUN_BUSY] = "busy",
	};
	struct json j;

	json_init(&j, stdout);
	json_head(&j, repo, o, status[rep->status]);
	if (rep->status == MAINT_RUN_BUSY)
		json_str(&j, "reason", rep->busy);
	json_array_begin(&j, "stacks");
	for (size_t i = 0; i < rep->n; i++) {
		const struct maint_stack_report *s = &rep->stacks[i];

		json_object_begin(&j, NULL);
		json_str(&j, "name", maint_stack_label(s->where));
		json_str(&j, "path", s->where->dir);
		if (s->failure[0])
			json_str(&j, "error", s->failure);
		json_object_begin(&j, "list_lock");
		json_str(&j, "state",
			 rt_list_lock_state_name(s->list_lock.state));
		json_u64(&j, "age_seconds", s->list_lock.age_seconds);
		json_u64(&j, "holder_pid", (uint64_t)s->list_lock.holder_pid);
		json_object_end(&j);
		json_array_begin(&j, "tasks");
		for (size_t k = 0; k < SCHED_NTASKS; k++) {
			const struct sched_item *it = &s->plan.items[k];
			const struct maint_task_result *t = &s->res[it->task];

			json_object_begin(&j, NULL);
			json_str(&j, "task", sched_task_name(it->task));
			json_str(&j, "status", maint_status_name(t->status));
			json_str(&j, "reason", it->reason);
			json_str(&j, "result", t->result);
			json_u64(&j, "duration_ms", t->ms);
			json_u64(&j, "bytes_rewritten", t->bytes);
			json_u64(&j, "tables_before", t->before);
			json_u64(&j, "tables_after", t->after);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	putchar('\n');
}

/*
 * The run could not start (a stack unreadable, the policy broken): still
 * one whole document, with the error, as error_json() writes it.
 */
static int json_failed(const struct repo *repo, const struct options *o,
		       const struct rt_err *err)
{
	struct json j;

	error_rt(err);
	json_init(&j, stdout);
	json_head(&j, repo, o, "failed");
	json_str(&j, "error", err->msg);
	json_object_end(&j);
	putchar('\n');
	return EXIT_ERROR;
}

/* Go on in the background: 1 in the parent (done), 0 in the child. */
static int detach(const struct repo *repo)
{
	struct rt_err err = { 0 };
	char *log;
	pid_t pid;
	int ret = maint_detach(repo, &pid, &log, &err);

	if (ret < 0) {
		error_rt(&err);
	} else if (ret > 0) {
		fprintf(stderr,
			"running in the background (pid %ld); log: %s\n",
			(long)pid, log);
	} else {
		/* Into the log, whose lines carry their time. */
		printf("--- git reftable run, pid %ld\n", (long)getpid());
	}
	free(log);
	return ret;
}

static int load_policy(const struct repo *repo, struct policy *p)
{
	char *path;
	int nerr = open_policy(p, repo, &path);

	if (nerr)
		error("not running: the policy %s has errors",
		      path ? path : "configuration");
	free(path);
	return nerr;
}

static int run(const struct options *o)
{
	struct progress progress;
	const struct maint_sink sink = {
		.cleaned = say_cleaned,
		/* On stderr; clean's lines see say_cleaned(). */
		.error = say_error,
		.warning = say_warning,
		.arg = o->json ? stderr : stdout,
		.progress = progress_callback,
		.progress_arg = &progress,
	};
	struct progress_opt popt = o->popt;
	struct maint_report rep;
	struct rt_err err = { 0 };
	struct policy p;
	struct repo repo;
	int ret;

	if (maint_open_repo(&repo, &err))
		return o->json ? error_json(NULL, "failed", &err) :
				 error_rt(&err);
	if (load_policy(&repo, &p)) {
		rt_err_set(&err, RT_ERR_FORMAT, "the policy has errors");
		ret = o->json ? json_failed(&repo, o, &err) : EXIT_ERROR;
		goto out;
	}
	if (o->detach && (ret = detach(&repo))) {
		/* The parent is done (1); or it could not fork (-1). */
		ret = ret > 0 ? EXIT_OK : EXIT_ERROR;
		goto out;
	}
	if (!o->req.dry_run) {
		bool changed;

		if (takeover_refresh(repo.common_dir, repo_common_dirfd(&repo),
				     (unsigned)p.geometric_factor, &changed,
				     &err))
			warning("%s", err.msg);
		else if (changed && !o->quiet)
			fprintf(stderr,
				"Git now compacts by the policy's "
				"geometric-factor %u (%s rewritten)\n",
				(unsigned)p.geometric_factor,
				CONFIG_TAKEOVER_FILE);
		memset(&err, 0, sizeof(err));
	}
	/* A detached run's stderr is its log: no progress there. */
	if (o->detach)
		popt.want = 0;
	progress_init(&progress, &popt);
	ret = maint_run(&o->req, &repo, &p, &sink, &rep, &err);
	progress_stop(&progress);
	if (ret) {
		ret = o->json ? json_failed(&repo, o, &err) : error_rt(&err);
		goto out;
	}
	if (rep.status == MAINT_RUN_BUSY)
		/* Another run is at work: not an error. */
		fprintf(stderr, "%s; not running (try later)\n", rep.busy);
	if (o->json)
		print_json(&repo, o, &rep);
	else if (rep.status != MAINT_RUN_BUSY)
		maint_report_text(&rep, o->req.dry_run, o->quiet, print_line,
				  NULL);
	ret = rep.status == MAINT_RUN_FAILED ? EXIT_ERROR : EXIT_OK;
	maint_report_release(&rep);
out:
	policy_release(&p);
	repo_release(&repo);
	fflush(stdout);
	return ret;
}

static int parse_mode(struct command *cmd, const char *arg, bool *mode_set,
		      struct sched_trigger *tr)
{
	const char *v = skip_prefix(arg, "--schedule=");
	enum policy_freq f;

	if (*mode_set)
		return usage_error(cmd, "--auto and --schedule exclude each "
					"other");
	*mode_set = true;
	tr->kind = v ? SCHED_TRIGGER_SCHEDULE : SCHED_TRIGGER_AUTO;
	if (v && (policy_freq_parse(v, &f) || f == POLICY_NEVER))
		return usage_error(cmd,
				   "bad schedule '%s'; say hourly, daily or "
				   "weekly",
				   v);
	if (v)
		tr->freq = f;
	return 0;
}

int cmd_run(struct command *cmd, int argc, char **argv)
{
	struct options o = { .req.trigger.kind = SCHED_TRIGGER_MANUAL,
			     .popt = { -1 } };
	bool mode_set = false;
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		const char *v;
		enum sched_task t;

		if (!strcmp(argv[i], "--auto") ||
		    skip_prefix(argv[i], "--schedule=")) {
			if ((ret = parse_mode(cmd, argv[i], &mode_set,
					      &o.req.trigger)))
				return ret;
		} else if ((v = skip_prefix(argv[i], "--task="))) {
			if (sched_task_parse(v, &t))
				return usage_error(cmd,
						   "unknown task '%s'; "
						   "tasks: clean, expire, "
						   "compact",
						   v);
			o.req.trigger.tasks |= 1u << t;
		} else if (!strcmp(argv[i], "--dry-run") ||
			   !strcmp(argv[i], "-n")) {
			o.req.dry_run = true;
		} else if (!strcmp(argv[i], "--detach")) {
			o.detach = true;
		} else if (!strcmp(argv[i], "--record-checks")) {
			o.req.record_checks = true;
		} else if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "--quiet") ||
			   !strcmp(argv[i], "-q")) {
			o.quiet = true;
		} else if (!progress_option(&o.popt, argv[i])) {
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
		}
	}
	if (o.quiet && o.popt.want < 0)
		o.popt.want = 0; /* as Git: --quiet unless --progress */
	if (o.req.record_checks &&
	    (o.req.trigger.kind != SCHED_TRIGGER_AUTO || o.req.dry_run))
		return usage_error(cmd, "--record-checks goes with --auto and "
					"no --dry-run");
	if (o.req.dry_run && o.detach)
		return usage_error(cmd, "--dry-run and --detach exclude each "
					"other");
	return run(&o);
}
