/*
 * compact.c: compaction of a segment of the stack.
 *
 * The protocol, step by step (Git's, so both can run at once):
 *  1. lock tables.list; the loaded stack must be current;
 *  2. lock each table of the segment (<table>.lock), newest first; with
 *     best_effort, a busy table ends the segment if >= 2 are locked;
 *  3. unlock tables.list, so writers can append while we merge;
 *  4. merge the segment into a temp file, fsync;
 *  5. lock tables.list again and find the segment in the list, which may
 *     have shifted because of appends; it must still be there, in order;
 *  6. rename the new table into place, write the new list, commit;
 *  7. only then unlink the old tables, and release their locks.
 * A failure at any step leaves tables.list as it was; files written so far
 * are removed, and no table that tables.list names is ever deleted.
 */
#include "lib/include/rt-compact.h"
#include "lib/logfilter.h"
#include "lib/reuse.h"
#include "lib/stack.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct merge_state {
	struct rt_stack *st;
	size_t first, last;
	const struct rt_compact_options *opts;
	struct rt_compact_result *res;
};

/* Record `n` was merged: tell the caller now and then. */
static void merged_one(const struct merge_state *m, uint64_t *n, bool end)
{
	if (!end)
		++*n;
	if (m->opts && m->opts->progress &&
	    (end || !(*n % RT_COMPACT_PROGRESS_STEP)))
		m->opts->progress(m->opts->progress_arg, *n);
}

/* `count` more were merged at once. */
static void merged_some(const struct merge_state *m, uint64_t *n,
			uint64_t count)
{
	uint64_t before = *n / RT_COMPACT_PROGRESS_STEP;

	*n += count;
	if (m->opts && m->opts->progress &&
	    *n / RT_COMPACT_PROGRESS_STEP != before)
		m->opts->progress(m->opts->progress_arg, *n);
}

/*
 * The merged records of `type` of the segment into the writer as they
 * are: refs, and logs when no filter is to see them.
 */
static int write_plain(struct rt_writer *w, struct merge_state *m, uint8_t type,
		       uint64_t *merged, struct rt_err *err)
{
	struct rt_table **tables = m->st->tables + m->first;
	size_t n = m->last - m->first + 1;
	/* Only below the oldest table may a deletion be forgotten. */
	bool keep_deletions = m->first > 0;
	uint64_t *written = type == RT_BLOCK_REF ? &m->res->refs_written :
						   &m->res->logs_written;
	struct rt_merged_iter mi;
	struct rt_reuse ru;
	struct rt_record rec;
	bool held;
	int ret;

	rt_record_init(&rec, type);
	rt_reuse_init(&ru, w, type, !(m->opts && m->opts->no_reuse),
		      keep_deletions);
	ret = rt_merged_iter_start(&mi, tables, n, type, true, err);
	if (!ret)
		ret = rt_reuse_whole_blocks(&ru, &mi, tables, false, err);
	while (!ret) {
		ret = rt_merged_iter_next(&mi, &rec, err);
		if (ret == RT_MERGED_BLOCK) {
			ret = rt_reuse_copy_whole(&ru, &mi, written, err);
			continue;
		}
		if (ret == RT_MERGED_RUN) {
			merged_some(m, merged, mi.run.count);
			ret = rt_reuse_take_run(&ru, &mi, written, err);
			continue;
		}
		if (ret)
			break;
		merged_one(m, merged, false);
		if (!keep_deletions && rt_record_is_deletion(&rec)) {
			ret = rt_reuse_break(&ru, err);
			continue;
		}
		ret = rt_reuse_offer(&ru, &rec, &mi.origin,
				     rt_merged_iter_next_origin(&mi),
				     rt_merged_iter_shadowed(&mi), &held, err);
		if (!ret && !held)
			ret = type == RT_BLOCK_REF ?
				      rt_writer_add_ref(w, &rec.u.ref, err) :
				      rt_writer_add_log(w, &rec.u.log, err);
		if (!ret)
			++*written;
	}
	if (ret == 1)
		ret = rt_reuse_break(&ru, err);
	rt_reuse_release(&ru);
	rt_record_release(&rec);
	rt_merged_iter_release(&mi);
	return ret;
}

/* The merged logs of the segment, as the filter has them, into the writer. */
static int write_logs(struct rt_writer *w, struct merge_state *m,
		      uint64_t *merged, struct rt_err *err)
{
	struct rt_table **tables = m->st->tables + m->first;
	size_t n = m->last - m->first + 1;
	bool keep_deletions = m->first > 0;
	rt_log_filter_fn filter = m->opts->filter;
	struct rt_log_walk walk;
	struct rt_log_record *log;
	struct rt_reuse ru;
	bool last, held;
	int ret;

	rt_reuse_init(&ru, w, RT_BLOCK_LOG, !m->opts->no_reuse, keep_deletions);
	/* Hiding deletions when they are dropped anyway makes `last` exact. */
	ret = rt_log_walk_init(&walk, tables, n, keep_deletions, err);
	if (!ret)
		ret = rt_reuse_whole_blocks(&ru, &walk.mi, tables, true, err);
	while (!ret && !(ret = rt_log_walk_next(&walk, &log, &last, err))) {
		bool changed = false;

		merged_one(m, merged, false);
		if (log->value_type != RT_LOG_DELETION) {
			int verdict =
				filter(m->opts->filter_arg, log, last, err);

			if (verdict < 0) {
				ret = verdict;
				break;
			}
			if (verdict == RT_LOG_DROP) {
				m->res->logs_dropped++;
				changed = true;
				if (!keep_deletions) {
					ret = rt_reuse_break(&ru, err);
					continue;
				}
				log->value_type = RT_LOG_DELETION;
			} else if (verdict == RT_LOG_PLACEHOLDER) {
				m->res->logs_dropped++;
				m->res->placeholders++;
				changed = true;
				rt_log_make_placeholder(log);
			}
		}
		if (!keep_deletions && log->value_type == RT_LOG_DELETION) {
			ret = rt_reuse_break(&ru, err);
			continue;
		}
		held = false;
		if (changed)
			ret = rt_reuse_break(&ru, err);
		else
			ret = rt_reuse_offer(
				&ru, walk.cur, &walk.cur_origin,
				walk.ahead_state ? NULL : &walk.ahead_origin,
				NULL, &held, err);
		if (!ret && !held)
			ret = rt_writer_add_log(w, log, err);
		if (!ret)
			m->res->logs_written++;
	}
	if (ret == 1)
		ret = rt_reuse_break(&ru, err);
	rt_reuse_release(&ru);
	rt_log_walk_release(&walk);
	return ret;
}

/* Stream the merged records of the segment into the writer. */
static int write_merged(struct rt_writer *w, struct merge_state *m,
			struct rt_err *err)
{
	uint64_t merged = 0;
	int ret = write_plain(w, m, RT_BLOCK_REF, &merged, err);

	if (ret >= 0 && m->opts && m->opts->filter)
		ret = write_logs(w, m, &merged, err);
	else if (ret >= 0)
		ret = write_plain(w, m, RT_BLOCK_LOG, &merged, err);
	if (ret >= 0)
		merged_one(m, &merged, true);
	return ret < 0 ? ret : 0;
}

/* Step 4: the merged table in a temp file; *empty when nothing is left. */
static int write_compacted(struct merge_state *m, struct rt_tmpfile *tmp,
			   bool *empty, struct rt_err *err)
{
	struct rt_stack *st = m->st;
	uint64_t min = st->tables[m->first]->min_update_index;
	uint64_t max = st->tables[m->last]->max_update_index;
	struct rt_write_options wo = st->opts.write;
	struct rt_buf path = RT_BUF_INIT;
	struct rt_writer *w = NULL;
	int ret;

	/* Copy messages verbatim; the hash is the stack's, not the config's. */
	wo.exact_log_message = true;
	/*
	 * Level 6, not Git's 9: with libdeflate the same size as 9 in 0.6
	 * of the time, and smaller than Git's zlib 9 (see lib/zpipe.h).
	 */
	wo.deflate_level = 6;
	wo.hash_id = rt_stack_hash_id(st);
	if (rt_stack_table_path(st, &path, min, max, ".temp.XXXXXX"))
		return rt_err_oom(err);
	ret = rt_tmpfile_create(tmp, st->dirfd, path.buf,
				st->opts.default_permissions, err);
	rt_buf_release(&path);
	if (!ret)
		ret = rt_writer_new(&w, rt_tmpfile_write, tmp, &wo, err);
	if (!ret)
		ret = rt_writer_set_limits(w, min, max);
	if (!ret)
		ret = write_merged(w, m, err);
	if (!ret)
		ret = rt_writer_close(w, err);
	/* Synced now, while tables.list is not locked. */
	if (!ret)
		ret = rt_tmpfile_sync(tmp, err);
	if (!ret) {
		const struct rt_writer_stats *ws = rt_writer_stats(w);

		*empty = !ws->refs && !ws->logs && !ws->blocks_copied;
		m->res->bytes_after = *empty ? 0 : ws->bytes;
		m->res->blocks_after = *empty ? 0 : ws->blocks;
		m->res->blocks_reused = *empty ? 0 : ws->blocks_copied;
		m->res->blocks_unread = *empty ? 0 : ws->blocks_unread;
		m->res->blocks_patched = *empty ? 0 : ws->blocks_patched;
	}
	rt_writer_free(w);
	if (ret)
		rt_err_prefix(err, "compacting %s: ", st->dir);
	return ret;
}

/*
 * Step 5: find the segment in tables.list as read under the lock. Appends
 * only go on top, but a concurrent compaction of tables older than the
 * segment may have merged them, moving the segment down. Sets *pos to the
 * segment's index in `names`.
 */
static int find_segment(struct rt_stack *st, char **names, size_t first,
			size_t last, size_t *pos, struct rt_err *err)
{
	for (size_t i = 0; names[i]; i++) {
		if (strcmp(names[i], st->tables[first]->name))
			continue;
		for (size_t j = 1; j <= last - first; j++)
			if (!names[i + j] ||
			    strcmp(names[i + j], st->tables[first + j]->name))
				return rt_err_set(
					err, RT_ERR_OUTDATED,
					"%s: compacted tables changed "
					"in tables.list",
					st->list_path);
		*pos = i;
		return 0;
	}
	return rt_err_set(err, RT_ERR_OUTDATED,
			  "%s: compacted tables vanished from tables.list",
			  st->list_path);
}

int rt_stack_compact_range(struct rt_stack *st, size_t first, size_t last,
			   const struct rt_compact_options *opts,
			   struct rt_compact_result *res, struct rt_err *err)
{
	struct rt_compact_result local_res;
	struct rt_lock list_lock = RT_LOCK_INIT, *locks = NULL;
	struct rt_tmpfile tmp = RT_TMPFILE_INIT;
	struct rt_buf path = RT_BUF_INIT, new_path = RT_BUF_INIT;
	struct merge_state m = { .st = st, .opts = opts };
	char **names = NULL, **list = NULL;
	size_t nlocks = 0, pos = 0, nnames = 0, k = 0;
	bool empty = false;
	int ret;

	if (!res)
		res = &local_res;
	memset(res, 0, sizeof(*res));
	res->tables_before = res->tables_after = st->n;
	if (first > last || last >= st->n)
		return rt_err_set(err, RT_ERR_API, "bad compaction range");
	/* One table is only rewritten to drop expired log entries. */
	if (first == last && !(opts && opts->filter))
		return 0;

	/* 1. */
	ret = rt_lock_acquire(&list_lock, st->dirfd, st->list_path,
			      st->opts.lock_timeout_ms,
			      st->opts.default_permissions, err);
	if (ret)
		return ret;
	ret = rt_stack_is_outdated(st, err);
	if (ret > 0)
		ret = rt_err_set(err, RT_ERR_OUTDATED,
				 "%s changed; reload and retry", st->list_path);
	if (ret)
		goto done;

	/* 2. */
	locks = calloc(last - first + 1, sizeof(*locks));
	if (!locks) {
		ret = rt_err_oom(err);
		goto done;
	}
	for (size_t i = last + 1; i > first; i--) {
		struct rt_err lock_err = { 0 };

		locks[nlocks].fd = -1;
		if (rt_buf_path(&path, st->dir, st->tables[i - 1]->name)) {
			ret = rt_err_oom(err);
			goto done;
		}
		ret = rt_lock_acquire(&locks[nlocks], st->dirfd, path.buf, 0,
				      st->opts.default_permissions, &lock_err);
		if (ret == RT_ERR_LOCK && opts && opts->best_effort &&
		    nlocks >= 2) {
			first = i;
			ret = 0;
			break;
		}
		if (ret) {
			if (err && !err->code)
				*err = lock_err;
			goto done;
		}
		/* Hold the lock file but not a descriptor per table. */
		rt_lock_close_fd(&locks[nlocks++]);
	}
	m.first = first;
	m.last = last;
	m.res = res;
	res->first = first;
	res->last = last;
	for (size_t i = first; i <= last; i++)
		res->bytes_before += st->tables[i]->size;

	/* 3. */
	rt_lock_release(&list_lock);
	rt_stack_note_lock(st, &list_lock);
	list_lock.held_ns = 0;

	/* 4. */
	ret = write_compacted(&m, &tmp, &empty, err);
	if (ret)
		goto done;

	/* 5. */
	ret = rt_lock_acquire(&list_lock, st->dirfd, st->list_path,
			      st->opts.lock_timeout_ms,
			      st->opts.default_permissions, err);
	if (ret)
		goto done;
	ret = rt_stack_read_list_of(st, &names, err);
	if (!ret)
		ret = find_segment(st, names, first, last, &pos, err);
	if (ret)
		goto done;
	while (names[nnames])
		nnames++;

	/* 6. */
	if (!empty) {
		if (rt_stack_table_path(
			    st, &new_path, st->tables[first]->min_update_index,
			    st->tables[last]->max_update_index, ".ref")) {
			ret = rt_err_oom(err);
			goto done;
		}
		ret = rt_tmpfile_rename(&tmp, new_path.buf, err);
		if (ret)
			goto done;
	}
	list = calloc(nnames + 2, sizeof(*list));
	if (!list) {
		ret = rt_err_oom(err);
		goto unlink_new;
	}
	for (size_t i = 0; i < pos; i++)
		list[k++] = names[i];
	if (!empty)
		list[k++] = strrchr(new_path.buf, '/') + 1;
	for (size_t i = pos + last - first + 1; i < nnames; i++)
		list[k++] = names[i];
	ret = rt_stack_commit_list(&list_lock, list, err);
	rt_stack_note_lock(st, &list_lock);
	list_lock.held_ns = 0;
	if (ret && list_lock.committed) {
		/*
		 * The new list is visible but maybe not durable (the
		 * directory fsync failed): after a crash the old list, naming
		 * the old tables, may come back. Keep every table; `clean`
		 * removes the old ones once they are truly unlisted.
		 */
		rt_err_prefix(err, "%s: compacted, old tables kept: ", st->dir);
		rt_stack_reload(st, NULL);
		res->tables_after = st->n;
		goto done;
	}
	if (ret)
		goto unlink_new;

	/* 7. The segment's tables are unreferenced now. */
	for (size_t i = first; i <= last; i++) {
		rt_stack_unlink(st, st->tables[i]->name);
	}
	ret = rt_stack_reload(st, err);
	res->tables_after = st->n;
	goto done;

unlink_new:
	if (!empty)
		rt_stack_unlink(st, new_path.buf);
done:
	rt_tmpfile_delete(&tmp);
	for (size_t i = 0; i < nlocks; i++)
		rt_lock_release(&locks[i]);
	free(locks);
	rt_lock_release(&list_lock);
	rt_stack_note_lock(st, &list_lock);
	rt_stack_free_names(names);
	free(list);
	rt_buf_release(&path);
	rt_buf_release(&new_path);
	return ret;
}

int rt_stack_compact_all(struct rt_stack *st,
			 const struct rt_compact_options *opts,
			 struct rt_compact_result *res, struct rt_err *err)
{
	if (st->n < 2) {
		if (res) {
			memset(res, 0, sizeof(*res));
			res->tables_before = res->tables_after = st->n;
		}
		/* One table is rewritten only to drop expired log entries. */
		if (st->n == 0 || !opts || !opts->filter)
			return 0;
	}
	return rt_stack_compact_range(st, 0, st->n - 1, opts, res, err);
}

int rt_stack_auto_compact(struct rt_stack *st, struct rt_compact_result *res,
			  struct rt_err *err)
{
	struct rt_compact_options opts = { .best_effort = true };
	struct rt_segment seg = rt_stack_suggest_segment(st);

	if (seg.end - seg.start < 2) {
		if (res) {
			memset(res, 0, sizeof(*res));
			res->tables_before = res->tables_after = st->n;
		}
		return 0;
	}
	return rt_stack_compact_range(st, seg.start, seg.end - 1, &opts, res,
				      err);
}
