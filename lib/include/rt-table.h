/*
 * rt-table.h: one reftable file, opened read-only.
 *
 * Opening maps the file and validates its header and footer (magic,
 * version, hash id, CRC-32, section offsets); blocks are validated as
 * reading reaches them (rt-iter.h). A table never changes once written, so
 * an open table is read without any lock, and several threads may read
 * one table at once through iterators of their own.
 */
#ifndef RT_TABLE_H
#define RT_TABLE_H

#include "rt-basics.h"
#include "rt-error.h"

#include <stdint.h>

/* An open table (opaque). */
struct rt_table;

/*
 * Open the table at `path`. RT_ERR_NOT_EXIST when there is no such file,
 * RT_ERR_FORMAT when it is not a valid table. Close it with
 * rt_table_close(). Tables obtained from a stack (rt_stack_table()) belong
 * to the stack: never close those.
 */
int rt_table_open(struct rt_table **out, const char *path, struct rt_err *err);
/* Unmap and free the table; `t` may be NULL. */
void rt_table_close(struct rt_table *t);

/* The file name without its directory; valid as long as the table. */
const char *rt_table_name(const struct rt_table *t);
/* The file's size in bytes. */
uint64_t rt_table_size(const struct rt_table *t);
/* The table's hash (version 1 tables are SHA-1). */
enum rt_hash rt_table_hash_id(const struct rt_table *t);
/* The range of update indexes the table's header declares. */
uint64_t rt_table_min_update_index(const struct rt_table *t);
uint64_t rt_table_max_update_index(const struct rt_table *t);

#endif
