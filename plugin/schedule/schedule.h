/*
 * schedule.h: starting and stopping the scheduled maintenance of a
 * repository.
 *
 * One set of hourly, daily and weekly entries (job.h) serves every
 * registered repository (registry.h): it is installed by the first start
 * and removed by the stop that unregisters the last repository. The
 * entries run `git-reftable fleet run --registered` (fleet.h), rather
 * than `git for-each-repo ... reftable run`: for-each-repo stops at the
 * first failing repository unless the Git is recent enough for
 * --keep-going, and runs one repository at a time, while a fleet run
 * keeps going, runs in parallel under a timeout, skips repositories that
 * no longer exist, and finds git (which `run` needs to read
 * configuration) through the PATH recorded when the schedule was
 * started.
 */
#ifndef PLUGIN_SCHEDULE_SCHEDULE_H
#define PLUGIN_SCHEDULE_SCHEDULE_H

#include "lib/include/rt-error.h"
#include "plugin/git/repo.h"
#include "plugin/schedule/backend.h"
#include "policy/policy.h"

#include <stdbool.h>
#include <stddef.h>

/* What schedule_start() did; release it with schedule_outcome_release(). */
struct schedule_outcome {
	char *path; /* the repository as registered; NULL if not found */
	bool was_registered; /* before the call */
	const struct schedule_backend *backend; /* start: the one installed */
	int minute; /* start: of the hour, when the entries fire */
	size_t nrepos; /* registered after the call */
	bool removed; /* stop: the entries were removed (no repository left) */
};

void schedule_outcome_release(struct schedule_outcome *o);

/*
 * Maintain `repo` on schedule: install (or refresh) the entries with
 * `be`, or with NULL the first usable of systemd and crontab, register the
 * repository unless it is already, and remove the other backend's entries
 * (one backend at a time, or every repository is maintained twice). On
 * error `out` tells how far it went.
 */
int schedule_start(const struct repo *repo, const struct schedule_backend *be,
		   struct schedule_outcome *out, struct rt_err *err);

/*
 * Stop maintaining `repo` (any repository: reftable or not any more):
 * unregister it and, when no repository is left, remove the entries of
 * both backends (so that one switched to by hand is cleaned up too).
 */
int schedule_stop(const struct repo *repo, struct schedule_outcome *out,
		  struct rt_err *err);

#endif
