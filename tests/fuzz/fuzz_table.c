/*
 * libFuzzer target for the table reader: any bytes, opened as a table and
 * read through every path (full scans of refs, logs and objs, seeks
 * through the indexes, lookups by object id). The reader must reject bad
 * input with an error, never crash or read out of bounds; ASan and UBSan
 * watch. Also the walks compaction makes: the leaf index read alongside
 * the blocks, and a merge that hands blocks over whole, and refs over
 * in runs stepped over unread. Run with `make fuzz`.
 */
#include "lib/leafwalk.h"
#include "lib/merged.h"
#include "lib/table.h"

#include <string.h>

static int count(void *arg, const struct rt_ref_record *ref)
{
	(void)ref;
	(*(int *)arg)++;
	return 0;
}

static void scan(struct rt_table *t, uint8_t type, const char *seek)
{
	struct rt_table_iter it;
	struct rt_record rec;
	struct rt_err err = { 0 };
	int ret;

	rt_table_iter_init(&it, t, type);
	rt_record_init(&rec, type);
	ret = rt_table_iter_seek(&it, seek, seek ? strlen(seek) : 0, &err);
	for (int n = 0; !ret && n < 100000; n++)
		ret = rt_table_iter_next(&it, &rec, &err);
	rt_record_release(&rec);
	rt_table_iter_release(&it);
}

/* Each block of the section, as the leaf index names them. */
static void leaves(struct rt_table *t, uint8_t type)
{
	const struct rt_table_section *sec = rt_table_section(t, type);
	struct rt_buf key = RT_BUF_INIT;
	struct rt_err err = { 0 };
	struct rt_leaf_walk lw;
	uint64_t off = sec ? sec->offset : 0, end;

	if (!rt_leaf_walk_start(&lw, t, type, &err))
		for (int n = 0; n < 100000 &&
				!rt_leaf_walk_block(&lw, off, &key, &end, &err);
		     n++)
			off = end;
	rt_leaf_walk_release(&lw);
	rt_buf_release(&key);
}

static bool any_block(void *arg, const struct rt_rec_origin *o)
{
	(void)arg;
	(void)o;
	return true;
}

/* A log record of a run: every byte of its value is read (ASan). */
static int touch(void *arg, const struct rt_buf *key,
		 const struct rt_raw_value *raw, struct rt_err *err)
{
	unsigned *sum = arg;

	(void)err;
	for (size_t i = 0; i < raw->len; i++)
		*sum += raw->data[i];
	for (size_t i = 0; i < key->len; i++)
		*sum += (uint8_t)key->buf[i];
	return 0;
}

/*
 * A full pass that hands over whole every block it may, or, with `runs`,
 * every run of records instead.
 */
static void whole(struct rt_table *t, uint8_t type, bool runs)
{
	struct rt_merged_iter mi;
	struct rt_record rec;
	struct rt_err err = { 0 };
	unsigned sum = 0;
	int ret;

	rt_record_init(&rec, type);
	ret = rt_merged_iter_start(&mi, &t, 1, type, true, &err);
	if (!ret)
		ret = rt_merged_iter_whole_blocks(&mi, runs ? NULL : any_block,
						  NULL, &err);
	if (runs) {
		rt_merged_iter_runs(&mi, any_block, NULL);
		rt_merged_iter_log_runs(&mi, any_block, touch, &sum);
	}
	for (int n = 0; n < 100000 && (!ret || ret == RT_MERGED_BLOCK ||
				       ret == RT_MERGED_RUN);
	     n++)
		ret = rt_merged_iter_next(&mi, &rec, &err);
	rt_merged_iter_release(&mi);
	rt_record_release(&rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_err err = { 0 };
	struct rt_table *t;
	uint8_t oid[RT_MAX_HASH_SIZE];
	int n = 0;

	if (rt_table_open_mem(&t, data, size, "fuzz.ref", &err))
		return 0;
	scan(t, RT_BLOCK_REF, NULL);
	scan(t, RT_BLOCK_REF, "refs/heads/m");
	scan(t, RT_BLOCK_LOG, NULL);
	scan(t, RT_BLOCK_LOG, "refs/heads/main");
	scan(t, RT_BLOCK_OBJ, NULL);
	memset(oid, 0x5a, sizeof(oid));
	rt_table_refs_for(t, oid, count, &n, &err);
	leaves(t, RT_BLOCK_REF);
	leaves(t, RT_BLOCK_LOG);
	whole(t, RT_BLOCK_LOG, false);
	whole(t, RT_BLOCK_LOG, true);
	whole(t, RT_BLOCK_REF, true);
	rt_table_close(t);
	return 0;
}
