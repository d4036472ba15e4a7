/*
 * listlock.c: a stack's tables.list.lock, judged before a run or the
 * hook's work touches the stack (listlock.h).
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin/maint/listlock.h"

#include <stdio.h>
#include <stdlib.h>

static void warn(const struct maint_sink *sink, const char *label,
		 const struct rt_list_lock_check *chk)
{
	char *msg;

	if (!sink || !sink->warning)
		return;
	if (asprintf(&msg,
		     "%s: removed tables.list.lock left by a dead process "
		     "(%llu s old, no live process had it open); Git can "
		     "update refs again",
		     label, (unsigned long long)chk->age_seconds) < 0)
		return;
	sink->warning(sink->arg, msg);
	free(msg);
}

static void age_text(uint64_t s, char *buf, size_t len)
{
	if (s == UINT64_MAX)
		snprintf(buf, len, "never");
	else
		snprintf(buf, len, "%llu s", (unsigned long long)s);
}

bool maint_list_lock(struct rt_stack *st, const char *label,
		     const struct rt_clean_options *copts, bool clear,
		     const struct maint_sink *sink,
		     struct rt_list_lock_check *chk, char *failure, size_t len)
{
	struct rt_err err = { 0 };
	char stale[32];

	failure[0] = '\0';
	age_text(copts->stale_lock_seconds, stale, sizeof(stale));
	if (rt_stack_check_list_lock(st, copts, clear, chk, &err))
		snprintf(failure, len, "%s", err.msg);
	else if (chk->state == RT_LIST_LOCK_CLEARED)
		warn(sink, label, chk);
	else if (chk->state == RT_LIST_LOCK_STUCK)
		snprintf(failure, len,
			 "tables.list.lock held open by a live process (pid "
			 "%ld) for %llu s, past the stale-lock age (%s): Git "
			 "cannot update refs until it lets go",
			 chk->holder_pid, (unsigned long long)chk->age_seconds,
			 stale);
	else if (chk->state == RT_LIST_LOCK_UNVERIFIED)
		snprintf(failure, len,
			 "tables.list.lock is %llu s old, past the stale-lock "
			 "age (%s), and whether a live process holds it cannot "
			 "be told (%s): Git cannot update refs; remove it if "
			 "its holder is gone",
			 (unsigned long long)chk->age_seconds, stale, chk->why);
	if (!failure[0])
		return false;
	maint_sink_error(sink, "%s: %s", label, failure);
	return true;
}
