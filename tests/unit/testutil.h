/*
 * testutil.h: helpers shared by the unit tests: an in-memory table sink,
 * a seeded PRNG (runs are reproducible; set RT_TEST_SEED to vary them),
 * record builders and comparisons.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/include/rt-writer.h"

static inline int mem_write(void *arg, const void *data, size_t len)
{
	return rt_buf_add(arg, data, len);
}

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	/* splitmix64: small, good enough for test data. */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static inline struct rng rng_seeded(void)
{
	const char *env = getenv("RT_TEST_SEED");
	struct rng r = { env ? strtoull(env, NULL, 0) : 20261121 };

	return r;
}

static inline void rng_bytes(struct rng *r, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)rng_next(r);
}

static inline int ref_equal(const struct rt_ref_record *a,
			    const struct rt_ref_record *b, int hs)
{
	if (rt_buf_cmp(&a->refname, &b->refname) ||
	    a->update_index != b->update_index ||
	    a->value_type != b->value_type)
		return 0;
	switch (a->value_type) {
	case RT_REF_VAL2:
		if (memcmp(a->peeled, b->peeled, hs))
			return 0;
		/* fallthrough */
	case RT_REF_VAL1:
		return !memcmp(a->value, b->value, hs);
	case RT_REF_SYMREF:
		return !rt_buf_cmp(&a->target, &b->target);
	}
	return 1;
}

static inline int log_equal(const struct rt_log_record *a,
			    const struct rt_log_record *b, int hs)
{
	if (rt_buf_cmp(&a->refname, &b->refname) ||
	    a->update_index != b->update_index ||
	    a->value_type != b->value_type)
		return 0;
	if (a->value_type == RT_LOG_DELETION)
		return 1;
	return !memcmp(a->old_id, b->old_id, hs) &&
	       !memcmp(a->new_id, b->new_id, hs) &&
	       !rt_buf_cmp(&a->name, &b->name) &&
	       !rt_buf_cmp(&a->email, &b->email) && a->time == b->time &&
	       a->tz_offset == b->tz_offset &&
	       !rt_buf_cmp(&a->message, &b->message);
}

static inline void set_ref(struct rt_ref_record *r, const char *name,
			   uint64_t ui, uint8_t type, uint8_t fill)
{
	memset(r, 0, sizeof(*r));
	rt_buf_addstr(&r->refname, name);
	r->update_index = ui;
	r->value_type = type;
	memset(r->value, fill, sizeof(r->value));
	memset(r->peeled, fill ^ 0xff, sizeof(r->peeled));
	if (type == RT_REF_SYMREF)
		rt_buf_addstr(&r->target, "refs/heads/main");
}

static inline void set_log(struct rt_log_record *l, const char *name,
			   uint64_t ui, uint8_t type, const char *msg)
{
	memset(l, 0, sizeof(*l));
	rt_buf_addstr(&l->refname, name);
	l->update_index = ui;
	l->value_type = type;
	if (type == RT_LOG_DELETION)
		return;
	memset(l->new_id, (int)ui, sizeof(l->new_id));
	rt_buf_addstr(&l->name, "C O Mitter");
	rt_buf_addstr(&l->email, "c@example.com");
	l->time = 1700000000 + ui;
	l->tz_offset = 100;
	rt_buf_addstr(&l->message, msg);
}

/* Write refs then logs (both sorted) into `out` as one table. */
static inline int write_table(struct rt_buf *out,
			      const struct rt_write_options *opts, uint64_t min,
			      uint64_t max, const struct rt_ref_record *refs,
			      size_t nrefs, const struct rt_log_record *logs,
			      size_t nlogs, struct rt_err *err)
{
	struct rt_writer *w;
	int ret = rt_writer_new(&w, mem_write, out, opts, err);

	if (ret)
		return ret;
	ret = rt_writer_set_limits(w, min, max);
	for (size_t i = 0; !ret && i < nrefs; i++)
		ret = rt_writer_add_ref(w, &refs[i], err);
	for (size_t i = 0; !ret && i < nlogs; i++)
		ret = rt_writer_add_log(w, &logs[i], err);
	if (!ret)
		ret = rt_writer_close(w, err);
	rt_writer_free(w);
	return ret;
}

/*
 * A sample table in `out` (replacing its content): 200 refs in blocks of
 * 256 bytes (many ref blocks, a ref index, obj blocks) and 100 logs;
 * update indexes min..max, records at `ui`.
 */
static inline void write_sample_table(struct rt_buf *out, enum rt_hash hash,
				      uint64_t min, uint64_t max, uint64_t ui)
{
	struct rt_write_options o = { .block_size = 256, .hash_id = hash };
	struct rt_ref_record refs[200];
	struct rt_log_record logs[100];
	struct rt_err err = { 0 };
	char name[64];

	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "refs/heads/branch-%03d", i);
		set_ref(&refs[i], name, ui, i % 7 ? RT_REF_VAL1 : RT_REF_VAL2,
			(uint8_t)i);
	}
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "refs/heads/branch-%03d", i);
		set_log(&logs[i], name, ui, RT_LOG_UPDATE, "update by push");
	}
	rt_buf_reset(out);
	if (write_table(out, &o, min, max, refs, 200, logs, 100, &err))
		fail_msg("write: %s", err.msg);
	for (int i = 0; i < 200; i++)
		rt_ref_record_release(&refs[i]);
	for (int i = 0; i < 100; i++)
		rt_log_record_release(&logs[i]);
}

static inline int rm_entry(const char *path, const struct stat *sb, int flag,
			   struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

/* A fresh empty directory $TMPDIR/rt-<tag>-XXXXXX, its path in `dir`. */
static inline int tmpdir_make(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "%s/rt-%s-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", tag);
	return mkdtemp(dir) ? 0 : -1;
}

/* Create or replace the file `path` with `text`; 0 or -1. */
static inline int file_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ret = f && fputs(text, f) >= 0 ? 0 : -1;

	if (f && fclose(f))
		ret = -1;
	return ret;
}

/* Remove a directory tree without following symlinks. */
static inline int tmpdir_remove(const char *dir)
{
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
