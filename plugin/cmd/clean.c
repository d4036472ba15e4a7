/*
 * clean.c: `git reftable clean`: orphan tables, temp files and stale
 * locks in every stack of the repository.
 */
#include "lib/include/rt-clean.h"
#include "plugin/cli/cli.h"
#include "plugin/maint/tasks.h"

#include <stdlib.h>
#include <string.h>

int cmd_clean(struct command *cmd, int argc, char **argv)
{
	struct rt_clean_options copts = { 0 };
	bool grace_set = false, stale_set = false;
	struct rt_stack_options opts;
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
		} else if (!strcmp(argv[i], "--remove-stale-locks")) {
			copts.remove_stale_locks = true;
		} else if ((v = skip_prefix(argv[i], "--grace="))) {
			if (parse_age(v, &copts.grace_seconds))
				return usage_error(cmd, "bad age '%s'", v);
			grace_set = true;
		} else if ((v = skip_prefix(argv[i], "--stale-lock-age="))) {
			if (parse_age(v, &copts.stale_lock_seconds))
				return usage_error(cmd, "bad age '%s'", v);
			stale_set = true;
		} else {
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
		}
	}
	if ((ret = open_repo(&repo)))
		return ret;
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
	ret = stack_options(&repo, &opts);
	for (size_t i = 0; !ret && i < repo.nstacks; i++) {
		const char *label = stack_label(&repo.stacks[i]);
		struct clean_summary sum;
		struct rt_err err = { 0 };
		struct rt_stack *st;

		if ((ret = open_stack(&st, repo.stacks[i].dir, &opts)))
			break;
		if (clean_stack(st, label, &copts, stdout, &sum, &err)) {
			error("%s: %s", label, err.msg);
			ret = EXIT_ERROR;
		} else if (!sum.removed && !sum.kept) {
			printf("%s: clean\n", label);
		}
		rt_stack_close(st);
	}
	repo_release(&repo);
	return ret;
}
