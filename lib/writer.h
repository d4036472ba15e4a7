/*
 * writer.h: writes one reftable file as a stream.
 *
 * Refs are added in ascending name order, then logs in ascending key order
 * (refname, then update index descending). Blocks go out through the
 * caller's write function as soon as they are full, so memory does not grow
 * with the number of records: the block index holds one entry per block,
 * and object ids for obj blocks are sorted in bounded memory (objsort.h).
 */
#ifndef RT_WRITER_H
#define RT_WRITER_H

#include "lib/error.h"
#include "lib/record.h"

#include <stdbool.h>

struct rt_write_options {
	/* reftable.blockSize; 0 means 4096. At most RT_MAX_BLOCK_SIZE. */
	uint32_t block_size;
	/* reftable.restartInterval; 0 means 16. */
	uint16_t restart_interval;
	/* 0 means SHA-1 (a version 1 table); SHA-256 writes version 2. */
	enum rt_hash hash_id;
	/* reftable.indexObjects = false. */
	bool skip_index_objects;
	/* No padding to block_size (the header then says block_size 0). */
	bool unpadded;
	/*
	 * Store log messages as given. Otherwise, as Git does, trailing
	 * newlines are replaced by exactly one and a message with an inner
	 * newline is refused.
	 */
	bool exact_log_message;
	/* zlib level for log blocks, 1-9; 0 means 9 (Git's choice). */
	int deflate_level;
	/*
	 * Memory for sorting object ids for obj blocks; beyond it they are
	 * sorted through an unnamed temp file in `temp_dir` ($TMPDIR, /tmp
	 * when NULL). 0 means 4 MiB.
	 */
	size_t obj_sort_memory;
	const char *temp_dir;
	/*
	 * Deflate log blocks on a helper thread while the caller encodes the
	 * next ones (zpipe.h). The table written is the same either way.
	 */
	bool deflate_thread;
};

/* Returns 0 or a negative rt_error; must write all `len` bytes. */
typedef int (*rt_write_fn)(void *arg, const void *data, size_t len);

struct rt_writer;

struct rt_writer_stats {
	uint64_t refs;
	uint64_t logs;
	uint64_t blocks;
	uint64_t bytes;
	int obj_id_len;
};

int rt_writer_new(struct rt_writer **out, rt_write_fn write, void *arg,
		  const struct rt_write_options *opts, struct rt_err *err);
/* Must be called before the first record. */
int rt_writer_set_limits(struct rt_writer *w, uint64_t min_update_index,
			 uint64_t max_update_index);
int rt_writer_add_ref(struct rt_writer *w, const struct rt_ref_record *ref,
		      struct rt_err *err);
int rt_writer_add_log(struct rt_writer *w, const struct rt_log_record *log,
		      struct rt_err *err);
/* Flush everything and write the footer. The writer stays to be freed. */
int rt_writer_close(struct rt_writer *w, struct rt_err *err);
const struct rt_writer_stats *rt_writer_stats(const struct rt_writer *w);
void rt_writer_free(struct rt_writer *w);

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
