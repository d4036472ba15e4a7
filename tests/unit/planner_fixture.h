/*
 * planner_fixture.h: what the scheduler's unit tests feed the planner:
 * a policy, a state file, and up to two stacks of tables by weight.
 */
#ifndef TESTS_UNIT_PLANNER_FIXTURE_H
#define TESTS_UNIT_PLANNER_FIXTURE_H

#include <cmocka.h>
#include <string.h>

#include "scheduler/plan.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1800000000ull
#define MIN 60ull
#define HOUR 3600ull
#define MAXT 16

/* Everything one scenario feeds the planner. */
struct fixture {
	struct policy policy;
	struct sched_state state;
	struct sched_input in;
	struct sched_table tables[2][MAXT];
	struct sched_stack stacks[2];
	size_t nstacks;
};

/* Tables of the given weights, 10 refs and 10 logs each, no deletions. */
static inline void set_tables(struct fixture *f, size_t s, size_t n,
			      const uint64_t *w)
{
	assert_true(n <= MAXT);
	for (size_t i = 0; i < n; i++) {
		/* The file sizes are the weights: the budget sees them too. */
		f->tables[s][i] = (struct sched_table){ .weight = w[i],
							.size = w[i],
							.refs = 10,
							.logs = 10 };
	}
	f->stacks[s].tables = f->tables[s];
	f->stacks[s].n = n;
}

#define TABLES(f, s, ...)                                     \
	do {                                                  \
		static const uint64_t w_[] = { __VA_ARGS__ }; \
		set_tables(f, s, ARRAY_SIZE(w_), w_);         \
	} while (0)

static inline void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	policy_init(&f->policy);
	f->in.policy = &f->policy;
	f->in.state = &f->state;
	f->in.now = T0;
	f->in.trigger.kind = SCHED_TRIGGER_AUTO;
	f->stacks[0].name = "main";
	f->stacks[0].tables = f->tables[0];
	f->stacks[0].expirable_known = true;
	f->stacks[1].name = "wt";
	f->stacks[1].tables = f->tables[1];
	f->stacks[1].expirable_known = true;
	f->nstacks = 1;
}

static inline void schedule(struct fixture *f, enum policy_freq freq)
{
	f->in.trigger.kind = SCHED_TRIGGER_SCHEDULE;
	f->in.trigger.freq = freq;
}

static inline void ran(struct fixture *f, enum sched_task t, uint64_t ago,
		       enum sched_outcome o)
{
	f->state.task[t].last_run = T0 - ago;
	f->state.task[t].outcome = o;
}

/* Weights 4000, 1000, 200: 100 live records and 100 deletion records. */
static inline void fixture_tombstones(struct fixture *f)
{
	TABLES(f, 0, 4000, 1000, 200);
	f->tables[0][0].refs = 30;
	f->tables[0][0].logs = 30;
	f->tables[0][1].ref_tombstones = 60;
	f->tables[0][2].log_tombstones = 40;
}

#endif
