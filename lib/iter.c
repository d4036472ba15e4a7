/*
 * iter.c: the public iterators of rt-iter.h over the merged iterator
 * (a stack) or a table iterator (one table).
 *
 * The caller's ref or log record travels inside a generic record for the
 * call: the iterators hand records over by swapping buffers, so no name
 * or message is copied and the caller's buffers are reused by later
 * reads.
 */
#include "lib/include/rt-iter.h"
#include "lib/stack.h"

#include <stdlib.h>
#include <string.h>

struct rt_iter {
	uint8_t type; /* RT_BLOCK_REF or RT_BLOCK_LOG */
	bool merged; /* mi, else ti */
	bool positioned; /* false until the first seek */
	struct rt_merged_iter mi;
	struct rt_table_iter ti;
};

static int iter_new(struct rt_iter **out, uint8_t type, bool merged,
		    struct rt_err *err)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return rt_err_oom(err);
	(*out)->type = type;
	(*out)->merged = merged;
	return 0;
}

static int stack_iter(struct rt_stack *st, uint8_t type, struct rt_iter **out,
		      struct rt_err *err)
{
	int ret = iter_new(out, type, true, err);

	if (!ret)
		ret = rt_merged_iter_init(&(*out)->mi, st->tables, st->n, type,
					  false, err);
	if (ret) {
		rt_iter_free(*out);
		*out = NULL;
	}
	return ret;
}

static int table_iter(const struct rt_table *t, uint8_t type,
		      struct rt_iter **out, struct rt_err *err)
{
	int ret = iter_new(out, type, false, err);

	if (!ret)
		rt_table_iter_init(&(*out)->ti, t, type);
	return ret;
}

int rt_stack_refs(struct rt_stack *st, struct rt_iter **out, struct rt_err *err)
{
	return stack_iter(st, RT_BLOCK_REF, out, err);
}

int rt_stack_logs(struct rt_stack *st, struct rt_iter **out, struct rt_err *err)
{
	return stack_iter(st, RT_BLOCK_LOG, out, err);
}

int rt_table_refs(const struct rt_table *t, struct rt_iter **out,
		  struct rt_err *err)
{
	return table_iter(t, RT_BLOCK_REF, out, err);
}

int rt_table_logs(const struct rt_table *t, struct rt_iter **out,
		  struct rt_err *err)
{
	return table_iter(t, RT_BLOCK_LOG, out, err);
}

static int wrong_kind(struct rt_err *err, uint8_t type)
{
	return rt_err_set(err, RT_ERR_API, "%s call on an iterator over %s",
			  type == RT_BLOCK_REF ? "log" : "ref",
			  type == RT_BLOCK_REF ? "refs" : "logs");
}

static int seek(struct rt_iter *it, const void *key, size_t len,
		struct rt_err *err)
{
	it->positioned = true;
	return it->merged ? rt_merged_iter_seek(&it->mi, key, len, err) :
			    rt_table_iter_seek(&it->ti, key, len, err);
}

int rt_iter_seek_ref(struct rt_iter *it, const char *name, struct rt_err *err)
{
	if (it->type != RT_BLOCK_REF)
		return wrong_kind(err, it->type);
	return seek(it, name, name ? strlen(name) : 0, err);
}

int rt_iter_seek_log(struct rt_iter *it, const char *refname,
		     struct rt_err *err)
{
	if (it->type != RT_BLOCK_LOG)
		return wrong_kind(err, it->type);
	/*
	 * Log keys are refname NUL reversed-update-index: with the NUL, no
	 * longer refname sorts between the key and the reflog's newest entry.
	 */
	return seek(it, refname, refname ? strlen(refname) + 1 : 0, err);
}

static int next(struct rt_iter *it, struct rt_record *rec, struct rt_err *err)
{
	int ret;

	if (!it->positioned && (ret = seek(it, NULL, 0, err)))
		return ret;
	return it->merged ? rt_merged_iter_next(&it->mi, rec, err) :
			    rt_table_iter_next(&it->ti, rec, err);
}

/*
 * The next record of `type` into the caller's ref or log record `out`
 * (`size` bytes), which travels as the union member of a generic record.
 */
static int next_into(struct rt_iter *it, uint8_t type, void *out, size_t size,
		     struct rt_err *err)
{
	struct rt_record rec = { .type = type };
	int ret;

	if (it->type != type)
		return wrong_kind(err, it->type);
	memcpy(&rec.u, out, size);
	ret = next(it, &rec, err);
	memcpy(out, &rec.u, size);
	return ret;
}

int rt_iter_next_ref(struct rt_iter *it, struct rt_ref_record *ref,
		     struct rt_err *err)
{
	return next_into(it, RT_BLOCK_REF, ref, sizeof(*ref), err);
}

int rt_iter_next_log(struct rt_iter *it, struct rt_log_record *log,
		     struct rt_err *err)
{
	return next_into(it, RT_BLOCK_LOG, log, sizeof(*log), err);
}

void rt_iter_drop_behind(struct rt_iter *it)
{
	if (it->merged)
		rt_merged_iter_drop_behind(&it->mi);
	else
		rt_table_iter_drop_behind(&it->ti);
}

void rt_iter_free(struct rt_iter *it)
{
	if (!it)
		return;
	if (it->merged)
		rt_merged_iter_release(&it->mi);
	else
		rt_table_iter_release(&it->ti);
	free(it);
}

int rt_stack_read_ref(struct rt_stack *st, const char *name,
		      struct rt_ref_record *ref, struct rt_err *err)
{
	struct rt_record rec = { .type = RT_BLOCK_REF };
	struct rt_merged_iter mi;
	size_t len = strlen(name);
	int ret;

	ret = rt_merged_iter_init(&mi, st->tables, st->n, RT_BLOCK_REF, false,
				  err);
	rec.u.ref = *ref;
	if (!ret)
		ret = rt_merged_iter_seek(&mi, name, len, err);
	if (!ret)
		ret = rt_merged_iter_next(&mi, &rec, err);
	*ref = rec.u.ref;
	if (!ret &&
	    (ref->refname.len != len || memcmp(ref->refname.buf, name, len)))
		ret = 1;
	rt_merged_iter_release(&mi);
	return ret;
}
