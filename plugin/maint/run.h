/*
 * run.h: the maintenance engine: one run over every stack of a
 * repository. It takes the run lock, looks at every stack before anything
 * changes (so a malformed table stops the run before it touches any
 * stack), asks the scheduler for a plan, carries the plan out through
 * lib/, records it in the state file and returns a report. `git reftable
 * run` and the pre-auto-gc hook call it with their trigger.
 *
 * The run lock, the state file and a detached run's log live in
 * $GIT_COMMON_DIR: one run maintains every stack of the repository,
 * worktrees' included. Nothing here prints: the report and the caller's
 * struct maint_sink carry everything out.
 */
#ifndef PLUGIN_MAINT_RUN_H
#define PLUGIN_MAINT_RUN_H

#include "plugin/maint/tasks.h"
#include "plugin/util/pidlock.h"
#include "scheduler/plan.h"

#include <sys/types.h>

#define MAINT_LOG_FILE "reftable-maintenance.log"
/* Held (pidlock.h) by the run at work; a second run does nothing. */
#define MAINT_RUNLOCK_FILE "reftable-run.lock"

struct maint_request {
	struct sched_trigger trigger;
	bool dry_run; /* plan only: change no file, take no lock */
	/* The caller holds the run lock (maint_run_lock()): do not take it. */
	bool locked;
	/*
	 * Save in the state file that clean and expire were looked at now
	 * with this policy, due or not (sched_task_state.last_check and
	 * .policy), for the hook's sched_hook_run_due(). Set by the runs
	 * the reference-transaction hook starts; other runs save only what
	 * ran, so that a run with nothing to do changes no file.
	 */
	bool record_checks;
	/*
	 * With record_checks: a run that could not look at the stacks
	 * records the look all the same (the hook's runs: else the hook
	 * starts one per ref update). Fleet runs leave it unset, so that a
	 * repository that failed is run again next time.
	 */
	bool record_failed_look;
};

enum maint_run_status {
	MAINT_RUN_OK,
	/*
	 * A task failed, a stack's tables.list.lock is stuck (held past the
	 * stale-lock age), or the state was not saved.
	 */
	MAINT_RUN_FAILED,
	MAINT_RUN_BUSY, /* another run holds the run lock: nothing done */
};

struct maint_stack_report {
	const struct repo_stack *where; /* the repository's; not owned */
	struct sched_plan plan; /* items in the order they ran */
	struct maint_task_result res[SCHED_NTASKS]; /* by enum sched_task */
	/* tables.list.lock as the run found it (listlock.h), first thing. */
	struct rt_list_lock_check list_lock;
	/* Not empty: the stack failed outside its tasks (a stuck lock). */
	char failure[640];
};

struct maint_report {
	enum maint_run_status status;
	char busy[256]; /* MAINT_RUN_BUSY: who holds the run lock */
	struct maint_stack_report *stacks; /* one per stack of the repo */
	size_t n;
};

/*
 * One run over `repo`'s stacks by policy `p`. Returns 0 with `rep` filled
 * (its status says how it went; release it with maint_report_release()),
 * or a negative rt_error with `err` and nothing changed: the run lock or
 * the stack options could not be had, or a stack could not be read.
 * Failed tasks, an unreadable state file and the like also go to `sink`
 * (may be NULL) as they happen.
 */
int maint_run(const struct maint_request *req, const struct repo *repo,
	      const struct policy *p, const struct maint_sink *sink,
	      struct maint_report *rep, struct rt_err *err);

void maint_report_release(struct maint_report *rep);

/*
 * Take $GIT_COMMON_DIR/reftable-run.lock (pidlock.h), created with
 * `mode` (0: 0666 less the umask), without waiting: 0 held, 1 another
 * run holds it (*holder: its pid, or 0), or RT_ERR_IO / RT_ERR_NOMEM.
 */
int maint_run_lock(const struct repo *repo, mode_t mode, struct pidlock *lock,
		   long *holder, struct rt_err *err);

/*
 * The report as text, `line` called for each line (no newline): per stack
 * and task "<stack>: <task>: <status>: <reason>[; <result>][ (<n> ms)]",
 * then "nothing to do" or, for a dry run, how many tasks are due. With
 * `problems_only` (--quiet), only the lines of tasks failed or busy.
 */
void maint_report_text(const struct maint_report *rep, bool dry_run,
		       bool problems_only,
		       void (*line)(void *arg, const char *text), void *arg);

/*
 * Go on in the background: fork; the child starts a session of its own
 * with stdin from /dev/null and stdout and stderr appended to
 * $GIT_COMMON_DIR/reftable-maintenance.log (rotated as logfile.h says),
 * and no other descriptor of ours open. Returns 0 in the child, 1 in
 * the parent (*child set), or a negative rt_error in the parent when it
 * cannot open the log (never through a symlink, never a FIFO: rt-file.h)
 * or fork. *log_path (the log's path, the caller's to free) is set
 * in both. A child that cannot set itself up exits at once.
 */
int maint_detach(const struct repo *repo, pid_t *child, char **log_path,
		 struct rt_err *err);

#endif
