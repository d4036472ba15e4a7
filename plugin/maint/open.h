/*
 * open.h: what maintenance works on, opened for the commands, the engine
 * and the hooks: the repository (one that keeps its refs in reftable),
 * the stack options its Git config asks for, and how reports name each
 * of its stacks.
 */
#ifndef PLUGIN_MAINT_OPEN_H
#define PLUGIN_MAINT_OPEN_H

#include "lib/include/rt-error.h"
#include "lib/include/rt-stack.h"
#include "plugin/git/repo.h"

/*
 * Discover the repository from the current directory (and -C, GIT_DIR).
 * A repository whose refs are not in reftable is an error (RT_ERR_API)
 * whose message says so. On failure `repo` is released; on success the
 * caller releases it with repo_release().
 */
int maint_open_repo(struct repo *repo, struct rt_err *err);

/*
 * Stack options from the repository's config (reftable.*,
 * core.sharedRepository, extensions.objectFormat); RT_ERR_API naming the
 * key on a bad value. With GIT_REFTABLE_TRACE_LOCKS=<file> in the
 * environment, each hold of tables.list.lock appends one line to that
 * file: "tables.list.lock <microseconds> us pid <pid>" (for measuring
 * how long Git may wait for us; see t0830).
 */
int maint_stack_options(const struct repo *repo, struct rt_stack_options *opts,
			struct rt_err *err);

/* The table format version the repository's hash uses: 1 (SHA-1), 2. */
int maint_table_version(const struct repo *repo);

/* How reports name a stack: its worktree id, or "main". */
const char *maint_stack_label(const struct repo_stack *s);

#endif
