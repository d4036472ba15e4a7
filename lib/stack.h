/*
 * stack.h: a reftable stack directory: tables.list and the tables it names;
 * reading it, adding to it, compacting it and cleaning it.
 *
 * Opening follows the reader protocol of the format: read tables.list,
 * open every table; if one has vanished (a concurrent compaction replaced
 * it), read tables.list again. Every change takes tables.list.lock exactly
 * as Git does, so Git and this library can work on one stack at once.
 */
#ifndef RT_STACK_H
#define RT_STACK_H

#include "lib/lock.h"
#include "lib/merged.h"
#include "lib/writer.h"

#include <sys/types.h>

struct rt_stack_options {
	/* Block size, restart interval, obj blocks, hash for new tables. */
	struct rt_write_options write;
	/* reftable.lockTimeout for tables.list.lock: 0 once, < 0 forever. */
	long lock_timeout_ms;
	/* reftable.geometricFactor; 0 means 2. */
	unsigned geometric_factor;
	/* Mode of new files (0666 & ~umask, or core.sharedRepository). */
	mode_t default_permissions;
};

/* Defaults as Git has them: 100 ms lock timeout, factor 2. */
void rt_stack_options_init(struct rt_stack_options *opts);

/*
 * How long this process held tables.list.lock. Every Git writer waits for
 * it (up to reftable.lockTimeout, 100 ms by default), so holds must stay
 * well below that.
 */
struct rt_stack_lock_stats {
	unsigned holds;
	uint64_t max_ns;
	uint64_t total_ns;
};

struct rt_stack {
	char *dir;
	char *list_path;
	struct rt_stack_options opts;
	struct rt_table **tables; /* oldest first */
	size_t n;
	struct rt_stack_lock_stats lock_stats;
};

/* Account for a hold of tables.list.lock that just ended. */
void rt_stack_note_lock(struct rt_stack *st, const struct rt_lock *lock);

/* `opts` may be NULL for the defaults. */
int rt_stack_open(struct rt_stack **out, const char *dir,
		  const struct rt_stack_options *opts, struct rt_err *err);
void rt_stack_close(struct rt_stack *st);

/* Re-read tables.list; tables still listed are kept open, not reopened. */
int rt_stack_reload(struct rt_stack *st, struct rt_err *err);
/* 0 when tables.list still names exactly the loaded tables, 1 if not. */
int rt_stack_is_outdated(struct rt_stack *st, struct rt_err *err);

/* The stack's hash (from its first table); SHA-1 for an empty stack. */
enum rt_hash rt_stack_hash_id(const struct rt_stack *st);
/* Highest update index in the stack; 0 when empty. */
uint64_t rt_stack_max_update_index(const struct rt_stack *st);

/*
 * Whether `name` is a table file name as Git makes them:
 * 0x<min>-0x<max>-<8 hex>.ref (or .log), indexes of 12 to 16 hex digits.
 * Anything else in tables.list (paths, "..", other files) is refused.
 */
bool rt_stack_valid_table_name(const char *name);
/* Parse min and max update index out of a valid table name. */
int rt_stack_parse_table_name(const char *name, uint64_t *min, uint64_t *max);

/*
 * Read tables.list into a NULL-terminated array of names (oldest first);
 * a missing file is an empty stack. Each name is validated.
 */
int rt_stack_read_list(const char *list_path, char ***names,
		       struct rt_err *err);
void rt_stack_free_names(char **names);

/*
 * Add one table to the stack: lock tables.list, reload if it changed, call
 * `fill` with a writer whose update index range is (update_index,
 * update_index), the next index of the stack, and commit the table if
 * `fill` wrote anything.
 */
typedef int (*rt_table_fill_fn)(struct rt_writer *w, uint64_t update_index,
				void *arg, struct rt_err *err);
int rt_stack_add(struct rt_stack *st, rt_table_fill_fn fill, void *arg,
		 struct rt_err *err);

/* Tables [start, end) to compact together; empty when end - start < 2. */
struct rt_segment {
	size_t start;
	size_t end;
	uint64_t bytes;
};

/*
 * Git's geometric rule: walking from the newest table, find the first table
 * whose older neighbour is smaller than `factor` times it; then extend the
 * segment towards older tables while each is smaller than `factor` times
 * the bytes gathered so far. `factor` 0 means 2.
 */
struct rt_segment rt_suggest_segment(const uint64_t *sizes, size_t n,
				     unsigned factor);
/* Table sizes as the geometric rule sees them (size minus header - 1). */
uint64_t rt_stack_table_weight(const struct rt_table *t);
/* The same weight from a file size and table version (1 or 2) alone. */
uint64_t rt_table_weight(uint64_t file_size, int version);
/*
 * The weights of the tables tables.list in `dir` names, oldest first, from
 * their file sizes (stat only, no table is opened): cheap enough for a
 * hook on every ref update. `version` is the format version the tables
 * use (1: SHA-1, 2: SHA-256). RT_ERR_OUTDATED when a listed table vanished
 * (a concurrent compaction). The caller frees *weights.
 */
int rt_stack_stat_weights(const char *dir, int version, uint64_t **weights,
			  size_t *n, struct rt_err *err);
/* The segment the geometric rule asks to compact for this stack. */
struct rt_segment rt_stack_suggest_segment(const struct rt_stack *st);

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
/* Random 32-bit suffix for table names (getrandom, no global state). */
uint32_t rt_random_u32(void);
/* "<dir>/0x<min>-0x<max>-<rand>" plus `suffix`. */
int rt_stack_table_path(const struct rt_stack *st, struct rt_buf *out,
			uint64_t min, uint64_t max, const char *suffix);

#endif
