/*
 * listlock.h: what `run` and the hook's detached work do about a stack's
 * tables.list.lock before anything else: clear one left by a dead
 * process (with a warning), and call a lock held past the stale-lock age
 * a failure, never a quiet "busy".
 */
#ifndef PLUGIN_MAINT_LISTLOCK_H
#define PLUGIN_MAINT_LISTLOCK_H

#include "plugin/maint/tasks.h"

/*
 * Judge `st`'s tables.list.lock (rt_stack_check_list_lock(), clearing a
 * dead one when `clear`) into *chk. A cleared lock goes to
 * sink->warning; a stuck or unverifiable one (or an error) to
 * sink->error, and into `failure` (len bytes; empty otherwise). Returns
 * true when the stack failed. `label` names the stack in messages.
 */
bool maint_list_lock(struct rt_stack *st, const char *label,
		     const struct rt_clean_options *copts, bool clear,
		     const struct maint_sink *sink,
		     struct rt_list_lock_check *chk, char *failure, size_t len);

#endif
