/*
 * taskrule.h: what the policy says of each task, for plan.c and hook.c
 * (not part of the scheduler's interface): how often it is scheduled,
 * and whether expiry can drop anything at all.
 */
#ifndef SCHED_TASKRULE_H
#define SCHED_TASKRULE_H

#include "scheduler/plan.h"

/* The task's [schedule] frequency. */
enum policy_freq sched_task_freq(const struct policy *p, enum sched_task t);

/* Seconds between runs at frequency `f`; 0 for never. */
uint64_t sched_interval(enum policy_freq f);

/*
 * Whether expiry can drop nothing: expire and expire-unreachable never
 * and no max-entries, at the top level and in every rule.
 */
bool sched_keeps_every_entry(const struct policy *p);

#endif
