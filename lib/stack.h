/*
 * stack.h: the stack behind rt-stack.h, and the steps of its protocol
 * that adding, compacting, expiring and cleaning share: tables.list read
 * and committed under its lock, names of new tables.
 */
#ifndef RT_LIB_STACK_H
#define RT_LIB_STACK_H

#include "lib/include/rt-stack.h"
#include "lib/lock.h"
#include "lib/merged.h"
#include "lib/names.h"
#include "lib/writer.h"

struct rt_stack {
	char *dir;
	/* `dir`, opened once with O_NOFOLLOW: every change goes through it. */
	int dirfd;
	char *list_path;
	struct rt_stack_options opts;
	struct rt_table **tables; /* oldest first */
	size_t n;
	struct rt_stack_lock_stats lock_stats;
};

/*
 * Remove the file `path` (in the stack directory: only its last component
 * counts) relative to the stack's directory descriptor. unlinkat()'s
 * result.
 */
int rt_stack_unlink(const struct rt_stack *st, const char *path);

/* Account for a hold of tables.list.lock that just ended. */
void rt_stack_note_lock(struct rt_stack *st, const struct rt_lock *lock);

/*
 * Read tables.list into a NULL-terminated array of names (oldest first);
 * a missing file is an empty stack. Each name is validated.
 */
int rt_stack_read_list(const char *list_path, char ***names,
		       struct rt_err *err);
/*
 * The same for the stack's own tables.list, read relative to st->dirfd:
 * the directory whose locks, scans and removals it goes with, even if the
 * path st->dir names another directory now.
 */
int rt_stack_read_list_of(const struct rt_stack *st, char ***names,
			  struct rt_err *err);
void rt_stack_free_names(char **names);

/*
 * Write `names` (NULL-terminated) into the held tables.list lock and commit
 * it: fsync, rename over tables.list, fsync the directory.
 */
int rt_stack_commit_list(struct rt_lock *lock, char *const *names,
			 struct rt_err *err);

/*
 * Take tables.list.lock (waiting up to the lock timeout) and load the
 * tables the list names now, as every appender must. On failure the lock
 * is not held.
 */
int rt_stack_lock_for_append(struct rt_stack *st, struct rt_lock *lock,
			     struct rt_err *err);
/*
 * Under the held tables.list lock: commit the loaded tables plus the
 * table at `path` (renamed into the stack directory already) as the new
 * tables.list. If the list is not committed, `path` is removed again.
 */
int rt_stack_commit_appended(struct rt_stack *st, struct rt_lock *lock,
			     const char *path, struct rt_err *err);
/* "<dir>/0x<min>-0x<max>-<rand>" plus `suffix`. */
int rt_stack_table_path(const struct rt_stack *st, struct rt_buf *out,
			uint64_t min, uint64_t max, const char *suffix);

#endif
