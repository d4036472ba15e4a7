/*
 * logfile.c: opening, rotating and appending to a log.
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin/util/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int open_append(const char *path)
{
	return open(path,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0666);
}

int logfile_open(const char *path)
{
	int fd = open_append(path);
	struct stat st;
	char *old;

	/* A FIFO or device has no size to keep down. */
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size < LOGFILE_MAX)
		return fd;
	close(fd);
	if (asprintf(&old, "%s.1", path) >= 0) {
		if (rename(path, old)) {
			/* Then the full log grows on: still a log. */
		}
		free(old);
	}
	return open_append(path);
}

void logfile_stamp(char buf[LOGFILE_STAMP_LEN], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (!strftime(buf, LOGFILE_STAMP_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		buf[0] = '\0';
}

int logfile_append(const char *path, const char *tag, const char *msg,
		   size_t len)
{
	char stamp[LOGFILE_STAMP_LEN], *line;
	int fd, n, saved, ret = 0;

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	logfile_stamp(stamp, time(NULL));
	n = asprintf(&line, "%s %s: %.*s\n", stamp, tag, (int)len, msg);
	if (n < 0)
		return -1;
	fd = logfile_open(path);
	if (fd < 0 || write(fd, line, n) != n)
		ret = -1;
	saved = errno;
	if (fd >= 0)
		close(fd);
	free(line);
	errno = saved;
	return ret;
}
