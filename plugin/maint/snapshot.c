/*
 * snapshot.c: record counts, sizes, leftovers and the expiry estimate of a
 * stack.
 */
#include "plugin/maint/snapshot.h"
#include "lib/include/rt-iter.h"
#include "lib/include/rt-logfilter.h"
#include "lib/include/rt-table.h"

#include <stdlib.h>
#include <string.h>

/* Live and deletion records of a table's refs and logs. */
static int count_table(const struct rt_table *t, struct sched_table *c,
		       struct rt_err *err)
{
	struct rt_ref_record ref = { 0 };
	struct rt_log_record log = { 0 };
	struct rt_iter *it;
	int ret;

	ret = rt_table_refs(t, &it, err);
	while (!ret && !(ret = rt_iter_next_ref(it, &ref, err)))
		*(ref.value_type == RT_REF_DELETION ? &c->ref_tombstones :
						      &c->refs) += 1;
	rt_iter_free(it);
	it = NULL;
	if (ret == 1)
		ret = rt_table_logs(t, &it, err);
	while (!ret && !(ret = rt_iter_next_log(it, &log, err)))
		*(log.value_type == RT_LOG_DELETION ? &c->log_tombstones :
						      &c->logs) += 1;
	rt_iter_free(it);
	rt_ref_record_release(&ref);
	rt_log_record_release(&log);
	return ret == 1 ? 0 : ret;
}

int snapshot_tables(struct rt_stack *st, struct sched_table **out,
		    struct rt_err *err)
{
	size_t n = rt_stack_table_count(st);
	struct sched_table *c = calloc(n + 1, sizeof(*c));
	int ret = 0;

	*out = c;
	if (!c)
		return rt_err_oom(err);
	for (size_t i = 0; !ret && i < n; i++) {
		const struct rt_table *t = rt_stack_table(st, i);

		c[i].weight = rt_stack_table_weight(t);
		c[i].size = rt_table_size(t);
		ret = count_table(t, &c[i], err);
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
		/*
		 * Only old locks are reported; the planner decides about
		 * stale ones. One a live process holds is not stale: the
		 * run calls tables.list.lock stuck (listlock.h).
		 */
		l->stale_locks += !it->live;
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
	struct rt_log_walk *walk;
	struct rt_log_record *log;
	bool last, first = true;
	uint64_t nth = 0, cut = 0;
	int ret;

	*out = 0;
	ret = rt_log_walk_new(&walk, st, err);
	while (!ret && !(ret = rt_log_walk_next(walk, &log, &last, err))) {
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
	rt_log_walk_free(walk);
	return ret == 1 ? 0 : ret;
}
