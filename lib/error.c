/*
 * error.c: names for error codes and the message buffer helpers.
 */
#include "lib/include/rt-error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *rt_error_name(int code)
{
	switch (code) {
	case RT_OK:
		return "success";
	case RT_ERR_IO:
		return "I/O error";
	case RT_ERR_FORMAT:
		return "format error";
	case RT_ERR_NOT_EXIST:
		return "does not exist";
	case RT_ERR_LOCK:
		return "lock busy";
	case RT_ERR_OUTDATED:
		return "stack changed concurrently";
	case RT_ERR_API:
		return "invalid use of the API";
	case RT_ERR_ZLIB:
		return "zlib error";
	case RT_ERR_NOMEM:
		return "out of memory";
	case RT_ERR_TOO_BIG:
		return "record too big for block";
	case RT_ERR_NAME:
		return "invalid name";
	case RT_ERR_UNSAFE:
		return "owned by another user";
	}
	return "unknown error";
}

static int err_vset(struct rt_err *err, int code, int errnum, const char *fmt,
		    va_list ap)
{
	size_t n;

	if (!err || err->code)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	n = strlen(err->msg);
	if (errnum && n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
			 strerror(errnum));
	return code;
}

int rt_err_set(struct rt_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int rt_err_errno(struct rt_err *err, int code, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, errnum, fmt, ap);
	va_end(ap);
	return code;
}

void rt_err_prefix(struct rt_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	va_list ap;
	int n;

	if (!err || !err->code)
		return;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* Keep the root cause when the prefix already fills the buffer. */
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		memcpy(err->msg, old, sizeof(old));
	else
		memcpy(err->msg + n, old, sizeof(err->msg) - n - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

int rt_err_oom(struct rt_err *err)
{
	return rt_err_set(err, RT_ERR_NOMEM, "out of memory");
}

void rt_err_clear(struct rt_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
