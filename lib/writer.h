/*
 * writer.h: what the library's own writers need beyond rt-writer.h.
 */
#ifndef RT_LIB_WRITER_H
#define RT_LIB_WRITER_H

#include "lib/include/rt-writer.h"

/*
 * Move the update-index range of a finished table file without a ref
 * section (ref records store their update index relative to the minimum;
 * log keys hold theirs whole): rewrite it in the header and the footer,
 * with the footer's CRC, and fsync. Expiry uses it to place a table it
 * wrote unlocked above what other writers appended meanwhile.
 */
int rt_table_file_set_limits(const char *path, uint64_t min_update_index,
			     uint64_t max_update_index, struct rt_err *err);

/* Header and footer sizes of a table version (1 or 2). */
int rt_header_size(int version);
int rt_footer_size(int version);

#endif
