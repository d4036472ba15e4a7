/*
 * expire.c: one table of log deletion records for a whole stack.
 */
#include "lib/include/rt-expire.h"
#include "lib/expire_recheck.h"
#include "lib/include/rt-iter.h"
#include "lib/include/rt-table.h"
#include "lib/logfilter.h"
#include "lib/stack.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * How often the stack may change the placeholders' truth under us before
 * we give up (RT_ERR_OUTDATED): each round rewrites the table unlocked.
 */
#define MAX_ROUNDS 32

struct expire_pass {
	rt_log_filter_fn filter;
	void *arg;
	struct rt_writer *w; /* NULL in a dry run */
	struct rt_expire_result *res;
	struct rt_placeholders ph;
};

/* Walk the live entries; write what the filter removes. */
static int walk_logs(struct rt_stack *st, struct expire_pass *p,
		     struct rt_err *err)
{
	struct rt_log_walk walk;
	struct rt_log_record *log;
	bool last, first = true;
	uint64_t newest = 0;
	int ret;

	ret = rt_log_walk_init(&walk, st->tables, st->n, false, err);
	while (!ret && !(ret = rt_log_walk_next(&walk, &log, &last, err))) {
		int verdict;

		/* Entries come newest first: the first is the reflog's head. */
		if (first)
			newest = log->update_index;
		first = last;
		p->res->logs++;
		p->res->reflogs += last;
		verdict = p->filter(p->arg, log, last, err);
		if (verdict < 0) {
			ret = verdict;
			break;
		}
		if (verdict == RT_LOG_KEEP)
			continue;
		p->res->dropped++;
		if (verdict == RT_LOG_PLACEHOLDER) {
			p->res->placeholders++;
			rt_log_make_placeholder(log);
			if (p->w)
				ret = rt_placeholders_add(&p->ph, &log->refname,
							  newest, err);
		} else {
			log->value_type = RT_LOG_DELETION;
		}
		if (!ret && p->w)
			ret = rt_writer_add_log(p->w, log, err);
	}
	rt_log_walk_release(&walk);
	return ret < 0 ? ret : 0;
}

static size_t count_stale(const struct rt_placeholders *ph)
{
	size_t n = 0;

	for (size_t i = 0; i < ph->n; i++)
		n += ph->v[i].stale;
	return n;
}

/*
 * Rewrite the synced table at `tmp` with the stale placeholders as
 * deletion records (same keys), unlocked, and sync the new one.
 */
static int rewrite(struct rt_stack *st, struct rt_tmpfile *tmp,
		   const struct rt_write_options *wo, struct expire_pass *pass,
		   uint64_t next, struct rt_err *err)
{
	struct rt_placeholders *ph = &pass->ph;
	struct rt_tmpfile out = RT_TMPFILE_INIT;
	struct rt_log_record log = { 0 };
	struct rt_buf path = RT_BUF_INIT;
	struct rt_writer *w = NULL;
	struct rt_table *t = NULL;
	struct rt_iter *it = NULL;
	int ret;

	if (rt_stack_table_path(st, &path, next, next, ".temp.XXXXXX"))
		return rt_err_oom(err);
	ret = rt_table_open(&t, tmp->path, err);
	if (!ret)
		ret = rt_tmpfile_create(&out, st->dirfd, path.buf,
					st->opts.default_permissions, err);
	if (!ret)
		ret = rt_writer_new(&w, rt_tmpfile_write, &out, wo, err);
	if (!ret)
		ret = rt_writer_set_limits(w, next, next);
	if (!ret)
		ret = rt_table_logs(t, &it, err);
	while (!ret && !(ret = rt_iter_next_log(it, &log, err))) {
		const struct rt_placeholder *e = rt_placeholders_find(
			ph, log.refname.buf, log.refname.len);

		if (e && e->stale)
			log.value_type = RT_LOG_DELETION;
		ret = rt_writer_add_log(w, &log, err);
	}
	if (ret == 1)
		ret = rt_writer_close(w, err);
	if (!ret) {
		pass->res->bytes_added = rt_writer_stats(w)->bytes;
		ret = rt_tmpfile_sync(&out, err);
	}
	rt_log_record_release(&log);
	rt_iter_free(it);
	rt_table_close(t);
	rt_writer_free(w);
	if (!ret) {
		/* The new file takes the old one's place. */
		rt_tmpfile_delete(tmp);
		*tmp = out;
	} else {
		rt_tmpfile_delete(&out);
	}
	rt_buf_release(&path);
	return ret;
}

/*
 * Under the lock: put the synced table at the top of the stack, if its
 * placeholders still hold for the stack as it is now, checked in what
 * changed since `known`. Returns (lock released, nothing committed) 1
 * when they must be checked unlocked, 2 when the table must be rewritten
 * first.
 */
static int install(struct rt_stack *st, struct rt_tmpfile *tmp, uint64_t next,
		   struct rt_placeholders *ph, char *const *known,
		   size_t written_stale, struct rt_err *err)
{
	struct rt_lock lock = RT_LOCK_INIT;
	struct rt_buf path = RT_BUF_INIT;
	uint64_t now_next;
	int ret;

	ret = rt_stack_lock_for_append(st, &lock, err);
	if (ret)
		return ret;
	ret = rt_placeholders_check(st, known, ph, err);
	if (!ret && count_stale(ph) != written_stale)
		ret = 2;
	if (ret)
		goto done;
	now_next = rt_stack_max_update_index(st) + 1;
	if (now_next != next)
		ret = rt_table_file_set_limits(tmp->path, now_next, now_next,
					       err);
	if (!ret && rt_stack_table_path(st, &path, now_next, now_next, ".ref"))
		ret = rt_err_oom(err);
	if (!ret)
		ret = rt_tmpfile_rename(tmp, path.buf, err);
	if (ret)
		goto done;
	ret = rt_stack_commit_appended(st, &lock, path.buf, err);
done:
	rt_lock_release(&lock);
	rt_stack_note_lock(st, &lock);
	rt_buf_release(&path);
	return ret;
}

/*
 * Install the written table so that no placeholder of it contradicts
 * what Git did meanwhile (expire_recheck.h): check under the lock what
 * changed since the last look; when that is too much to do there, or a
 * placeholder went stale, release the lock, check or rewrite unlocked,
 * and try again.
 */
static int install_checked(struct rt_stack *st, struct rt_tmpfile *tmp,
			   const struct rt_write_options *wo, uint64_t next,
			   struct expire_pass *pass, struct rt_err *err)
{
	size_t written_stale = 0;
	char **known = NULL;
	int ret = rt_placeholders_snapshot(st, &known, err);

	for (int round = 0; !ret; round++) {
		size_t stale;

		/*
		 * The update index the table will take, as the stack is now:
		 * set (and synced) here, unlocked, so that under the lock
		 * nothing is usually left to sync.
		 */
		ret = rt_stack_reload(st, err);
		if (!ret && rt_stack_max_update_index(st) + 1 != next) {
			next = rt_stack_max_update_index(st) + 1;
			ret = rt_table_file_set_limits(tmp->path, next, next,
						       err);
		}
		if (!ret)
			ret = install(st, tmp, next, &pass->ph, known,
				      written_stale, err);
		if (ret <= 0)
			break;
		if (round == MAX_ROUNDS) {
			ret = rt_err_set(err, RT_ERR_OUTDATED,
					 "expiring reflogs: the stack kept "
					 "changing the reflogs being expired; "
					 "nothing was changed");
			break;
		}
		/* `st` is the stack as it was under the lock: check it all. */
		ret = ret == 1 ?
			      rt_placeholders_check(st, NULL, &pass->ph, err) :
			      0;
		rt_stack_free_names(known);
		known = NULL;
		if (!ret)
			ret = rt_placeholders_snapshot(st, &known, err);
		stale = count_stale(&pass->ph);
		if (!ret && stale != written_stale) {
			ret = rewrite(st, tmp, wo, pass, next, err);
			written_stale = stale;
		}
	}
	rt_stack_free_names(known);
	if (!ret) {
		pass->res->placeholders -= written_stale;
		pass->res->placeholders_dropped = written_stale;
	}
	return ret;
}

int rt_stack_expire_logs(struct rt_stack *st, rt_log_filter_fn filter,
			 void *arg, bool dry_run, struct rt_expire_result *res,
			 struct rt_err *err)
{
	struct rt_tmpfile tmp = RT_TMPFILE_INIT;
	struct expire_pass pass = { filter, arg, NULL, res, { 0 } };
	struct rt_write_options wo = st->opts.write;
	struct rt_buf path = RT_BUF_INIT;
	uint64_t next;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = rt_stack_reload(st, err);
	if (ret || !st->n)
		return ret;
	if (dry_run)
		return walk_logs(st, &pass, err);

	next = rt_stack_max_update_index(st) + 1;
	/* Placeholders carry no message: nothing to normalise. */
	wo.exact_log_message = true;
	wo.hash_id = rt_stack_hash_id(st);
	if (rt_stack_table_path(st, &path, next, next, ".temp.XXXXXX"))
		return rt_err_oom(err);
	ret = rt_tmpfile_create(&tmp, st->dirfd, path.buf,
				st->opts.default_permissions, err);
	if (!ret)
		ret = rt_writer_new(&pass.w, rt_tmpfile_write, &tmp, &wo, err);
	if (!ret)
		ret = rt_writer_set_limits(pass.w, next, next);
	if (!ret)
		ret = walk_logs(st, &pass, err);
	if (!ret)
		ret = rt_writer_close(pass.w, err);
	if (!ret && res->dropped) {
		res->bytes_added = rt_writer_stats(pass.w)->bytes;
		ret = rt_tmpfile_sync(&tmp, err);
		if (!ret)
			ret = install_checked(st, &tmp, &wo, next, &pass, err);
		if (!ret)
			ret = rt_stack_reload(st, err);
	}
	if (ret)
		res->bytes_added = 0;
	rt_writer_free(pass.w);
	rt_tmpfile_delete(&tmp);
	rt_placeholders_release(&pass.ph);
	rt_buf_release(&path);
	return ret;
}
