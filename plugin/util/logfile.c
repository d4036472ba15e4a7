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
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The longest piece of a line the relay writes at once. */
#define RELAY_LINE 4096

/* Never through a symlink, never a FIFO or device (rt-file.h). */
static int open_append(int dirfd, const char *path, mode_t mode,
		       struct rt_err *err)
{
	return rt_file_open_at(dirfd, rt_file_at_name(dirfd, path), path,
			       O_WRONLY | O_APPEND | O_CREAT, mode, err);
}

int logfile_open_at(int dirfd, const char *path, mode_t mode,
		    struct rt_err *err)
{
	struct rt_err local = { 0 };
	int fd = open_append(dirfd, path, mode, &local);
	const char *name = rt_file_at_name(dirfd, path);
	struct stat st;
	char *old;

	if (fd < 0 || fstat(fd, &st) || st.st_size < LOGFILE_MAX) {
		if (fd < 0 && err && !err->code)
			*err = local;
		return fd;
	}
	close(fd);
	/* rename() moves a symlink itself, never what it points to. */
	if (asprintf(&old, "%s.1", name) >= 0) {
		if (renameat(dirfd, name, dirfd, old)) {
			/* Then the full log grows on: still a log. */
		}
		free(old);
	}
	return open_append(dirfd, path, mode, err);
}

void logfile_stamp(char buf[LOGFILE_STAMP_LEN], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (!strftime(buf, LOGFILE_STAMP_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		buf[0] = '\0';
}

int logfile_append_at(int dirfd, const char *path, mode_t mode, const char *tag,
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
	fd = logfile_open_at(dirfd, path, mode, err);
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

/* "<stamp> <text>\n" in one write(2); best effort, as a log is. */
static void stamp_write(int out, const char *text, size_t n)
{
	char line[LOGFILE_STAMP_LEN + 1 + RELAY_LINE + 1];
	size_t k;

	logfile_stamp(line, time(NULL));
	k = strlen(line);
	line[k++] = ' ';
	memcpy(line + k, text, n);
	k += n;
	line[k++] = '\n';
	if (write(out, line, k) < 0) {
		/* A full disk loses the line; the run goes on. */
	}
}

/* The relay's work: stamp every line read from `in` onto `out`. */
static void relay_lines(int in, int out)
{
	char buf[RELAY_LINE];
	size_t have = 0;

	for (;;) {
		ssize_t got = read(in, buf + have, sizeof(buf) - have);
		char *start = buf, *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
		while ((nl = memchr(start, '\n', have - (start - buf)))) {
			stamp_write(out, start, nl - start);
			start = nl + 1;
		}
		have -= start - buf;
		memmove(buf, start, have);
		if (have == sizeof(buf)) {
			stamp_write(out, buf, have);
			have = 0;
		}
	}
	if (have)
		stamp_write(out, buf, have);
}

int logfile_relay(int fd, pid_t *relay, struct rt_err *err)
{
	int p[2], in, out;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return rt_err_errno(err, RT_ERR_IO, "cannot make a pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return rt_err_errno(err, RT_ERR_IO, "cannot fork");
	}
	if (pid > 0) {
		close(p[0]);
		*relay = pid;
		return p[1];
	}
	/*
	 * The relay keeps the pipe's read end (as 0) and the log (as 1),
	 * nothing else: a write end of any pipe held here would keep its
	 * reader waiting as long as the relay lives.
	 */
	in = p[0];
	out = fd == 0 ? dup(fd) : fd;
	if (out < 0 || (in != 0 && dup2(in, 0) < 0) ||
	    (out != 1 && dup2(out, 1) < 0))
		_exit(1);
	closefrom(2);
	relay_lines(0, 1);
	_exit(0);
}
