/*
 * hook.h: what the files of `git reftable hook` share, not an interface
 * of the hooks layer (hooks.h is): the hook at work and its
 * log, the capture of stray output into that log, the policy as hooks
 * load it, and what the hooks start: compaction (hook_compact.c) and
 * maintenance runs (hook_run.c).
 */
#ifndef PLUGIN_HOOKS_HOOK_H
#define PLUGIN_HOOKS_HOOK_H

#include "plugin/git/repo.h"
#include "plugin/util/pidlock.h"
#include "policy/policy.h"
#include "scheduler/plan.h"

#include <stdbool.h>
#include <stdio.h>

#define HOOK_LOG "reftable-hook.log"
/*
 * Held (pidlock.h) by the process compacting on behalf of the hooks, so a
 * burst of ref updates starts one compaction, not one per update.
 */
#define HOOK_LOCK "reftable-hook.flock"

struct hook {
	const char *event;
	const char *policy; /* --policy <file>, or NULL to look it up */
	char *log_path; /* NULL: no repository, nowhere to log */
	char *lock_path;
	/*
	 * Where both are opened (rt_file_at_name()): a copy of the common dir
	 * discovery opened, or AT_FDCWD (by path) when there is none.
	 */
	int dirfd;
	/* Of new files, per core.sharedRepository (0: 0666 less the umask). */
	mode_t mode;
	/* Lines the log refused, for the command to show (hooks.h). */
	struct rt_buf *unlogged;
};

/* One line "<UTC time> <event>[<pid>]: <msg>" in the hook log, if any. */
void hook_logf(const struct hook *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For struct maint_sink and report lines; `arg` is the struct hook. */
void hook_log_error(void *arg, const char *msg);
void hook_log_warning(void *arg, const char *msg);
void hook_log_line(void *arg, const char *text);

/*
 * While a hook works, whatever still reaches stdout or stderr (a program
 * it starts, a library) goes to an unnamed temp file, not to Git's
 * terminal; hook_capture_end() moves each line into the log.
 */
struct hook_capture {
	FILE *tmp;
	int saved[2];
};

void hook_capture_begin(struct hook_capture *c);
void hook_capture_end(struct hook_capture *c, const struct hook *h);

/*
 * The policy for `repo`, its errors logged ("no <what> until fixed").
 * 0 when usable (release `p`); otherwise `p` is released already.
 */
int hook_load_policy(const struct hook *h, const struct repo *repo,
		     struct policy *p, const char *what);

/* Whether the policy wants a compaction anywhere now (file sizes only). */
bool hook_compaction_due(const struct hook *h, const struct repo *repo,
			 const struct policy *p);
/*
 * Whether a stack's tables.list.lock is RT_DEAD_LOCK_SECONDS old (one
 * lstat per stack): then the hook starts its work, whose detached part
 * clears the lock if no live process holds it (listlock.h).
 */
bool hook_list_lock_old(const struct repo *repo);

/*
 * Take the hook lock and work under it, inline or in a detached child as
 * the policy's `background` says: first the run for clean and expire
 * when `run` (the items of maint_look_due()) is given and no run is at
 * work, then compaction while due; in a detached child, a stack's
 * tables.list.lock left by a dead process is cleared first (logged as a
 * warning). When the hook lock is taken, another
 * process is at work and will look at compaction again (a due run waits
 * for the next ref update).
 */
void hook_start(const struct hook *h, const struct repo *repo,
		const struct policy *p, const struct sched_item *run);

/* Take the run lock without waiting: whether it is held (errors logged). */
bool hook_run_lock(const struct hook *h, const struct repo *repo,
		   struct pidlock *lock);
/*
 * `run --auto` for clean and expire under the run lock the caller holds,
 * saving that they were looked at; its header and report are appended
 * to $GIT_COMMON_DIR/reftable-maintenance.log.
 */
void hook_run_checks(const struct hook *h, const struct repo *repo,
		     const struct policy *p, const struct sched_item *items);
/* What `git reftable run --auto` does, inline, reported to the hook log. */
void hook_run_auto(const struct hook *h);

#endif
