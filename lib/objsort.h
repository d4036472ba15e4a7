/*
 * objsort.h: sorting (object id, ref block position) pairs in bounded
 * memory, for the obj blocks of a table.
 *
 * A table's obj section lists every object id its refs point at, sorted;
 * a table of a million refs has a million ids. Pairs are gathered in runs
 * of at most `mem_limit` bytes; a full run is sorted and spilled to an
 * unnamed temp file, and reading merges the runs. A table whose pairs fit
 * in one run never touches the disk.
 */
#ifndef RT_OBJSORT_H
#define RT_OBJSORT_H

#include "lib/include/rt-error.h"

#include <stddef.h>
#include <stdint.h>

struct rt_objsort;

/* `temp_dir` NULL means $TMPDIR, else /tmp. */
int rt_objsort_new(struct rt_objsort **out, int hash_size, size_t mem_limit,
		   const char *temp_dir, struct rt_err *err);
int rt_objsort_add(struct rt_objsort *s, const uint8_t *hash, uint64_t pos,
		   struct rt_err *err);
size_t rt_objsort_count(const struct rt_objsort *s);
/*
 * Start (or restart) reading the pairs in (hash, pos) order. A read after
 * the first sorts nothing: the first saves what it sorts in the temp file.
 */
int rt_objsort_rewind(struct rt_objsort *s, struct rt_err *err);
/* 0: pair filled; 1: end; < 0: error. */
int rt_objsort_next(struct rt_objsort *s, uint8_t *hash, uint64_t *pos,
		    struct rt_err *err);
void rt_objsort_free(struct rt_objsort *s);

#endif
