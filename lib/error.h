/*
 * error.h: the library's error codes and the message buffer that carries
 * the details (file, offset, what was wrong) up to the caller.
 *
 * Every fallible lib/ function returns 0 on success or a negative
 * `enum rt_error`; when given a `struct rt_err`, it also fills in a message
 * that names the file and offset. Only plugin/ prints messages.
 */
#ifndef RT_ERROR_H
#define RT_ERROR_H

enum rt_error {
	RT_OK = 0,
	/* A system call failed; errno is part of the message. */
	RT_ERR_IO = -1,
	/* A table or tables.list is malformed (truncated, bad CRC, ...). */
	RT_ERR_FORMAT = -2,
	/* A file that should exist does not. */
	RT_ERR_NOT_EXIST = -3,
	/* A lock is held by someone else. */
	RT_ERR_LOCK = -4,
	/* The stack changed under us; reload and retry. */
	RT_ERR_OUTDATED = -5,
	/* The caller broke an API rule (unsorted keys, bad option, ...). */
	RT_ERR_API = -6,
	/* zlib reported an error. */
	RT_ERR_ZLIB = -7,
	/* Out of memory. */
	RT_ERR_NOMEM = -8,
	/* A record does not fit into a block of the configured size. */
	RT_ERR_TOO_BIG = -9,
	/* A name (table file name, ref name) is not acceptable. */
	RT_ERR_NAME = -10,
};

/* A short constant name for an error code, e.g. "format error". */
const char *rt_error_name(int code);

struct rt_err {
	int code;
	char msg[1024];
};

/*
 * Record an error in `err` (which may be NULL) and return `code`, so a
 * failure site reads `return rt_err_set(err, RT_ERR_FORMAT, "...")`. The
 * first error set wins: callers further up may add context with
 * rt_err_prefix() but do not overwrite the root cause.
 */
int rt_err_set(struct rt_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like rt_err_set() with strerror(errno) appended. */
int rt_err_errno(struct rt_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend context ("compacting stack: ") to an existing message. */
void rt_err_prefix(struct rt_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The one out-of-memory report: sets RT_ERR_NOMEM with the message "out of
 * memory" and returns RT_ERR_NOMEM. Needs no allocation of its own.
 */
int rt_err_oom(struct rt_err *err);

void rt_err_clear(struct rt_err *err);

#endif
