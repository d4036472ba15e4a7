/*
 * run.h: one maintenance run over every stack of the repository: take the
 * run lock, snapshot the stacks, plan (scheduler/), carry the plan out
 * through lib/, record it in the state file, report. `git reftable run`
 * calls it, and so can other entry points (hooks) with their trigger.
 */
#ifndef PLUGIN_RUN_H
#define PLUGIN_RUN_H

#include "scheduler/plan.h"

#define RUN_LOG_FILE "reftable-maintenance.log"

struct run_request {
	struct sched_trigger trigger;
	bool dry_run; /* print the plan; change no file */
	bool detach; /* work in the background, output to the log */
	bool json; /* one JSON document on stdout */
};

/*
 * Discover the repository (from the current directory) and run. Returns an
 * exit code: EXIT_OK also when another run holds the run lock or a stack
 * was busy (try later); EXIT_ERROR when a task failed.
 */
int run_maintenance(const struct run_request *req);

#endif
