/*
 * tasks.c: cleaning, expiring and compacting one stack, for `run`, the
 * hooks and the commands.
 */
#define _GNU_SOURCE /* vasprintf */
#include "plugin/maint/tasks.h"

#include "lib/include/rt-table.h"
#include "plugin/maint/expire.h"
#include "plugin/maint/open.h"
#include "plugin/util/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Retries when a concurrent writer changed tables.list under us. */
#define OUTDATED_RETRIES 5

static const char *const status_names[] = {
	[MAINT_SKIPPED] = "skipped", [MAINT_DUE] = "due",
	[MAINT_DONE] = "done",	     [MAINT_FAILED] = "failed",
	[MAINT_BUSY] = "busy",
};

const char *maint_status_name(enum maint_status s)
{
	return s <= MAINT_BUSY ? status_names[s] : "?";
}

enum sched_outcome maint_outcome(enum maint_status s)
{
	switch (s) {
	case MAINT_DONE:
		return SCHED_OUTCOME_DONE;
	case MAINT_FAILED:
		return SCHED_OUTCOME_FAILED;
	case MAINT_BUSY:
		return SCHED_OUTCOME_BUSY;
	case MAINT_SKIPPED:
	case MAINT_DUE:
		break;
	}
	return SCHED_OUTCOME_NONE;
}

void maint_sink_error(const struct maint_sink *sink, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (!sink || !sink->error)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	sink->error(sink->arg, n < 0 ? "out of memory" : msg);
	if (n >= 0)
		free(msg);
}

/*
 * A task's status from a lib/ return code: a held lock (or, for expiry,
 * a stack changed meanwhile) is "busy", not a failure.
 */
static void settle(struct maint_exec *x, const char *label,
		   struct maint_task_result *t, int ret, bool busy,
		   const struct rt_err *err)
{
	const char *msg = err->msg[0] ? err->msg : rt_error_name(ret);

	if (!ret) {
		t->status = MAINT_DONE;
	} else if (busy) {
		t->status = MAINT_BUSY;
		snprintf(t->result, sizeof(t->result),
			 "busy: %s; nothing changed, try later", msg);
	} else {
		t->status = MAINT_FAILED;
		snprintf(t->result, sizeof(t->result), "%s", msg);
		maint_sink_error(x->sink, "%s: %s", label, msg);
	}
}

void clean_options_from_policy(const struct policy *p,
			       struct rt_clean_options *o)
{
	uint64_t now = (uint64_t)time(NULL);

	memset(o, 0, sizeof(*o));
	o->grace_seconds = policy_duration_age(&p->grace, now);
	o->stale_lock_seconds = policy_duration_age(&p->stale_lock, now);
	o->remove_stale_locks = p->remove_stale_locks;
}

void maint_clean_line(char *buf, size_t len, const char *label,
		      const struct rt_clean_item *it)
{
	static const char *const kinds[] = { "orphan table", "temp file",
					     "stale lock" };

	if (it->removed)
		snprintf(buf, len, "%s: removed %s %s (age %llu s)", label,
			 kinds[it->kind], it->name,
			 (unsigned long long)it->age_seconds);
	else if (it->holder_pid > 0)
		snprintf(buf, len, "%s: kept %s %s (age %llu s): %s (pid %ld)",
			 label,
			 it->kind == RT_CLEAN_STALE_LOCK ? "lock" :
							   kinds[it->kind],
			 it->name, (unsigned long long)it->age_seconds,
			 it->why_kept, it->holder_pid);
	else
		snprintf(buf, len, "%s: kept %s %s (age %llu s): %s", label,
			 kinds[it->kind], it->name,
			 (unsigned long long)it->age_seconds, it->why_kept);
}

struct clean_ctx {
	const char *label;
	const struct maint_sink *sink;
	struct clean_summary *sum;
};

static void cleaned(void *arg, const struct rt_clean_item *it)
{
	struct clean_ctx *c = arg;

	if (it->removed)
		c->sum->removed++;
	else
		c->sum->kept++;
	if (c->sink && c->sink->cleaned)
		c->sink->cleaned(c->sink->arg, c->label, it);
}

int clean_stack(struct rt_stack *st, const char *label,
		const struct rt_clean_options *o, const struct maint_sink *sink,
		struct clean_summary *sum, struct rt_err *err)
{
	struct clean_ctx c = { .label = label, .sink = sink, .sum = sum };

	memset(sum, 0, sizeof(*sum));
	return rt_stack_clean(st, o, cleaned, &c, err);
}

void maint_clean_task(struct maint_exec *x, const struct repo_stack *where,
		      struct rt_stack *st, struct maint_task_result *t)
{
	const char *label = maint_stack_label(where);
	struct clean_summary sum;
	struct rt_err err = { 0 };
	int ret = clean_stack(st, label, x->copts, x->sink, &sum, &err);

	settle(x, label, t, ret, ret == RT_ERR_LOCK, &err);
	if (!ret)
		snprintf(t->result, sizeof(t->result), "removed %u, kept %u",
			 sum.removed, sum.kept);
}

static void expired(struct maint_exec *x, const struct repo_stack *where,
		    struct maint_task_result *t, int ret,
		    const struct expire_stats *s, const struct rt_err *err)
{
	settle(x, maint_stack_label(where), t, ret, expire_busy(ret), err);
	if (!ret)
		snprintf(t->result, sizeof(t->result),
			 "expired %llu of %llu entries in %llu reflogs",
			 (unsigned long long)s->expired,
			 (unsigned long long)s->entries,
			 (unsigned long long)s->reflogs);
}

static void expire_request(const struct maint_exec *x,
			   struct expire_request *rq)
{
	*rq = (struct expire_request){ .repo = x->repo,
				       .policy = x->policy,
				       .now = x->now };
	if (x->sink && x->sink->progress) {
		rq->progress = x->sink->progress;
		rq->progress_arg = x->sink->progress_arg;
	}
}

void maint_expire_task(struct maint_exec *x, const struct repo_stack *where,
		       struct maint_task_result *t)
{
	struct expire_request rq;
	struct expire_stats s;
	struct rt_err err = { 0 };
	int ret;

	expire_request(x, &rq);
	ret = expire_stack(&rq, where, &s, &err);
	expired(x, where, t, ret, &s, &err);
	t->bytes = ret ? 0 : s.bytes_added;
}

/* What choose_fit() needs: the rule's factor and the budget left. */
struct fit {
	unsigned factor;
	uint64_t budget;
};

/* The geometric segment of the stack as it is now, within the budget. */
static bool choose_fit(const struct rt_stack *st, void *arg, size_t *first,
		       size_t *last)
{
	const struct fit *f = arg;
	uint64_t *w = calloc(2 * rt_stack_table_count(st) + 1, sizeof(*w)),
		 bytes;
	size_t k;

	if (!w)
		return false;
	for (size_t i = 0; i < rt_stack_table_count(st); i++) {
		w[i] = rt_stack_table_weight(rt_stack_table(st, i));
		w[rt_stack_table_count(st) + i] =
			rt_table_size(rt_stack_table(st, i));
	}
	k = sched_fit_segment(w, w + rt_stack_table_count(st),
			      rt_stack_table_count(st), f->factor, f->budget,
			      first, last, &bytes);
	free(w);
	return k >= 2;
}

static bool choose_all(const struct rt_stack *st, void *arg, size_t *first,
		       size_t *last)
{
	(void)arg;
	*first = 0;
	*last = rt_stack_table_count(st) ? rt_stack_table_count(st) - 1 : 0;
	return rt_stack_table_count(st) >= 2;
}

void maint_describe_compaction(char *buf, size_t len,
			       const struct rt_compact_result *res,
			       double lock_ms)
{
	int n = snprintf(buf, len,
			 "compacted tables %zu-%zu (%zu tables, %llu bytes) "
			 "into %llu bytes; %zu table%s now",
			 res->first + 1, res->last + 1,
			 res->last - res->first + 1,
			 (unsigned long long)res->bytes_before,
			 (unsigned long long)res->bytes_after,
			 res->tables_after, res->tables_after == 1 ? "" : "s");

	if (res->blocks_reused && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n,
			      "; %llu of its %llu blocks copied unchanged "
			      "(%llu without inflating them)",
			      (unsigned long long)res->blocks_reused,
			      (unsigned long long)res->blocks_after,
			      (unsigned long long)res->blocks_unread);
	if (res->blocks_patched && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n,
			      "; %llu copied with updated refs written in",
			      (unsigned long long)res->blocks_patched);
	if (lock_ms >= 0 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n,
			 "; tables.list.lock held %.1f ms at most", lock_ms);
}

/* Expiry and a whole-stack compaction in one rewrite. */
static int compact_expiring(struct maint_exec *x,
			    const struct repo_stack *where, struct rt_stack *st,
			    struct maint_task_result *t,
			    struct maint_task_result *expire,
			    struct rt_compact_result *res)
{
	struct expire_request rq;
	struct expire_stats s;
	struct rt_err err = { 0 };
	uint64_t start = clock_ms();
	int ret;

	expire_request(x, &rq);
	ret = expire_compact_all(&rq, where, &s, res, &err);
	expired(x, where, expire, ret, &s, &err);
	expire->ms = clock_ms() - start;
	t->status = expire->status;
	if (ret)
		snprintf(t->result, sizeof(t->result), "%s", expire->result);
	/* It worked on its own copy of the stack. */
	rt_stack_reload(st, NULL);
	return ret;
}

static void merged_records(void *arg, uint64_t records)
{
	const struct maint_sink *sink = arg;

	sink->progress(sink->progress_arg, MAINT_PROGRESS_COMPACT, records, 0);
}

/* The compaction tells `sink` of its records, when it listens. */
static void compact_progress(struct rt_compact_options *o,
			     const struct maint_sink *sink)
{
	if (sink && sink->progress) {
		o->progress = merged_records;
		o->progress_arg = (void *)sink;
	}
}

void maint_compact_task(struct maint_exec *x, const struct repo_stack *where,
			struct rt_stack *st, const struct sched_item *it,
			struct maint_task_result *t,
			struct maint_task_result *expire)
{
	struct rt_compact_options copts = { .best_effort = true };
	struct fit fit = { x->policy->geometric_factor, x->budget_left };
	bool capped = x->policy->max_bytes_per_run > 0;
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	int ret;

	compact_progress(&copts, x->sink);
	if (it->with_expiry) {
		ret = compact_expiring(x, where, st, t, expire, &res);
	} else if (capped && !x->budget_left) {
		t->status = MAINT_SKIPPED;
		snprintf(t->result, sizeof(t->result), "budget exhausted");
		return;
	} else {
		ret = compact_retrying(
			st,
			it->mode == SCHED_COMPACT_ALL ? choose_all : choose_fit,
			&fit, &copts, &res, &err);
		if (ret == 1) {
			t->status = MAINT_SKIPPED;
			snprintf(t->result, sizeof(t->result),
				 "nothing left to compact: the stack changed "
				 "meanwhile");
			return;
		}
		settle(x, maint_stack_label(where), t, ret, ret == RT_ERR_LOCK,
		       &err);
	}
	if (ret)
		return;
	maint_describe_compaction(t->result, sizeof(t->result), &res, -1);
	t->bytes = res.bytes_before;
	if (capped)
		x->budget_left -= res.bytes_before < x->budget_left ?
					  res.bytes_before :
					  x->budget_left;
}

bool maint_compact_choose(const struct rt_stack *st, bool all, size_t *first,
			  size_t *last)
{
	struct rt_segment seg = rt_stack_suggest_segment(st);

	if (all) {
		seg.start = 0;
		seg.end = rt_stack_table_count(st);
	}
	if (seg.end - seg.start < 2)
		return false;
	*first = seg.start;
	*last = seg.end - 1;
	return true;
}

static bool choose_command(const struct rt_stack *st, void *arg, size_t *first,
			   size_t *last)
{
	return maint_compact_choose(st, *(const bool *)arg, first, last);
}

int maint_compact_stack(struct rt_stack *st, bool all, bool reuse,
			const struct maint_sink *sink,
			struct rt_compact_result *res, struct rt_err *err)
{
	struct rt_compact_options copts = { .best_effort = !all,
					    .no_reuse = !reuse };
	/* Tests choose where the logs are merged, as Git's GIT_TEST_*. */
	const char *apart = getenv("GIT_TEST_REFTABLE_LOGS_APART");

	if (apart)
		copts.logs_apart = strcmp(apart, "false") ?
					   RT_COMPACT_LOGS_APART :
					   RT_COMPACT_LOGS_INLINE;
	compact_progress(&copts, sink);
	return compact_retrying(st, choose_command, &all, &copts, res, err);
}

int compact_retrying(struct rt_stack *st, compact_choose_fn choose, void *arg,
		     const struct rt_compact_options *opts,
		     struct rt_compact_result *res, struct rt_err *err)
{
	for (int attempt = 0;; attempt++) {
		size_t first, last;
		int ret;

		memset(res, 0, sizeof(*res));
		res->tables_before = res->tables_after =
			rt_stack_table_count(st);
		if (!choose(st, arg, &first, &last))
			return 1;
		rt_err_clear(err);
		ret = rt_stack_compact_range(st, first, last, opts, res, err);
		if (ret != RT_ERR_OUTDATED || attempt >= OUTDATED_RETRIES)
			return ret;
		rt_err_clear(err);
		if ((ret = rt_stack_reload(st, err)))
			return ret;
	}
}
