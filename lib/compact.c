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
#include "lib/compact_merge.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	/*
	 * Merging the logs apart, their memory comes on top of the obj
	 * sort's, which then spills twice as often to stay within bounds.
	 */
	if (compact_logs_apart(m, &wo) && !wo.obj_sort_memory)
		wo.obj_sort_memory = 2u << 20;
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
		ret = compact_write_merged(w, &wo, tmp, m, err);
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
		m->res->logs_raw = *empty ? 0 : ws->logs_raw;
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
