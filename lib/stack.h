/*
 * stack.h: a reftable stack directory: tables.list and the tables it names.
 *
 * Opening follows the reader protocol of the format: read tables.list,
 * open every table; if one has vanished (a concurrent compaction replaced
 * it), read tables.list again.
 */
#ifndef RT_STACK_H
#define RT_STACK_H

#include "lib/merged.h"

struct rt_stack {
	char *dir;
	char *list_path;
	struct rt_table **tables; /* oldest first */
	size_t n;
};

int rt_stack_open(struct rt_stack **out, const char *dir, struct rt_err *err);
void rt_stack_close(struct rt_stack *st);

/* The stack's hash (from its first table); SHA-1 for an empty stack. */
enum rt_hash rt_stack_hash_id(const struct rt_stack *st);
/* Highest update index in the stack; 0 when empty. */
uint64_t rt_stack_max_update_index(const struct rt_stack *st);

/*
 * Whether `name` is a table file name as Git makes them:
 * 0x<min>-0x<max>-<8 hex>.ref (or .log), indexes of 12 to 16 hex digits.
 * Anything else in tables.list (paths, "..", other files) is refused.
 */
bool rt_stack_valid_table_name(const char *name);

/*
 * Read tables.list into a NULL-terminated array of names (oldest first);
 * a missing file is an empty stack. Each name is validated.
 */
int rt_stack_read_list(const char *list_path, char ***names,
		       struct rt_err *err);
void rt_stack_free_names(char **names);

/* Tables [start, end) to compact together; empty when end - start < 2. */
struct rt_segment {
	size_t start;
	size_t end;
	uint64_t bytes;
};

/*
 * Git's geometric rule: walking from the newest table, find the first table
 * whose older neighbour is smaller than `factor` times it; then extend the
 * segment towards older tables while each is smaller than `factor` times
 * the bytes gathered so far. `factor` 0 means 2.
 */
struct rt_segment rt_suggest_segment(const uint64_t *sizes, size_t n,
				     unsigned factor);

/* Table sizes as the geometric rule sees them (size minus header - 1). */
uint64_t rt_stack_table_weight(const struct rt_table *t);
#endif
