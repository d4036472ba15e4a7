/*
 * pidlock.h: "one process at a time" locks: an flock(2) lock on a file
 * that also names the holder's pid, for messages and for people (and
 * tests) waiting on the holder. The run lock ($GIT_COMMON_DIR/
 * reftable-run.lock) and the hooks' compaction lock
 * ($GIT_COMMON_DIR/reftable-hook.flock) are such locks.
 *
 * flock rather than an O_EXCL lock file as Git uses for tables.list: the
 * kernel drops an flock lock when its holder exits, however it exits
 * (crash, SIGKILL, OOM killer, reboot), so there is never a stale lock to
 * detect by age or to clean up. Age would be a poor test anyway: a large
 * compaction may rightly hold a lock for a long time. The file itself
 * stays (removing it would race with a process that opened it and is
 * about to lock it). On Linux, flock on NFS is carried out as an fcntl
 * byte-range lock, so it works there too.
 *
 * The lock belongs to the open file, so a child forked while it is held
 * holds it too, until the last copy of the descriptor is closed.
 */
#ifndef PLUGIN_UTIL_PIDLOCK_H
#define PLUGIN_UTIL_PIDLOCK_H

#include "lib/include/rt-error.h"

#include <stdbool.h>
#include <sys/types.h>

struct pidlock {
	int fd; /* -1: file not open */
	bool held;
};

/* clang-format off */
#define PIDLOCK_INIT { -1, false }
/* clang-format on */

/*
 * Open `path`, a file directly in the directory open at `dirfd`
 * (rt_file_at_name(): AT_FDCWD opens `path` itself; `path` names it in
 * errors), created with exactly `mode`, or 0666 less the umask for 0;
 * never through a symlink, and a FIFO or device there is refused;
 * close-on-exec, so programs we start do not hold it; and take the lock
 * without waiting. Returns 0 when held (our pid is then
 * in the file); 1 when another process holds it, *holder set to its pid
 * when the file names a live one, else 0 (the file is closed again);
 * a negative rt_error with `err` when the file cannot be opened or locked.
 */
int pidlock_acquire_at(struct pidlock *l, int dirfd, const char *path,
		       mode_t mode, long *holder, struct rt_err *err);

/* Name `pid` as the holder in the file (best effort: only informative). */
void pidlock_note(struct pidlock *l, pid_t pid);

/*
 * Let go of the lock, keeping the file open for pidlock_retake(). Another
 * process may take it at once; the file keeps our pid until it does.
 */
void pidlock_unlock(struct pidlock *l);

/* Take an unlocked lock again without waiting: 0 held, 1 busy. */
int pidlock_retake(struct pidlock *l);

/*
 * After fork(): the child `pid`, which inherited the descriptor, goes on
 * holding the lock. Names it in the file and closes our descriptor only.
 */
void pidlock_hand_over(struct pidlock *l, pid_t pid);

/*
 * Give the lock up and close the file; while still held, the pid is
 * cleared first. Safe on a lock never taken or already released.
 */
void pidlock_release(struct pidlock *l);

#endif
