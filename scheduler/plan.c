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
#include "scheduler/compaction.h"
#include "scheduler/reason.h"
#include "scheduler/taskrule.h"

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
	enum policy_freq f = sched_task_freq(in->policy, t);
	const struct sched_task_state *ts = &in->state->task[t];
	uint64_t iv = sched_interval(f), ago;
	char age[32];

	if (f == POLICY_NEVER) {
		sched_addf(it, "schedule %s: [schedule] %s is never",
			   policy_freq_name(in->trigger.freq), task_names[t]);
		return false;
	}
	if (f > in->trigger.freq) {
		sched_addf(it, "schedule %s: [schedule] %s is %s",
			   policy_freq_name(in->trigger.freq), task_names[t],
			   policy_freq_name(f));
		return false;
	}
	if (!ts->last_run) {
		sched_addf(it, "schedule %s: never ran", policy_freq_name(f));
		return true;
	}
	if (ts->last_run > in->now) {
		sched_addf(it,
			   "schedule %s: last run is in the future (clock "
			   "changed?)",
			   policy_freq_name(f));
		return true;
	}
	ago = in->now - ts->last_run;
	sched_format_age(ago, age, sizeof(age));
	if (ts->outcome == SCHED_OUTCOME_BUSY) {
		sched_addf(it,
			   "schedule %s: last run %s ago was busy; retrying",
			   policy_freq_name(f), age);
		return true;
	}
	sched_addf(it, "schedule %s: last ran %s ago", policy_freq_name(f),
		   age);
	if (ago + iv / 12 >= iv)
		return true;
	sched_format_age(iv, age, sizeof(age));
	sched_addf(it, ", not yet due (every %s)", age);
	return false;
}

/* With --task, the tasks not named are left out, whatever the trigger. */
static bool excluded(const struct sched_trigger *tr, enum sched_task t,
		     struct sched_item *it)
{
	if (!tr->tasks || (tr->tasks & (1u << t)))
		return false;
	sched_addf(it, "not requested (--task)");
	return true;
}

/* Manual runs do every task asked for. */
static bool requested(struct sched_item *it)
{
	sched_addf(it, "requested");
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
		sched_addf(
			it,
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

	if (sched_keeps_every_entry(in->policy)) {
		sched_addf(it,
			   "the policy keeps every reflog entry (expire and "
			   "expire-unreachable never, no max-entries)");
		return;
	}
	if (!state_decides(in, SCHED_EXPIRE, it))
		return;
	if (!s->expirable_known) {
		sched_addf(it, "no estimate of expirable reflog entries");
		return;
	}
	threshold = live_logs(s) / SCHED_AUTO_EXPIRE_SHARE;
	if (threshold < SCHED_AUTO_EXPIRE_MIN)
		threshold = SCHED_AUTO_EXPIRE_MIN;
	sched_addf(it, "about %llu reflog entr%s past expiry",
		   (unsigned long long)s->expirable,
		   s->expirable == 1 ? "y is" : "ies are");
	if (s->expirable >= threshold) {
		sched_addf(it, " (threshold %llu)",
			   (unsigned long long)threshold);
		it->due = true;
	} else if (whole_due && s->expirable) {
		/* Below the threshold, but free with the whole rewrite. */
		sched_addf(it, ", below the threshold %llu but free to drop",
			   (unsigned long long)threshold);
		it->due = true;
	} else {
		sched_addf(it, ", below the threshold %llu",
			   (unsigned long long)threshold);
	}
}

/* "2 orphan tables, 1 temp file" and the like; false when nothing. */
static bool describe_leftovers(const struct sched_leftovers *l,
			       bool remove_stale, struct sched_item *it)
{
	const char *sep = "";

	if (l->orphans) {
		sched_addf(it, "%llu orphan table%s",
			   (unsigned long long)l->orphans,
			   sched_plural(l->orphans));
		sep = ", ";
	}
	if (l->temp_files) {
		sched_addf(it, "%s%llu temp file%s", sep,
			   (unsigned long long)l->temp_files,
			   sched_plural(l->temp_files));
		sep = ", ";
	}
	if (l->stale_locks) {
		sched_addf(it, "%s%llu stale lock%s%s", sep,
			   (unsigned long long)l->stale_locks,
			   sched_plural(l->stale_locks),
			   remove_stale ? "" :
					  " (only reported: [orphans] "
					  "remove-stale-locks is false)");
		sep = ", ";
	}
	if (l->orphans_young || l->temp_young) {
		sched_addf(
			it, "%s%llu file%s within the grace period or locked",
			sep,
			(unsigned long long)(l->orphans_young + l->temp_young),
			sched_plural(l->orphans_young + l->temp_young));
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
			sched_addf(it, ": ");
			if (!describe_leftovers(l, remove_stale, it))
				sched_addf(it, "nothing seen");
		}
		return;
	}
	it->due = removable > 0;
	if (!describe_leftovers(l, remove_stale, it))
		sched_addf(it, "nothing to clean");
	else if (!removable)
		sched_addf(it, "; nothing to remove yet");
}

static void plan_one(const struct sched_input *in, const struct sched_stack *s,
		     struct sched_budget *b, struct sched_plan *plan)
{
	struct sched_item *clean = &plan->items[0], *expire = &plan->items[1],
			  *compact = &plan->items[2];
	const struct sched_trigger *tr = &in->trigger;
	bool consider = true, all, whole;

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
			sched_addf(compact, "; ");
		sched_plan_compaction(in->policy, s, b, compact);
	}
	if (compact->due && b->capped)
		b->left -= compact->bytes < b->left ? compact->bytes : b->left;

	all = compact->due && compact->mode == SCHED_COMPACT_ALL;
	/*
	 * A geometric segment may happen to span the whole stack: a due
	 * expiry is folded into it as well. Entries below the threshold are
	 * not "free" there, though: the fold makes the rewrite all or
	 * nothing, where a segment alone compacts what it can lock.
	 */
	whole = all || (compact->due && compact->first == 0 && s->n &&
			compact->last == s->n - 1);
	if (!excluded(tr, SCHED_EXPIRE, expire))
		plan_expiry(in, s, all, expire);
	if (expire->due && whole) {
		expire->with_expiry = compact->with_expiry = true;
		/* A segment's fold is told by the compaction's reason alone. */
		if (all)
			sched_addf(expire, "; the whole-stack compaction drops "
					   "the expired entries");
		sched_addf(compact,
			   "; dropping expired reflog entries on the way");
	}
	if (!excluded(tr, SCHED_CLEAN, clean))
		plan_clean(in, s, clean);
	plan->any_due = clean->due || expire->due || compact->due;
}

void sched_plan(const struct sched_input *in, const struct sched_stack *stacks,
		size_t n, struct sched_plan *plans)
{
	uint64_t max = in->policy->max_bytes_per_run;
	struct sched_budget b = {
		.capped = max > 0,
		.left = max > in->spent ? max - in->spent : 0,
		.total = max,
	};

	for (size_t i = 0; i < n; i++)
		plan_one(in, &stacks[i], &b, &plans[i]);
}
