/*
 * hook_compact.c: the reference-transaction hook's work under the hook
 * lock, inline or in a detached process: the run for clean and expire
 * when due (hook_run.c), then compaction: the scheduler's plan over a
 * stat-only snapshot (maint_size_plan()), carried out by the engine's
 * compaction task in rounds while more is due.
 */
#define _GNU_SOURCE
#include "plugin/hooks/hook.h"
#include "plugin/hooks/takeover.h"
#include "plugin/maint/due.h"
#include "plugin/maint/listlock.h"
#include "plugin/maint/open.h"
#include "plugin/maint/snapshot.h"
#include "plugin/maint/tasks.h"
#include "plugin/util/logfile.h"
#include "plugin/util/path.h"
#include "plugin/util/pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Compaction rounds one hook process runs before it leaves the rest. */
#define MAX_ROUNDS 8

/*
 * `repo`'s size plan (maint_size_plan()); a stack that cannot be looked
 * at is logged and left out. -1 when out of memory (logged).
 */
static int hook_plan(const struct hook *h, const struct repo *repo,
		     const struct policy *p, uint64_t spent,
		     struct maint_size_plan *hp)
{
	const struct maint_sink sink = { .error = hook_log_line,
					 .warning = hook_log_line,
					 .arg = (void *)h };

	if (maint_size_plan(repo, p, spent, &sink, hp)) {
		hook_logf(h, "out of memory");
		return -1;
	}
	return 0;
}

static bool any_due(const struct hook *h, const struct repo *repo,
		    const struct policy *p, uint64_t spent)
{
	struct maint_size_plan hp;
	bool due;

	if (hook_plan(h, repo, p, spent, &hp))
		return false;
	due = hp.due;
	maint_size_plan_release(&hp);
	return due;
}

/* Compact one stack as its plan item says; false when that failed. */
static bool compact_one(const struct hook *h, struct maint_exec *x,
			const struct repo_stack *where,
			const struct rt_stack_options *opts,
			const struct sched_item *it)
{
	const char *label = maint_stack_label(where);
	struct maint_task_result t = { 0 }, expire = { 0 };
	struct rt_err err = { 0 };
	struct rt_stack *st;

	if (rt_stack_open(&st, where->dir, opts, &err)) {
		hook_logf(h, "error: %s", err.msg);
		return false;
	}
	maint_compact_task(x, where, st, it, &t, &expire);
	if (t.status == MAINT_DONE)
		hook_logf(h, "%s: %s; tables.list.lock held %.1f ms at most",
			  label, t.result,
			  rt_stack_get_lock_stats(st)->max_ns / 1e6);
	else if (t.status == MAINT_BUSY)
		hook_logf(h, "%s: %s", label, t.result);
	rt_stack_close(st);
	return t.status == MAINT_DONE || t.status == MAINT_SKIPPED;
}

/*
 * One pass over every stack: compact what the plan says is due. Returns
 * the number of compactions that failed (busy included); *spent grows by
 * the bytes compacted.
 */
static int compact_round(const struct hook *h, const struct repo *repo,
			 const struct policy *p,
			 const struct rt_stack_options *opts, uint64_t *spent)
{
	const struct maint_sink sink = { .error = hook_log_error,
					 .warning = hook_log_warning,
					 .arg = (void *)h };
	uint64_t max = p->max_bytes_per_run;
	struct maint_exec x = {
		.repo = repo,
		.policy = p,
		.sink = &sink,
		.now = (uint64_t)time(NULL),
		.budget_left = max > *spent ? max - *spent : 0,
	};
	struct maint_size_plan hp;
	int failed = 0;

	if (hook_plan(h, repo, p, *spent, &hp))
		return 1;
	for (size_t i = 0; hp.due && i < hp.n; i++) {
		const struct sched_item *it = &hp.plans[i].items[SCHED_COMPACT];

		if (it->task == SCHED_COMPACT && it->due &&
		    !compact_one(h, &x, &repo->stacks[i], opts, it))
			failed++;
	}
	if (max)
		*spent = max - x.budget_left;
	maint_size_plan_release(&hp);
	return failed;
}

bool hook_list_lock_old(const struct repo *repo)
{
	time_t now = time(NULL);
	bool old = false;

	for (size_t i = 0; !old && i < repo->nstacks; i++) {
		char *path = path_join(repo->stacks[i].dir, "tables.list.lock",
				       NULL);
		struct stat st;

		old = path && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		      now - st.st_mtime >= RT_DEAD_LOCK_SECONDS;
		free(path);
	}
	return old;
}

/*
 * Before compacting, away from Git (never in the hook itself): a
 * tables.list.lock left by a dead process blocks every ref update of its
 * stack; clear it, with a warning in the hook log. One held past the
 * stale-lock age is logged as an error.
 */
static void clear_dead_locks(const struct hook *h, const struct repo *repo,
			     const struct policy *p,
			     const struct rt_stack_options *opts)
{
	const struct maint_sink sink = { .error = hook_log_error,
					 .warning = hook_log_warning,
					 .arg = (void *)h };
	struct rt_clean_options copts;

	clean_options_from_policy(p, &copts);
	for (size_t i = 0; i < repo->nstacks; i++) {
		const char *label = maint_stack_label(&repo->stacks[i]);
		struct rt_list_lock_check chk;
		struct rt_err err = { 0 };
		struct rt_stack *st;
		char failure[640];

		if (rt_stack_open(&st, repo->stacks[i].dir, opts, &err)) {
			hook_logf(h, "error: %s", err.msg);
			continue;
		}
		maint_list_lock(st, label, &copts, true, &sink, &chk, failure,
				sizeof(failure));
		rt_stack_close(st);
	}
}

/*
 * Compact while the policy wants it, holding the hook lock. After
 * releasing it, look once more: a hook that found the lock taken counts
 * on its holder to see the tables it added, so the holder must look
 * after it let go, and carry on if it can take the lock again.
 */
static void compact_locked(const struct hook *h, struct pidlock *lock,
			   bool in_hook)
{
	struct rt_stack_options opts;
	struct hook_capture cap = { 0 };
	struct rt_err err = { 0 };
	uint64_t spent = 0;
	struct policy p;
	struct repo repo;
	int failed = 0;

	hook_capture_begin(&cap);
	if (maint_open_repo(&repo, &err)) {
		hook_logf(h, "error: %s", err.msg);
		goto out;
	}
	if (hook_load_policy(h, &repo, &p, "compaction"))
		goto release_repo;
	if (maint_stack_options(&repo, &opts, &err)) {
		hook_logf(h, "error: %s", err.msg);
		goto release_policy;
	}
	opts.geometric_factor = p.geometric_factor;
	/* Git waits for an inline hook: never wait forever on a lock. */
	if (in_hook && opts.lock_timeout_ms < 0)
		opts.lock_timeout_ms = 100;
	if (!in_hook)
		clear_dead_locks(h, &repo, &p, &opts);
	for (int round = 0; round < MAX_ROUNDS; round++) {
		failed = compact_round(h, &repo, &p, &opts, &spent);
		pidlock_unlock(lock);
		if (failed || !any_due(h, &repo, &p, spent) ||
		    pidlock_retake(lock))
			break;
	}
release_policy:
	policy_release(&p);
release_repo:
	repo_release(&repo);
out:
	hook_capture_end(&cap, h);
}

/*
 * What the process holding the hook lock does: the run for clean and
 * expire when one is due (its run lock then held too, and let go once it
 * is done), then compaction while due.
 */
static void work(const struct hook *h, const struct repo *repo,
		 const struct policy *p, const struct sched_item *run,
		 struct pidlock *runlock, struct pidlock *lock, bool in_hook)
{
	struct rt_err err = { 0 };
	bool changed;

	if (takeover_refresh(repo->common_dir, repo_common_dirfd(repo),
			     (unsigned)p->geometric_factor, &changed, &err))
		hook_logf(h, "%s", err.msg);
	else if (changed)
		hook_logf(h,
			  "Git now compacts by the policy's geometric-factor "
			  "%u (" CONFIG_TAKEOVER_FILE " rewritten)",
			  (unsigned)p->geometric_factor);
	if (run) {
		hook_run_checks(h, repo, p, run);
		pidlock_release(runlock);
	}
	compact_locked(h, lock, in_hook);
}

void hook_start(const struct hook *h, const struct repo *repo,
		const struct policy *p, const struct sched_item *run)
{
	struct pidlock lock = PIDLOCK_INIT, runlock = PIDLOCK_INIT;
	struct rt_err err = { 0 };
	long holder;
	pid_t pid;

	if (pidlock_acquire_at(&lock, h->dirfd, h->lock_path, h->mode, &holder,
			       &err)) {
		if (err.code)
			hook_logf(h, "%s", err.msg);
		return;
	}
	/* A run at work already looks at everything. */
	if (run && !hook_run_lock(h, repo, &runlock))
		run = NULL;
	if (!p->background) {
		work(h, repo, p, run, &runlock, &lock, true);
		pidlock_release(&lock);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		hook_logf(h, "cannot fork: %s; working inline",
			  strerror(errno));
		work(h, repo, p, run, &runlock, &lock, true);
		pidlock_release(&lock);
	} else if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		int logfd =
			logfile_open_at(h->dirfd, h->log_path, h->mode, NULL);

		/*
		 * Git waits for our stdio to close: let go of all of it, also
		 * when the log is refused (a symlink, a FIFO).
		 */
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (logfd < 0)
			logfd = devnull;
		if (devnull >= 0)
			dup2(devnull, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		work(h, repo, p, run, &runlock, &lock, false);
		pidlock_release(&lock);
		fflush(NULL);
		_exit(0);
	} else {
		/* Named before Git goes on: whoever waits finds this one. */
		pidlock_hand_over(&lock, pid);
		if (run)
			pidlock_hand_over(&runlock, pid);
	}
}

bool hook_compaction_due(const struct hook *h, const struct repo *repo,
			 const struct policy *p)
{
	return any_due(h, repo, p, 0);
}
