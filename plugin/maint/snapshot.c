/*
 * snapshot.c: record counts, sizes, leftovers and the expiry estimate of a
 * stack.
 */
#include "plugin/maint/snapshot.h"
#include "lib/logfilter.h"

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
		return rt_err_oom(err);
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

int snapshot_sizes(const char *dir, int version, struct sched_table **out,
		   size_t *n, struct rt_err *err)
{
	/* What rt_table_weight() takes off a file's size (any big one). */
	uint64_t overhead = 4096 - rt_table_weight(4096, version), *weights;
	int ret = rt_stack_stat_weights(dir, version, &weights, n, err);

	*out = NULL;
	if (ret)
		return ret;
	*out = calloc(*n + 1, sizeof(**out));
	if (!*out) {
		free(weights);
		return rt_err_oom(err);
	}
	for (size_t i = 0; i < *n; i++) {
		(*out)[i].weight = weights[i];
		(*out)[i].size = weights[i] + overhead;
	}
	free(weights);
	return 0;
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

int snapshot_expirable(struct rt_stack *st, const struct policy *p,
		       uint64_t now, uint64_t *out, struct rt_err *err)
{
	struct policy_resolved rule = { 0 };
	struct rt_log_walk walk;
	bool last, first = true;
	uint64_t nth = 0, cut = 0;
	int ret;

	*out = 0;
	ret = rt_log_walk_init(&walk, st->tables, st->n, false, err);
	while (!ret && !(ret = rt_log_walk_next(&walk, &last, err))) {
		const struct rt_log_record *log = &walk.cur->u.log;

		/* Entries come per reflog, newest first. */
		if (first) {
			policy_resolve(p, log->refname.buf, &rule);
			cut = policy_duration_cutoff(&rule.expire, now);
			nth = 0;
		}
		first = last;
		if (rule.protect || rt_log_is_placeholder(log))
			continue;
		nth++;
		*out += (cut && log->time < cut) ||
			(rule.max_entries && nth > rule.max_entries);
	}
	rt_log_walk_release(&walk);
	return ret == 1 ? 0 : ret;
}
