/*
 * clean.c: `git reftable clean`: orphan tables, temp files and stale
 * locks in every stack of the repository, a line per file.
 */
#include "lib/include/rt-clean.h"
#include "plugin/cli/cli.h"
#include "plugin/maint/open.h"
#include "plugin/maint/tasks.h"

#include <stdlib.h>
#include <string.h>

static void print_cleaned(void *arg, const char *label,
			  const struct rt_clean_item *it)
{
	char line[1024];

	(void)arg;
	maint_clean_line(line, sizeof(line), label, it);
	puts(line);
}

/*
 * --grace=<age> and --stale-lock-age=<age>, at least `min` seconds: below
 * it, a file a live writer has just closed could be taken for a leftover.
 */
static int age_option(const struct command *cmd, const char *opt, const char *v,
		      uint64_t min, uint64_t *seconds, bool *set)
{
	const char *why = NULL;

	if (parse_age(v, seconds, &why))
		return usage_error(cmd,
				   "bad age '%s'; expected %s or a "
				   "number of seconds",
				   v, why);
	if (*seconds < min)
		return usage_error(cmd,
				   "%s=%s is below the minimum of %llu "
				   "seconds: a file a live writer is using "
				   "could be taken for a leftover",
				   opt, v, (unsigned long long)min);
	*set = true;
	return 0;
}

int cmd_clean(struct command *cmd, int argc, char **argv)
{
	struct maint_sink sink = { .cleaned = print_cleaned };
	bool quiet = false; /* only errors, as git clean -q */
	struct rt_clean_options copts = { 0 };
	bool grace_set = false, stale_set = false;
	struct rt_stack_options opts;
	struct rt_err err = { 0 };
	struct policy policy;
	struct repo repo;
	char *path;
	int ret = 0;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n")) {
			copts.dry_run = true;
		} else if (!strcmp(argv[i], "--quiet") ||
			   !strcmp(argv[i], "-q")) {
			quiet = true;
			sink.cleaned = NULL;
		} else if (!strcmp(argv[i], "--remove-stale-locks")) {
			copts.remove_stale_locks = true;
		} else if ((v = skip_prefix(argv[i], "--grace="))) {
			if ((ret = age_option(
				     cmd, "--grace", v, RT_MIN_GRACE_SECONDS,
				     &copts.grace_seconds, &grace_set)))
				return ret;
		} else if ((v = skip_prefix(argv[i], "--stale-lock-age="))) {
			if ((ret = age_option(cmd, "--stale-lock-age", v,
					      RT_MIN_STALE_LOCK_SECONDS,
					      &copts.stale_lock_seconds,
					      &stale_set)))
				return ret;
		} else {
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
		}
	}
	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	/* The policy's [orphans] settings; options given here win. */
	if (open_policy(&policy, &repo, &path)) {
		error("not cleaning: the policy %s has errors",
		      path ? path : "configuration");
		free(path);
		policy_release(&policy);
		repo_release(&repo);
		return EXIT_ERROR;
	}
	{
		struct rt_clean_options from_policy;

		clean_options_from_policy(&policy, &from_policy);
		if (!grace_set)
			copts.grace_seconds = from_policy.grace_seconds;
		if (!stale_set)
			copts.stale_lock_seconds =
				from_policy.stale_lock_seconds;
		copts.remove_stale_locks |= from_policy.remove_stale_locks;
	}
	free(path);
	policy_release(&policy);
	if (maint_stack_options(&repo, &opts, &err))
		ret = error_rt(&err);
	for (size_t i = 0; !ret && i < repo.nstacks; i++) {
		const char *label = maint_stack_label(&repo.stacks[i]);
		struct clean_summary sum;
		struct rt_stack *st;

		if (rt_stack_open(&st, repo.stacks[i].dir, &opts, &err)) {
			ret = error_rt(&err);
			break;
		}
		if (clean_stack(st, label, &copts, &sink, &sum, &err)) {
			error("%s: %s", label, err.msg);
			ret = EXIT_ERROR;
		} else if (!sum.removed && !sum.kept && !quiet) {
			printf("%s: clean\n", label);
		}
		rt_stack_close(st);
	}
	repo_release(&repo);
	return ret;
}
