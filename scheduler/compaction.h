/*
 * compaction.h: the compaction rules of a plan (compaction.c), for
 * plan.c (not part of the scheduler's interface).
 */
#ifndef SCHED_COMPACTION_H
#define SCHED_COMPACTION_H

#include "scheduler/plan.h"

/* The run's compaction budget: max-bytes-per-run, spent stack by stack. */
struct sched_budget {
	bool capped;
	uint64_t left;
	uint64_t total;
};

/*
 * Whether and what to compact in stack `s` within budget `b` (not spent
 * here: the caller takes the item's bytes off), appended to `it`.
 */
void sched_plan_compaction(const struct policy *p, const struct sched_stack *s,
			   const struct sched_budget *b, struct sched_item *it);

#endif
