/*
 * writer.h: what the library's own writers need beyond rt-writer.h.
 */
#ifndef RT_LIB_WRITER_H
#define RT_LIB_WRITER_H

#include "lib/include/rt-writer.h"

/*
 * Move the update-index range of a finished table file without a ref
 * section (ref records store their update index relative to the minimum;
 * log keys hold theirs whole): rewrite it in the header and the footer,
 * with the footer's CRC, and fsync. Expiry uses it to place a table it
 * wrote unlocked above what other writers appended meanwhile.
 */
int rt_table_file_set_limits(const char *path, uint64_t min_update_index,
			     uint64_t max_update_index, struct rt_err *err);

/*
 * The log section of a table, written apart (lib/writer_split.c): a
 * writer that takes only logs, and whose output holds only log blocks,
 * none of them the file's first. `opts` and the limits set on it must be
 * those of the table's writer.
 */
int rt_writer_new_logs(struct rt_writer **out, rt_write_fn write, void *arg,
		       const struct rt_write_options *opts, struct rt_err *err);
/*
 * Close the ref section of `w` now: its index, and its obj section. Only
 * logs may follow.
 */
int rt_writer_end_refs(struct rt_writer *w, struct rt_err *err);
/* Whether `w` has written, or begun, any block. */
bool rt_writer_has_blocks(const struct rt_writer *w);
/*
 * All its logs added: write out its last blocks (not its index); its
 * output then holds *len bytes. `logs` takes nothing more.
 */
int rt_writer_finish_logs(struct rt_writer *logs, uint64_t *len,
			  struct rt_err *err);
/*
 * Into table writer `w`, after its refs (at least one block, no logs): the log section `logs` wrote, whose bytes `copy` must
 * append to w's output, and then its index, which `w` takes over. `w`
 * takes nothing more but rt_writer_close().
 */
int rt_writer_put_logs(struct rt_writer *w, struct rt_writer *logs,
		       int (*copy)(void *arg, uint64_t len), void *arg,
		       struct rt_err *err);

/* Header and footer sizes of a table version (1 or 2). */
int rt_header_size(int version);
int rt_footer_size(int version);

#endif
