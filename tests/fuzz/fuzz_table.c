/*
 * libFuzzer target for the table reader: any bytes, opened as a table and
 * read through every path (full scans of refs, logs and objs, seeks
 * through the indexes, lookups by object id). The reader must reject bad
 * input with an error, never crash or read out of bounds; ASan and UBSan
 * watch. Run with `make fuzz`.
 */
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
	rt_table_close(t);
	return 0;
}
