/*
 * snapshot.c: record counts, leftovers and the expiry estimate of a stack.
 */
#include "plugin/snapshot.h"

#include <stdlib.h>
#include <string.h>

static int count_section(struct rt_table *t, uint8_t type,
			 struct sched_table *c, struct rt_err *err)
{
	struct rt_table_iter it;
	struct rt_record rec;
	int ret;

	rt_table_iter_init(&it, t, type);
	rt_record_init(&rec, type);
	ret = rt_table_iter_seek(&it, NULL, 0, err);
	while (!ret && !(ret = rt_table_iter_next(&it, &rec, err))) {
		bool del = rt_record_is_deletion(&rec);

		if (type == RT_BLOCK_REF)
			*(del ? &c->ref_tombstones : &c->refs) += 1;
		else
			*(del ? &c->log_tombstones : &c->logs) += 1;
	}
	rt_record_release(&rec);
	rt_table_iter_release(&it);
	return ret == 1 ? 0 : ret;
}

int snapshot_tables(struct rt_stack *st, struct sched_table **out,
		    struct rt_err *err)
{
	struct sched_table *c = calloc(st->n + 1, sizeof(*c));
	int ret = 0;

	*out = c;
	if (!c)
		return rt_err_set(err, RT_ERR_NOMEM, "out of memory");
	for (size_t i = 0; !ret && i < st->n; i++) {
		c[i].weight = rt_stack_table_weight(st->tables[i]);
		c[i].size = st->tables[i]->size;
		ret = count_section(st->tables[i], RT_BLOCK_REF, &c[i], err);
		if (!ret)
			ret = count_section(st->tables[i], RT_BLOCK_LOG, &c[i],
					    err);
	}
	return ret;
}

static void tally(void *arg, const struct rt_clean_item *it)
{
	struct sched_leftovers *l = arg;

	switch (it->kind) {
	case RT_CLEAN_ORPHAN_TABLE:
		*(it->would_remove ? &l->orphans : &l->orphans_young) += 1;
		break;
	case RT_CLEAN_TEMP_FILE:
		*(it->would_remove ? &l->temp_files : &l->temp_young) += 1;
		break;
	case RT_CLEAN_STALE_LOCK:
		/* Only stale locks are reported; the planner decides. */
		l->stale_locks++;
		break;
	}
}

int snapshot_leftovers(struct rt_stack *st, const struct rt_clean_options *opts,
		       struct sched_leftovers *out, struct rt_err *err)
{
	struct rt_clean_options survey = *opts;

	memset(out, 0, sizeof(*out));
	survey.survey = true;
	survey.dry_run = true;
	return rt_stack_clean(st, &survey, tally, out, err);
}

static bool is_null_id(const uint8_t *id, int len)
{
	for (int i = 0; i < len; i++)
		if (id[i])
			return false;
	return true;
}

int snapshot_expirable(struct rt_stack *st, const struct policy *p,
		       uint64_t now, uint64_t *out, struct rt_err *err)
{
	int hs = rt_hash_size(rt_stack_hash_id(st));
	struct rt_buf cur = RT_BUF_INIT;
	struct policy_resolved rule;
	struct rt_merged_iter mi;
	struct rt_record rec;
	uint64_t nth = 0;
	int ret;

	*out = 0;
	memset(&rule, 0, sizeof(rule));
	ret = rt_merged_iter_init(&mi, st->tables, st->n, RT_BLOCK_LOG, false,
				  err);
	if (ret)
		return ret;
	rt_merged_iter_drop_behind(&mi);
	rt_record_init(&rec, RT_BLOCK_LOG);
	ret = rt_merged_iter_seek(&mi, NULL, 0, err);
	while (!ret && !(ret = rt_merged_iter_next(&mi, &rec, err))) {
		const struct rt_log_record *log = &rec.u.log;
		bool old, over;

		/* Entries come per reflog, newest first. */
		if (rt_buf_cmp(&cur, &log->refname)) {
			if (rt_buf_set(&cur, log->refname.buf,
				       log->refname.len)) {
				ret = rt_err_set(err, RT_ERR_NOMEM,
						 "out of memory");
				break;
			}
			policy_resolve(p, cur.buf, &rule);
			nth = 0;
		}
		if (rule.protect || (is_null_id(log->old_id, hs) &&
				     is_null_id(log->new_id, hs)))
			continue;
		nth++;
		old = !rule.expire.never && now >= rule.expire.seconds &&
		      log->time < now - rule.expire.seconds;
		over = rule.max_entries && nth > rule.max_entries;
		*out += old || over;
	}
	rt_record_release(&rec);
	rt_merged_iter_release(&mi);
	rt_buf_release(&cur);
	return ret == 1 ? 0 : ret;
}
