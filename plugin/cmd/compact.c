/*
 * compact.c: `git reftable compact [--auto|--all] [--dry-run]` on the
 * main stack and every linked worktree's stack.
 */
#include "lib/include/rt-compact.h"
#include "plugin/cli/cli.h"
#include "plugin/maint/tasks.h"

#include <string.h>

/* The segment to compact: the geometric rule's, or the whole stack. */
static bool choose(const struct rt_stack *st, void *arg, size_t *first,
		   size_t *last)
{
	struct rt_segment seg = rt_stack_suggest_segment(st);

	if (*(const bool *)arg) {
		seg.start = 0;
		seg.end = rt_stack_table_count(st);
	}
	if (seg.end - seg.start < 2)
		return false;
	*first = seg.start;
	*last = seg.end - 1;
	return true;
}

int compact_stack(const struct repo_stack *where,
		  const struct rt_stack_options *opts, bool all, bool dry_run)
{
	/* --auto compacts the newer tables it could lock, as Git does. */
	struct rt_compact_options copts = { .best_effort = !all };
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	struct rt_stack *st;
	size_t first, last;
	int ret;

	if ((ret = open_stack(&st, where->dir, opts)))
		return ret;
	if (dry_run && choose(st, &all, &first, &last)) {
		printf("%s: would compact tables %zu-%zu of %zu (%zu tables)\n",
		       stack_label(where), first + 1, last + 1,
		       rt_stack_table_count(st), last - first + 1);
		rt_stack_close(st);
		return 0;
	}
	ret = dry_run ? 1 :
			compact_retrying(st, choose, &all, &copts, &res, &err);
	if (ret == 1) {
		printf("%s: nothing to compact (%zu table%s%s)\n",
		       stack_label(where), rt_stack_table_count(st),
		       rt_stack_table_count(st) == 1 ? "" : "s",
		       all ? "" : ", geometric sequence holds");
		ret = 0;
	} else if (ret == 0) {
		printf("%s: compacted tables %zu-%zu (%zu tables, %llu "
		       "bytes) into %llu bytes; %zu table%s now; "
		       "tables.list.lock held %.1f ms at most\n",
		       stack_label(where), res.first + 1, res.last + 1,
		       res.last - res.first + 1,
		       (unsigned long long)res.bytes_before,
		       (unsigned long long)res.bytes_after, res.tables_after,
		       res.tables_after == 1 ? "" : "s",
		       rt_stack_get_lock_stats(st)->max_ns / 1e6);
	} else if (ret == RT_ERR_LOCK) {
		error("%s: busy: %s; nothing changed, try again later",
		      stack_label(where), err.msg);
		ret = EXIT_ERROR;
	} else {
		error("%s", err.msg[0] ? err.msg : rt_error_name(ret));
		ret = EXIT_ERROR;
	}
	rt_stack_close(st);
	return ret;
}

int cmd_compact(struct command *cmd, int argc, char **argv)
{
	struct rt_stack_options opts;
	bool all = false, dry_run = false, mode_set = false;
	struct repo repo;
	int ret = 0;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "--auto")) {
			if (mode_set)
				return usage_error(cmd, "--auto and --all "
							"exclude each other");
			all = argv[i][2] == 'a' && argv[i][3] == 'l';
			mode_set = true;
		} else if (!strcmp(argv[i], "--dry-run") ||
			   !strcmp(argv[i], "-n")) {
			dry_run = true;
		} else {
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
		}
	}
	if ((ret = open_repo(&repo)))
		return ret;
	ret = stack_options(&repo, &opts);
	for (size_t i = 0; !ret && i < repo.nstacks; i++)
		ret = compact_stack(&repo.stacks[i], &opts, all, dry_run);
	repo_release(&repo);
	return ret;
}
