/*
 * job.h: what every schedule entry runs, whichever backend holds it:
 * `<program> fleet run --registered --quiet --schedule=<f>`, with
 * git-reftable named by absolute path and an explicit PATH, at one minute
 * of the hour. --quiet: cron mails what a job prints, so only problems.
 *
 * cron starts jobs with a minimal PATH (often /usr/bin:/bin), where
 * neither a git nor a git-reftable installed elsewhere would be found:
 * the PATH recorded holds the directories of the git and git-reftable
 * found when the schedule was started, then the usual system ones.
 */
#ifndef PLUGIN_SCHEDULE_JOB_H
#define PLUGIN_SCHEDULE_JOB_H

#include "lib/include/rt-error.h"
#include "policy/policy.h"

/*
 * The frequencies a schedule has entries for are POLICY_HOURLY to
 * POLICY_WEEKLY; arrays over them are indexed by enum policy_freq and
 * have this many elements.
 */
#define SCHEDULE_FREQS (POLICY_WEEKLY + 1)

/* What follows the program's path in an entry; the frequency follows. */
#define SCHEDULE_JOB_ARGS "fleet run --registered --quiet --schedule="

struct schedule_job {
	char *program; /* absolute path of git-reftable */
	char *path_env; /* PATH the job runs with */
	int minute; /* 0..59 */
};

/*
 * The job for this user on this host: ourselves, the PATH described
 * above, and a minute that stays the same for a user on a host (so that
 * starting again changes nothing) but differs between hosts (so that a
 * fleet of servers does not start maintenance all at once). Release it
 * with schedule_job_release(), also after an error. RT_ERR_NOT_EXIST when
 * git is not on PATH or our own path cannot be found.
 */
int schedule_job_make(struct schedule_job *job, struct rt_err *err);
void schedule_job_release(struct schedule_job *job);

/*
 * Entries name the program and PATH verbatim, and control characters
 * cannot be quoted in them: RT_ERR_API when either has one, or one of the
 * characters in `also` (may be NULL), naming what and which.
 */
int schedule_job_check(const struct schedule_job *job, const char *also,
		       struct rt_err *err);

#endif
