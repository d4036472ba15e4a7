/*
 * runlock.c: the flock(2) run lock.
 */
#include "scheduler/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int sched_runlock_acquire(struct sched_runlock *l, const char *path,
			  mode_t mode, char *msg, size_t msglen)
{
	char pid[32];
	int fd, n;

	l->fd = -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  mode ? mode : 0666);
	if (fd < 0) {
		snprintf(msg, msglen, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		long holder;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			snprintf(msg, msglen, "cannot lock %s: %s", path,
				 strerror(errno));
			close(fd);
			return -1;
		}
		holder = holder_pid(fd);
		if (holder > 0)
			snprintf(msg, msglen,
				 "another git reftable run (pid %ld) is "
				 "active",
				 holder);
		else
			snprintf(msg, msglen,
				 "another git reftable run is active");
		close(fd);
		return 1;
	}
	/* Only for messages: a failed write changes no decision. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)n, 0);
	l->fd = fd;
	return 0;
}

void sched_runlock_release(struct sched_runlock *l)
{
	if (l->fd < 0)
		return;
	/* The file stays (see runlock.h); closing drops the lock. */
	(void)!ftruncate(l->fd, 0);
	close(l->fd);
	l->fd = -1;
}
