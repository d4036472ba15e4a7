/*
 * spawn.h: running other programs (git, crontab, systemctl) and finding
 * them and ourselves by absolute path.
 *
 * Programs are looked up on PATH here rather than by execvp(), so that a
 * missing program is told apart from one that ran and failed, and so that
 * schedule entries can name them by absolute path.
 */
#ifndef PLUGIN_SPAWN_H
#define PLUGIN_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct spawn_result {
	char *out; /* everything the program wrote to stdout, NUL-terminated */
	size_t outlen;
	char *err; /* stderr, NUL-terminated, trailing newlines removed */
};

/*
 * The absolute path of `name` as execvp() would find it on PATH (a name
 * with a '/' is taken as is, made absolute); NULL when there is none.
 */
char *spawn_find(const char *name);
/* Whether spawn_find() finds `name`. */
bool spawn_have(const char *name);

/* The absolute path of the running executable, or NULL. */
char *spawn_self(void);

/*
 * Run argv (argv[0] looked up with spawn_find()) with `in` on stdin and
 * wait for it. With `res`, stdout and stderr are captured into it (free
 * with spawn_result_release()); without, they are inherited. Returns the
 * exit status (128 + the signal number when killed), or -1 when the
 * program could not be started: then `why` (may be NULL) says why, e.g.
 * "not found on PATH".
 */
int spawn_run(const char *const *argv, const char *in, size_t inlen,
	      struct spawn_result *res, const char **why);
void spawn_result_release(struct spawn_result *res);

/*
 * Print "error: '<argv joined by spaces>' failed (exit <status>): <err>"
 * for a program that ran and failed.
 */
void spawn_report_failure(const char *const *argv, int status,
			  const struct spawn_result *res);

#endif
