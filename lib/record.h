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
 * compression around it. Ref and log records are public (rt-record.h);
 * obj and index records and the union of all four are the library's.
 */
#ifndef RT_LIB_RECORD_H
#define RT_LIB_RECORD_H

#include "lib/basics.h"
#include "lib/include/rt-error.h"
#include "lib/include/rt-record.h"

#include <stdbool.h>

enum rt_block_type {
	RT_BLOCK_REF = 'r',
	RT_BLOCK_LOG = 'g',
	RT_BLOCK_OBJ = 'o',
	RT_BLOCK_INDEX = 'i',
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

/* Bytes the record's buffers hold (their capacity). */
size_t rt_record_held(const struct rt_record *rec);

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
 * Append a record's key part to `out` as a block holds it: `key`, of
 * which the first `prefix` bytes are shared with the key before it, and
 * the value type; the value follows (encoded, or copied as it was).
 */
int rt_record_encode_key(const struct rt_buf *key, size_t prefix,
			 uint8_t val_type, struct rt_buf *out);
/*
 * Append the whole record to `out` as a block holds it: `key` (the
 * record's), of which the first `prefix` bytes are shared with the key
 * before it in the block, then the value.
 */
int rt_record_encode(const struct rt_record *rec, const struct rt_buf *key,
		     size_t prefix, struct rt_buf *out, int hash_size,
		     uint64_t min_update_index);

/*
 * The length of the value of the ref `key`, of type `val_type`, at `in`
 * (`len` bytes may be read), checked as decoding checks it (the name
 * too), without decoding it; with *why saying what was malformed when
 * it returns -1. *ids points at the object ids it names, hash_size bytes
 * each: one (RT_REF_VAL1), two (RT_REF_VAL2) or none.
 */
int rt_ref_value_len(const struct rt_buf *key, uint8_t val_type,
		     const uint8_t *in, size_t len, int hash_size,
		     uint64_t min_update_index, const uint8_t **ids,
		     const char **why);

/*
 * The same for the value of the log `key`: checked as decoding checks it
 * (the key's form, the value's type and lengths), not decoded. Where its
 * bytes are copied as they are (lib/reuse.c), they are exactly what
 * encoding the decoded record gives: every number has one varint.
 */
int rt_log_value_len(const struct rt_buf *key, uint8_t val_type,
		     const uint8_t *in, size_t len, int hash_size,
		     const char **why);

/*
 * Fill `rec` from `key`, `val_type` and the value bytes at `in`. Returns the
 * number of value bytes consumed, RT_ERR_FORMAT when they are malformed or
 * RT_ERR_NOMEM; `err` then says what was wrong, and the caller prefixes
 * file and offset (rt_err_prefix).
 */
int rt_record_decode(struct rt_record *rec, const struct rt_buf *key,
		     uint8_t val_type, const uint8_t *in, size_t len,
		     int hash_size, uint64_t min_update_index,
		     struct rt_err *err);

/* The log key for (refname, update_index). */
int rt_log_key(struct rt_buf *key, const char *refname, size_t refname_len,
	       uint64_t update_index);
/* The update index of a log key (at least 9 bytes: a checked one). */
uint64_t rt_log_key_update_index(const struct rt_buf *key);

#endif
