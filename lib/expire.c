/*
 * expire.c: one table of log deletion records for a whole stack.
 */
#include "lib/include/rt-expire.h"
#include "lib/logfilter.h"
#include "lib/stack.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct expire_pass {
	rt_log_filter_fn filter;
	void *arg;
	struct rt_writer *w; /* NULL in a dry run */
	struct rt_expire_result *res;
};

/* Walk the live entries; write what the filter removes. */
static int walk_logs(struct rt_stack *st, struct expire_pass *p,
		     struct rt_err *err)
{
	struct rt_log_walk walk;
	struct rt_log_record *log;
	bool last;
	int ret;

	ret = rt_log_walk_init(&walk, st->tables, st->n, false, err);
	while (!ret && !(ret = rt_log_walk_next(&walk, &log, &last, err))) {
		int verdict;

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
		} else {
			log->value_type = RT_LOG_DELETION;
		}
		if (p->w)
			ret = rt_writer_add_log(p->w, log, err);
	}
	rt_log_walk_release(&walk);
	return ret < 0 ? ret : 0;
}

/* Under the lock: put the synced table at the top of the stack. */
static int install(struct rt_stack *st, struct rt_tmpfile *tmp, uint64_t next,
		   struct rt_err *err)
{
	struct rt_lock lock = RT_LOCK_INIT;
	struct rt_buf path = RT_BUF_INIT;
	uint64_t now_next;
	int ret;

	ret = rt_stack_lock_for_append(st, &lock, err);
	if (ret)
		return ret;
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

int rt_stack_expire_logs(struct rt_stack *st, rt_log_filter_fn filter,
			 void *arg, bool dry_run, struct rt_expire_result *res,
			 struct rt_err *err)
{
	struct rt_tmpfile tmp = RT_TMPFILE_INIT;
	struct expire_pass pass = { filter, arg, NULL, res };
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
			ret = install(st, &tmp, next, err);
		if (!ret)
			ret = rt_stack_reload(st, err);
	}
	if (ret)
		res->bytes_added = 0;
	rt_writer_free(pass.w);
	rt_tmpfile_delete(&tmp);
	rt_buf_release(&path);
	return ret;
}
