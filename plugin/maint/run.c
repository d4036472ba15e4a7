/*
 * run.c: one maintenance run: lock, snapshot, plan, carry out, record.
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin/maint/run.h"
#include "plugin/util/path.h"
#include "plugin/maint/listlock.h"
#include "plugin/maint/open.h"
#include "plugin/maint/snapshot.h"
#include "plugin/util/clock.h"
#include "plugin/util/pidlock.h"
#include "scheduler/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The working state of a run; only the report outlives it. */
struct run {
	const struct maint_request *req;
	const struct repo *repo;
	const struct maint_sink *sink;
	struct rt_stack_options opts;
	struct rt_clean_options copts;
	struct maint_exec exec;
	struct maint_report *rep;
	/* Per stack, as rep->stacks: the open stack and its snapshot. */
	struct rt_stack **st;
	struct sched_table **tables;
};

static char *common_path(const struct repo *repo, const char *name)
{
	return path_join(repo->common_dir, name, NULL);
}

/* The state file is unreadable: say so, and plan as if nothing ran. */
static void warn(const struct run *r, const char *msg)
{
	char *text;

	if (!r->sink || !r->sink->warning)
		return;
	if (asprintf(&text, "%s; every task counts as never run", msg) < 0)
		return;
	r->sink->warning(r->sink->arg, text);
	free(text);
}

/* Open and snapshot every stack; nothing is changed yet. */
static int snapshot_all(struct run *r, struct sched_stack *snaps,
			struct rt_err *err)
{
	unsigned tasks = r->req->trigger.tasks;
	/* Only `auto` weighs expiry by the estimate. */
	bool estimate = r->req->trigger.kind == SCHED_TRIGGER_AUTO &&
			(!tasks || (tasks & (1u << SCHED_EXPIRE)));

	for (size_t i = 0; i < r->rep->n; i++) {
		const struct repo_stack *where = r->rep->stacks[i].where;
		struct sched_stack *snap = &snaps[i];
		int ret;

		snap->name = maint_stack_label(where);
		ret = rt_stack_open(&r->st[i], where->dir, &r->opts, err);
		/* A lock left by a dead process goes before anything else. */
		if (!ret)
			maint_list_lock(r->st[i], snap->name, &r->copts,
					!r->req->dry_run, r->sink,
					&r->rep->stacks[i].list_lock,
					r->rep->stacks[i].failure,
					sizeof(r->rep->stacks[i].failure));
		if (!ret)
			ret = snapshot_tables(r->st[i], &r->tables[i], err);
		if (!ret) {
			snap->tables = r->tables[i];
			snap->n = rt_stack_table_count(r->st[i]);
			ret = snapshot_leftovers(r->st[i], &r->copts,
						 &snap->left, err);
		}
		if (!ret && estimate) {
			ret = snapshot_expirable(r->st[i], r->exec.policy,
						 r->exec.now, &snap->expirable,
						 err);
			snap->expirable_known = !ret;
		}
		if (ret) {
			if (r->st[i])
				rt_err_prefix(err, "%s: ", snap->name);
			return ret;
		}
	}
	return 0;
}

static void execute(struct run *r, size_t i)
{
	struct maint_stack_report *s = &r->rep->stacks[i];
	struct rt_stack *st = r->st[i];

	for (size_t k = 0; k < SCHED_NTASKS; k++) {
		const struct sched_item *it = &s->plan.items[k];
		struct maint_task_result *t = &s->res[it->task];
		struct maint_task_result *expire = &s->res[SCHED_EXPIRE];
		uint64_t start = clock_ms();
		struct rt_err err = { 0 };

		t->status = MAINT_SKIPPED;
		t->before = t->after = rt_stack_table_count(st);
		if (!it->due || (it->task == SCHED_EXPIRE && it->with_expiry))
			continue;
		/* Git may have written since the snapshot. */
		if (rt_stack_reload(st, &err)) {
			t->status = MAINT_FAILED;
			snprintf(t->result, sizeof(t->result), "%s", err.msg);
			maint_sink_error(r->sink, "%s: %s",
					 maint_stack_label(s->where), err.msg);
			continue;
		}
		t->before = rt_stack_table_count(st);
		if (it->task == SCHED_CLEAN)
			maint_clean_task(&r->exec, s->where, st, t);
		else if (it->task == SCHED_EXPIRE)
			maint_expire_task(&r->exec, s->where, t);
		else
			maint_compact_task(&r->exec, s->where, st, it, t,
					   expire);
		if (it->task == SCHED_EXPIRE)
			rt_stack_reload(st, NULL);
		t->after = rt_stack_table_count(st);
		t->ms = clock_ms() - start;
		if (it->with_expiry) {
			expire->before = t->before;
			expire->after = t->after;
		}
	}
}

/*
 * Each task that ran: the worst outcome over the stacks, when, and with
 * which policy; with record_checks, also that clean and expire were
 * looked at. Nothing to save: the file is left alone.
 */
static int save_state(struct run *r)
{
	char *path = common_path(r->repo, SCHED_STATE_FILE);
	struct rt_err serr = { 0 };
	struct sched_state st;
	bool any = false;
	int ret = 0;

	if (!path) {
		maint_sink_error(r->sink, "out of memory");
		return -1;
	}
	if (sched_state_read(&st, path, &serr))
		memset(&st, 0, sizeof(st));
	for (int k = 0; k < SCHED_NTASKS; k++) {
		enum sched_outcome worst = SCHED_OUTCOME_NONE;
		uint64_t ms = 0;

		for (size_t i = 0; r->rep->stacks && i < r->rep->n; i++) {
			const struct maint_task_result *t =
				&r->rep->stacks[i].res[k];
			enum sched_outcome o = maint_outcome(t->status);

			if (o == SCHED_OUTCOME_FAILED ||
			    (o == SCHED_OUTCOME_BUSY &&
			     worst != SCHED_OUTCOME_FAILED) ||
			    (o == SCHED_OUTCOME_DONE &&
			     worst == SCHED_OUTCOME_NONE))
				worst = o;
			ms += t->ms;
		}
		if (worst != SCHED_OUTCOME_NONE) {
			st.task[k].last_run = r->exec.now;
			st.task[k].outcome = worst;
			st.task[k].duration_ms = ms;
		} else if (!r->req->record_checks || k == SCHED_COMPACT) {
			continue;
		}
		if (r->req->record_checks && k != SCHED_COMPACT)
			st.task[k].last_check = r->exec.now;
		st.task[k].policy = sched_policy_digest(r->exec.policy, k);
		any = true;
	}
	rt_err_clear(&serr);
	if (any && sched_state_write_at(&st, repo_common_dirfd(r->repo), path,
					r->opts.default_permissions, &serr)) {
		maint_sink_error(r->sink, "%s", serr.msg);
		ret = -1;
	}
	free(path);
	return ret;
}

static int plan_and_run(struct run *r, struct rt_err *err)
{
	struct maint_report *rep = r->rep;
	struct sched_stack *snaps = calloc(rep->n + 1, sizeof(*snaps));
	struct sched_plan *plans = calloc(rep->n + 1, sizeof(*plans));
	char *path = common_path(r->repo, SCHED_STATE_FILE);
	struct rt_err serr = { 0 };
	struct sched_state state;
	struct sched_input in = {
		.policy = r->exec.policy,
		.state = &state,
		.now = r->exec.now,
		.trigger = r->req->trigger,
	};
	int ret;

	if (!snaps || !plans || !path) {
		ret = rt_err_oom(err);
		goto out;
	}
	if (sched_state_read(&state, path, &serr))
		warn(r, serr.msg);
	if ((ret = snapshot_all(r, snaps, err)))
		goto out;
	sched_plan(&in, snaps, rep->n, plans);
	for (size_t i = 0; i < rep->n; i++) {
		struct maint_stack_report *s = &rep->stacks[i];

		s->plan = plans[i];
		for (size_t k = 0; k < SCHED_NTASKS; k++) {
			const struct sched_item *it = &s->plan.items[k];
			struct maint_task_result *t = &s->res[it->task];

			t->status = it->due ? MAINT_DUE : MAINT_SKIPPED;
			t->before = t->after = rt_stack_table_count(r->st[i]);
		}
		if (!r->req->dry_run)
			execute(r, i);
	}
	if (!r->req->dry_run && save_state(r))
		rep->status = MAINT_RUN_FAILED;
	for (size_t i = 0; i < rep->n; i++) {
		if (rep->stacks[i].failure[0])
			rep->status = MAINT_RUN_FAILED;
		for (size_t k = 0; k < SCHED_NTASKS; k++)
			if (rep->stacks[i].res[k].status == MAINT_FAILED)
				rep->status = MAINT_RUN_FAILED;
	}
out:
	free(path);
	free(snaps);
	free(plans);
	return ret;
}

int maint_run_lock(const struct repo *repo, mode_t mode, struct pidlock *lock,
		   long *holder, struct rt_err *err)
{
	char *path = common_path(repo, MAINT_RUNLOCK_FILE);
	int ret;

	*holder = 0;
	if (!path)
		return rt_err_oom(err);
	ret = pidlock_acquire_at(lock, repo_common_dirfd(repo), path, mode,
				 holder, err);
	free(path);
	return ret;
}

/* Take the run lock: 0 held, 1 another run has it (rep says who). */
static int lock_run(struct run *r, struct pidlock *lock, struct rt_err *err)
{
	long holder;
	int ret = maint_run_lock(r->repo, r->opts.default_permissions, lock,
				 &holder, err);

	if (ret != 1)
		return ret;
	r->rep->status = MAINT_RUN_BUSY;
	if (holder > 0)
		snprintf(r->rep->busy, sizeof(r->rep->busy),
			 "another git reftable run (pid %ld) is active",
			 holder);
	else
		snprintf(r->rep->busy, sizeof(r->rep->busy),
			 "another git reftable run is active");
	return 1;
}

int maint_run(const struct maint_request *req, const struct repo *repo,
	      const struct policy *p, const struct maint_sink *sink,
	      struct maint_report *rep, struct rt_err *err)
{
	struct pidlock lock = PIDLOCK_INIT;
	struct run r = { .req = req, .repo = repo, .sink = sink, .rep = rep };
	int ret;

	memset(rep, 0, sizeof(*rep));
	if ((ret = maint_stack_options(repo, &r.opts, err)))
		return ret;
	/* The geometric rule as the plan saw it, also inside lib/. */
	r.opts.geometric_factor = p->geometric_factor;
	clean_options_from_policy(p, &r.copts);
	/* A dry run takes no lock: it must not even create a file. */
	if (!req->dry_run && !req->locked && (ret = lock_run(&r, &lock, err)))
		/* Another run is at work (1): a report, not an error. */
		return ret > 0 ? 0 : ret;
	rep->n = repo->nstacks;
	rep->stacks = calloc(rep->n + 1, sizeof(*rep->stacks));
	r.st = calloc(rep->n + 1, sizeof(*r.st));
	r.tables = calloc(rep->n + 1, sizeof(*r.tables));
	if (!rep->stacks || !r.st || !r.tables) {
		ret = rt_err_oom(err);
		goto out;
	}
	for (size_t i = 0; i < rep->n; i++)
		rep->stacks[i].where = &repo->stacks[i];
	r.exec = (struct maint_exec){
		.repo = repo,
		.policy = p,
		.copts = &r.copts,
		.sink = sink,
		.now = (uint64_t)time(NULL),
		.budget_left = p->max_bytes_per_run,
	};
	ret = plan_and_run(&r, err);
	/*
	 * A run the hook started that could not look at the stacks: saying
	 * it looked keeps the hook from starting one per ref update.
	 */
	if (ret && req->record_checks && req->record_failed_look &&
	    !req->dry_run)
		save_state(&r);
out:
	pidlock_release(&lock);
	for (size_t i = 0; i < rep->n && r.st; i++) {
		if (r.tables)
			free(r.tables[i]);
		if (r.st[i])
			rt_stack_close(r.st[i]);
	}
	free(r.st);
	free(r.tables);
	if (ret)
		maint_report_release(rep);
	return ret;
}

void maint_report_release(struct maint_report *rep)
{
	free(rep->stacks);
	rep->stacks = NULL;
	rep->n = 0;
}
