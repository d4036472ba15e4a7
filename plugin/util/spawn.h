/*
 * spawn.h: running other programs (git, crontab, systemctl, ourselves)
 * and finding them and ourselves by absolute path.
 *
 * Programs are looked up on PATH here rather than by execvp(), so that a
 * missing program is told apart from one that ran and failed, and so that
 * schedule entries can name them by absolute path. Nothing here prints:
 * failures are returned in a struct rt_err.
 */
#ifndef PLUGIN_UTIL_SPAWN_H
#define PLUGIN_UTIL_SPAWN_H

#include "lib/include/rt-error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct spawn_result {
	char *out; /* everything the program wrote to stdout, NUL-terminated */
	size_t outlen;
	char *err; /* stderr, NUL-terminated, trailing newlines removed */
};

/*
 * The absolute path of `name` as execvp() would find it on PATH (a name
 * with a '/' is taken as is, made absolute); NULL when there is none. The
 * caller frees it.
 */
char *spawn_find(const char *name);
/* Whether spawn_find() finds `name`. */
bool spawn_have(const char *name);

/* The absolute path of the running executable (the caller frees it), or
 * NULL. */
char *spawn_self(void);

/*
 * Run argv (argv[0] looked up with spawn_find()) with `in` on stdin (NULL:
 * /dev/null) and wait for it. With `res`, stdout and stderr are captured
 * into it (free with spawn_result_release(); left empty on error);
 * without, they are inherited. Returns the exit status (128 + the signal
 * number when killed), or a negative rt_error when the program could not
 * be started: then `err` says "cannot run <argv[0]>: <why>", e.g. "not
 * found on PATH".
 */
int spawn_run(const char *const *argv, const char *in, size_t inlen,
	      struct spawn_result *res, struct rt_err *err);

/*
 * spawn_run() for a program that must succeed: exit status 0, or
 * `ok_status` (say 1, for `git config --get` of a key that is not set; -1
 * for none). Returns that status; any other is reported by
 * spawn_failed() and returned as RT_ERR_IO. Output is always captured:
 * into `res` when given (released on error), else dropped.
 */
int spawn_run_ok(const char *const *argv, const char *in, size_t inlen,
		 int ok_status, struct spawn_result *res, struct rt_err *err);

void spawn_result_release(struct spawn_result *res);

/*
 * Set `err` for a program that ran and failed, as "'<argv joined by
 * spaces>' failed (exit <status>): <its stderr>" (`res` may be NULL).
 * Returns RT_ERR_IO.
 */
int spawn_failed(struct rt_err *err, const char *const *argv, int status,
		 const struct spawn_result *res);

/*
 * A program that runs beside us: we write its stdin through `to` and read
 * its stdout from `from`; its stderr is ours.
 */
struct spawn_pipe {
	pid_t pid; /* -1 when not started */
	FILE *to, *from;
};

/* clang-format off */
#define SPAWN_PIPE_INIT { -1, NULL, NULL }
/* clang-format on */

/*
 * Start argv as for spawn_run(). SIGPIPE is ignored from then on, so that
 * a program that died shows as a write error instead of killing us. On
 * error nothing is left running and `p` is as SPAWN_PIPE_INIT.
 */
int spawn_pipe_start(struct spawn_pipe *p, const char *const *argv,
		     struct rt_err *err);
/*
 * Close both pipes (the program sees the end of its input) and wait for
 * it. Its exit status, or -1 when it was not started. Safe to call twice.
 */
int spawn_pipe_finish(struct spawn_pipe *p);

/*
 * A program that runs while we do other things (a fleet runs many at
 * once): stdin /dev/null, stdout and stderr into unnamed temp files (no
 * pipe to keep drained), in a process group of its own so that
 * spawn_job_kill() also reaches whatever it started, and killed
 * (PR_SET_PDEATHSIG) should we die before it ends. The caller reaps
 * j->pid with waitpid() and hands the status to spawn_job_finish().
 */
struct spawn_job {
	pid_t pid; /* -1 when not running */
	FILE *out, *err;
};

/* clang-format off */
#define SPAWN_JOB_INIT { -1, NULL, NULL }
/* clang-format on */

/* Start argv as spawn_run() would, without waiting. */
int spawn_job_start(struct spawn_job *j, const char *const *argv,
		    struct rt_err *err);
/* SIGKILL to the job's process group. */
void spawn_job_kill(const struct spawn_job *j);
/*
 * After waitpid() gave `wstatus` for j->pid: its output into `res` (may be
 * NULL; as spawn_run()'s), the files closed, `j` as SPAWN_JOB_INIT. The
 * exit status (128 + the signal number when killed), or RT_ERR_NOMEM when
 * the output cannot be read.
 */
int spawn_job_finish(struct spawn_job *j, int wstatus,
		     struct spawn_result *res);

#endif
