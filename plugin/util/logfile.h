/*
 * logfile.h: the append-only logs of work nobody watches: the hooks'
 * ($GIT_COMMON_DIR/reftable-hook.log) and a detached run's
 * ($GIT_COMMON_DIR/reftable-maintenance.log). Every line of each starts
 * with the time (logfile_stamp()).
 *
 * A log is kept small: once it reached LOGFILE_MAX bytes it moves to
 * <log>.1 (replacing the generation before) and a new one starts, so at
 * most about twice that stays on disk.
 */
#ifndef PLUGIN_UTIL_LOGFILE_H
#define PLUGIN_UTIL_LOGFILE_H

#include "lib/include/rt-error.h"

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define LOGFILE_MAX (1024 * 1024)

/*
 * Open the log `path`, a file directly in the directory open at `dirfd`
 * (rt_file_at_name(): AT_FDCWD opens `path` itself), for appending,
 * rotating it first when it is full; `path` names it in errors. However
 * the directory's path changes meanwhile, the log stays in that
 * directory. Created with `mode` (the repository's, core.sharedRepository;
 * 0: 0666 less the umask), never through a symlink; a FIFO, device or
 * directory there is refused (rt-file.h). The descriptor is
 * close-on-exec. Returns it, or a negative rt_error with `err` set.
 * Processes racing to rotate may lose one old generation between them,
 * never a line of the new log.
 */
int logfile_open_at(int dirfd, const char *path, mode_t mode,
		    struct rt_err *err);

/* The time every log writes: ISO 8601 in UTC, "2026-01-01T12:00:00Z". */
#define LOGFILE_STAMP_LEN 21
void logfile_stamp(char buf[LOGFILE_STAMP_LEN], time_t t);

/*
 * Append "<logfile_stamp> <tag>: <msg>" and a newline to the log opened
 * as logfile_open_at() does, in one write(2), so the lines of concurrent
 * writers never mix. Newlines ending `msg` are dropped. 0, or a negative
 * rt_error with `err` set (a short write, as on a full disk, is an error:
 * the line is not in the log).
 */
int logfile_append_at(int dirfd, const char *path, mode_t mode, const char *tag,
		      const char *msg, size_t len, struct rt_err *err);

/*
 * A pipe whose every line ends up in the log `fd` as "<logfile_stamp>
 * <line>" in one write(2) (a line longer than 4 KiB is cut in pieces,
 * each stamped): for output that only a log will see, such as a detached
 * run's, whatever prints it (this program or the git it starts). A relay
 * process, `*relay`, reads the pipe until every writer closed it, keeping
 * nothing else open; the caller may wait for it or leave it. Returns the
 * pipe's write end (close-on-exec), or a negative rt_error.
 */
int logfile_relay(int fd, pid_t *relay, struct rt_err *err);

#endif
