/*
 * pidlock.c: flock(2) locks naming their holder.
 */
#include "plugin/util/pidlock.h"
#include "lib/include/rt-file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

/*
 * The pid the holder wrote, or 0 when unknown: a holder that is not ours
 * (flock(1), say) writes none, and the last holder's may linger.
 */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM) ? pid :
									 0;
}

/* LOCK_EX without waiting: 0 held, 1 busy, -1 error (errno set). */
static int try_lock(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return 1;
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int pidlock_acquire_at(struct pidlock *l, int dirfd, const char *path,
		       mode_t mode, long *holder, struct rt_err *err)
{
	int fd, ret;

	l->fd = -1;
	l->held = false;
	*holder = 0;
	/* Never through a symlink, never a FIFO (rt-file.h). */
	fd = rt_file_open_at(dirfd, rt_file_at_name(dirfd, path), path,
			     O_RDWR | O_CREAT, mode, err);
	if (fd < 0)
		return fd;
	ret = try_lock(fd);
	if (ret < 0) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot lock %s", path);
		close(fd);
		return ret;
	}
	if (ret > 0) {
		*holder = holder_pid(fd);
		close(fd);
		return 1;
	}
	l->fd = fd;
	l->held = true;
	pidlock_note(l, getpid());
	return 0;
}

void pidlock_note(struct pidlock *l, pid_t pid)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);

	if (l->fd < 0 || ftruncate(l->fd, 0) || pwrite(l->fd, buf, n, 0) != n) {
		/* Only informative: a failed write changes no decision. */
	}
}

void pidlock_unlock(struct pidlock *l)
{
	if (l->fd >= 0 && l->held)
		flock(l->fd, LOCK_UN);
	l->held = false;
}

int pidlock_retake(struct pidlock *l)
{
	if (l->fd < 0 || try_lock(l->fd))
		return 1;
	l->held = true;
	/* Someone may have held it meanwhile and named themselves. */
	pidlock_note(l, getpid());
	return 0;
}

void pidlock_hand_over(struct pidlock *l, pid_t pid)
{
	pidlock_note(l, pid);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->held = false;
}

void pidlock_release(struct pidlock *l)
{
	if (l->fd < 0)
		return;
	/* Not held: the pid may be the next holder's by now. */
	if (l->held && ftruncate(l->fd, 0)) {
		/* Only informative. */
	}
	/* Closing the last descriptor drops the lock. */
	close(l->fd);
	l->fd = -1;
	l->held = false;
}
