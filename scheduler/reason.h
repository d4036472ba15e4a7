/*
 * reason.h: building the reasons of a plan's items, for plan.c and
 * compaction.c (not part of the scheduler's interface).
 */
#ifndef SCHED_REASON_H
#define SCHED_REASON_H

#include "scheduler/plan.h"

/* Append to an item's reason; a reason cut short is still a reason. */
void sched_addf(struct sched_item *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "" for one, "s" for any other count. */
const char *sched_plural(uint64_t n);

#endif
