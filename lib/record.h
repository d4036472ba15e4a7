/*
 * record.h: the four record kinds of a reftable (ref, log, obj, index),
 * their keys, and their encoding inside a block.
 *
 * A record is stored as
 *
 *   varint(prefix_len) varint(suffix_len << 3 | val_type) suffix value
 *
 * where the key is the previous key's first prefix_len bytes plus suffix.
 * This file owns everything from val_type onwards; block.c owns the prefix
 * compression around it.
 */
#ifndef RT_RECORD_H
#define RT_RECORD_H

#include "lib/basics.h"

#include <stdbool.h>

enum rt_block_type {
	RT_BLOCK_REF = 'r',
	RT_BLOCK_LOG = 'g',
	RT_BLOCK_OBJ = 'o',
	RT_BLOCK_INDEX = 'i',
};

enum rt_ref_type {
	RT_REF_DELETION = 0,
	RT_REF_VAL1 = 1,
	RT_REF_VAL2 = 2,
	RT_REF_SYMREF = 3,
};

enum rt_log_type {
	RT_LOG_DELETION = 0,
	RT_LOG_UPDATE = 1,
};

struct rt_ref_record {
	struct rt_buf refname;
	/* Absolute; the table stores it relative to its min_update_index. */
	uint64_t update_index;
	uint8_t value_type;
	uint8_t value[RT_MAX_HASH_SIZE];
	/* For RT_REF_VAL2: what an annotated tag peels to. */
	uint8_t peeled[RT_MAX_HASH_SIZE];
	/* For RT_REF_SYMREF. */
	struct rt_buf target;
};

struct rt_log_record {
	struct rt_buf refname;
	uint64_t update_index;
	uint8_t value_type;
	uint8_t old_id[RT_MAX_HASH_SIZE];
	uint8_t new_id[RT_MAX_HASH_SIZE];
	struct rt_buf name;
	struct rt_buf email;
	uint64_t time;
	/*
	 * The UTC offset as Git writes it: the signed decimal number of its
	 * "+hhmm" form (+0130 is 130, -0800 is -800). reftable.adoc says
	 * minutes, but Git (refs/reftable-backend.c) stores hhmm, and Git's
	 * reading is what counts.
	 */
	int16_t tz_offset;
	struct rt_buf message;
};

struct rt_obj_record {
	/* An object id abbreviated to the table's obj_id_len bytes. */
	struct rt_buf prefix;
	/* Positions of the ref blocks with refs to that object, ascending. */
	uint64_t *offsets;
	size_t offset_len;
	size_t offset_cap;
};

struct rt_index_record {
	/* The last key of the block at `offset`. */
	struct rt_buf last_key;
	uint64_t offset;
};

struct rt_record {
	uint8_t type; /* enum rt_block_type */
	union {
		struct rt_ref_record ref;
		struct rt_log_record log;
		struct rt_obj_record obj;
		struct rt_index_record idx;
	} u;
};

/* Start a zeroed record of the given type (releasing nothing). */
void rt_record_init(struct rt_record *rec, uint8_t type);
void rt_record_release(struct rt_record *rec);

/* The sort key: refname; refname NUL reversed-be64(update_index); ... */
int rt_record_key(const struct rt_record *rec, struct rt_buf *key);
uint8_t rt_record_val_type(const struct rt_record *rec);
bool rt_record_is_deletion(const struct rt_record *rec);

/*
 * Append the value part (everything after the suffix) to `out`.
 * `min_update_index` is subtracted from ref update indexes.
 */
int rt_record_encode_value(const struct rt_record *rec, struct rt_buf *out,
			   int hash_size, uint64_t min_update_index);

/*
 * Fill `rec` from `key`, `val_type` and the value bytes at `in`. Returns the
 * number of value bytes consumed, or RT_ERR_FORMAT when they are malformed
 * (the caller adds file and offset to the message).
 */
int rt_record_decode(struct rt_record *rec, const struct rt_buf *key,
		     uint8_t val_type, const uint8_t *in, size_t len,
		     int hash_size, uint64_t min_update_index,
		     const char **why);

/*
 * qsort() comparators giving the order a writer takes records in: refs by
 * name; logs by name, then update index descending (newest first).
 */
int rt_ref_record_cmp(const void *a, const void *b);
int rt_log_record_cmp(const void *a, const void *b);

/* The log key for (refname, update_index). */
int rt_log_key(struct rt_buf *key, const char *refname, size_t refname_len,
	       uint64_t update_index);

#endif
