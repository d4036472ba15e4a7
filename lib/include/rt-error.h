/*
 * rt-error.h: the library's error codes and the message buffer that
 * carries the details (file, offset, what was wrong) up to the caller.
 *
 * Every fallible function of the library returns 0 on success or a
 * negative `enum rt_error` (some return 1 for "end" or "not found", as
 * documented with them). Most take a `struct rt_err *` last, which may be
 * NULL; when it is not, the library fills in a message naming the file and
 * offset concerned. The library never prints: showing the message is the
 * caller's business.
 */
#ifndef RT_ERROR_H
#define RT_ERROR_H

/* printf format checking where the compiler has it (GCC, Clang). */
#ifdef __GNUC__
#define RT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RT_PRINTF(fmt, args)
#endif

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
	/* zlib or libdeflate reported an error. */
	RT_ERR_ZLIB = -7,
	/* Out of memory. */
	RT_ERR_NOMEM = -8,
	/* A record does not fit into a block of the configured size. */
	RT_ERR_TOO_BIG = -9,
	/* A name (table file name, ref name) is not acceptable. */
	RT_ERR_NAME = -10,
	/*
	 * A path belongs to another user and nothing says it may be used
	 * (callers apply their own rule; the plugin applies Git's).
	 */
	RT_ERR_UNSAFE = -11,
};

/* A short constant name for an error code, e.g. "format error". */
const char *rt_error_name(int code);

/*
 * The details of the first error of an operation. Zero-initialise it
 * (`struct rt_err err = { 0 };`) before use and rt_err_clear() it before
 * reusing it for another operation: a set error is never overwritten.
 * It owns no memory.
 */
struct rt_err {
	int code; /* 0 or the enum rt_error that was set */
	char msg[1024]; /* NUL-terminated; cut at the buffer's end */
};

/*
 * Record an error in `err` (which may be NULL) and return `code`, so a
 * failure site reads `return rt_err_set(err, RT_ERR_FORMAT, "...")`. The
 * first error set wins: callers further up may add context with
 * rt_err_prefix() but do not overwrite the root cause.
 */
int rt_err_set(struct rt_err *err, int code, const char *fmt, ...)
	RT_PRINTF(3, 4);

/* Like rt_err_set() with ": " and strerror(errno) appended. */
int rt_err_errno(struct rt_err *err, int code, const char *fmt, ...)
	RT_PRINTF(3, 4);

/*
 * Prepend context ("compacting stack: ") to the message of a set error;
 * nothing when `err` is NULL or holds no error.
 */
void rt_err_prefix(struct rt_err *err, const char *fmt, ...) RT_PRINTF(2, 3);

/*
 * The one out-of-memory report: sets RT_ERR_NOMEM with the message "out of
 * memory" and returns RT_ERR_NOMEM. Needs no allocation of its own.
 */
int rt_err_oom(struct rt_err *err);

/* Forget the error (code 0, empty message); `err` may be NULL. */
void rt_err_clear(struct rt_err *err);

#endif
