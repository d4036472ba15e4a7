/*
 * Round-trip property tests of the table format: random refs and logs
 * written by lib/writer and read back by lib/table, identically, for many
 * block sizes, both hashes, with and without obj blocks; plus seeks and
 * lookups by object id against a brute-force answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/table.h"
#include "testutil.h"

#define NREFS 10000
#define NLOGS 10000

struct corpus {
	struct rt_ref_record *refs;
	struct rt_log_record *logs;
	size_t nrefs, nlogs;
	uint64_t min, max;
};

/*
 * Names share long prefixes (the case prefix compression and restarts
 * must get right); values cover every type; messages are multi-line, with
 * tabs and non-ASCII, and sized so a record fits the smallest block.
 */
static void make_corpus(struct corpus *c, struct rng *r, size_t max_msg)
{
	static const char *const prefixes[] = {
		"refs/heads/",
		"refs/heads/feature/very/long/shared/prefix/for/compression/",
		"refs/tags/v",
		"refs/pull/",
		"refs/remotes/origin/",
		"refs/changes/",
	};
	static const char *const words[] = {
		"update",
		"by",
		"push",
		"\t",
		"é",
		"ü",
		"commit",
		"\n",
		"rebase (finish):",
		"reset: moving to",
		"x",
	};
	char name[256];
	size_t n = 0;

	c->min = 5;
	c->max = 5 + 1000;
	c->refs = calloc(NREFS, sizeof(*c->refs));
	c->logs = calloc(NLOGS, sizeof(*c->logs));
	assert_non_null(c->refs);
	assert_non_null(c->logs);
	for (size_t i = 0; i < NREFS; i++) {
		struct rt_ref_record *ref = &c->refs[i];
		const char *p = prefixes[rng_below(r, 6)];

		snprintf(name, sizeof(name), "%s%llu/%zu", p,
			 (unsigned long long)rng_below(r, 50), i);
		memset(ref, 0, sizeof(*ref));
		rt_buf_addstr(&ref->refname, name);
		ref->update_index = c->min + rng_below(r, c->max - c->min + 1);
		ref->value_type = (uint8_t)rng_below(r, 4);
		rng_bytes(r, ref->value, sizeof(ref->value));
		rng_bytes(r, ref->peeled, sizeof(ref->peeled));
		/* Some objects are shared, as with branches at one commit. */
		if (i && rng_below(r, 5) == 0)
			memcpy(ref->value, c->refs[i - 1].value,
			       sizeof(ref->value));
		if (ref->value_type == RT_REF_SYMREF)
			rt_buf_addstr(&ref->target, "refs/heads/main");
	}
	qsort(c->refs, NREFS, sizeof(*c->refs), rt_ref_record_cmp);
	c->nrefs = NREFS;

	for (size_t i = 0; i < NLOGS; i++) {
		struct rt_log_record *l = &c->logs[n];
		size_t len = 0;

		memset(l, 0, sizeof(*l));
		snprintf(name, sizeof(name), "%s%zu", prefixes[i % 6], i / 5);
		rt_buf_addstr(&l->refname, name);
		/* Five entries per ref with distinct update indexes. */
		l->update_index = c->min + (i % 5) * 100 + rng_below(r, 100);
		l->value_type = rng_below(r, 10) ? RT_LOG_UPDATE :
						   RT_LOG_DELETION;
		if (l->value_type == RT_LOG_UPDATE) {
			rng_bytes(r, l->old_id, sizeof(l->old_id));
			rng_bytes(r, l->new_id, sizeof(l->new_id));
			rt_buf_addstr(&l->name, "Jöhn Döe");
			rt_buf_addstr(&l->email, "john@example.com");
			l->time = rng_next(r) >> 30;
			l->tz_offset = (int16_t)(rng_below(r, 2600) - 1200);
			while (len < max_msg) {
				const char *w = words[rng_below(r, 11)];

				if (len + strlen(w) + 1 > max_msg)
					break;
				rt_buf_addstr(&l->message, w);
				rt_buf_addch(&l->message, ' ');
				len += strlen(w) + 1;
				if (!rng_below(r, 4))
					break;
			}
		}
		n++;
	}
	qsort(c->logs, n, sizeof(*c->logs), rt_log_record_cmp);
	c->nlogs = n;
}

static void free_corpus(struct corpus *c)
{
	for (size_t i = 0; i < c->nrefs; i++)
		rt_ref_record_release(&c->refs[i]);
	for (size_t i = 0; i < c->nlogs; i++)
		rt_log_record_release(&c->logs[i]);
	free(c->refs);
	free(c->logs);
}

struct found {
	size_t count;
};

static int count_ref(void *arg, const struct rt_ref_record *ref)
{
	(void)ref;
	((struct found *)arg)->count++;
	return 0;
}

/* Index of the first ref of `c` (sorted by name) not below the key. */
static size_t first_at_or_above(const struct corpus *c, const char *key,
				size_t len)
{
	size_t i = 0;

	while (i < c->nrefs &&
	       rt_bytes_cmp(c->refs[i].refname.buf, c->refs[i].refname.len, key,
			    len) < 0)
		i++;
	return i;
}

static void check_config(const struct corpus *c,
			 const struct rt_write_options *opts, struct rng *r)
{
	int hs = rt_hash_size(opts->hash_id);
	struct rt_buf data = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_table *t;
	struct rt_table_iter it;
	struct rt_record rec;
	int ret;

	ret = write_table(&data, opts, c->min, c->max, c->refs, c->nrefs,
			  c->logs, c->nlogs, &err);
	if (ret)
		fail_msg("write: %s", err.msg);

	ret = rt_table_open_mem(&t, (const uint8_t *)data.buf, data.len,
				"mem.ref", &err);
	if (ret)
		fail_msg("open: %s", err.msg);
	assert_int_equal(t->hash_id, opts->hash_id);
	assert_int_equal(t->block_size, opts->unpadded ? 0 : opts->block_size);

	/* Every ref, in order. */
	rt_table_iter_init(&it, t, RT_BLOCK_REF);
	rt_record_init(&rec, RT_BLOCK_REF);
	assert_int_equal(rt_table_iter_seek(&it, NULL, 0, &err), 0);
	for (size_t i = 0; i < c->nrefs; i++) {
		ret = rt_table_iter_next(&it, &rec, &err);
		if (ret)
			fail_msg("ref %zu: ret %d: %s", i, ret, err.msg);
		if (!ref_equal(&rec.u.ref, &c->refs[i], hs))
			fail_msg("ref %zu differs: %s", i,
				 c->refs[i].refname.buf);
	}
	assert_int_equal(rt_table_iter_next(&it, &rec, &err), 1);

	/* Seeks land exactly on the ref, or on its successor. */
	for (int k = 0; k < 300; k++) {
		size_t i = rng_below(r, c->nrefs);
		const struct rt_buf *name = &c->refs[i].refname;

		assert_int_equal(
			rt_table_iter_seek(&it, name->buf, name->len, &err), 0);
		assert_int_equal(rt_table_iter_next(&it, &rec, &err), 0);
		assert_true(ref_equal(&rec.u.ref, &c->refs[i], hs));
		/*
		 * A key just below the name (the name less its last byte)
		 * finds the first ref at or above that key: this ref, or
		 * one that sorts between the key and the name.
		 */
		assert_int_equal(rt_table_iter_seek(&it, name->buf,
						    name->len - 1, &err),
				 0);
		assert_int_equal(rt_table_iter_next(&it, &rec, &err), 0);
		assert_true(ref_equal(
			&rec.u.ref,
			&c->refs[first_at_or_above(c, name->buf, name->len - 1)],
			hs));
	}
	assert_int_equal(rt_table_iter_seek(&it, "zzz", 3, &err), 0);
	assert_int_equal(rt_table_iter_next(&it, &rec, &err), 1);
	rt_table_iter_release(&it);
	rt_record_release(&rec);

	/* Every log, in order. */
	rt_table_iter_init(&it, t, RT_BLOCK_LOG);
	rt_record_init(&rec, RT_BLOCK_LOG);
	assert_int_equal(rt_table_iter_seek(&it, NULL, 0, &err), 0);
	for (size_t i = 0; i < c->nlogs; i++) {
		ret = rt_table_iter_next(&it, &rec, &err);
		if (ret)
			fail_msg("log %zu: ret %d: %s", i, ret, err.msg);
		if (!log_equal(&rec.u.log, &c->logs[i], hs))
			fail_msg("log %zu differs: %s", i,
				 c->logs[i].refname.buf);
	}
	assert_int_equal(rt_table_iter_next(&it, &rec, &err), 1);
	/* Seek by (refname, update index). */
	for (int k = 0; k < 300; k++) {
		size_t i = rng_below(r, c->nlogs);
		struct rt_buf key = RT_BUF_INIT;

		rt_log_key(&key, c->logs[i].refname.buf, c->logs[i].refname.len,
			   c->logs[i].update_index);
		assert_int_equal(
			rt_table_iter_seek(&it, key.buf, key.len, &err), 0);
		ret = rt_table_iter_next(&it, &rec, &err);
		if (ret)
			fail_msg(
				"seek log %zu (%s@%llu) bs %u unpadded %d: %d %s",
				i, c->logs[i].refname.buf,
				(unsigned long long)c->logs[i].update_index,
				opts->block_size, opts->unpadded, ret, err.msg);
		assert_true(log_equal(&rec.u.log, &c->logs[i], hs));
		rt_buf_release(&key);
	}
	rt_table_iter_release(&it);
	rt_record_release(&rec);

	/* Lookups by object id agree with a brute-force count. */
	for (int k = 0; k < 50; k++) {
		size_t i = rng_below(r, c->nrefs), want = 0;
		const uint8_t *oid = c->refs[i].value;
		struct found f = { 0 };

		for (size_t j = 0; j < c->nrefs; j++) {
			const struct rt_ref_record *x = &c->refs[j];

			if ((x->value_type == RT_REF_VAL1 ||
			     x->value_type == RT_REF_VAL2) &&
			    (!memcmp(x->value, oid, hs) ||
			     (x->value_type == RT_REF_VAL2 &&
			      !memcmp(x->peeled, oid, hs))))
				want++;
		}
		assert_int_equal(rt_table_refs_for(t, oid, count_ref, &f, &err),
				 0);
		assert_int_equal(f.count, want);
	}
	rt_table_close(t);
	rt_buf_release(&data);
}

static void roundtrip(enum rt_hash hash)
{
	static const uint32_t sizes[] = { 256, 1000, 4096, 65536 };
	struct rng r = rng_seeded();

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct corpus c;
		size_t max_msg = sizes[s] <= 256 ? 40 : 300;

		make_corpus(&c, &r, max_msg);
		for (int variant = 0; variant < 3; variant++) {
			struct rt_write_options o = {
				.block_size = sizes[s],
				.hash_id = hash,
				.exact_log_message = true,
				.skip_index_objects = variant == 1,
				.unpadded = variant == 2,
				/* 1 byte: runs of the minimum size, spilled. */
				.obj_sort_memory = sizes[s] == 1000 ? 1 : 0,
				/* Log blocks deflated on the zpipe thread. */
				.deflate_thread = variant != 1,
			};

			check_config(&c, &o, &r);
		}
		free_corpus(&c);
	}
}

static void test_roundtrip_sha1(void **state)
{
	(void)state;
	roundtrip(RT_HASH_SHA1);
}

static void test_roundtrip_sha256(void **state)
{
	(void)state;
	roundtrip(RT_HASH_SHA256);
}

static void test_empty_and_log_only(void **state)
{
	struct rt_buf data = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_write_options o = { .hash_id = RT_HASH_SHA1 };
	struct rt_log_record log;
	struct rt_table *t;
	struct rt_table_iter it;
	struct rt_record rec;
	(void)state;

	/* Empty: header then footer, 24 + 68 bytes. */
	assert_int_equal(write_table(&data, &o, 1, 1, NULL, 0, NULL, 0, &err),
			 0);
	assert_int_equal(data.len, 24 + 68);
	assert_int_equal(rt_table_open_mem(&t, (uint8_t *)data.buf, data.len,
					   "empty", &err),
			 0);
	assert_false(t->ref.present);
	assert_false(t->log.present);
	rt_table_close(t);
	rt_buf_reset(&data);

	/* Log-only: the first block is a log block right after the header. */
	set_log(&log, "refs/heads/x", 3, RT_LOG_UPDATE, "msg");
	assert_int_equal(write_table(&data, &o, 3, 3, NULL, 0, &log, 1, &err),
			 0);
	assert_int_equal(data.buf[24], 'g');
	assert_int_equal(rt_table_open_mem(&t, (uint8_t *)data.buf, data.len,
					   "logonly", &err),
			 0);
	assert_false(t->ref.present);
	assert_true(t->log.present);
	rt_table_iter_init(&it, t, RT_BLOCK_LOG);
	rt_record_init(&rec, RT_BLOCK_LOG);
	assert_int_equal(rt_table_iter_seek(&it, NULL, 0, &err), 0);
	assert_int_equal(rt_table_iter_next(&it, &rec, &err), 0);
	/* Not exact: the writer added Git's trailing newline. */
	assert_string_equal(rec.u.log.message.buf, "msg\n");
	assert_int_equal(rt_table_iter_next(&it, &rec, &err), 1);
	rt_table_iter_release(&it);
	rt_record_release(&rec);
	rt_table_close(t);
	rt_log_record_release(&log);
	rt_buf_release(&data);
}

/* The writer's byte count is the file's length: no phantom padding. */
static void test_stats_match_output(void **state)
{
	struct rt_buf data = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_ref_record ref;
	struct rt_writer *w;
	(void)state;

	set_ref(&ref, "refs/heads/main", 1, RT_REF_VAL1, 1);
	assert_int_equal(
		rt_writer_new(&w, mem_write, &data,
			      &(struct rt_write_options){ .block_size = 4096 },
			      &err),
		0);
	assert_int_equal(rt_writer_set_limits(w, 1, 1), 0);
	assert_int_equal(rt_writer_add_ref(w, &ref, &err), 0);
	assert_int_equal(rt_writer_close(w, &err), 0);
	assert_int_equal(rt_writer_stats(w)->bytes, data.len);
	/* One block, padded only if another block followed. */
	assert_true(data.len < 4096);
	rt_writer_free(w);
	rt_ref_record_release(&ref);
	rt_buf_release(&data);
}

/* The log section follows the last ref block without padding, as in Git. */
static void test_no_padding_before_logs(void **state)
{
	struct rt_buf data = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_ref_record ref;
	struct rt_log_record log;
	struct rt_table *t;
	(void)state;

	set_ref(&ref, "refs/heads/main", 1, RT_REF_VAL1, 1);
	set_log(&log, "refs/heads/main", 1, RT_LOG_UPDATE, "msg");
	assert_int_equal(
		write_table(&data,
			    &(struct rt_write_options){ .block_size = 4096 }, 1,
			    1, &ref, 1, &log, 1, &err),
		0);
	assert_true(data.len < 4096);
	assert_int_equal(rt_table_open_mem(&t, (uint8_t *)data.buf, data.len,
					   "t", &err),
			 0);
	assert_int_equal(t->log.offset,
			 rt_get_be24((uint8_t *)data.buf + 24 + 1));
	rt_table_close(t);
	rt_ref_record_release(&ref);
	rt_log_record_release(&log);
	rt_buf_release(&data);
}

static void test_writer_rejects_misuse(void **state)
{
	struct rt_buf data = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_ref_record refs[2];
	struct rt_log_record log;
	struct rt_writer *w;
	(void)state;

	set_ref(&refs[0], "refs/heads/b", 1, RT_REF_VAL1, 1);
	set_ref(&refs[1], "refs/heads/a", 1, RT_REF_VAL1, 2);
	assert_int_equal(write_table(&data, NULL, 1, 1, refs, 2, NULL, 0, &err),
			 RT_ERR_API);
	assert_non_null(strstr(err.msg, "ascending"));

	rt_err_clear(&err);
	assert_int_equal(write_table(&data, NULL, 2, 3, refs, 1, NULL, 0, &err),
			 RT_ERR_API);
	assert_non_null(strstr(err.msg, "update index"));

	/* Git refuses multi-line messages unless told to keep them. */
	rt_err_clear(&err);
	set_log(&log, "refs/heads/a", 1, RT_LOG_UPDATE, "two\nlines");
	assert_int_equal(write_table(&data, NULL, 1, 1, NULL, 0, &log, 1, &err),
			 RT_ERR_API);

	/*
	 * A ref too long for the block size; a 64 KiB name must not push
	 * the reason out of the 1 KiB message.
	 */
	rt_err_clear(&err);
	{
		static char name[65536];
		struct rt_write_options o = { .block_size = 4096 };

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		rt_ref_record_release(&refs[0]);
		set_ref(&refs[0], name, 1, RT_REF_VAL1, 1);
		assert_int_equal(write_table(&data, &o, 1, 1, refs, 1, NULL, 0,
					     &err),
				 RT_ERR_TOO_BIG);
		assert_non_null(strstr(err.msg,
				       "aaa'... does not fit in a block of "
				       "4096 bytes"));
	}

	rt_err_clear(&err);
	assert_int_equal(
		rt_writer_new(&w, mem_write, &data,
			      &(struct rt_write_options){ .block_size = 16 },
			      &err),
		RT_ERR_API);
	rt_ref_record_release(&refs[0]);
	rt_ref_record_release(&refs[1]);
	rt_log_record_release(&log);
	rt_buf_release(&data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sha1),
		cmocka_unit_test(test_roundtrip_sha256),
		cmocka_unit_test(test_empty_and_log_only),
		cmocka_unit_test(test_stats_match_output),
		cmocka_unit_test(test_no_padding_before_logs),
		cmocka_unit_test(test_writer_rejects_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
