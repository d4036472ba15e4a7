/*
 * hook_run.c: the maintenance runs of the hooks: pre-auto-gc's inline
 * `run --auto`, and the `run --auto` for clean and expire the
 * reference-transaction hook starts when they are due for a look.
 */
#define _GNU_SOURCE
#include "plugin/util/path.h"
#include "plugin/hooks/hook.h"
#include "plugin/maint/open.h"
#include "plugin/maint/run.h"
#include "plugin/util/logfile.h"
#include "scheduler/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * One maintenance run by `req`: errors to `sink`, the report line by line
 * to `line`, as `git reftable run` prints them.
 */
static void run_engine(const struct maint_request *req, const struct repo *repo,
		       const struct policy *p, const struct maint_sink *sink,
		       void (*line)(void *arg, const char *text), void *arg)
{
	struct maint_report rep;
	struct rt_err err = { 0 };
	char msg[512];

	if (maint_run(req, repo, p, sink, &rep, &err)) {
		sink->error(sink->arg, err.msg);
		return;
	}
	if (rep.status == MAINT_RUN_BUSY) {
		snprintf(msg, sizeof(msg), "%s; not running (try later)",
			 rep.busy);
		line(arg, msg);
	} else {
		maint_report_text(&rep, false, false, line, arg);
	}
	if (rep.status == MAINT_RUN_FAILED)
		line(arg, "run --auto failed");
	maint_report_release(&rep);
}

/*
 * The sinks of the run hook_run_checks() starts, whose stdout and stderr
 * are the maintenance log: its lines as `git reftable run` prints them.
 */
static void say_line(void *arg, const char *text)
{
	(void)arg;
	puts(text);
}

static void say_error(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "error: %s\n", msg);
}

static void say_warning(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "warning: %s\n", msg);
}

bool hook_run_lock(const struct hook *h, const struct repo *repo,
		   struct pidlock *lock)
{
	struct rt_stack_options opts;
	struct rt_err err = { 0 };
	long holder;

	if (maint_stack_options(repo, &opts, &err) ||
	    maint_run_lock(repo, opts.default_permissions, lock, &holder,
			   &err) < 0)
		hook_logf(h, "error: %s", err.msg);
	return lock->held;
}

/*
 * The run itself, stdout and stderr being the maintenance log: its
 * header, why it was started, and its report, as `run --detach` writes
 * them. Compaction is left out: the hook's process compacts next, under
 * the hook lock, so that no two compactions of ours race.
 */
static void run_for_hook(const char *event, const struct repo *repo,
			 const struct policy *p, const struct sched_item *items)
{
	const struct maint_request req = {
		.trigger = { .kind = SCHED_TRIGGER_AUTO,
			     .tasks = 1u << SCHED_CLEAN | 1u << SCHED_EXPIRE },
		.locked = true,
		.record_checks = true,
		.record_failed_look = true,
	};
	const struct maint_sink sink = { .error = say_error,
					 .warning = say_warning };

	/* Into the log, whose lines carry their time. */
	printf("--- git reftable run --auto --task=clean --task=expire, pid "
	       "%ld, started by the %s hook\n",
	       (long)getpid(), event);
	for (int t = 0; t < SCHED_NTASKS; t++)
		if (items[t].due)
			printf("%s: due for a look: %s\n",
			       sched_task_name(items[t].task), items[t].reason);
	run_engine(&req, repo, p, &sink, say_line, NULL);
}

void hook_run_checks(const struct hook *h, const struct repo *repo,
		     const struct policy *p, const struct sched_item *items)
{
	struct rt_err err = { 0 };
	int fd, out, saved[2];
	pid_t relay = -1;
	char *path;

	if (!(path = path_join(repo->common_dir, MAINT_LOG_FILE, NULL)))
		return;
	fd = logfile_open_at(repo_common_dirfd(repo), path, h->mode, &err);
	if (fd < 0) {
		hook_logf(h, "%s", err.msg);
		free(path);
		return;
	}
	free(path);
	/* Each line stamped with its time; without a relay, as it is. */
	out = logfile_relay(fd, &relay, &err);
	if (out < 0)
		out = fd;
	else
		close(fd);
	fflush(stdout);
	fflush(stderr);
	for (int k = 0; k < 2; k++) {
		saved[k] = dup(k + 1);
		dup2(out, k + 1);
	}
	close(out);
	run_for_hook(h->event, repo, p, items);
	fflush(stdout);
	fflush(stderr);
	for (int k = 0; k < 2; k++) {
		if (saved[k] >= 0) {
			dup2(saved[k], k + 1);
			close(saved[k]);
		}
	}
	/* Every write end closed: the relay writes the rest and ends. */
	if (relay > 0)
		waitpid(relay, NULL, 0);
}

/* What `git reftable run --auto` does, reported to the hook log. */
void hook_run_auto(const struct hook *h)
{
	const struct maint_request req = { .trigger.kind = SCHED_TRIGGER_AUTO };
	const struct maint_sink sink = { .error = hook_log_error,
					 .warning = hook_log_warning,
					 .arg = (void *)h };
	struct rt_err err = { 0 };
	struct policy p;
	struct repo repo;

	if (maint_open_repo(&repo, &err)) {
		hook_logf(h, "error: %s", err.msg);
		return;
	}
	if (hook_load_policy(h, &repo, &p, "maintenance")) {
		repo_release(&repo);
		return;
	}
	run_engine(&req, &repo, &p, &sink, hook_log_line, (void *)h);
	policy_release(&p);
	repo_release(&repo);
}
