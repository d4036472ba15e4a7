/*
 * rt-stack.h: a reftable stack directory: tables.list and the tables it
 * names, oldest first; opening it, adding a table to it, and Git's
 * geometric rule for what to compact.
 *
 * Opening follows the reader protocol of the format: read tables.list,
 * open every table; if one has vanished (a concurrent compaction replaced
 * it), read tables.list again. Every change takes tables.list.lock exactly
 * as Git does, so Git and this library can work on one stack at once.
 *
 * Lifetimes: the stack holds its tables open. A table from
 * rt_stack_table(), and every iterator or log walk over the stack
 * (rt-iter.h, rt-logfilter.h), reads the tables loaded at that moment and
 * stays usable until the stack is reloaded or closed. These calls may
 * reload it: rt_stack_reload(), rt_stack_add(), the compactions
 * (rt-compact.h) and rt_stack_expire_logs() (rt-expire.h). After a reload,
 * look tables up again; an iterator made before may then only be freed.
 *
 * A stack handle is for one thread at a time. Separate handles, also on
 * the same directory and in other processes, are independent: the lock
 * files order their changes.
 */
#ifndef RT_STACK_H
#define RT_STACK_H

#include "rt-error.h"
#include "rt-writer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rt_table;

struct rt_stack_options {
	/* Block size, restart interval, obj blocks, hash for new tables. */
	struct rt_write_options write;
	/* reftable.lockTimeout for tables.list.lock: 0 once, < 0 forever. */
	long lock_timeout_ms;
	/* reftable.geometricFactor; 0 means 2. */
	unsigned geometric_factor;
	/*
	 * Mode of new files; Git's is 0666 & ~umask, or what
	 * core.sharedRepository says. 0 leaves lock files and tables.list at
	 * 0666 & ~umask and new tables at 0600.
	 */
	mode_t default_permissions;
	/*
	 * Called with the length of each hold of tables.list.lock as it
	 * ends (for tracing; NULL: not called). Must not lock anything.
	 */
	void (*on_lock_hold)(void *arg, uint64_t held_ns);
	void *on_lock_hold_arg;
	/*
	 * With `require_owner`, rt_stack_open() refuses (RT_ERR_UNSAFE) a
	 * directory that `owner` does not own. Checked on the descriptor
	 * every later lock, write and removal goes through, so a path that
	 * leads elsewhere by the time it is opened (a component swapped for
	 * a symlink) is caught too. For root maintaining other users'
	 * repositories: a stack of a different user is not theirs to change.
	 */
	bool require_owner;
	uid_t owner;
};

/* All zero but Git's defaults: 100 ms lock timeout, factor 2. */
void rt_stack_options_init(struct rt_stack_options *opts);

/* An open stack (opaque). */
struct rt_stack;

/*
 * Open the stack in directory `dir` (a missing tables.list is an empty
 * stack). `opts` is copied; NULL means rt_stack_options_init()'s. Close it
 * with rt_stack_close().
 */
int rt_stack_open(struct rt_stack **out, const char *dir,
		  const struct rt_stack_options *opts, struct rt_err *err);
/* Close every table and free the stack; `st` may be NULL. */
void rt_stack_close(struct rt_stack *st);

/*
 * Re-read tables.list; tables still listed are kept open, the others
 * closed (see the lifetimes above). On failure the stack is unchanged.
 */
int rt_stack_reload(struct rt_stack *st, struct rt_err *err);
/* 0 when tables.list still names exactly the loaded tables, 1 if not. */
int rt_stack_is_outdated(struct rt_stack *st, struct rt_err *err);

/* Number of tables loaded. */
size_t rt_stack_table_count(const struct rt_stack *st);
/* Table `i` (0: the oldest), i < rt_stack_table_count(). */
const struct rt_table *rt_stack_table(const struct rt_stack *st, size_t i);
/* The stack's options, as given to rt_stack_open() (valid while open). */
const struct rt_stack_options *rt_stack_get_options(const struct rt_stack *st);

/* The stack's hash (from its first table); SHA-1 for an empty stack. */
enum rt_hash rt_stack_hash_id(const struct rt_stack *st);
/* Highest update index in the stack; 0 when empty. */
uint64_t rt_stack_max_update_index(const struct rt_stack *st);

/*
 * How long this handle held tables.list.lock, over its lifetime. Every Git
 * writer waits for it (up to reftable.lockTimeout, 100 ms by default), so
 * holds must stay well below that.
 */
struct rt_stack_lock_stats {
	unsigned holds;
	uint64_t max_ns;
	uint64_t total_ns;
};

/* Valid while the stack is open; updated by every call that locks. */
const struct rt_stack_lock_stats *
rt_stack_get_lock_stats(const struct rt_stack *st);

/*
 * Fills a new table: add refs, then logs, to `w` (rt-writer.h), whose
 * update-index range is (update_index, update_index). Return 0 or a
 * negative rt_error; nothing is added then.
 */
typedef int (*rt_table_fill_fn)(struct rt_writer *w, uint64_t update_index,
				void *arg, struct rt_err *err);
/*
 * Add one table to the stack: lock tables.list, reload if it changed, call
 * `fill` with a writer for the next update index of the stack, and commit
 * the table if `fill` wrote anything. RT_ERR_LOCK when tables.list stayed
 * locked longer than the lock timeout. The stack is reloaded.
 */
int rt_stack_add(struct rt_stack *st, rt_table_fill_fn fill, void *arg,
		 struct rt_err *err);

/* Tables [start, end) to compact together; empty when end - start < 2. */
struct rt_segment {
	size_t start;
	size_t end;
	uint64_t bytes;
};

/*
 * Git's geometric rule over table weights `sizes` (oldest first): walking
 * from the newest table, find the first table whose older neighbour is
 * smaller than `factor` times it; then extend the segment towards older
 * tables while each is smaller than `factor` times the bytes gathered so
 * far. `factor` 0 means 2.
 */
struct rt_segment rt_suggest_segment(const uint64_t *sizes, size_t n,
				     unsigned factor);
/*
 * A table's weight as Git's auto-compaction sees it: the file size minus
 * the footer, minus the header size less one (0 below that).
 */
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

#endif
