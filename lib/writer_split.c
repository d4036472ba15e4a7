/*
 * writer_split.c: a table's log section written apart from its refs, so
 * that compaction can merge the logs while it merges the refs.
 *
 * A table's log section comes after its ref and obj sections, whose size
 * is known only once they are written. So the logs go to a writer of
 * their own, whose output holds exactly the log blocks the table's writer
 * would have written there: the same records into the same blocks (a
 * block's bytes do not depend on where it lies, and no log block holds a
 * file offset), none of them the file's first (which would carry the
 * file header). Only their index needs their place in the file: it is
 * kept, offsets from 0, and written by the table's writer, each offset
 * moved by where the section lands.
 */
#include "lib/writer_internal.h"

#include <stdlib.h>
#include <string.h>

int rt_writer_new_logs(struct rt_writer **out, rt_write_fn write, void *arg,
		       const struct rt_write_options *opts, struct rt_err *err)
{
	int ret = rt_writer_new(out, write, arg, opts, err);

	/* As if a ref block came first: no block carries the header. */
	if (!ret)
		(*out)->blocks_opened = 1;
	return ret;
}

int rt_writer_end_refs(struct rt_writer *w, struct rt_err *err)
{
	if (w->closed)
		return rt_err_set(err, RT_ERR_API, "writer is closed");
	return writer_enter_log_section(w, err);
}

bool rt_writer_has_blocks(const struct rt_writer *w)
{
	return w->blocks_opened > 0;
}

int rt_writer_finish_logs(struct rt_writer *logs, uint64_t *len,
			  struct rt_err *err)
{
	int ret;

	if (logs->closed || logs->section_type == RT_BLOCK_REF)
		return rt_err_set(err, RT_ERR_API, "not a writer of logs");
	if ((ret = writer_flush_block(logs, false)) ||
	    (ret = writer_drain_pipe(logs, true)))
		return rt_err_set(err, ret, "writing a block failed");
	logs->closed = true;
	*len = logs->next;
	return 0;
}

int rt_writer_put_logs(struct rt_writer *w, struct rt_writer *logs,
		       int (*copy)(void *arg, uint64_t len), void *arg,
		       struct rt_err *err)
{
	uint64_t base;
	int ret;

	if (w->closed || !logs->closed)
		return rt_err_set(err, RT_ERR_API, "writers not ready");
	if (w->log.blocks || (w->block_open && w->bw.type == RT_BLOCK_LOG) ||
	    !w->blocks_opened)
		return rt_err_set(err, RT_ERR_API,
				  "a log section apart must follow refs");
	if (logs->min_update_index != w->min_update_index ||
	    logs->max_update_index != w->max_update_index ||
	    logs->opts.block_size != w->opts.block_size)
		return rt_err_set(err, RT_ERR_API, "writers set differently");
	if ((ret = writer_enter_log_section(w, err)))
		return ret;
	if (!logs->next)
		return 0;
	base = w->next;
	if ((ret = writer_flush_block(w, false)) ||
	    (ret = copy(arg, logs->next)))
		return rt_err_set(err, ret, "copying the log section failed");
	/* Its index, moved over (w's is empty: its sections are written). */
	if (w->index_len)
		return rt_err_set(err, RT_ERR_API, "index not written");
	free(w->index);
	rt_buf_release(&w->index_keys);
	w->index = logs->index;
	w->index_len = logs->index_len;
	w->index_cap = logs->index_cap;
	w->index_keys = logs->index_keys;
	logs->index = NULL;
	logs->index_len = logs->index_cap = 0;
	logs->index_keys = (struct rt_buf)RT_BUF_INIT;
	for (size_t i = 0; i < w->index_len; i++)
		w->index[i].offset += base;
	w->log.offset = base;
	w->log.blocks = logs->log.blocks;
	w->next += logs->next;
	w->blocks_opened += logs->blocks_opened - 1;
	w->stats.logs += logs->stats.logs;
	w->stats.logs_raw += logs->stats.logs_raw;
	w->stats.blocks += logs->stats.blocks;
	w->stats.blocks_copied += logs->stats.blocks_copied;
	w->stats.blocks_unread += logs->stats.blocks_unread;
	if (rt_buf_set(&w->last_key, logs->last_key.buf, logs->last_key.len))
		return rt_err_oom(err);
	return 0;
}
