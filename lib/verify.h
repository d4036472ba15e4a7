/*
 * verify.h: what verify.c (the stack) and verify_table.c (each table)
 * share while they check: the context and the way findings are recorded.
 */
#ifndef RT_LIB_VERIFY_H
#define RT_LIB_VERIFY_H

#include "lib/include/rt-verify.h"

#include <stdbool.h>
#include <stddef.h>

struct rt_table;

/* Names in messages are cut to this length: they may be garbage. */
#define VERIFY_SHOWN 120

struct vctx {
	const char *dir;
	const struct rt_verify_options *opts;
	struct rt_verify_result *res;
	char *list_path;
	struct rt_buf list; /* tables.list as read */
	bool nomem; /* a finding could not be recorded: the check fails */
};

/*
 * Record a problem with `file` (a name in the stack directory), of table
 * `table` (an index into res->tables) or of RT_VERIFY_STACK.
 */
__attribute__((format(printf, 4, 5))) void
rt_verify_problem(struct vctx *c, size_t table, const char *file,
		  const char *fmt, ...);

/*
 * Check table `ti` of res->tables, open as `t`: fills in its counts,
 * version and hash, and records what is wrong with it.
 */
void rt_verify_check_table(struct vctx *c, size_t ti, struct rt_table *t);

#endif
