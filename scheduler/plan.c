/*
 * plan.c: deciding what is due, and saying why.
 *
 * The order of a plan is clean, expire, compact:
 *  - clean first, because what it removes gets in the way of the others: a
 *    stale <table>.lock makes the compaction of that table busy, a stale
 *    tables.list.lock blocks every change, and orphan tables would sit
 *    next to the tables the compaction writes;
 *  - expire before compact, because expiry adds one table of deletion
 *    records on top of the stack, and the compaction that follows folds it
 *    in within the same run (a whole-stack compaction even drops those
 *    records and the entries they delete). Compacting first would leave
 *    the new table for a later run. When both expiry and a whole-stack
 *    compaction are due, they are one rewrite: the compaction drops the
 *    expired entries itself.
 */
#include "scheduler/plan.h"
#include "lib/include/rt-stack.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const task_names[SCHED_NTASKS] = { "clean", "expire",
						      "compact" };

const char *sched_task_name(enum sched_task t)
{
	return t < SCHED_NTASKS ? task_names[t] : "?";
}

int sched_task_parse(const char *name, enum sched_task *out)
{
	for (int t = 0; t < SCHED_NTASKS; t++)
		if (!strcmp(name, task_names[t])) {
			*out = (enum sched_task)t;
			return 0;
		}
	return -1;
}

const char *sched_outcome_name(enum sched_outcome o)
{
	switch (o) {
	case SCHED_OUTCOME_DONE:
		return "done";
	case SCHED_OUTCOME_FAILED:
		return "failed";
	case SCHED_OUTCOME_BUSY:
		return "busy";
	case SCHED_OUTCOME_NONE:
		break;
	}
	return "none";
}

void sched_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

void sched_format_age(uint64_t s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%llu s", (unsigned long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%llu min", (unsigned long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%llu h", (unsigned long long)(s / 3600));
	else
		snprintf(buf, len, "%llu d", (unsigned long long)(s / 86400));
}

/* Append to a reason; a reason cut short is still a reason. */
static void addf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void addf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

#define ADD(it, ...) addf((it)->reason, sizeof((it)->reason), __VA_ARGS__)

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static uint64_t sum_of(const uint64_t *v, size_t lo, size_t hi)
{
	uint64_t sum = 0;

	while (lo < hi)
		sum += v[lo++];
	return sum;
}

/*
 * The run of tables within [lo, hi) with the most tables (at least two)
 * whose sizes fit in `budget`, the newest such run on a tie: the most
 * tables gone per byte rewritten. Returns its length, or 0.
 */
static size_t fit_window(const uint64_t *sizes, size_t lo, size_t hi,
			 uint64_t budget, size_t *first, size_t *last,
			 uint64_t *bytes)
{
	size_t k = 0, start = hi;
	uint64_t sum = 0;

	for (size_t end = hi; end > lo; end--) {
		/* The window [start, end): grow it older while it fits. */
		while (start > lo && sum + sizes[start - 1] <= budget)
			sum += sizes[--start];
		if (end - start >= 2 && end - start > k) {
			k = end - start;
			*first = start;
			*last = end - 1;
			*bytes = sum;
		}
		/* Then drop its newest table (or move an empty window on). */
		if (start < end)
			sum -= sizes[end - 1];
		else
			start--;
	}
	return k;
}

size_t sched_fit_segment(const uint64_t *weights, const uint64_t *sizes,
			 size_t n, unsigned factor, uint64_t budget,
			 size_t *first, size_t *last, uint64_t *bytes)
{
	struct rt_segment seg = rt_suggest_segment(weights, n, factor);
	uint64_t seg_bytes = sum_of(sizes, seg.start, seg.end);

	*first = *last = 0;
	*bytes = 0;
	if (seg.end - seg.start < 2)
		return 0;
	if (!budget || seg_bytes <= budget) {
		*first = seg.start;
		*last = seg.end - 1;
		*bytes = seg_bytes;
		return seg.end - seg.start;
	}
	/*
	 * Too big for the budget: part of the segment. Taking only its newest
	 * tables would get stuck once the newest alone eats the budget.
	 */
	return fit_window(sizes, seg.start, seg.end, budget, first, last,
			  bytes);
}

/* The run's compaction budget: max-bytes-per-run, spent stack by stack. */
struct budget {
	bool capped;
	uint64_t left;
	uint64_t total;
};

static void set_range(struct sched_item *it, enum sched_compact_mode mode,
		      size_t first, size_t last, uint64_t bytes)
{
	it->due = true;
	it->mode = mode;
	it->first = first;
	it->last = last;
	it->bytes = bytes;
}

/*
 * The whole stack is due (too many tables or too many deletion records;
 * `why` says which) but exceeds the budget: do what fits.
 */
static void whole_over_budget(const struct sched_stack *s,
			      const uint64_t *weights, const uint64_t *sizes,
			      uint64_t total, unsigned factor, bool for_tables,
			      const struct budget *b, struct sched_item *it)
{
	char have[32], left[32], part[32];
	size_t first, last, k;
	uint64_t bytes;

	sched_format_bytes(total, have, sizeof(have));
	sched_format_bytes(b->left, left, sizeof(left));
	ADD(it, ", but the whole stack (%s) exceeds the budget left (%s)", have,
	    left);
	k = sched_fit_segment(weights, sizes, s->n, factor, b->left, &first,
			      &last, &bytes);
	if (!k && for_tables)
		/* Fewer tables is the goal: any run of them that fits. */
		k = fit_window(sizes, 0, s->n, b->left, &first, &last, &bytes);
	if (!k) {
		ADD(it, "; nothing that helps fits in it");
		return;
	}
	sched_format_bytes(bytes, part, sizeof(part));
	ADD(it,
	    ": compacting tables %zu-%zu (%zu tables, %s) now, the rest in "
	    "later runs",
	    first + 1, last + 1, k, part);
	set_range(it, SCHED_COMPACT_SEGMENT, first, last, bytes);
}

/* The compaction heuristics for one stack, within the budget. */
static void plan_compaction(const struct policy *p, const struct sched_stack *s,
			    const struct budget *b, struct sched_item *it)
{
	uint64_t refs = 0, logs = 0, dels = 0, total = 0, *weights, *sizes;
	unsigned factor = p->geometric_factor ? p->geometric_factor : 2;
	bool too_many, too_dead;
	struct rt_segment seg;
	char x[32], y[32];

	if (s->n < 2) {
		ADD(it, "nothing to compact: %zu table%s", s->n, plural(s->n));
		return;
	}
	weights = calloc(2 * s->n, sizeof(*weights));
	if (!weights) {
		ADD(it, "out of memory");
		return;
	}
	sizes = weights + s->n;
	for (size_t i = 0; i < s->n; i++) {
		weights[i] = s->tables[i].weight;
		sizes[i] = s->tables[i].size;
		total += sizes[i];
		refs += s->tables[i].refs;
		logs += s->tables[i].logs;
		dels += s->tables[i].ref_tombstones +
			s->tables[i].log_tombstones;
	}
	too_many = s->n > p->max_tables;
	too_dead = refs + logs + dels &&
		   (double)dels >
			   p->tombstone_ratio * (double)(refs + logs + dels);
	seg = rt_suggest_segment(weights, s->n, factor);

	if (too_many)
		ADD(it, "%zu tables exceed max-tables %llu", s->n,
		    (unsigned long long)p->max_tables);
	else if (too_dead)
		ADD(it,
		    "deletion records are %.0f%% of all records (%llu of %llu), "
		    "above tombstone-ratio %g",
		    100.0 * (double)dels / (double)(refs + logs + dels),
		    (unsigned long long)dels,
		    (unsigned long long)(refs + logs + dels),
		    p->tombstone_ratio);
	else if (seg.end - seg.start >= 2) {
		size_t newer = seg.end - 1;

		sched_format_bytes(weights[newer - 1], x, sizeof(x));
		sched_format_bytes(weights[newer], y, sizeof(y));
		ADD(it,
		    "geometric rule violated: table %zu (%s) < %u x table "
		    "%zu (%s)",
		    newer, x, factor, newer + 1, y);
	} else {
		ADD(it,
		    "nothing to compact: geometric sequence holds (%zu "
		    "tables)",
		    s->n);
		goto out;
	}

	if (b->capped && !b->left) {
		sched_format_bytes(b->total, x, sizeof(x));
		ADD(it,
		    "; budget exhausted: earlier stacks used all of "
		    "max-bytes-per-run (%s)",
		    x);
	} else if (too_many || too_dead) {
		if (b->capped && total > b->left) {
			whole_over_budget(s, weights, sizes, total, factor,
					  too_many, b, it);
		} else {
			sched_format_bytes(total, x, sizeof(x));
			ADD(it, ": whole stack (%zu tables, %s)", s->n, x);
			set_range(it, SCHED_COMPACT_ALL, 0, s->n - 1, total);
		}
	} else {
		size_t first, last, k;
		uint64_t bytes;

		k = sched_fit_segment(weights, sizes, s->n, factor,
				      b->capped ? b->left : 0, &first, &last,
				      &bytes);
		sched_format_bytes(sum_of(sizes, seg.start, seg.end), x,
				   sizeof(x));
		if (k && k == seg.end - seg.start) {
			ADD(it, "; compacting tables %zu-%zu (%zu tables, %s)",
			    first + 1, last + 1, k, x);
		} else {
			sched_format_bytes(b->left, y, sizeof(y));
			ADD(it,
			    "; tables %zu-%zu (%s) exceed the budget left (%s)",
			    seg.start + 1, seg.end, x, y);
			if (k) {
				sched_format_bytes(bytes, x, sizeof(x));
				ADD(it,
				    ": compacting tables %zu-%zu (%zu tables, "
				    "%s) now, the rest in later runs",
				    first + 1, last + 1, k, x);
			} else {
				ADD(it, "; no two of its tables fit");
			}
		}
		if (k)
			set_range(it, SCHED_COMPACT_SEGMENT, first, last,
				  bytes);
	}
out:
	free(weights);
}

static uint64_t interval_of(enum policy_freq f)
{
	switch (f) {
	case POLICY_HOURLY:
		return 3600;
	case POLICY_DAILY:
		return 86400;
	case POLICY_WEEKLY:
		return 7 * 86400;
	case POLICY_NEVER:
		break;
	}
	return 0;
}

static enum policy_freq task_freq(const struct policy *p, enum sched_task t)
{
	return t == SCHED_CLEAN	 ? p->sched_clean :
	       t == SCHED_EXPIRE ? p->sched_expire :
				   p->sched_compact;
}

/*
 * Whether a `--schedule=<f>` run should do task `t`. A task is in scope
 * when its own schedule is at least as frequent as the run's (a daily run
 * also does the hourly tasks, as `git maintenance` does), and due when its
 * interval has passed since it last ran. A twelfth of the interval is
 * slack: timers fire at fixed times and the last run started late or took
 * a while, and without slack such a run would wait a whole extra period.
 */
static bool schedule_due(const struct sched_input *in, enum sched_task t,
			 struct sched_item *it)
{
	enum policy_freq f = task_freq(in->policy, t);
	const struct sched_task_state *ts = &in->state->task[t];
	uint64_t iv = interval_of(f), ago;
	char age[32];

	if (f == POLICY_NEVER) {
		ADD(it, "schedule %s: [schedule] %s is never",
		    policy_freq_name(in->trigger.freq), task_names[t]);
		return false;
	}
	if (f > in->trigger.freq) {
		ADD(it, "schedule %s: [schedule] %s is %s",
		    policy_freq_name(in->trigger.freq), task_names[t],
		    policy_freq_name(f));
		return false;
	}
	if (!ts->last_run) {
		ADD(it, "schedule %s: never ran", policy_freq_name(f));
		return true;
	}
	if (ts->last_run > in->now) {
		ADD(it,
		    "schedule %s: last run is in the future (clock "
		    "changed?)",
		    policy_freq_name(f));
		return true;
	}
	ago = in->now - ts->last_run;
	sched_format_age(ago, age, sizeof(age));
	if (ts->outcome == SCHED_OUTCOME_BUSY) {
		ADD(it, "schedule %s: last run %s ago was busy; retrying",
		    policy_freq_name(f), age);
		return true;
	}
	ADD(it, "schedule %s: last ran %s ago", policy_freq_name(f), age);
	if (ago + iv / 12 >= iv)
		return true;
	sched_format_age(iv, age, sizeof(age));
	ADD(it, ", not yet due (every %s)", age);
	return false;
}

/* With --task, the tasks not named are left out, whatever the trigger. */
static bool excluded(const struct sched_trigger *tr, enum sched_task t,
		     struct sched_item *it)
{
	if (!tr->tasks || (tr->tasks & (1u << t)))
		return false;
	ADD(it, "not requested (--task)");
	return true;
}

/* Manual runs do every task asked for. */
static bool requested(struct sched_item *it)
{
	ADD(it, "requested");
	return true;
}

/*
 * For expire and clean, the trigger decides unless it is `auto`: hooks
 * leave them out (they must be quick), manual runs do them, scheduled runs
 * per schedule. Returns true when the stack's state is to decide.
 */
static bool state_decides(const struct sched_input *in, enum sched_task t,
			  struct sched_item *it)
{
	switch (in->trigger.kind) {
	case SCHED_TRIGGER_HOOK:
		ADD(it,
		    "hooks only compact; %s runs on schedule, with --auto "
		    "or with --task=%s",
		    task_names[t], task_names[t]);
		return false;
	case SCHED_TRIGGER_MANUAL:
		it->due = requested(it);
		return false;
	case SCHED_TRIGGER_SCHEDULE:
		it->due = schedule_due(in, t, it);
		return false;
	case SCHED_TRIGGER_AUTO:
		break;
	}
	return true;
}

/*
 * Whether expiry can drop anything at all: some age limit or entry cap is
 * set, at the top level or in a rule.
 */
static bool policy_keeps_all(const struct policy *p)
{
	const struct policy_rule *sets[2] = { p->rules, p->git_rules };
	size_t counts[2] = { p->nrules, p->ngit_rules };

	if (!p->expire.never || !p->expire_unreachable.never || p->max_entries)
		return false;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < counts[k]; i++) {
			const struct policy_rule *r = &sets[k][i];

			if ((policy_rule_sets(r, &r->expire) &&
			     !r->expire.never) ||
			    (policy_rule_sets(r, &r->expire_unreachable) &&
			     !r->expire_unreachable.never) ||
			    (policy_rule_sets(r, &r->max_entries) &&
			     r->max_entries))
				return false;
		}
	return true;
}

static uint64_t live_logs(const struct sched_stack *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->tables[i].logs;
	return n;
}

static void plan_expiry(const struct sched_input *in,
			const struct sched_stack *s, bool whole_due,
			struct sched_item *it)
{
	uint64_t threshold;

	if (policy_keeps_all(in->policy)) {
		ADD(it, "the policy keeps every reflog entry (expire and "
			"expire-unreachable never, no max-entries)");
		return;
	}
	if (!state_decides(in, SCHED_EXPIRE, it))
		return;
	if (!s->expirable_known) {
		ADD(it, "no estimate of expirable reflog entries");
		return;
	}
	threshold = live_logs(s) / SCHED_AUTO_EXPIRE_SHARE;
	if (threshold < SCHED_AUTO_EXPIRE_MIN)
		threshold = SCHED_AUTO_EXPIRE_MIN;
	ADD(it, "about %llu reflog entr%s past expiry",
	    (unsigned long long)s->expirable,
	    s->expirable == 1 ? "y is" : "ies are");
	if (s->expirable >= threshold) {
		ADD(it, " (threshold %llu)", (unsigned long long)threshold);
		it->due = true;
	} else if (whole_due && s->expirable) {
		/* Below the threshold, but free with the whole rewrite. */
		ADD(it, ", below the threshold %llu but free to drop",
		    (unsigned long long)threshold);
		it->due = true;
	} else {
		ADD(it, ", below the threshold %llu",
		    (unsigned long long)threshold);
	}
}

/* "2 orphan tables, 1 temp file" and the like; false when nothing. */
static bool describe_leftovers(const struct sched_leftovers *l,
			       bool remove_stale, struct sched_item *it)
{
	const char *sep = "";

	if (l->orphans) {
		ADD(it, "%llu orphan table%s", (unsigned long long)l->orphans,
		    plural(l->orphans));
		sep = ", ";
	}
	if (l->temp_files) {
		ADD(it, "%s%llu temp file%s", sep,
		    (unsigned long long)l->temp_files, plural(l->temp_files));
		sep = ", ";
	}
	if (l->stale_locks) {
		ADD(it, "%s%llu stale lock%s%s", sep,
		    (unsigned long long)l->stale_locks, plural(l->stale_locks),
		    remove_stale ? "" :
				   " (only reported: [orphans] "
				   "remove-stale-locks is false)");
		sep = ", ";
	}
	if (l->orphans_young || l->temp_young) {
		ADD(it, "%s%llu file%s within the grace period or locked", sep,
		    (unsigned long long)(l->orphans_young + l->temp_young),
		    plural(l->orphans_young + l->temp_young));
		sep = ", ";
	}
	return *sep;
}

static void plan_clean(const struct sched_input *in,
		       const struct sched_stack *s, struct sched_item *it)
{
	const struct sched_leftovers *l = &s->left;
	bool remove_stale = in->policy->remove_stale_locks;
	uint64_t removable = l->orphans + l->temp_files +
			     (remove_stale ? l->stale_locks : 0);

	if (!state_decides(in, SCHED_CLEAN, it)) {
		if (it->due) {
			ADD(it, ": ");
			if (!describe_leftovers(l, remove_stale, it))
				ADD(it, "nothing seen");
		}
		return;
	}
	it->due = removable > 0;
	if (!describe_leftovers(l, remove_stale, it))
		ADD(it, "nothing to clean");
	else if (!removable)
		ADD(it, "; nothing to remove yet");
}

static void plan_one(const struct sched_input *in, const struct sched_stack *s,
		     struct budget *b, struct sched_plan *plan)
{
	struct sched_item *clean = &plan->items[0], *expire = &plan->items[1],
			  *compact = &plan->items[2];
	const struct sched_trigger *tr = &in->trigger;
	bool consider = true;

	memset(plan, 0, sizeof(*plan));
	clean->task = SCHED_CLEAN;
	expire->task = SCHED_EXPIRE;
	compact->task = SCHED_COMPACT;

	if (excluded(tr, SCHED_COMPACT, compact))
		consider = false;
	else if (tr->kind == SCHED_TRIGGER_MANUAL)
		consider = requested(compact);
	else if (tr->kind == SCHED_TRIGGER_SCHEDULE)
		consider = schedule_due(in, SCHED_COMPACT, compact);
	if (consider) {
		if (compact->reason[0])
			ADD(compact, "; ");
		plan_compaction(in->policy, s, b, compact);
	}
	if (compact->due && b->capped)
		b->left -= compact->bytes < b->left ? compact->bytes : b->left;

	if (!excluded(tr, SCHED_EXPIRE, expire))
		plan_expiry(in, s,
			    compact->due && compact->mode == SCHED_COMPACT_ALL,
			    expire);
	if (expire->due && compact->due && compact->mode == SCHED_COMPACT_ALL) {
		expire->with_expiry = compact->with_expiry = true;
		ADD(expire, "; the whole-stack compaction drops the expired "
			    "entries");
		ADD(compact, "; dropping expired reflog entries on the way");
	}
	if (!excluded(tr, SCHED_CLEAN, clean))
		plan_clean(in, s, clean);
	plan->any_due = clean->due || expire->due || compact->due;
}

void sched_plan(const struct sched_input *in, const struct sched_stack *stacks,
		size_t n, struct sched_plan *plans)
{
	struct budget b = {
		.capped = in->policy->max_bytes_per_run > 0,
		.left = in->policy->max_bytes_per_run,
		.total = in->policy->max_bytes_per_run,
	};

	for (size_t i = 0; i < n; i++)
		plan_one(in, &stacks[i], &b, &plans[i]);
}
