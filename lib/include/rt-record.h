/*
 * rt-record.h: ref and log records as readers get them and writers take
 * them.
 *
 * A record owns the memory of its rt_buf fields. Start one zeroed
 * (`struct rt_ref_record ref = { 0 };`); the reading calls (rt-iter.h)
 * reuse its buffers from one record to the next, and the writer only reads
 * it. Free it with rt_ref_record_release() / rt_log_record_release().
 */
#ifndef RT_RECORD_H
#define RT_RECORD_H

#include "rt-basics.h"

/* What a ref record holds (its value_type). */
enum rt_ref_type {
	/* A deletion: hides the ref in older tables. */
	RT_REF_DELETION = 0,
	/* An object id in `value`. */
	RT_REF_VAL1 = 1,
	/* An object id in `value` and what it peels to in `peeled`. */
	RT_REF_VAL2 = 2,
	/* A symbolic ref: the name of its target in `target`. */
	RT_REF_SYMREF = 3,
};

/* What a log record holds (its value_type). */
enum rt_log_type {
	/* A deletion: hides the entry with this key in older tables. */
	RT_LOG_DELETION = 0,
	/* One reflog entry. */
	RT_LOG_UPDATE = 1,
};

struct rt_ref_record {
	struct rt_buf refname;
	/* Absolute; a table stores it relative to its min_update_index. */
	uint64_t update_index;
	uint8_t value_type; /* enum rt_ref_type */
	/* The first hash size bytes count (rt_hash_size()). */
	uint8_t value[RT_MAX_HASH_SIZE];
	/* For RT_REF_VAL2: what an annotated tag peels to. */
	uint8_t peeled[RT_MAX_HASH_SIZE];
	/* For RT_REF_SYMREF. */
	struct rt_buf target;
};

/*
 * One reflog entry. Entries of a reflog are keyed by (refname,
 * update_index); the newest (highest update_index) sorts first.
 */
struct rt_log_record {
	struct rt_buf refname;
	uint64_t update_index;
	uint8_t value_type; /* enum rt_log_type */
	uint8_t old_id[RT_MAX_HASH_SIZE];
	uint8_t new_id[RT_MAX_HASH_SIZE];
	struct rt_buf name;
	struct rt_buf email;
	uint64_t time; /* seconds since the epoch */
	/*
	 * The UTC offset as Git writes it: the signed decimal number of its
	 * "+hhmm" form (+0130 is 130, -0800 is -800). reftable.adoc says
	 * minutes, but Git (refs/reftable-backend.c) stores hhmm, and Git's
	 * reading is what counts.
	 */
	int16_t tz_offset;
	struct rt_buf message;
};

/* Free the record's buffers; it is then zeroed, ready for reuse. */
void rt_ref_record_release(struct rt_ref_record *ref);
void rt_log_record_release(struct rt_log_record *log);

/*
 * qsort() comparators giving the order a writer takes records in: refs by
 * name; logs by name, then update index descending (newest first).
 */
int rt_ref_record_cmp(const void *a, const void *b);
int rt_log_record_cmp(const void *a, const void *b);

#endif
