/*
 * hooks.h: the hooks layer as the command layer sees it: what `git
 * reftable hook <event>` runs for Git's hooks. Installing and removing
 * the hooks is install.h's.
 */
#ifndef PLUGIN_HOOKS_HOOKS_H
#define PLUGIN_HOOKS_HOOKS_H

#include "lib/include/rt-basics.h"

#include <stdbool.h>

/*
 * Handle the hook event argv[0] with Git's arguments argv[1..argc-1]:
 * "reference-transaction" (only its "committed" state does anything),
 * "post-receive", "post-commit", "post-merge", "post-rewrite" (each as
 * that state) or "pre-auto-gc". `policy` is the --policy file, or NULL to look it up as
 * every command does. Git's stdin is read to its end.
 *
 * Whatever happens is Git's business only through the log
 * ($GIT_COMMON_DIR/reftable-hook.log): nothing is printed and the hook
 * never fails, so the caller exits 0. A line the log refuses (it is not
 * a regular file, the disk is full) is appended to `unlogged` instead,
 * one "<why>; not logged: <event>[<pid>]: <line>" per line, for the
 * caller to show as a warning. Returns -1 only for an event it does not
 * know (nothing done), else 0.
 */
int hook_handle(const char *policy, int argc, char **argv,
		struct rt_buf *unlogged);

/* Whether hook_handle() knows the event `name`. */
bool hooks_is_event(const char *name);

#endif
