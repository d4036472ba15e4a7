/*
 * table.h: reading one reftable file: the table's layout and the
 * iteration over one of its sections, behind the public rt-table.h.
 */
#ifndef RT_LIB_TABLE_H
#define RT_LIB_TABLE_H

#include "lib/block.h"
#include "lib/include/rt-table.h"

struct rt_table_section {
	bool present;
	uint64_t offset;
	uint64_t index_offset;
};

struct rt_table {
	char *path;
	const char *name; /* basename of path */
	const uint8_t *data;
	uint64_t size;
	bool mapped;
	int version;
	enum rt_hash hash_id;
	int hash_size;
	uint32_t block_size;
	uint64_t min_update_index;
	uint64_t max_update_index;
	uint32_t header_len;
	uint64_t footer_off;
	int obj_id_len;
	struct rt_table_section ref, obj, log;
};

/* RT_ERR_FORMAT with "<table>: offset <off>: <what>" in `err`. */
int rt_table_error(struct rt_err *err, const struct rt_table *t, uint64_t off,
		   const char *what);
/* The section of `type` (RT_BLOCK_REF, _OBJ or _LOG); NULL for others. */
const struct rt_table_section *rt_table_section(const struct rt_table *t,
						uint8_t type);

/*
 * rt_table_open() of `name` relative to the directory `dirfd` (a stack's:
 * its tables are read from the directory its locks and removals use, even
 * if the path to it names another one now); `path` is the table's path
 * in messages.
 */
int rt_table_open_at(struct rt_table **out, int dirfd, const char *name,
		     const char *path, struct rt_err *err);

/*
 * Open a table held in memory, validated as rt_table_open() does. `data`
 * must outlive the table; `path` is only used in messages.
 */
int rt_table_open_mem(struct rt_table **out, const uint8_t *data, uint64_t size,
		      const char *path, struct rt_err *err);

/*
 * Where a record read by a table iterator sits in its table: enough for
 * compaction to copy the whole block when every record of it comes out of
 * the merge unchanged and together (lib/reuse.c).
 */
struct rt_rec_origin {
	const struct rt_table *table; /* NULL: not known */
	uint64_t block_off; /* file position of the block */
	uint64_t block_len; /* bytes it takes in the file, padding excluded */
	uint32_t content_len; /* its block_len field: for logs, inflated */
	/* Position among the block's records; RT_NO_INDEX after a seek. */
	uint32_t index;
	/* Where the record's bytes lie in the block (for logs, inflated). */
	uint32_t rec_off, rec_len;
	bool last_in_block;
	/*
	 * Another table of the merge has a key within the block's range:
	 * its records will not come out together (lib/merged.c sets this
	 * when the table's index tells; false means not known).
	 */
	bool shared;
};
#define RT_NO_INDEX UINT32_MAX

/* Iterates one section (refs, logs, objs) of one table in key order. */
struct rt_table_iter {
	const struct rt_table *t;
	uint8_t type;
	struct rt_block blk;
	struct rt_block_iter bi;
	bool done;
	/* Release pages already read (see rt_table_iter_drop_behind). */
	bool drop_behind;
	uint64_t dropped; /* file offset up to which pages were released */
	struct rt_record idx; /* scratch for index lookups */
	uint32_t next_index; /* of the next record in blk, or RT_NO_INDEX */
	/* Where the next block starts when not right after blk (skipped). */
	uint64_t skip_to;
};

void rt_table_iter_init(struct rt_table_iter *it, const struct rt_table *t,
			uint8_t type);
/* Position before the first record whose key is >= key (len 0: start). */
int rt_table_iter_seek(struct rt_table_iter *it, const void *key, size_t len,
		       struct rt_err *err);
/* 0: `rec` filled (its type must match); 1: end; < 0: error. */
int rt_table_iter_next(struct rt_table_iter *it, struct rt_record *rec,
		       struct rt_err *err);
/*
 * Step over the records that follow in the current ref block while their
 * keys are below `bound` (rt_block_iter_skip_refs); the next record
 * rt_table_iter_next() returns is the first not stepped over.
 */
int rt_table_iter_skip_refs(struct rt_table_iter *it,
			    const struct rt_buf *bound, struct rt_ref_run *run,
			    struct rt_err *err);
/*
 * In a log section, the next record of the current block, if its key is
 * below `bound` (NULL: any), read raw (rt_block_iter_next_raw): its key
 * in it->bi.last_key, its value where it->bi says. 1 at the block's end
 * or at the bound; then rt_table_iter_next() goes on from there.
 */
int rt_table_iter_next_raw(struct rt_table_iter *it, const struct rt_buf *bound,
			   struct rt_err *err);
/*
 * Decode the record rt_table_iter_next() returned last into `rec` again
 * (rt_block_iter_value); its key is it->bi.last_key.
 */
int rt_table_iter_value(const struct rt_table_iter *it, struct rt_record *rec,
			struct rt_err *err);
void rt_table_iter_release(struct rt_table_iter *it);
/*
 * In a pass from the start, once every record of the loaded block is
 * read: the position of the next block, which the next
 * rt_table_iter_next() loads. 0 otherwise, or at the end.
 */
uint64_t rt_table_iter_next_block(const struct rt_table_iter *it);
/*
 * Pass over that next block unread: the caller has handed it over whole
 * and knows it ends at `end`, where the following block starts.
 */
void rt_table_iter_skip_block(struct rt_table_iter *it, uint64_t end);
/* Where the record the last rt_table_iter_next() returned came from. */
void rt_table_iter_origin(const struct rt_table_iter *it,
			  struct rt_rec_origin *o);
/*
 * Load the block at file position `off` of `t` into `b` (released by the
 * caller), validated as iteration does.
 */
int rt_table_load_block(const struct rt_table *t, struct rt_block *b,
			uint64_t off, struct rt_err *err);
/*
 * For one pass over a whole section (compaction, dumps): as iteration
 * moves on, the mapped pages behind it are handed back to the kernel, so
 * memory stays flat however large the table. They stay in the page cache.
 */
void rt_table_iter_drop_behind(struct rt_table_iter *it);

/*
 * Call `fn` for each ref of this table whose value or peeled value is
 * `oid`, using the obj index when the table has one. Stops early when `fn`
 * returns non-zero and returns that value.
 */
int rt_table_refs_for(const struct rt_table *t, const uint8_t *oid,
		      int (*fn)(void *arg, const struct rt_ref_record *ref),
		      void *arg, struct rt_err *err);

#endif
