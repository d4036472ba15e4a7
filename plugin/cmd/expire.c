/*
 * expire.c: `git reftable expire`: reflog expiry by policy for the
 * main stack and every linked worktree's stack, one added table each.
 */
#include "plugin/cli/cli.h"
#include "plugin/maint/expire.h"

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

static int parse_options(struct command *cmd, int argc, char **argv,
			 struct expire_overrides *ov, unsigned *flags,
			 bool *compact)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		const char *why = NULL;
		int ret = 0;

		if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			*flags |= EXPIRE_DRY_RUN | EXPIRE_REPORT;
		} else if (!strcmp(a, "--compact")) {
			*compact = true;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			*flags |= EXPIRE_VERBOSE;
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
		} else {
			ret = usage_error(cmd, "unknown option '%s'", a);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int cmd_expire(struct command *cmd, int argc, char **argv)
{
	struct expire_overrides ov = { 0 };
	struct expire_stats stats;
	struct rt_compact_result res;
	unsigned flags = 0;
	bool compact = false;
	struct policy p;
	struct repo repo;
	char *path;
	int ret, nerr;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if ((ret = parse_options(cmd, argc, argv, &ov, &flags, &compact)))
		return ret;
	if ((ret = open_repo(&repo)))
		return ret;
	nerr = open_policy(&p, &repo, &path);
	if (nerr) {
		/* A policy with errors must not decide what is deleted. */
		error("%s: the policy has errors; nothing expired",
		      path ? path : "git config");
		ret = EXIT_ERROR;
	}
	for (size_t i = 0; !nerr && i < repo.nstacks; i++) {
		const struct repo_stack *s = &repo.stacks[i];
		uint64_t now = (uint64_t)time(NULL);

		if (compact)
			ret |= expire_compact_all(&repo, s, &p, &ov, flags, now,
						  &stats, &res);
		else
			ret |= expire_stack(&repo, s, &p, &ov, flags, now,
					    &stats);
	}
	policy_release(&p);
	free(path);
	repo_release(&repo);
	return ret ? EXIT_ERROR : EXIT_OK;
}
