/*
 * reuse_fixture.h: the stacks block reuse is tested on (test_reuse.c): a
 * big table compacted from random rounds over a pool of ref names, then
 * small tables of changes, spread or clustered, and a dump of a stack's
 * merged view, every field of every record, to compare two of them.
 */
#ifndef TESTS_UNIT_REUSE_FIXTURE_H
#define TESTS_UNIT_REUSE_FIXTURE_H

#include <cmocka.h>
#include <inttypes.h>

#include "lib/include/rt-compact.h"
#include "lib/merged.h"
#include "lib/stack.h"
#include "testutil.h"

#define POOL 2000 /* ref names refs/heads/r00000 .. r01999 */

struct build {
	struct rng rng;
	enum rt_hash hash;
	uint32_t block_size;
	bool thread; /* deflate on the zpipe's thread */
	bool updates; /* small tables only point refs at other ids */
	/* This round's records, sorted by name; one per name. */
	struct rt_ref_record *refs;
	struct rt_log_record *logs;
	size_t nrefs, nlogs;
};

static void ref_name(char *out, size_t len, size_t i)
{
	snprintf(out, len, "refs/heads/r%05zu", i);
}

static void clear_round(struct build *b)
{
	for (size_t i = 0; i < b->nrefs; i++)
		rt_ref_record_release(&b->refs[i]);
	for (size_t i = 0; i < b->nlogs; i++)
		rt_log_record_release(&b->logs[i]);
	b->nrefs = b->nlogs = 0;
}

/*
 * One table's worth of changes to names [lo, hi): each name with
 * probability 1/`every`, a ref (sometimes a deletion, when `deletions`)
 * and a log entry (sometimes a log deletion).
 */
static void plan_round(struct build *b, size_t lo, size_t hi, unsigned every,
		       bool deletions)
{
	char name[64];

	clear_round(b);
	for (size_t i = lo; i < hi; i++) {
		struct rt_ref_record *r;
		struct rt_log_record *l;
		unsigned kind;
		size_t n;

		if (rng_below(&b->rng, every))
			continue;
		ref_name(name, sizeof(name), i);
		kind = b->updates ? 9 : (unsigned)rng_below(&b->rng, 10);
		r = &b->refs[b->nrefs++];
		set_ref(r, name, 0,
			deletions && kind == 0 ? RT_REF_DELETION :
			kind == 1	       ? RT_REF_SYMREF :
			kind == 2	       ? RT_REF_VAL2 :
						 RT_REF_VAL1,
			0);
		rng_bytes(&b->rng, r->value, sizeof(r->value));
		rng_bytes(&b->rng, r->peeled, sizeof(r->peeled));
		l = &b->logs[b->nlogs++];
		set_log(l, name, 0,
			deletions && kind == 3 ? RT_LOG_DELETION :
						 RT_LOG_UPDATE,
			"");
		if (l->value_type == RT_LOG_DELETION)
			continue;
		rng_bytes(&b->rng, l->old_id, sizeof(l->old_id));
		rng_bytes(&b->rng, l->new_id, sizeof(l->new_id));
		/* Messages of varied length make blocks end at varied places. */
		rt_buf_reset(&l->message);
		n = rng_below(&b->rng, 90);
		for (size_t k = 0; k < n; k++)
			rt_buf_addch(&l->message,
				     'a' + (char)rng_below(&b->rng, 26));
		rt_buf_addch(&l->message, '\n');
	}
}

static int fill_round(struct rt_writer *w, uint64_t ui, void *arg,
		      struct rt_err *err)
{
	struct build *b = arg;
	int ret = 0;

	for (size_t i = 0; !ret && i < b->nrefs; i++) {
		b->refs[i].update_index = ui;
		ret = rt_writer_add_ref(w, &b->refs[i], err);
	}
	for (size_t i = 0; !ret && i < b->nlogs; i++) {
		b->logs[i].update_index = ui;
		ret = rt_writer_add_log(w, &b->logs[i], err);
	}
	return ret;
}

static struct rt_stack *open_in(const char *dir, const struct build *b)
{
	struct rt_stack_options o;
	struct rt_err err = { 0 };
	struct rt_stack *st;

	rt_stack_options_init(&o);
	o.write.block_size = b->block_size;
	o.write.hash_id = b->hash;
	o.write.exact_log_message = true;
	o.write.deflate_thread = b->thread;
	if (rt_stack_open(&st, dir, &o, &err))
		fail_msg("open %s: %s", dir, err.msg);
	return st;
}

static void add_round(struct rt_stack *st, struct build *b)
{
	struct rt_err err = { 0 };

	if (b->nrefs && rt_stack_add(st, fill_round, b, &err))
		fail_msg("add: %s", err.msg);
}

/*
 * The stack of a scenario, from `seed`: a base of three rounds over the
 * whole pool compacted into one table, then `small` tables of changes
 * either spread over the pool or clustered in a narrow range.
 */
static struct rt_stack *build_stack(const char *dir, uint64_t seed,
				    size_t small, bool clustered, bool beyond,
				    bool updates)
{
	struct build b = { .rng = { seed } };
	struct rt_compact_options no_reuse = { .no_reuse = true };
	struct rt_err err = { 0 };
	struct rt_stack *st;

	b.hash = rng_below(&b.rng, 2) ? RT_HASH_SHA256 : RT_HASH_SHA1;
	b.thread = rng_below(&b.rng, 2);
	b.block_size = rng_below(&b.rng, 2) ?
			       256 :
			       1024 + 512 * (uint32_t)rng_below(&b.rng, 3);
	b.refs = calloc(POOL, sizeof(*b.refs));
	b.logs = calloc(POOL, sizeof(*b.logs));
	assert_non_null(b.refs);
	assert_non_null(b.logs);
	st = open_in(dir, &b);
	for (int round = 0; round < 3; round++) {
		plan_round(&b, 0, POOL, 1 + (unsigned)round, false);
		add_round(st, &b);
	}
	assert_int_equal(rt_stack_compact_all(st, &no_reuse, NULL, &err), 0);
	b.updates = updates;
	for (size_t t = 0; t < small; t++) {
		size_t lo = 0, hi = POOL;

		if (clustered) {
			lo = rng_below(&b.rng, POOL - 40);
			hi = lo + 40;
		}
		plan_round(&b, lo, hi, clustered ? 4 : 150, true);
		add_round(st, &b);
	}
	/*
	 * Names past all others, deletions among them: this table's later
	 * blocks overlap no other table's keys.
	 */
	if (beyond) {
		plan_round(&b, POOL, POOL + 300, 1, true);
		add_round(st, &b);
	}
	clear_round(&b);
	free(b.refs);
	free(b.logs);
	return st;
}

/* Every field of every record (deletions included), one line each. */
static void dump(struct rt_stack *st, uint8_t type, struct rt_buf *out)
{
	struct rt_merged_iter mi;
	struct rt_record rec;
	struct rt_err err = { 0 };
	char line[512];
	int ret;

	assert_int_equal(rt_merged_iter_start(&mi, st->tables, st->n, type,
					      true, &err),
			 0);
	rt_record_init(&rec, type);
	while (!(ret = rt_merged_iter_next(&mi, &rec, &err))) {
		if (type == RT_BLOCK_REF) {
			const struct rt_ref_record *r = &rec.u.ref;

			snprintf(line, sizeof(line),
				 "%s %" PRIu64 " %d %02x%02x %02x%02x %s\n",
				 r->refname.buf, r->update_index, r->value_type,
				 r->value[0], r->value[31], r->peeled[0],
				 r->peeled[31],
				 r->value_type == RT_REF_SYMREF ?
					 r->target.buf :
					 "-");
		} else {
			const struct rt_log_record *l = &rec.u.log;

			snprintf(line, sizeof(line),
				 "%s %" PRIu64 " %d %02x%02x %02x%02x %s %s "
				 "%" PRIu64 " %d %s",
				 l->refname.buf, l->update_index, l->value_type,
				 l->old_id[0], l->old_id[31], l->new_id[0],
				 l->new_id[31], l->name.buf ? l->name.buf : "",
				 l->email.buf ? l->email.buf : "", l->time,
				 l->tz_offset,
				 l->message.buf ? l->message.buf : "\n");
		}
		assert_int_equal(rt_buf_addstr(out, line), 0);
	}
	assert_int_equal(ret, 1);
	rt_record_release(&rec);
	rt_merged_iter_release(&mi);
}

#endif
