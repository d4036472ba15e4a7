/*
 * hook.c: `git reftable hook <event>`, what Git's hooks run.
 *
 * reference-transaction runs three times for every ref update, so its
 * path must cost almost nothing: it starts no process, reads the config
 * files itself, and asks the scheduler (sched_hook_due(), the rules `run`
 * follows for compaction) over a snapshot of tables.list and the tables'
 * file sizes. Only when a compaction is due does it load everything (git
 * config, the policy) and compact what the plan says through the engine's
 * compaction task, in a detached process unless the policy says
 * `background = false`. pre-auto-gc runs the engine as `run --auto` does.
 *
 * A hook must never fail or stall Git: the exit status is always 0, and
 * the log $GIT_COMMON_DIR/reftable-hook.log is the hooks' only report:
 * whatever goes wrong, one line per compaction, pre-auto-gc's run report,
 * and anything lower layers write to stdout or stderr meanwhile.
 */
#define _GNU_SOURCE
#include "plugin/cli/cli.h"
#include "plugin/maint/open.h"
#include "plugin/maint/policy_file.h"
#include "plugin/maint/run.h"
#include "plugin/maint/snapshot.h"
#include "plugin/util/logfile.h"
#include "plugin/util/pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HOOK_LOG "reftable-hook.log"
/*
 * Held (pidlock.h) by the process compacting on behalf of the hooks, so a
 * burst of ref updates starts one compaction, not one per update.
 */
#define HOOK_LOCK "reftable-hook.flock"
/* Compaction rounds one hook process runs before it leaves the rest. */
#define MAX_ROUNDS 8

struct hook {
	const char *event;
	char *log_path; /* NULL: no repository, nowhere to log */
	char *lock_path;
};

/* One line "<UTC time> <event>[<pid>]: <msg>" in the log. */
static void log_line(const struct hook *h, const char *msg, size_t len)
{
	char tag[64];

	if (!h->log_path)
		return;
	snprintf(tag, sizeof(tag), "%s[%d]", h->event, (int)getpid());
	if (logfile_append(h->log_path, tag, msg, len)) {
		/* Nowhere left to report it. */
	}
}

static void log_printf(const struct hook *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void log_printf(const struct hook *h, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_line(h, msg, n);
	free(msg);
}

/*
 * While a hook works, whatever still reaches stdout or stderr (a program
 * it starts, a library) goes to an unnamed temp file, not to Git's
 * terminal; capture_end() moves each line into the log.
 */
struct capture {
	FILE *tmp;
	int saved[2];
};

static void capture_begin(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	c->tmp = tmpfile();
	if (!c->tmp)
		return;
	for (int fd = 1; fd <= 2; fd++) {
		c->saved[fd - 1] = dup(fd);
		dup2(fileno(c->tmp), fd);
	}
}

static void capture_end(struct capture *c, const struct hook *h)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	if (!c->tmp)
		return;
	for (int fd = 1; fd <= 2; fd++) {
		if (c->saved[fd - 1] >= 0) {
			dup2(c->saved[fd - 1], fd);
			close(c->saved[fd - 1]);
		}
	}
	rewind(c->tmp);
	while ((n = getline(&line, &cap, c->tmp)) > 0)
		log_line(h, line, n);
	free(line);
	fclose(c->tmp);
	c->tmp = NULL;
}

/*
 * Git writes the updates to stdin: left unread, its write fails (SIGPIPE
 * or EPIPE) once we are gone.
 */
static void drain_stdin(void)
{
	char buf[65536];
	ssize_t n;

	if (isatty(0))
		return;
	while ((n = read(0, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
}

/*
 * The hook's snapshot of every stack, file sizes from stat alone, and the
 * scheduler's plan for it (sched_hook_due(): the rules `run` follows).
 */
struct hook_plan {
	size_t n;
	struct sched_stack *stacks;
	struct sched_table **tables;
	struct sched_plan *plans;
	bool due;
};

static void hook_plan_release(struct hook_plan *hp)
{
	for (size_t i = 0; hp->tables && i < hp->n; i++)
		free(hp->tables[i]);
	free(hp->tables);
	free(hp->stacks);
	free(hp->plans);
}

/*
 * Plan `repo`'s stacks; `spent`: table bytes this process compacted
 * already. A stack that cannot be looked at is left out (logged, unless
 * a table vanished: then someone else is compacting right now).
 */
static int hook_plan(const struct hook *h, const struct repo *repo,
		     const struct policy *p, uint64_t spent,
		     struct hook_plan *hp)
{
	int version = maint_table_version(repo);

	memset(hp, 0, sizeof(*hp));
	hp->n = repo->nstacks;
	hp->stacks = calloc(hp->n + 1, sizeof(*hp->stacks));
	hp->tables = calloc(hp->n + 1, sizeof(*hp->tables));
	hp->plans = calloc(hp->n + 1, sizeof(*hp->plans));
	if (!hp->stacks || !hp->tables || !hp->plans) {
		log_printf(h, "out of memory");
		hook_plan_release(hp);
		return -1;
	}
	for (size_t i = 0; i < hp->n; i++) {
		const struct repo_stack *where = &repo->stacks[i];
		struct sched_stack *s = &hp->stacks[i];
		struct rt_err err = { 0 };
		int ret;

		s->name = maint_stack_label(where);
		s->sizes_only = true;
		ret = snapshot_sizes(where->dir, version, &hp->tables[i], &s->n,
				     &err);
		s->tables = hp->tables[i];
		if (ret && ret != RT_ERR_OUTDATED)
			log_printf(h, "%s: %s", s->name,
				   err.msg[0] ? err.msg : rt_error_name(ret));
	}
	hp->due = sched_hook_due(p, spent, hp->stacks, hp->n, hp->plans);
	return 0;
}

/* Whether the policy wants a compaction anywhere now. */
static bool any_due(const struct hook *h, const struct repo *repo,
		    const struct policy *p, uint64_t spent)
{
	struct hook_plan hp;
	bool due;

	if (hook_plan(h, repo, p, spent, &hp))
		return false;
	due = hp.due;
	hook_plan_release(&hp);
	return due;
}

/* Load the policy for `repo`; its errors are logged. 0 when usable. */
static int load_policy(const struct hook *h, const struct repo *repo,
		       struct policy *p, const char *what)
{
	struct policy_errors errs = { 0 };
	struct rt_err err = { 0 };
	char *path = NULL;
	int nerr = policy_file_find(repo, policy_option, &path, &err);

	if (nerr)
		policy_init(p);
	else
		nerr = policy_file_load(p, repo, path, &errs, &err);
	if (nerr < 0)
		log_printf(h, "%s", err.msg);
	for (size_t i = 0; i < errs.n; i++)
		log_printf(h, "%s", errs.msg[i]);
	if (nerr > 0)
		log_printf(h, "policy has errors: no %s until fixed", what);
	policy_errors_release(&errs);
	free(path);
	if (nerr)
		policy_release(p);
	return nerr ? -1 : 0;
}

static void log_error(void *arg, const char *msg)
{
	log_printf(arg, "error: %s", msg);
}

static void log_warning(void *arg, const char *msg)
{
	log_printf(arg, "warning: %s", msg);
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
		log_printf(h, "error: %s", err.msg);
		return false;
	}
	maint_compact_task(x, where, st, it, &t, &expire);
	if (t.status == MAINT_DONE)
		log_printf(h, "%s: %s; tables.list.lock held %.1f ms at most",
			   label, t.result, rt_stack_get_lock_stats(st)->max_ns / 1e6);
	else if (t.status == MAINT_BUSY)
		log_printf(h, "%s: %s", label, t.result);
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
	const struct maint_sink sink = { .error = log_error,
					 .warning = log_warning,
					 .arg = (void *)h };
	uint64_t max = p->max_bytes_per_run;
	struct maint_exec x = {
		.repo = repo,
		.policy = p,
		.sink = &sink,
		.now = (uint64_t)time(NULL),
		.budget_left = max > *spent ? max - *spent : 0,
	};
	struct hook_plan hp;
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
	hook_plan_release(&hp);
	return failed;
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
	struct capture cap = { 0 };
	struct rt_err err = { 0 };
	uint64_t spent = 0;
	struct policy p;
	struct repo repo;
	int failed = 0;

	capture_begin(&cap);
	if (maint_open_repo(&repo, &err)) {
		log_printf(h, "error: %s", err.msg);
		goto out;
	}
	if (load_policy(h, &repo, &p, "compaction"))
		goto release_repo;
	if (maint_stack_options(&repo, &opts, &err)) {
		log_printf(h, "error: %s", err.msg);
		goto release_policy;
	}
	opts.geometric_factor = p.geometric_factor;
	/* Git waits for an inline hook: never wait forever on a lock. */
	if (in_hook && opts.lock_timeout_ms < 0)
		opts.lock_timeout_ms = 100;
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
	capture_end(&cap, h);
}

/*
 * Take the hook lock and compact, inline or in a detached child. When the
 * lock is taken, another process is compacting and will look again.
 */
static void start_compaction(const struct hook *h, bool background,
			     bool in_hook)
{
	struct pidlock lock = PIDLOCK_INIT;
	struct rt_err err = { 0 };
	long holder;
	pid_t pid;

	if (pidlock_acquire(&lock, h->lock_path, 0, &holder, &err)) {
		if (err.code)
			log_printf(h, "%s", err.msg);
		return;
	}
	if (!background) {
		compact_locked(h, &lock, in_hook);
		pidlock_release(&lock);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		log_printf(h, "cannot fork: %s; compacting inline",
			   strerror(errno));
		compact_locked(h, &lock, in_hook);
		pidlock_release(&lock);
	} else if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		int logfd = logfile_open(h->log_path);

		/* Git waits for our stdio to close: let go of all of it. */
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		compact_locked(h, &lock, false);
		pidlock_release(&lock);
		fflush(NULL);
		_exit(0);
	} else {
		/* Named before Git goes on: whoever waits finds this one. */
		pidlock_hand_over(&lock, pid);
	}
}

static int hook_reference_transaction(struct hook *h, int argc, char **argv)
{
	struct policy p;
	struct repo repo;
	struct rt_err err = { 0 };

	drain_stdin();
	if (argc < 2 || strcmp(argv[1], "committed"))
		return EXIT_OK;
	/* No repository, or refs in files: not ours, and not a problem. */
	if (repo_discover_opts(&repo, REPO_NO_GIT, &err) || !repo.reftable) {
		repo_release(&repo);
		return EXIT_OK;
	}
	if (asprintf(&h->log_path, "%s/" HOOK_LOG, repo.common_dir) < 0 ||
	    asprintf(&h->lock_path, "%s/" HOOK_LOCK, repo.common_dir) < 0) {
		repo_release(&repo);
		return EXIT_OK;
	}
	if (load_policy(h, &repo, &p, "compaction")) {
		repo_release(&repo);
		return EXIT_OK;
	}
	if (any_due(h, &repo, &p, 0))
		start_compaction(h, p.background, true);
	policy_release(&p);
	repo_release(&repo);
	return EXIT_OK;
}

static void log_report_line(void *arg, const char *text)
{
	log_printf(arg, "%s", text);
}

/* What `git reftable run --auto` does, reported to the log. */
static void run_auto(const struct hook *h)
{
	const struct maint_request req = { .trigger.kind = SCHED_TRIGGER_AUTO };
	const struct maint_sink sink = { .error = log_error,
					 .warning = log_warning,
					 .arg = (void *)h };
	struct maint_report rep;
	struct rt_err err = { 0 };
	struct policy p;
	struct repo repo;

	if (maint_open_repo(&repo, &err)) {
		log_printf(h, "error: %s", err.msg);
		return;
	}
	if (load_policy(h, &repo, &p, "maintenance")) {
		repo_release(&repo);
		return;
	}
	if (maint_run(&req, &repo, &p, &sink, &rep, &err)) {
		log_printf(h, "error: %s", err.msg);
	} else {
		if (rep.status == MAINT_RUN_BUSY)
			log_printf(h, "%s; not running (try later)", rep.busy);
		else
			maint_report_text(&rep, false, log_report_line,
					  (void *)h);
		if (rep.status == MAINT_RUN_FAILED)
			log_printf(h, "run --auto failed");
		maint_report_release(&rep);
	}
	policy_release(&p);
	repo_release(&repo);
}

/*
 * The maintenance `git reftable run --auto` does (compaction, and expiry
 * or cleaning when due), inline, as Git waits before its own gc. Its
 * report goes to the log.
 */
static int hook_pre_auto_gc(struct hook *h)
{
	struct capture cap = { 0 };
	struct repo repo;
	struct rt_err err = { 0 };

	if (!repo_discover_opts(&repo, REPO_NO_GIT, &err) && repo.reftable &&
	    asprintf(&h->log_path, "%s/" HOOK_LOG, repo.common_dir) >= 0) {
		log_printf(h, "maintenance before Git's automatic gc");
		capture_begin(&cap);
		run_auto(h);
		capture_end(&cap, h);
	}
	repo_release(&repo);
	return EXIT_OK;
}

int cmd_hook(struct command *cmd, int argc, char **argv)
{
	struct hook h = { 0 };
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "which hook event?");
	h.event = argv[1];
	if (!strcmp(argv[1], "reference-transaction"))
		ret = hook_reference_transaction(&h, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "pre-auto-gc"))
		ret = hook_pre_auto_gc(&h);
	else
		return usage_error(cmd, "unknown hook event '%s'", argv[1]);
	free(h.log_path);
	free(h.lock_path);
	return ret;
}
