/*
 * runlock.h: the run lock, $GIT_COMMON_DIR/reftable-run.lock, which lets
 * one `git reftable run` at a time work on a repository.
 *
 * It is an flock(2) lock on that file rather than an O_EXCL lock file as
 * Git uses for tables.list: the kernel drops an flock lock when its holder
 * exits, however it exits (crash, SIGKILL, OOM killer, reboot), so there
 * is never a stale run lock to detect by age or to clean up. Age would be
 * a poor test here anyway, since a large compaction may legitimately run
 * for a long time. The file itself stays (removing it would race with a
 * process that opened it and is about to lock it); it holds the pid of
 * the last holder, for messages. On Linux, flock on NFS is carried out as
 * an fcntl byte-range lock, so it works there too.
 */
#ifndef SCHED_RUNLOCK_H
#define SCHED_RUNLOCK_H

#include <stddef.h>
#include <sys/types.h>

#define SCHED_RUNLOCK_FILE "reftable-run.lock"

struct sched_runlock {
	int fd; /* -1 when not held */
};

/* clang-format off */
#define SCHED_RUNLOCK_INIT { -1 }
/* clang-format on */

/*
 * Take the lock without waiting. Returns 0 when held, 1 when another
 * process holds it (`msg` names its pid when known), -1 on an error
 * (`msg` says which). `mode` is for creating the file (0: 0666), less the
 * umask. The descriptor is close-on-exec, so programs we start do not
 * hold it.
 */
int sched_runlock_acquire(struct sched_runlock *l, const char *path,
			  mode_t mode, char *msg, size_t msglen);
/* Give the lock up; safe on a lock not held. */
void sched_runlock_release(struct sched_runlock *l);

#endif
