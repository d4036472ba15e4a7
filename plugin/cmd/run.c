/*
 * run.c: `git reftable run`: what is due, by the scheduler's plan, and
 * doing it. Every stack is looked at before anything changes, so a
 * malformed table stops the run before it touches any stack. The run
 * lock, the state file and the detached log live in $GIT_COMMON_DIR: one
 * run maintains every stack of the repository, worktrees' included.
 */
#define _GNU_SOURCE
#include "lib/include/rt-table.h"
#include "plugin/cli/cli.h"
#include "plugin/maint/expire.h"
#include "plugin/maint/run.h"
#include "plugin/maint/snapshot.h"
#include "plugin/maint/tasks.h"
#include "scheduler/runlock.h"
#include "scheduler/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A detached run's log starts over when it grew beyond this. */
#define LOG_MAX (1 << 20)

struct task_result {
	const char *status; /* due/skipped (dry run); done/skipped/failed/busy */
	char result[1200]; /* what happened, when it ran */
	uint64_t ms, bytes;
	size_t before, after; /* tables */
	enum sched_outcome outcome; /* NONE: did not run */
};

struct stack_run {
	const struct repo_stack *where;
	struct rt_stack *st;
	struct sched_table *tables;
	struct sched_plan plan;
	struct task_result res[SCHED_NTASKS];
};

struct run {
	const struct run_request *req;
	struct repo repo;
	struct policy policy;
	struct rt_stack_options opts;
	struct rt_clean_options copts;
	uint64_t now;
	struct stack_run *stacks;
	size_t n;
	uint64_t budget_left; /* max-bytes-per-run; 0: no cap */
	FILE *chatter; /* per-file lines of clean: stdout, or stderr for JSON */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *common_path(const struct run *r, const char *name)
{
	char *path;

	return asprintf(&path, "%s/%s", r->repo.common_dir, name) < 0 ? NULL :
									path;
}

/*
 * Fork; the parent returns 1 at once, the child 0 with a new session and
 * its output going to the log. -1 when it cannot.
 */
static int detach(const struct run *r)
{
	char *log = common_path(r, RUN_LOG_FILE);
	struct stat sb;
	pid_t pid;
	int fd, null;

	if (!log)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		error("cannot fork: %s", strerror(errno));
		free(log);
		return -1;
	}
	if (pid > 0) {
		fprintf(stderr,
			"running in the background (pid %ld); log: %s\n",
			(long)pid, log);
		free(log);
		return 1;
	}
	setsid();
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* The log starts over once it grew large. */
	if (fd >= 0 && !fstat(fd, &sb) && sb.st_size > LOG_MAX)
		(void)!ftruncate(fd, 0);
	if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 ||
	    dup2(fd, 2) < 0)
		_exit(EXIT_ERROR);
	/* Nothing of the caller's (pipes above all) stays open. */
	closefrom(3);
	free(log);
	printf("--- git reftable run, pid %ld, at %lld\n", (long)getpid(),
	       (long long)time(NULL));
	return 0;
}

/* Open and snapshot every stack; nothing is changed yet. */
static int snapshot_all(struct run *r, struct sched_stack *snaps)
{
	unsigned tasks = r->req->trigger.tasks;
	/* Only `auto` weighs expiry by the estimate. */
	bool estimate = r->req->trigger.kind == SCHED_TRIGGER_AUTO &&
			(!tasks || (tasks & (1u << SCHED_EXPIRE)));

	for (size_t i = 0; i < r->n; i++) {
		struct stack_run *s = &r->stacks[i];
		struct sched_stack *snap = &snaps[i];
		struct rt_err err = { 0 };
		int ret;

		if (open_stack(&s->st, s->where->dir, &r->opts))
			return EXIT_ERROR;
		snap->name = stack_label(s->where);
		ret = snapshot_tables(s->st, &s->tables, &err);
		snap->tables = s->tables;
		snap->n = rt_stack_table_count(s->st);
		if (!ret)
			ret = snapshot_leftovers(s->st, &r->copts, &snap->left,
						 &err);
		if (!ret && estimate) {
			ret = snapshot_expirable(s->st, &r->policy, r->now,
						 &snap->expirable, &err);
			snap->expirable_known = !ret;
		}
		if (ret) {
			error("%s: %s", snap->name, err.msg);
			return EXIT_ERROR;
		}
	}
	return 0;
}

/* Set a task's status from a lib/ return code; a held lock is "busy". */
static void settle(struct task_result *t, const char *label, int ret,
		   const struct rt_err *err)
{
	const char *msg = err->msg[0] ? err->msg : rt_error_name(ret);

	if (!ret) {
		t->status = "done";
		t->outcome = SCHED_OUTCOME_DONE;
	} else if (ret == RT_ERR_LOCK) {
		t->status = "busy";
		t->outcome = SCHED_OUTCOME_BUSY;
		snprintf(t->result, sizeof(t->result),
			 "busy: %s; nothing changed, try later", msg);
	} else {
		t->status = "failed";
		t->outcome = SCHED_OUTCOME_FAILED;
		snprintf(t->result, sizeof(t->result), "%s", msg);
		error("%s: %s", label, msg);
	}
}

static void do_clean(struct run *r, struct stack_run *s, struct task_result *t)
{
	struct clean_summary sum;
	struct rt_err err = { 0 };
	int ret = clean_stack(s->st, stack_label(s->where), &r->copts,
			      r->chatter, &sum, &err);

	settle(t, stack_label(s->where), ret, &err);
	if (!ret)
		snprintf(t->result, sizeof(t->result), "removed %u, kept %u",
			 sum.removed, sum.kept);
}

static void expired_result(struct task_result *t, int ret,
			   const struct expire_stats *x)
{
	t->status = !ret ? "done" : x->busy ? "busy" : "failed";
	t->outcome = !ret    ? SCHED_OUTCOME_DONE :
		     x->busy ? SCHED_OUTCOME_BUSY :
			       SCHED_OUTCOME_FAILED;
	if (ret)
		snprintf(t->result, sizeof(t->result), "%s (see the error)",
			 x->busy ? "busy: nothing changed, try later" :
				   "failed");
	else
		snprintf(t->result, sizeof(t->result),
			 "expired %llu of %llu entries in %llu reflogs",
			 (unsigned long long)x->expired,
			 (unsigned long long)x->entries,
			 (unsigned long long)x->reflogs);
}

static void do_expire(struct run *r, struct stack_run *s, struct task_result *t)
{
	struct expire_overrides none = { 0 };
	struct expire_stats x = { 0 };
	int ret = expire_stack(&r->repo, s->where, &r->policy, &none,
			       EXPIRE_QUIET, r->now, &x);

	expired_result(t, ret, &x);
	t->bytes = x.bytes_added;
}

struct fit {
	unsigned factor;
	uint64_t budget;
};

/* The geometric segment of the stack as it is now, within the budget. */
static bool choose_fit(const struct rt_stack *st, void *arg, size_t *first,
		       size_t *last)
{
	const struct fit *f = arg;
	size_t n = rt_stack_table_count(st), k;
	uint64_t *w = calloc(2 * n + 1, sizeof(*w)), bytes;

	if (!w)
		return false;
	for (size_t i = 0; i < n; i++) {
		w[i] = rt_stack_table_weight(rt_stack_table(st, i));
		w[n + i] = rt_table_size(rt_stack_table(st, i));
	}
	k = sched_fit_segment(w, w + n, n, f->factor, f->budget, first, last,
			      &bytes);
	free(w);
	return k >= 2;
}

static bool choose_all(const struct rt_stack *st, void *arg, size_t *first,
		       size_t *last)
{
	size_t n = rt_stack_table_count(st);

	(void)arg;
	*first = 0;
	*last = n ? n - 1 : 0;
	return n >= 2;
}

static void compacted_result(struct task_result *t,
			     const struct rt_compact_result *res)
{
	snprintf(t->result, sizeof(t->result),
		 "compacted tables %zu-%zu (%zu tables, %llu bytes) into %llu "
		 "bytes; %zu table%s now",
		 res->first + 1, res->last + 1, res->last - res->first + 1,
		 (unsigned long long)res->bytes_before,
		 (unsigned long long)res->bytes_after, res->tables_after,
		 res->tables_after == 1 ? "" : "s");
	t->bytes = res->bytes_before;
}

/* Expiry and a whole-stack compaction in one rewrite. */
static int compact_expiring(struct run *r, struct stack_run *s,
			    struct task_result *t, struct task_result *expire,
			    struct rt_compact_result *res)
{
	struct expire_overrides none = { 0 };
	struct expire_stats x = { 0 };
	uint64_t start = now_ms();
	int ret = expire_compact_all(&r->repo, s->where, &r->policy, &none,
				     EXPIRE_QUIET, r->now, &x, res);

	expired_result(expire, ret, &x);
	expire->ms = now_ms() - start;
	t->status = expire->status;
	t->outcome = expire->outcome;
	if (ret)
		snprintf(t->result, sizeof(t->result), "%s", expire->result);
	/* It worked on its own copy of the stack. */
	rt_stack_reload(s->st, NULL);
	return ret;
}

static void do_compact(struct run *r, struct stack_run *s,
		       const struct sched_item *it, struct task_result *t,
		       struct task_result *expire)
{
	struct rt_compact_options copts = { .best_effort = true };
	struct fit fit = { r->policy.geometric_factor, r->budget_left };
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	int ret;

	if (it->with_expiry) {
		ret = compact_expiring(r, s, t, expire, &res);
	} else if (r->policy.max_bytes_per_run && !r->budget_left) {
		t->status = "skipped";
		snprintf(t->result, sizeof(t->result), "budget exhausted");
		return;
	} else {
		ret = compact_retrying(
			s->st,
			it->mode == SCHED_COMPACT_ALL ? choose_all : choose_fit,
			&fit, &copts, &res, &err);
		if (ret == 1) {
			t->status = "skipped";
			snprintf(t->result, sizeof(t->result),
				 "nothing left to compact: the stack changed "
				 "meanwhile");
			return;
		}
		settle(t, stack_label(s->where), ret, &err);
	}
	if (ret)
		return;
	compacted_result(t, &res);
	if (r->policy.max_bytes_per_run)
		r->budget_left -= res.bytes_before < r->budget_left ?
					  res.bytes_before :
					  r->budget_left;
}

static void execute(struct run *r, struct stack_run *s)
{
	for (size_t k = 0; k < SCHED_NTASKS; k++) {
		const struct sched_item *it = &s->plan.items[k];
		struct task_result *t = &s->res[it->task];
		uint64_t start = now_ms();
		struct rt_err err = { 0 };

		t->status = "skipped";
		t->before = t->after = rt_stack_table_count(s->st);
		if (!it->due || (it->task == SCHED_EXPIRE && it->with_expiry))
			continue;
		/* Git may have written since the snapshot. */
		if (rt_stack_reload(s->st, &err)) {
			settle(t, stack_label(s->where), err.code, &err);
			continue;
		}
		t->before = rt_stack_table_count(s->st);
		if (it->task == SCHED_CLEAN)
			do_clean(r, s, t);
		else if (it->task == SCHED_EXPIRE)
			do_expire(r, s, t);
		else
			do_compact(r, s, it, t, &s->res[SCHED_EXPIRE]);
		if (it->task == SCHED_EXPIRE)
			rt_stack_reload(s->st, NULL);
		t->after = rt_stack_table_count(s->st);
		t->ms = now_ms() - start;
		if (it->with_expiry) {
			s->res[SCHED_EXPIRE].before = t->before;
			s->res[SCHED_EXPIRE].after = t->after;
		}
	}
}

/* Each task that ran: the worst outcome over the stacks, and when. */
static int save_state(struct run *r)
{
	char *path = common_path(r, SCHED_STATE_FILE);
	struct rt_err err = { 0 };
	struct sched_state st;
	bool any = false;
	int ret = 0;

	if (!path)
		return EXIT_ERROR;
	if (sched_state_read(&st, path, &err))
		memset(&st, 0, sizeof(st));
	rt_err_clear(&err);
	for (int k = 0; k < SCHED_NTASKS; k++) {
		enum sched_outcome worst = SCHED_OUTCOME_NONE;
		uint64_t ms = 0;

		for (size_t i = 0; i < r->n; i++) {
			const struct task_result *t = &r->stacks[i].res[k];

			if (t->outcome == SCHED_OUTCOME_FAILED ||
			    (t->outcome == SCHED_OUTCOME_BUSY &&
			     worst != SCHED_OUTCOME_FAILED) ||
			    (t->outcome == SCHED_OUTCOME_DONE &&
			     worst == SCHED_OUTCOME_NONE))
				worst = t->outcome;
			ms += t->ms;
		}
		if (worst == SCHED_OUTCOME_NONE)
			continue;
		st.task[k] = (struct sched_task_state){ r->now, worst, ms };
		any = true;
	}
	if (any &&
	    sched_state_write(&st, path, r->opts.default_permissions, &err)) {
		error("%s", err.msg);
		ret = EXIT_ERROR;
	}
	free(path);
	return ret;
}

static const char *trigger_name(const struct sched_trigger *t)
{
	switch (t->kind) {
	case SCHED_TRIGGER_AUTO:
		return "auto";
	case SCHED_TRIGGER_HOOK:
		return "hook";
	case SCHED_TRIGGER_SCHEDULE:
		return policy_freq_name(t->freq);
	case SCHED_TRIGGER_MANUAL:
		break;
	}
	return "manual";
}

static void print_text(const struct run *r)
{
	unsigned due = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct stack_run *s = &r->stacks[i];

		for (size_t k = 0; k < SCHED_NTASKS; k++) {
			const struct sched_item *it = &s->plan.items[k];
			const struct task_result *t = &s->res[it->task];

			due += it->due;
			printf("%s: %s: %s: %s", stack_label(s->where),
			       sched_task_name(it->task), t->status,
			       it->reason);
			if (t->result[0])
				printf("; %s", t->result);
			if (t->outcome != SCHED_OUTCOME_NONE)
				printf(" (%llu ms)", (unsigned long long)t->ms);
			putchar('\n');
		}
	}
	if (!due)
		printf("nothing to do\n");
	else if (r->req->dry_run)
		printf("%u task%s due (dry run: nothing changed)\n", due,
		       due == 1 ? "" : "s");
}

static void print_json(const struct run *r, const char *status)
{
	printf("{\"git_dir\":");
	json_string(stdout, r->repo.git_dir, strlen(r->repo.git_dir));
	printf(",\"trigger\":\"%s\",\"dry_run\":%s,\"status\":\"%s\","
	       "\"stacks\":[",
	       trigger_name(&r->req->trigger),
	       r->req->dry_run ? "true" : "false", status);
	for (size_t i = 0; i < r->n; i++) {
		const struct stack_run *s = &r->stacks[i];
		const char *label = stack_label(s->where);

		printf("%s{\"name\":", i ? "," : "");
		json_string(stdout, label, strlen(label));
		printf(",\"path\":");
		json_string(stdout, s->where->dir, strlen(s->where->dir));
		printf(",\"tasks\":[");
		for (size_t k = 0; k < SCHED_NTASKS; k++) {
			const struct sched_item *it = &s->plan.items[k];
			const struct task_result *t = &s->res[it->task];

			printf("%s{\"task\":\"%s\",\"status\":\"%s\","
			       "\"reason\":",
			       k ? "," : "", sched_task_name(it->task),
			       t->status);
			json_string(stdout, it->reason, strlen(it->reason));
			printf(",\"result\":");
			json_string(stdout, t->result, strlen(t->result));
			printf(",\"duration_ms\":%llu,\"bytes_rewritten\":%llu,"
			       "\"tables_before\":%zu,\"tables_after\":%zu}",
			       (unsigned long long)t->ms,
			       (unsigned long long)t->bytes, t->before,
			       t->after);
		}
		printf("]}");
	}
	printf("]}\n");
}

static int plan_and_run(struct run *r)
{
	struct sched_stack *snaps = calloc(r->n + 1, sizeof(*snaps));
	struct sched_plan *plans = calloc(r->n + 1, sizeof(*plans));
	char *path = common_path(r, SCHED_STATE_FILE);
	struct rt_err err = { 0 };
	struct sched_state state;
	struct sched_input in = {
		.policy = &r->policy,
		.state = &state,
		.now = r->now,
		.trigger = r->req->trigger,
	};
	int ret = EXIT_ERROR;

	if (!snaps || !plans || !path)
		goto out;
	if (sched_state_read(&state, path, &err))
		warning("%s; every task counts as never run", err.msg);
	if ((ret = snapshot_all(r, snaps)))
		goto out;
	sched_plan(&in, snaps, r->n, plans);
	for (size_t i = 0; i < r->n; i++) {
		struct stack_run *s = &r->stacks[i];

		s->plan = plans[i];
		for (size_t k = 0; k < SCHED_NTASKS; k++) {
			const struct sched_item *it = &s->plan.items[k];

			s->res[it->task].status = it->due ? "due" : "skipped";
			s->res[it->task].before = s->res[it->task].after =
				rt_stack_table_count(s->st);
		}
		if (!r->req->dry_run)
			execute(r, s);
	}
	if (!r->req->dry_run)
		ret = save_state(r);
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < SCHED_NTASKS; k++)
			if (r->stacks[i].res[k].outcome == SCHED_OUTCOME_FAILED)
				ret = EXIT_ERROR;
	if (r->req->json)
		print_json(r, ret ? "failed" : "ok");
	else
		print_text(r);
out:
	free(path);
	free(snaps);
	free(plans);
	return ret;
}

/* Take the run lock; 1 when another run has it (then say so). */
static int lock_run(struct run *r, struct sched_runlock *lock)
{
	char *path = common_path(r, SCHED_RUNLOCK_FILE), msg[512];
	int ret;

	if (!path)
		return -1;
	ret = sched_runlock_acquire(lock, path, r->opts.default_permissions,
				    msg, sizeof(msg));
	free(path);
	if (ret < 0) {
		error("%s", msg);
	} else if (ret > 0) {
		fprintf(stderr, "%s; not running (try later)\n", msg);
		if (r->req->json) {
			printf("{\"git_dir\":");
			json_string(stdout, r->repo.git_dir,
				    strlen(r->repo.git_dir));
			printf(",\"trigger\":\"%s\",\"dry_run\":false,"
			       "\"status\":\"busy\",\"reason\":",
			       trigger_name(&r->req->trigger));
			json_string(stdout, msg, strlen(msg));
			printf(",\"stacks\":[]}\n");
		}
	}
	return ret;
}

static int load(struct run *r)
{
	char *path;
	int nerr;

	if (open_repo(&r->repo))
		return EXIT_ERROR;
	nerr = open_policy(&r->policy, &r->repo, &path);
	if (nerr)
		error("not running: the policy %s has errors",
		      path ? path : "configuration");
	free(path);
	if (nerr || stack_options(&r->repo, &r->opts))
		return EXIT_ERROR;
	/* The geometric rule as the plan saw it, also inside lib/. */
	r->opts.geometric_factor = r->policy.geometric_factor;
	clean_options_from_policy(&r->policy, &r->copts);
	r->n = r->repo.nstacks;
	r->stacks = calloc(r->n + 1, sizeof(*r->stacks));
	if (!r->stacks)
		return EXIT_ERROR;
	for (size_t i = 0; i < r->n; i++)
		r->stacks[i].where = &r->repo.stacks[i];
	return 0;
}

int run_maintenance(const struct run_request *req)
{
	struct sched_runlock lock = SCHED_RUNLOCK_INIT;
	struct run r = { .req = req };
	int ret;

	r.chatter = req->json ? stderr : stdout;
	if ((ret = load(&r)))
		goto out;
	if (req->detach && (ret = detach(&r))) {
		/* The parent is done (1); or it could not fork (-1). */
		ret = ret > 0 ? EXIT_OK : EXIT_ERROR;
		goto out;
	}
	/* A dry run takes no lock: it must not even create a file. */
	if (!req->dry_run && (ret = lock_run(&r, &lock))) {
		/* Another run is at work (1): not an error. */
		ret = ret > 0 ? EXIT_OK : EXIT_ERROR;
		goto out;
	}
	r.now = (uint64_t)time(NULL);
	r.budget_left = r.policy.max_bytes_per_run;
	ret = plan_and_run(&r);
out:
	sched_runlock_release(&lock);
	for (size_t i = 0; i < r.n && r.stacks; i++) {
		free(r.stacks[i].tables);
		if (r.stacks[i].st)
			rt_stack_close(r.stacks[i].st);
	}
	free(r.stacks);
	policy_release(&r.policy);
	repo_release(&r.repo);
	fflush(stdout);
	return ret;
}

int cmd_run(struct command *cmd, int argc, char **argv)
{
	struct run_request req = { .trigger.kind = SCHED_TRIGGER_MANUAL };
	bool mode_set = false;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		const char *v;
		enum sched_task t;

		v = skip_prefix(argv[i], "--schedule=");
		if (!strcmp(argv[i], "--auto") || v) {
			if (mode_set)
				return usage_error(cmd, "--auto and --schedule "
							"exclude each other");
			mode_set = true;
			req.trigger.kind = v ? SCHED_TRIGGER_SCHEDULE :
					       SCHED_TRIGGER_AUTO;
			if (!v)
				continue;
			if (!strcmp(v, "hourly"))
				req.trigger.freq = POLICY_HOURLY;
			else if (!strcmp(v, "daily"))
				req.trigger.freq = POLICY_DAILY;
			else if (!strcmp(v, "weekly"))
				req.trigger.freq = POLICY_WEEKLY;
			else
				return usage_error(cmd,
						   "bad schedule '%s'; say "
						   "hourly, daily or weekly",
						   v);
		} else if ((v = skip_prefix(argv[i], "--task="))) {
			if (sched_task_parse(v, &t))
				return usage_error(cmd,
						   "unknown task '%s'; "
						   "tasks: clean, expire, "
						   "compact",
						   v);
			req.trigger.tasks |= 1u << t;
		} else if (!strcmp(argv[i], "--dry-run") ||
			   !strcmp(argv[i], "-n")) {
			req.dry_run = true;
		} else if (!strcmp(argv[i], "--detach")) {
			req.detach = true;
		} else if (!strcmp(argv[i], "--json")) {
			req.json = true;
		} else {
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
		}
	}
	if (req.dry_run && req.detach)
		return usage_error(cmd, "--dry-run and --detach exclude each "
					"other");
	return run_maintenance(&req);
}
