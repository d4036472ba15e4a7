/*
 * compact.c: `git reftable compact [--auto|--all] [--dry-run] [-q]
 * [--no-reuse]` on the
 * main stack and every linked worktree's stack (the compaction itself is
 * plugin/maint/tasks.h's maint_compact_stack()).
 */
#include "plugin/cli/cli.h"
#include "plugin/cmd/progress.h"
#include "plugin/maint/open.h"
#include "plugin/maint/tasks.h"

#include <string.h>

struct how {
	bool all, dry_run;
	bool no_reuse; /* encode every block again, to compare */
	bool quiet; /* only errors */
	struct progress progress;
};

/* One stack: compact (or say what would be) and report one line. */
static int compact_one(const struct repo_stack *where,
		       const struct rt_stack_options *opts, struct how *how)
{
	const struct maint_sink sink = { .progress = progress_callback,
					 .progress_arg = &how->progress };
	bool all = how->all, dry_run = how->dry_run;
	const char *label = maint_stack_label(where);
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	struct rt_stack *st;
	size_t first, last;
	char what[256];
	int ret;

	if (rt_stack_open(&st, where->dir, opts, &err))
		return error_rt(&err);
	if (dry_run && maint_compact_choose(st, all, &first, &last)) {
		if (!how->quiet)
			printf("%s: would compact tables %zu-%zu of %zu (%zu tables)\n",
			       label, first + 1, last + 1,
			       rt_stack_table_count(st), last - first + 1);
		rt_stack_close(st);
		return EXIT_OK;
	}
	ret = dry_run ? 1 :
			maint_compact_stack(st, all, !how->no_reuse, &sink,
					    &res, &err);
	progress_stop(&how->progress);
	if (ret == 1 && how->quiet) {
		ret = EXIT_OK;
	} else if (ret == 1) {
		printf("%s: nothing to compact (%zu table%s%s)\n", label,
		       rt_stack_table_count(st),
		       rt_stack_table_count(st) == 1 ? "" : "s",
		       all ? "" : ", geometric sequence holds");
		ret = EXIT_OK;
	} else if (ret == 0) {
		maint_describe_compaction(what, sizeof(what), &res,
					  rt_stack_get_lock_stats(st)->max_ns /
						  1e6);
		if (!how->quiet)
			printf("%s: %s\n", label, what);
	} else if (ret == RT_ERR_LOCK) {
		error("%s: busy: %s; nothing changed, try again later", label,
		      err.msg);
		ret = EXIT_ERROR;
	} else {
		ret = error_rt(&err);
	}
	rt_stack_close(st);
	return ret;
}

int cmd_compact(struct command *cmd, int argc, char **argv)
{
	struct rt_stack_options opts;
	struct progress_opt popt = { -1 };
	struct how how = { 0 };
	bool mode_set = false;
	struct rt_err err = { 0 };
	struct repo repo;
	int ret = 0;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "--auto")) {
			if (mode_set)
				return usage_error(cmd, "--auto and --all "
							"exclude each other");
			how.all = argv[i][2] == 'a' && argv[i][3] == 'l';
			mode_set = true;
		} else if (!strcmp(argv[i], "--dry-run") ||
			   !strcmp(argv[i], "-n")) {
			how.dry_run = true;
		} else if (!strcmp(argv[i], "--no-reuse")) {
			how.no_reuse = true;
		} else if (!strcmp(argv[i], "--quiet") ||
			   !strcmp(argv[i], "-q")) {
			how.quiet = true;
		} else if (!progress_option(&popt, argv[i])) {
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
		}
	}
	if (how.quiet && popt.want < 0)
		popt.want = 0; /* as Git: --quiet unless --progress */
	progress_init(&how.progress, &popt);
	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	if (maint_stack_options(&repo, &opts, &err))
		ret = error_rt(&err);
	else if (!how.all)
		/* The rule `run`, the hook and `stats` follow. */
		opts.geometric_factor = geometric_factor_of(&repo);
	for (size_t i = 0; !ret && i < repo.nstacks; i++)
		ret = compact_one(&repo.stacks[i], &opts, &how);
	repo_release(&repo);
	return ret;
}
