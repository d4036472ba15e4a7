/*
 * compact_merge.c: the merge passes of a compaction: the segment's refs,
 * then its logs, each merged in key order into the new table's writer,
 * copying source blocks the merge leaves unchanged (lib/reuse.c).
 */
#include "lib/compact_merge.h"
#include "lib/logfilter.h"
#include "lib/reuse.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

/*
 * `count` more records were merged, *n in all: tell the caller every
 * RT_COMPACT_PROGRESS_STEP records, and at the `end`.
 */
static void merged_some(const struct merge_state *m, uint64_t *n,
			uint64_t count, bool end)
{
	uint64_t before = *n / RT_COMPACT_PROGRESS_STEP;

	*n += count;
	if (m->opts && m->opts->progress &&
	    (end || *n / RT_COMPACT_PROGRESS_STEP != before))
		m->opts->progress(m->opts->progress_arg, *n);
}

static void merged_one(const struct merge_state *m, uint64_t *n, bool end)
{
	merged_some(m, n, !end, end);
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
		if (m->stop &&
		    atomic_load_explicit(m->stop, memory_order_relaxed)) {
			ret = rt_err_set(err, RT_ERR_API, "merge stopped");
			break;
		}
		ret = rt_merged_iter_next(&mi, &rec, err);
		if (ret == RT_MERGED_BLOCK) {
			ret = rt_reuse_copy_whole(&ru, &mi, written, err);
			continue;
		}
		if (ret == RT_MERGED_RUN) {
			merged_some(m, merged, mi.run.count, false);
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

/*
 * Segments at least this large merge their logs on a thread of their own
 * while the refs are merged: a thread costs little next to them.
 */
#define SPLIT_MIN_BYTES (4u << 20)

/* The logs of a split merge, on their thread. */
struct log_job {
	struct merge_state m; /* no progress reports from this thread */
	struct rt_compact_options opts;
	struct rt_compact_result res;
	struct rt_writer *w;
	struct rt_tmpfile *file; /* the log section's */
	uint64_t merged, len;
	uint64_t handed; /* bytes handed to `file` */
	/* Bytes in the file itself (not gathered in its buffer); done. */
	atomic_uint_fast64_t in_file;
	atomic_bool done;
	int ret;
	struct rt_err err;
};

/* The log writer's output: into the file, telling how far it is there. */
static int log_write(void *arg, const void *data, size_t len)
{
	struct log_job *j = arg;
	int ret = rt_tmpfile_write(j->file, data, len);

	if (!ret) {
		j->handed += len;
		atomic_store_explicit(&j->in_file, j->handed - j->file->len,
				      memory_order_release);
	}
	return ret;
}

static void *merge_logs(void *arg)
{
	struct log_job *j = arg;

	j->ret = write_plain(j->w, &j->m, RT_BLOCK_LOG, &j->merged, &j->err);
	if (!j->ret)
		j->ret = rt_writer_finish_logs(j->w, &j->len, &j->err);
	atomic_store_explicit(&j->done, true, memory_order_release);
	return NULL;
}

/* The bytes of the segment's tables. */
static uint64_t segment_bytes(const struct merge_state *m)
{
	uint64_t bytes = 0;

	for (size_t i = m->first; i <= m->last; i++)
		bytes += m->st->tables[i]->size;
	return bytes;
}

/*
 * Whether to merge the logs apart: the writer may use threads, no filter
 * is to see the logs (it may not be called from two threads), the
 * segment is large, and has refs to come first.
 */
bool compact_logs_apart(const struct merge_state *m,
			const struct rt_write_options *wo)
{
	uint64_t bytes = segment_bytes(m);
	bool refs = false;
	struct statvfs fs;
	enum rt_compact_logs_apart how = m->opts ? m->opts->logs_apart :
						   RT_COMPACT_LOGS_AUTO;

	if (!wo->deflate_thread || (m->opts && m->opts->filter) ||
	    how == RT_COMPACT_LOGS_INLINE)
		return false;
	for (size_t i = m->first; i <= m->last; i++)
		refs = refs || m->st->tables[i]->ref.present;
	if (!refs || (how != RT_COMPACT_LOGS_APART && bytes < SPLIT_MIN_BYTES))
		return false;
	/*
	 * The log section is written twice, to its own file, then into the
	 * table's: on a nearly full file system, merge the logs inline.
	 */
	return !fstatvfs(m->st->dirfd, &fs) &&
	       (uint64_t)fs.f_bavail * fs.f_frsize / 3 >= bytes;
}

struct append {
	struct rt_tmpfile *dst, *src;
	uint64_t done; /* appended already, while the logs were merged */
	uint64_t step; /* appended and synced at a time meanwhile */
};

static int append(void *arg, uint64_t len)
{
	struct append *a = arg;

	if (a->done > len)
		return RT_ERR_API;
	return rt_tmpfile_append(a->dst, a->src, a->done, len - a->done) ?
		       RT_ERR_IO :
		       0;
}

/*
 * Log bytes appended and synced at a time while the logs are merged: a
 * sixteenth of the segment, within these bounds (a sync has a cost of
 * its own).
 */
#define EARLY_STEP_MIN (64u << 10)
#define EARLY_STEP_MAX (8u << 20)

/*
 * The refs and the obj section written, and the logs still merged: sync
 * the table so far, then append the log blocks already in their file,
 * a->step at a time, syncing each. The sync before the rename then
 * has little left to write, and the append after the merge little left
 * to copy. Syncing waits on the disk, not the CPU the merge needs.
 */
static int sync_while_merging(struct log_job *j, struct rt_tmpfile *tmp,
			      struct append *a, struct rt_err *err)
{
	int ret;

	/* Merged already: a sync now would overlap nothing. */
	if (atomic_load_explicit(&j->done, memory_order_acquire))
		return 0;
	ret = rt_tmpfile_sync_data(tmp, err);
	while (!ret && !atomic_load_explicit(&j->done, memory_order_acquire)) {
		uint64_t in =
			atomic_load_explicit(&j->in_file, memory_order_acquire);

		if (in - a->done < a->step) {
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 },
				  NULL);
			continue;
		}
		if (rt_tmpfile_append_range(tmp, a->src->fd, a->done,
					    in - a->done))
			return rt_err_errno(err, RT_ERR_IO,
					    "cannot append the log section");
		a->done = in;
		ret = rt_tmpfile_sync_data(tmp, err);
	}
	return ret;
}

/*
 * The refs here, the logs on a thread into an unnamed temp file beside
 * the table's, then appended to it (lib/writer_split.c). 1 when the
 * thread or its file could not be had: nothing was merged.
 */
static int write_split(struct rt_writer *w, const struct rt_write_options *wo,
		       struct rt_tmpfile *tmp, struct merge_state *m,
		       uint64_t *merged, struct rt_err *err)
{
	struct rt_tmpfile logs = RT_TMPFILE_INIT;
	struct log_job *j = calloc(1, sizeof(*j));
	uint64_t step = segment_bytes(m) / 16;
	struct append a = {
		.dst = tmp,
		.src = &logs,
		.step = step < EARLY_STEP_MIN ? EARLY_STEP_MIN :
			step > EARLY_STEP_MAX ? EARLY_STEP_MAX :
						step,
	};
	atomic_bool stop = false;
	struct rt_err ignored = { 0 };
	struct rt_buf path = RT_BUF_INIT;
	pthread_t th;
	int ret = 1;

	if (!j ||
	    rt_stack_table_path(
		    m->st, &path, m->st->tables[m->first]->min_update_index,
		    m->st->tables[m->last]->max_update_index, ".temp.XXXXXX") ||
	    rt_tmpfile_unnamed(&logs, m->st->dirfd, path.buf, &ignored))
		goto out;
	j->m = *m;
	j->opts = m->opts ? *m->opts : (struct rt_compact_options){ 0 };
	j->opts.progress = NULL;
	j->m.opts = &j->opts;
	j->m.res = &j->res;
	j->m.stop = &stop;
	j->file = &logs;
	if (rt_writer_new_logs(&j->w, log_write, j, wo, &ignored) ||
	    rt_writer_set_limits(j->w,
				 m->st->tables[m->first]->min_update_index,
				 m->st->tables[m->last]->max_update_index) ||
	    pthread_create(&th, NULL, merge_logs, j))
		goto out;
	m->stop = &stop;
	ret = write_plain(w, m, RT_BLOCK_REF, merged, err);
	/* The obj section too, while the logs are merged. */
	if (!ret)
		ret = rt_writer_end_refs(w, err);
	if (!ret && rt_writer_has_blocks(w))
		ret = sync_while_merging(j, tmp, &a, err);
	if (ret)
		atomic_store(&stop, true);
	pthread_join(th, NULL);
	m->stop = NULL;
	if (!ret && j->ret) {
		ret = j->ret;
		*err = j->err;
	}
	if (!ret && rt_writer_has_blocks(w)) {
		ret = rt_writer_put_logs(w, j->w, append, &a, err);
		*merged += j->merged;
		m->res->logs_written += j->res.logs_written;
		m->res->logs_apart = true;
		m->res->logs_synced_early = a.done;
	} else if (!ret) {
		/* Every ref was a deletion, dropped: the logs come first. */
		ret = write_plain(w, m, RT_BLOCK_LOG, merged, err);
	}
out:
	rt_buf_release(&path);
	if (j)
		rt_writer_free(j->w);
	free(j);
	rt_tmpfile_delete(&logs);
	return ret;
}

/* Stream the merged records of the segment into the writer. */
int compact_write_merged(struct rt_writer *w, const struct rt_write_options *wo,
			 struct rt_tmpfile *tmp, struct merge_state *m,
			 struct rt_err *err)
{
	uint64_t merged = 0;
	int ret = 1;

	if (compact_logs_apart(m, wo))
		ret = write_split(w, wo, tmp, m, &merged, err);
	if (ret == 1) {
		ret = write_plain(w, m, RT_BLOCK_REF, &merged, err);
		if (ret >= 0 && m->opts && m->opts->filter)
			ret = write_logs(w, m, &merged, err);
		else if (ret >= 0)
			ret = write_plain(w, m, RT_BLOCK_LOG, &merged, err);
	}
	if (ret >= 0)
		merged_one(m, &merged, true);
	return ret < 0 ? ret : 0;
}
