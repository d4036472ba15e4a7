/*
 * rt-iter.h: reading records: iterators over the refs or the logs of a
 * stack or of one table, in key order, and the lookup of one ref.
 *
 * Keys order refs by name, and logs by refname, then update index
 * descending: each reflog comes out newest first.
 *
 * Over a stack the view is merged, as Git sees the stack: for each key
 * the newest table's record wins, and deletion records are left out
 * together with what they hide. Over one table every record comes out,
 * deletions included.
 *
 * Lifetimes: an iterator over a stack reads the tables loaded when it was
 * made; once the stack is reloaded (see rt-stack.h) it may only be freed.
 * An iterator over a table must be freed before the table is closed.
 */
#ifndef RT_ITER_H
#define RT_ITER_H

#include "rt-error.h"
#include "rt-record.h"

struct rt_stack;
struct rt_table;

/* An iterator over refs or over logs (opaque). */
struct rt_iter;

/*
 * Make an iterator over the refs or the logs of a stack or a table,
 * positioned at the first record; a seek moves it. Free it with
 * rt_iter_free(); on failure *out is NULL.
 */
int rt_stack_refs(struct rt_stack *st, struct rt_iter **out,
		  struct rt_err *err);
int rt_stack_logs(struct rt_stack *st, struct rt_iter **out,
		  struct rt_err *err);
int rt_table_refs(const struct rt_table *t, struct rt_iter **out,
		  struct rt_err *err);
int rt_table_logs(const struct rt_table *t, struct rt_iter **out,
		  struct rt_err *err);

/*
 * Position a ref iterator before the first ref whose name is >= `name`
 * (NULL: the first ref). With a prefix such as "refs/tags/" that is the
 * first ref under it, or a later one when there is none: check names.
 */
int rt_iter_seek_ref(struct rt_iter *it, const char *name, struct rt_err *err);
/*
 * Position a log iterator before the newest entry of the reflog of
 * `refname`, or where it would be: the next record is the first whose
 * refname is >= `refname` (NULL: the first log record). Its refname says
 * whether the reflog exists.
 */
int rt_iter_seek_log(struct rt_iter *it, const char *refname,
		     struct rt_err *err);

/*
 * The next record into `ref` / `log`, which must start zeroed and is
 * reused from call to call (its buffers are the caller's to release with
 * rt_ref_record_release() / rt_log_record_release(), also after an
 * error). 0: filled; 1: end; < 0: error. RT_ERR_API when the iterator is
 * of the other kind.
 */
int rt_iter_next_ref(struct rt_iter *it, struct rt_ref_record *ref,
		     struct rt_err *err);
int rt_iter_next_log(struct rt_iter *it, struct rt_log_record *log,
		     struct rt_err *err);

/*
 * For one pass over everything (a dump, a count): as the iterator moves
 * on, the mapped pages it has read are handed back to the kernel, so
 * memory stays flat however large the tables. They stay in the page
 * cache. Call it before the first rt_iter_next_*.
 */
void rt_iter_drop_behind(struct rt_iter *it);

/* `it` may be NULL. */
void rt_iter_free(struct rt_iter *it);

/*
 * Read the ref `name` from the stack's merged view: 0 with `ref` filled
 * (any value type but a deletion), 1 when the ref does not exist (never
 * written, or deleted), < 0 on error. `ref` is as for rt_iter_next_ref();
 * after 1 its content is unspecified.
 */
int rt_stack_read_ref(struct rt_stack *st, const char *name,
		      struct rt_ref_record *ref, struct rt_err *err);

#endif
