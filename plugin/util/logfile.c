/*
 * logfile.c: opening, rotating and appending to a log.
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin/util/logfile.h"
#include "lib/include/rt-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Never through a symlink, never a FIFO or device (rt-file.h). */
static int open_append(const char *path, mode_t mode, struct rt_err *err)
{
	return rt_file_open_at(AT_FDCWD, path, path,
			       O_WRONLY | O_APPEND | O_CREAT, mode, err);
}

int logfile_open(const char *path, mode_t mode, struct rt_err *err)
{
	struct rt_err local = { 0 };
	int fd = open_append(path, mode, &local);
	struct stat st;
	char *old;

	if (fd < 0 || fstat(fd, &st) || st.st_size < LOGFILE_MAX) {
		if (fd < 0 && err && !err->code)
			*err = local;
		return fd;
	}
	close(fd);
	/* rename() moves a symlink itself, never what it points to. */
	if (asprintf(&old, "%s.1", path) >= 0) {
		if (rename(path, old)) {
			/* Then the full log grows on: still a log. */
		}
		free(old);
	}
	return open_append(path, mode, err);
}

void logfile_stamp(char buf[LOGFILE_STAMP_LEN], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (!strftime(buf, LOGFILE_STAMP_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		buf[0] = '\0';
}

int logfile_append(const char *path, mode_t mode, const char *tag,
		   const char *msg, size_t len, struct rt_err *err)
{
	char stamp[LOGFILE_STAMP_LEN], *line;
	int fd, n, saved, ret = 0;
	ssize_t got;

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	logfile_stamp(stamp, time(NULL));
	n = asprintf(&line, "%s %s: %.*s\n", stamp, tag, (int)len, msg);
	if (n < 0)
		return rt_err_oom(err);
	fd = logfile_open(path, mode, err);
	if (fd < 0) {
		ret = fd;
	} else if ((got = write(fd, line, n)) != n) {
		/* A short write (a full disk) lost the line as surely. */
		if (got >= 0)
			errno = ENOSPC;
		ret = rt_err_errno(err, RT_ERR_IO, "cannot write %s", path);
	}
	saved = errno;
	if (fd >= 0)
		close(fd);
	free(line);
	errno = saved;
	return ret;
}
