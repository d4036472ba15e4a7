/*
 * rt-writer.h: writes one reftable file as a stream.
 *
 * Refs are added in ascending name order, then logs in ascending key order
 * (refname, then update index descending): rt_ref_record_cmp() and
 * rt_log_record_cmp() sort them so. Blocks go out through the caller's
 * write function as soon as they are full, so memory does not grow with
 * the number of records: the block index holds one entry per block, and
 * object ids for obj blocks are sorted in bounded memory. To add a table
 * to a stack, use rt_stack_add() (rt-stack.h), which hands out a writer.
 */
#ifndef RT_WRITER_H
#define RT_WRITER_H

#include "rt-error.h"
#include "rt-record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How to write a table; zero means the default everywhere. */
struct rt_write_options {
	/* reftable.blockSize; 0 means 4096. 64 to RT_MAX_BLOCK_SIZE. */
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
	/*
	 * Deflate level for log blocks (libdeflate; 1-9 compare with zlib's),
	 * 1-9; 0 means 9 (Git's zlib level).
	 */
	int deflate_level;
	/*
	 * Memory for sorting object ids for obj blocks; beyond it they are
	 * sorted through an unnamed temp file in `temp_dir` ($TMPDIR, /tmp
	 * when NULL; it must outlive the writer). 0 means 4 MiB.
	 */
	size_t obj_sort_memory;
	const char *temp_dir;
	/*
	 * Deflate log blocks on a helper thread (pthreads) while the caller
	 * encodes the next ones. The table written is the same either way.
	 */
	bool deflate_thread;
};

/*
 * Where the table's bytes go, in order: `arg` is the one given to
 * rt_writer_new(). Returns 0 or a negative rt_error; must write all `len`
 * bytes.
 */
typedef int (*rt_write_fn)(void *arg, const void *data, size_t len);

/* A table being written (opaque). */
struct rt_writer;

/* What a writer wrote so far (all of it, once closed). */
struct rt_writer_stats {
	/* Records, not counting those of blocks copied unread. */
	uint64_t refs;
	uint64_t logs;
	/* Of the logs, those whose values were copied from a source block. */
	uint64_t logs_raw;
	uint64_t blocks;
	uint64_t blocks_copied; /* of them, copied from another table */
	uint64_t blocks_unread; /* of those, copied without being read */
	/* Copied from another table with updated refs written over. */
	uint64_t blocks_patched;
	uint64_t bytes;
	int obj_id_len;
};

/*
 * Start a table that goes out through `write`. `opts` is copied (NULL:
 * all defaults). Free the writer with rt_writer_free() in every case.
 */
int rt_writer_new(struct rt_writer **out, rt_write_fn write, void *arg,
		  const struct rt_write_options *opts, struct rt_err *err);
/*
 * The table's update-index range; every ref's update index must lie in
 * it. Must be called before the first record; RT_ERR_API otherwise or
 * when min > max.
 */
int rt_writer_set_limits(struct rt_writer *w, uint64_t min_update_index,
			 uint64_t max_update_index);
/*
 * Add a record; the writer copies what it needs, the record stays the
 * caller's. RT_ERR_API when it is out of order, or its update index is
 * outside the table's range (for a log: above it).
 */
int rt_writer_add_ref(struct rt_writer *w, const struct rt_ref_record *ref,
		      struct rt_err *err);
int rt_writer_add_log(struct rt_writer *w, const struct rt_log_record *log,
		      struct rt_err *err);
/* Flush everything and write the footer. The writer stays to be freed. */
int rt_writer_close(struct rt_writer *w, struct rt_err *err);
/* Valid until rt_writer_free(). */
const struct rt_writer_stats *rt_writer_stats(const struct rt_writer *w);
/* `w` may be NULL. */
void rt_writer_free(struct rt_writer *w);

#endif
