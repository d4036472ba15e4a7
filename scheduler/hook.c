/*
 * hook.c: the reference-transaction hook's two questions: whether to
 * compact (the rules `run` follows, over file sizes) and whether to
 * start a run for clean or expire (their schedules, over the state file).
 */
#include "scheduler/plan.h"
#include "scheduler/reason.h"
#include "scheduler/taskrule.h"

#include <string.h>

bool sched_hook_due(const struct policy *p, uint64_t spent,
		    const struct sched_stack *stacks, size_t n,
		    struct sched_plan *plans)
{
	/* Hooks only compact, and compaction does not depend on the state. */
	static const struct sched_state never_ran;
	const struct sched_input in = {
		.policy = p,
		.state = &never_ran,
		.trigger.kind = SCHED_TRIGGER_HOOK,
		.spent = spent,
	};
	bool due = false;

	sched_plan(&in, stacks, n, plans);
	for (size_t i = 0; i < n; i++)
		due |= plans[i].any_due;
	return due;
}

/* Whether task `t` is due for a look, by its schedule and its state. */
static bool look_due(const struct policy *p, const struct sched_task_state *ts,
		     uint64_t now, enum sched_task t, struct sched_item *it)
{
	enum policy_freq f = sched_task_freq(p, t);
	uint64_t iv = sched_interval(f), run, check, seen, ago;
	char age[32], every[32];

	if (f == POLICY_NEVER) {
		sched_addf(it, "[schedule] %s is never", sched_task_name(t));
		return false;
	}
	if (t == SCHED_EXPIRE && sched_keeps_every_entry(p)) {
		sched_addf(it, "the policy keeps every reflog entry");
		return false;
	}
	if (ts->policy && ts->policy != sched_policy_digest(p, t)) {
		sched_addf(it,
			   "the policy's settings for %s changed since it "
			   "last ran or was looked at",
			   sched_task_name(t));
		return true;
	}
	/* Times in the future (the clock changed) count as never. */
	run = ts->last_run <= now ? ts->last_run : 0;
	check = ts->last_check <= now ? ts->last_check : 0;
	seen = run > check ? run : check;
	if (!seen) {
		sched_addf(it, ts->last_run || ts->last_check ?
				       "last looked at in the future (clock "
				       "changed?)" :
				       "never ran nor was looked at");
		return true;
	}
	ago = now - seen;
	sched_format_age(ago, age, sizeof(age));
	sched_format_age(iv, every, sizeof(every));
	if (ts->outcome == SCHED_OUTCOME_BUSY && run == seen &&
	    ago >= iv / 12) {
		sched_addf(it, "last run %s ago was busy; retrying", age);
		return true;
	}
	if (ago + iv / 12 >= iv) {
		sched_addf(it, "last looked at %s ago (%s every %s)", age,
			   policy_freq_name(f), every);
		return true;
	}
	sched_addf(it, "looked at %s ago, not yet due (%s every %s)", age,
		   policy_freq_name(f), every);
	return false;
}

bool sched_hook_run_due(const struct policy *p, const struct sched_state *st,
			uint64_t now, struct sched_item items[SCHED_NTASKS])
{
	bool any = false;

	for (int t = 0; t < SCHED_NTASKS; t++) {
		struct sched_item *it = &items[t];

		memset(it, 0, sizeof(*it));
		it->task = (enum sched_task)t;
		if (t == SCHED_COMPACT)
			sched_addf(it, "the hook compacts by itself");
		else
			it->due = look_due(p, &st->task[t], now, it->task, it);
		any |= it->due;
	}
	return any;
}
