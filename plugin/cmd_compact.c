/*
 * cmd_compact.c: `git reftable compact [--auto|--all] [--dry-run]` on the
 * main stack and every linked worktree's stack.
 */
#include "lib/compact.h"
#include "plugin/cli.h"

#include <string.h>

/* Retries when a concurrent writer changed tables.list under us. */
#define OUTDATED_RETRIES 5

static int compact_one(const struct repo_stack *where,
		       const struct rt_stack_options *opts, bool all,
		       bool dry_run)
{
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	struct rt_stack *st;
	int ret;

	if ((ret = open_stack(&st, where->dir, opts)))
		return ret;
	for (int attempt = 0;; attempt++) {
		struct rt_segment seg = rt_stack_suggest_segment(st);

		if (all) {
			seg.start = 0;
			seg.end = st->n;
		}
		if (seg.end - seg.start < 2) {
			printf("%s: nothing to compact (%zu table%s%s)\n",
			       stack_label(where), st->n, st->n == 1 ? "" : "s",
			       all ? "" : ", geometric sequence holds");
			ret = 0;
			break;
		}
		if (dry_run) {
			printf("%s: would compact tables %zu-%zu of %zu "
			       "(%zu tables)\n",
			       stack_label(where), seg.start + 1, seg.end,
			       st->n, seg.end - seg.start);
			ret = 0;
			break;
		}
		rt_err_clear(&err);
		ret = all ? rt_stack_compact_all(st, NULL, &res, &err) :
			    rt_stack_auto_compact(st, &res, &err);
		if (ret == RT_ERR_OUTDATED && attempt < OUTDATED_RETRIES) {
			rt_err_clear(&err);
			if (!rt_stack_reload(st, &err))
				continue;
			ret = err.code;
		}
		if (ret == 0) {
			printf("%s: compacted tables %zu-%zu (%zu tables, %llu "
			       "bytes) into %llu bytes; %zu table%s now; "
			       "tables.list.lock held %.1f ms at most\n",
			       stack_label(where), res.first + 1, res.last + 1,
			       res.last - res.first + 1,
			       (unsigned long long)res.bytes_before,
			       (unsigned long long)res.bytes_after,
			       res.tables_after,
			       res.tables_after == 1 ? "" : "s",
			       st->lock_stats.max_ns / 1e6);
		} else if (ret == RT_ERR_LOCK) {
			error("%s: busy: %s; nothing changed, try again later",
			      stack_label(where), err.msg);
			ret = EXIT_ERROR;
		} else {
			error("%s", err.msg[0] ? err.msg : rt_error_name(ret));
			ret = EXIT_ERROR;
		}
		break;
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
		ret = compact_one(&repo.stacks[i], &opts, all, dry_run);
	repo_release(&repo);
	return ret;
}
