/*
 * writer_internal.h: the table writer as the writer_*.c files and the
 * block reuse (reuse.c) share it; not part of the library's interface
 * (rt-writer.h is).
 */
#ifndef LIB_WRITER_INTERNAL_H
#define LIB_WRITER_INTERNAL_H

#include "lib/writer.h"
#include "lib/block.h"
#include "lib/objsort.h"
#include "lib/zpipe.h"

#include <string.h>

struct section {
	uint64_t offset;
	uint64_t index_offset;
	uint64_t blocks;
};

struct index_entry {
	uint64_t offset; /* of the block */
	size_t key_off; /* its last key, in index_keys */
	size_t key_len;
};

struct rt_writer {
	struct rt_write_options opts;
	rt_write_fn write;
	void *arg;
	int version;
	int hash_size;
	uint64_t min_update_index;
	uint64_t max_update_index;

	uint8_t *block;
	struct rt_block_writer bw;
	bool block_open;
	uint64_t blocks_opened; /* the first one carries the file header */
	struct rt_zpipe *pipe; /* log blocks being deflated, in order */
	uint8_t section_type; /* 0 before the first record */

	uint64_t next; /* file offset of the next block */
	uint32_t pending_padding;
	struct rt_buf last_key;
	struct rt_buf key;
	struct rt_buf msg;

	/*
	 * The blocks of the section being written, for its index: a large
	 * table has tens of thousands, so their last keys share one buffer.
	 */
	struct index_entry *index;
	size_t index_len, index_cap;
	struct rt_buf index_keys;

	/* (object id, block position) pairs for obj blocks. */
	struct rt_objsort *objs;
	uint8_t last_obj[RT_MAX_HASH_SIZE];
	uint64_t last_obj_pos;
	bool have_last_obj;

	struct section ref, obj, log;
	struct rt_writer_stats stats;
	bool closed;
};

/*
 * A key or ref name in a message: its first 200 bytes, then "..." when
 * longer, so that a 64 KiB ref name cannot push the reason out of the
 * 1 KiB message (arguments for "%.*s%s").
 */
#define SHOWN_KEY_MAX 200
#define SHOWN_KEY(s)                                                       \
	(int)(strlen(s) > SHOWN_KEY_MAX ? SHOWN_KEY_MAX : strlen(s)), (s), \
		strlen(s) > SHOWN_KEY_MAX ? "..." : ""

/*
 * Add `rec` to the open block, flushing it and opening a new one when it
 * is full; keys must ascend within a section. RT_ERR_TOO_BIG when the
 * record does not fit even an empty block. `err` may be NULL: the code
 * alone is returned.
 */
int writer_add_record(struct rt_writer *w, const struct rt_record *rec,
		      struct rt_err *err);
/*
 * The same for a record of `type` whose key the caller has put in w->key:
 * `rec`, or without it a log record's value `raw`.
 */
int writer_add_keyed(struct rt_writer *w, uint8_t type,
		     const struct rt_record *rec,
		     const struct rt_raw_value *raw, struct rt_err *err);
/*
 * rt_writer_add_log() of a record given by its key and its value's bytes
 * as a source block holds them, copied as they are (a compaction's
 * writer: exact messages).
 */
int writer_add_log_raw(struct rt_writer *w, const struct rt_buf *key,
		       const struct rt_raw_value *raw, struct rt_err *err);
/*
 * Flush the open block and write the index levels of section `type`,
 * whose index_offset then points at the root level, or 0.
 */
int writer_finish_section(struct rt_writer *w, uint8_t type,
			  struct rt_err *err);

/*
 * Write the open block out (log blocks: to the zpipe, when threaded). A
 * log block stretched past block_size (block.c) comes out `whole`, or
 * else as the two blocks it would be without stretching.
 */
int writer_flush_block(struct rt_writer *w, bool whole);
/*
 * Write a finished block at w->next: its header part and body, then (later)
 * `padding` NULs; record it in its section and in the index.
 */
int writer_commit_block(struct rt_writer *w, uint8_t type, const void *head,
			size_t head_len, const void *body, size_t body_len,
			uint32_t padding, const struct rt_buf *last_key);
/*
 * Hand a log block to the zpipe: `len` bytes of `blk`, of which those
 * after the first `keep` are deflated there, or already are (`deflated`:
 * then `blk` is not copied, and must stay valid until the table is
 * closed; a source table's mapping is, even where its pages were handed
 * back: they are read again from the file).
 */
int writer_queue_log_block(struct rt_writer *w, const uint8_t *blk, size_t len,
			   size_t keep, const struct rt_buf *last_key,
			   bool deflated);
/* Commit the log blocks the zpipe has finished; with `all`, wait for all. */
int writer_drain_pipe(struct rt_writer *w, bool all);
/* Close the ref section: its index, then obj blocks when worth having. */
int writer_finish_ref_section(struct rt_writer *w, struct rt_err *err);
/* Close the ref section if open, and start the log section. */
int writer_enter_log_section(struct rt_writer *w, struct rt_err *err);

/* A block of another table to put in as it is (writer_copy.c). */
struct rt_block_copy {
	uint8_t type; /* RT_BLOCK_REF or RT_BLOCK_LOG */
	/* The block's bytes in its table: a ref block up to its restart
	 * table (no padding), a log block with its deflated body. */
	const uint8_t *data;
	size_t len;
	uint64_t records;
	/* Copied unread: records and first_key unknown (first_key NULL). */
	bool unread;
	/* Some records replaced in place (lib/reuse.c): not unchanged. */
	bool patched;
	const struct rt_buf *first_key, *last_key;
	/* Refs: the object ids its records name, hash_size bytes each. */
	const uint8_t *oids;
	size_t oid_count;
};

/*
 * Close the open block and put `c` after it. The caller guarantees the
 * block is valid in this table: same hash, a ref block's update indexes
 * relative to this table's minimum and no longer than its block size,
 * and never the file's first block.
 */
int writer_copy_block(struct rt_writer *w, const struct rt_block_copy *c,
		      struct rt_err *err);

/*
 * Note that the ref block being filled mentions object `hash`; spills to
 * a temp file past the writer's obj-sort memory.
 */
int writer_obj_push(struct rt_writer *w, const uint8_t *hash,
		    struct rt_err *err);
/*
 * Write obj blocks: each distinct object id, abbreviated to the shortest
 * length that still tells all of this table's ids apart (at least 2), with
 * the positions of the ref blocks that mention it, then their index.
 */
int writer_write_obj_section(struct rt_writer *w, struct rt_err *err);

#endif
