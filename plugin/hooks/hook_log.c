/*
 * hook_log.c: the hooks' log, $GIT_COMMON_DIR/reftable-hook.log, and the
 * capture of whatever else reaches stdout or stderr into it.
 */
#define _GNU_SOURCE /* vasprintf */
#include "plugin/hooks/hook.h"
#include "plugin/util/logfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* One line "<UTC time> <event>[<pid>]: <msg>" in the log. */
static void log_line(const struct hook *h, const char *msg, size_t len)
{
	struct rt_err err = { 0 };
	char tag[64];

	if (!h->log_path)
		return;
	snprintf(tag, sizeof(tag), "%s[%d]", h->event, (int)getpid());
	if (!logfile_append_at(h->dirfd, h->log_path, h->mode, tag, msg, len,
			       &err) ||
	    !h->unlogged)
		return;
	/*
	 * Not lost silently (a full disk, a log that is not a regular
	 * file): the command shows these on Git's stderr, where a warning
	 * fails nothing. A line from a detached child is lost with it.
	 */
	while (len && msg[len - 1] == '\n')
		len--;
	(void)(rt_buf_addstr(h->unlogged, err.msg) ||
	       rt_buf_addstr(h->unlogged, "; not logged: ") ||
	       rt_buf_addstr(h->unlogged, tag) ||
	       rt_buf_addstr(h->unlogged, ": ") ||
	       rt_buf_add(h->unlogged, msg, len) ||
	       rt_buf_addch(h->unlogged, '\n'));
}

void hook_logf(const struct hook *h, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_line(h, msg, n);
	free(msg);
}

void hook_log_error(void *arg, const char *msg)
{
	hook_logf(arg, "error: %s", msg);
}

void hook_log_warning(void *arg, const char *msg)
{
	hook_logf(arg, "warning: %s", msg);
}

void hook_log_line(void *arg, const char *text)
{
	hook_logf(arg, "%s", text);
}

void hook_capture_begin(struct hook_capture *c)
{
	fflush(stdout);
	fflush(stderr);
	c->tmp = tmpfile();
	if (!c->tmp)
		return;
	for (int fd = 1; fd <= 2; fd++) {
		c->saved[fd - 1] = dup(fd);
		dup2(fileno(c->tmp), fd);
	}
}

void hook_capture_end(struct hook_capture *c, const struct hook *h)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	if (!c->tmp)
		return;
	for (int fd = 1; fd <= 2; fd++) {
		if (c->saved[fd - 1] >= 0) {
			dup2(c->saved[fd - 1], fd);
			close(c->saved[fd - 1]);
		}
	}
	rewind(c->tmp);
	while ((n = getline(&line, &cap, c->tmp)) > 0)
		log_line(h, line, n);
	free(line);
	fclose(c->tmp);
	c->tmp = NULL;
}
