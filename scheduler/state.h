/*
 * state.h: the maintenance state file, $GIT_COMMON_DIR/
 * reftable-maintenance.state: when each task last ran, how it ended and
 * how long it took. An INI file, one section per task:
 *
 *   [expire]
 *   last-run = 1763742000
 *   outcome = done
 *   duration-ms = 12
 *   last-check = 1763828400
 *   policy = 5d1c0e33a9f2b7c4
 *
 * policy (sched_policy_digest()) is saved with each task that ran;
 * last-check, and policy for clean and expire whether they ran or not,
 * by the runs the reference-transaction hook starts, so that the hook
 * knows when it last looked and with which policy.
 *
 * Only maintenance runs (maint_run(): `git reftable run`, the runs the
 * hooks start) write it, under the run lock; it is replaced
 * atomically (temp file, fsync, rename, directory fsync), so a reader sees
 * the old or the new file, never a mix. Losing it costs little: every task
 * counts as never run, and the next scheduled run does everything.
 */
#ifndef SCHED_STATE_H
#define SCHED_STATE_H

#include "lib/include/rt-error.h"
#include "scheduler/plan.h"

#include <sys/types.h>

#define SCHED_STATE_FILE "reftable-maintenance.state"

/*
 * Parse state text. Unknown sections and keys are ignored (a newer version
 * may add some); a bad value is an RT_ERR_FORMAT naming its line, and
 * leaves the state empty. `name` only names the file in messages.
 */
int sched_state_parse(struct sched_state *st, const char *text,
		      const char *name, struct rt_err *err);

/*
 * Read `path`; a missing file is an empty state. 0, or RT_ERR_IO,
 * RT_ERR_FORMAT (then the state is empty), RT_ERR_NOMEM.
 */
int sched_state_read(struct sched_state *st, const char *path,
		     struct rt_err *err);

/* The file's text for `st`, into buf; returns its length, or -1. */
int sched_state_format(const struct sched_state *st, char *buf, size_t len);

/*
 * Replace `path`, a file directly in the directory open at `dirfd`
 * (AT_FDCWD: `path` itself), with `st` through rt_file_replace_at(): a
 * reader sees the old file or the new one. `mode` 0 means 0600. 0, or
 * the error of rt_file_replace_at() (then `path` is as it was).
 */
int sched_state_write_at(const struct sched_state *st, int dirfd,
			 const char *path, mode_t mode, struct rt_err *err);

#endif
