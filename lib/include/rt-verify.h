/*
 * rt-verify.h: checking a stack directory without changing it.
 *
 * Everything a reader can check is checked: tables.list names, every listed
 * table opens (header, footer, CRC-32), every record of the ref, log and
 * obj sections and every index block decodes, keys are strictly ascending
 * across whole sections, ref records lie in their table's update-index
 * range, tables' ranges increase along the stack, one hash for the stack.
 * Leftovers (orphan tables, temp files, lock files) are notes, not
 * problems: they are what interrupted or concurrent writers leave.
 *
 * Findings are collected in a result; nothing is printed.
 */
#ifndef RT_VERIFY_H
#define RT_VERIFY_H

#include "rt-basics.h"
#include "rt-error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct rt_verify_options {
	/* The repository's hash; every table must use it. 0: any one hash. */
	enum rt_hash expected_hash;
	/* Locks at least this old are called stale in notes. 0: 1 hour. */
	uint64_t stale_lock_seconds;
	/* The current time; 0 means time(NULL). */
	time_t now;
	/* Told after each table: `done` of `total` checked; may be NULL. */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
};

enum rt_verify_kind {
	RT_VERIFY_PROBLEM,
	RT_VERIFY_NOTE,
};

/* `table` of an issue about the stack as a whole (tables.list, files). */
#define RT_VERIFY_STACK ((size_t)-1)

struct rt_verify_issue {
	enum rt_verify_kind kind;
	/* Index into rt_verify_result.tables, or RT_VERIFY_STACK. */
	size_t table;
	/* The file concerned, a name inside the stack directory. */
	char *file;
	/* Names the file's path and the offset (or tables.list line). */
	char *msg;
};

/* One table named by tables.list, in the order listed (oldest first). */
struct rt_verify_table {
	char *name;
	bool opened; /* false: missing or header/footer unreadable */
	uint64_t bytes;
	int version;
	enum rt_hash hash;
	uint64_t min_update_index, max_update_index;
	/* Records seen, deletions included. */
	uint64_t refs, logs, objs, index_records;
	size_t problems;
};

struct rt_verify_result {
	struct rt_verify_table *tables;
	size_t ntables;
	struct rt_verify_issue *issues;
	size_t nissues;
	size_t problems, notes;
};

/*
 * Check the stack in `dir` (no stack handle is needed: nothing is locked
 * and nothing kept open) and fill `res`, which owns every string in it
 * (release it with rt_verify_result_release() in every case). Returns 0
 * when the checks ran, whatever they found (see res->problems); < 0 only
 * when they could not run (out of memory). A listed table that vanishes
 * while tables.list changes (a concurrent compaction) is not a problem:
 * the check restarts.
 */
int rt_verify_stack(const char *dir, const struct rt_verify_options *opts,
		    struct rt_verify_result *res, struct rt_err *err);
/* Free what `res` holds; it is then zeroed. */
void rt_verify_result_release(struct rt_verify_result *res);

#endif
