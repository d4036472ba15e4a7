/*
 * fleet.c: running the steps of a fleet run, o->jobs repositories at a
 * time, each under its timeout.
 *
 * SIGCHLD (and the signals that stop us) are blocked while children run
 * and waited for with sigtimedwait(), so the loop sleeps until a child
 * ends, the nearest deadline passes or we are told to stop, whichever
 * comes first: no polling, no handler, no global state. Children start with an empty signal mask (spawn.c).
 */
#define _GNU_SOURCE
#include "plugin/schedule/fleet.h"
#include "plugin/util/clock.h"
#include "lib/include/rt-basics.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* The longest sleep between looks at the slots, in ms. */
#define FLEET_WAKE_MS 1000

struct slot {
	struct spawn_job job; /* job.pid < 0: the slot is free */
	struct fleet_outcome out;
	size_t step; /* the one running */
	uint64_t start, deadline; /* ms, monotonic; deadline 0: none */
};

/* `<program> -C <repo> <step's arguments>` into argv (64 entries). */
static int step_argv(const char **argv, size_t max,
		     const struct fleet_options *o, const char *repo,
		     size_t step)
{
	size_t n = 0;

	argv[n++] = o->program;
	argv[n++] = "-C";
	argv[n++] = repo;
	for (const char *const *a = o->steps[step]; *a; a++) {
		if (n + 1 >= max)
			return -1;
		argv[n++] = *a;
	}
	argv[n] = NULL;
	return 0;
}

/* Start step s->step; on failure the step records why (status < 0). */
static int start_step(struct slot *s, const struct fleet_options *o)
{
	const char *argv[64];
	struct fleet_step *st = &s->out.step[s->step];

	if (step_argv(argv, 64, o, s->out.repo->path, s->step)) {
		st->status = rt_err_set(&s->out.err, RT_ERR_API,
					"too many arguments for a step");
		return st->status;
	}
	st->status = spawn_job_start(&s->job, argv, &s->out.err);
	return st->status;
}

static void finish_repo(struct slot *s, const struct fleet_options *o)
{
	s->out.ms = clock_ms() - s->start;
	o->done(o->arg, &s->out);
	for (size_t i = 0; i < FLEET_MAX_STEPS; i++)
		spawn_result_release(&s->out.step[i].res);
	memset(&s->out, 0, sizeof(s->out));
	s->job = (struct spawn_job)SPAWN_JOB_INIT;
}

/* Begin repository `r` in the free slot `s` (reported at once if its
 * first step cannot start). */
static void begin_repo(struct slot *s, const struct fleet_repo *r,
		       const struct fleet_options *o)
{
	memset(&s->out, 0, sizeof(s->out));
	for (size_t i = 0; i < FLEET_MAX_STEPS; i++)
		s->out.step[i].status = -1;
	s->out.repo = r;
	s->step = 0;
	s->start = clock_ms();
	s->deadline = o->timeout_ms ? s->start + o->timeout_ms : 0;
	if (start_step(s, o) < 0)
		finish_repo(s, o);
}

/*
 * Report `r` as not due without a child (the slot stays free); `kept`
 * (taken over) stands in for the last step's output.
 */
static void report_not_due(const struct fleet_repo *r,
			   const struct fleet_options *o, uint64_t start,
			   struct rt_buf *kept)
{
	struct fleet_outcome out = { .repo = r, .not_due = true };

	for (size_t i = 0; i < FLEET_MAX_STEPS; i++)
		out.step[i].status = -1;
	if (o->metrics_kept && o->nsteps) {
		struct fleet_step *last = &out.step[o->nsteps - 1];

		last->status = 0;
		last->res.out = kept->buf;
		last->res.outlen = kept->len;
		*kept = (struct rt_buf)RT_BUF_INIT;
	}
	out.ms = clock_ms() - start;
	o->done(o->arg, &out);
	for (size_t i = 0; i < FLEET_MAX_STEPS; i++)
		spawn_result_release(&out.step[i].res);
}

/* Begin repository `r` in the free slot `s`, unless it is left alone. */
static void next_repo(struct slot *s, const struct fleet_repo *r,
		      const struct fleet_options *o)
{
	struct rt_buf kept = RT_BUF_INIT;
	uint64_t start = clock_ms();

	if (r->kind != FLEET_REFTABLE)
		return;
	if (o->skip_not_due &&
	    (o->metrics_kept ? fleet_nothing_due_kept(r, &kept) :
			       fleet_nothing_due(r)))
		report_not_due(r, o, start, &kept);
	else
		begin_repo(s, r, o);
	rt_buf_release(&kept);
}

/* The step of `s` ended with `wstatus`: go on with the next or finish. */
static void step_ended(struct slot *s, int wstatus,
		       const struct fleet_options *o)
{
	struct fleet_step *st = &s->out.step[s->step];

	st->status = spawn_job_finish(&s->job, wstatus, &st->res);
	if (st->status < 0)
		rt_err_set(&s->out.err, st->status,
			   "cannot read what a step printed");
	if (!s->out.timed_out && st->status >= 0 && ++s->step < o->nsteps &&
	    start_step(s, o) >= 0)
		return;
	finish_repo(s, o);
}

/* The signal that ended the wait, or 0 when the time was up. */
static int wait_a_while(const sigset_t *set, struct slot *slots, unsigned jobs)
{
	uint64_t now = clock_ms(), wake = now + FLEET_WAKE_MS;
	struct timespec ts;
	int sig;

	for (unsigned i = 0; i < jobs; i++)
		if (slots[i].job.pid > 0 && slots[i].deadline &&
		    !slots[i].out.timed_out && slots[i].deadline < wake)
			wake = slots[i].deadline;
	wake = wake > now ? wake - now : 0;
	ts.tv_sec = (time_t)(wake / 1000);
	ts.tv_nsec = (long)(wake % 1000) * 1000000;
	/* EAGAIN (time is up) and EINTR are both "look again". */
	sig = sigtimedwait(set, NULL, &ts);
	return sig > 0 ? sig : 0;
}

/* Reap what ended, kill what is past its deadline. */
static int look_at_slots(struct slot *slots, const struct fleet_options *o,
			 struct rt_err *err)
{
	uint64_t now = clock_ms();

	for (unsigned i = 0; i < o->jobs; i++) {
		struct slot *s = &slots[i];
		int wstatus;
		pid_t p;

		if (s->job.pid <= 0)
			continue;
		p = waitpid(s->job.pid, &wstatus, WNOHANG);
		if (p < 0 && errno != EINTR)
			return rt_err_errno(err, RT_ERR_IO,
					    "cannot wait for the run in %s",
					    s->out.repo->path);
		if (p > 0) {
			step_ended(s, wstatus, o);
		} else if (s->deadline && now >= s->deadline &&
			   !s->out.timed_out) {
			s->out.timed_out = true;
			spawn_job_kill(&s->job);
		}
	}
	return 0;
}

static bool any_running(const struct slot *slots, unsigned jobs)
{
	for (unsigned i = 0; i < jobs; i++)
		if (slots[i].job.pid > 0)
			return true;
	return false;
}

int fleet_run(const struct fleet_list *l, const struct fleet_options *o,
	      struct rt_err *err)
{
	struct slot *slots = calloc(o->jobs, sizeof(*slots));
	sigset_t set, old;
	size_t next = 0;
	int ret = 0, sig;

	if (!slots)
		return rt_err_oom(err);
	for (unsigned i = 0; i < o->jobs; i++)
		slots[i].job = (struct spawn_job)SPAWN_JOB_INIT;
	/*
	 * The children run in process groups of their own, so a Ctrl-C or
	 * a service stop reaches only us: then we kill them, not leave
	 * them running unwatched.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	while (!ret) {
		/* A repository whose first step cannot start, or that is
		 * not due, leaves its slot free at once: the next one takes
		 * it. */
		for (unsigned i = 0; i < o->jobs; i++)
			while (slots[i].job.pid <= 0 && next < l->n)
				next_repo(&slots[i], &l->v[next++], o);
		if (!any_running(slots, o->jobs) && next >= l->n)
			break;
		sig = wait_a_while(&set, slots, o->jobs);
		if (sig && sig != SIGCHLD)
			ret = rt_err_set(err, RT_ERR_IO,
					 "interrupted (%s): the runs at work "
					 "were killed",
					 strsignal(sig));
		else
			ret = look_at_slots(slots, o, err);
	}
	for (unsigned i = 0; ret && i < o->jobs; i++)
		if (slots[i].job.pid > 0) {
			int wstatus;

			/* Killed: so no further step starts either. */
			slots[i].out.timed_out = true;
			spawn_job_kill(&slots[i].job);
			waitpid(slots[i].job.pid, &wstatus, 0);
			step_ended(&slots[i], wstatus, o);
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(slots);
	return ret;
}
