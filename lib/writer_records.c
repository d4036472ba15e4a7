/*
 * writer_records.c: the records a table's writer takes, refs then logs,
 * checked against the table's update-index range and the section order
 * before they go into blocks (lib/writer.c); log records decoded, their
 * messages normalised unless kept exact, or raw, copied from a source
 * block.
 */
#include "lib/writer.h"
#include "lib/writer_internal.h"

#include <string.h>

int rt_writer_add_ref(struct rt_writer *w, const struct rt_ref_record *ref,
		      struct rt_err *err)
{
	struct rt_record rec = { .type = RT_BLOCK_REF };
	int ret;

	if (w->closed || (w->section_type && w->section_type != RT_BLOCK_REF))
		return rt_err_set(err, RT_ERR_API,
				  "refs must be added before logs");
	if (ref->update_index < w->min_update_index ||
	    ref->update_index > w->max_update_index)
		return rt_err_set(
			err, RT_ERR_API,
			"ref '%.*s'%s has update index %llu "
			"outside %llu..%llu",
			SHOWN_KEY(ref->refname.buf ? ref->refname.buf : ""),
			(unsigned long long)ref->update_index,
			(unsigned long long)w->min_update_index,
			(unsigned long long)w->max_update_index);
	if (ref->value_type > RT_REF_SYMREF)
		return rt_err_set(err, RT_ERR_API, "bad ref value type %d",
				  ref->value_type);
	w->section_type = RT_BLOCK_REF;
	rec.u.ref = *ref;
	ret = writer_add_record(w, &rec, err);
	if (ret)
		return ret;
	w->stats.refs++;
	if (w->opts.skip_index_objects)
		return 0;
	/* w->next is the position of the block that now holds the ref. */
	if (ref->value_type == RT_REF_VAL1 || ref->value_type == RT_REF_VAL2)
		ret = writer_obj_push(w, ref->value, err);
	if (!ret && ref->value_type == RT_REF_VAL2)
		ret = writer_obj_push(w, ref->peeled, err);
	return ret;
}

/* Git's normalisation: one trailing newline, no inner ones. */
static int normalize_message(struct rt_writer *w, const struct rt_buf *in,
			     struct rt_err *err)
{
	size_t n = in->len;

	while (n && in->buf[n - 1] == '\n')
		n--;
	if (memchr(in->buf, '\n', n))
		return rt_err_set(err, RT_ERR_API,
				  "log message has more than one line");
	if (rt_buf_set(&w->msg, in->buf, n) || rt_buf_addch(&w->msg, '\n'))
		return rt_err_oom(err);
	return 0;
}

int rt_writer_add_log(struct rt_writer *w, const struct rt_log_record *log,
		      struct rt_err *err)
{
	struct rt_record rec = { .type = RT_BLOCK_LOG };
	int ret;

	if (w->closed)
		return rt_err_set(err, RT_ERR_API, "writer is closed");
	if (log->update_index > w->max_update_index)
		return rt_err_set(err, RT_ERR_API,
				  "log of '%s' has update index %llu above "
				  "the table's maximum %llu",
				  log->refname.buf ? log->refname.buf : "",
				  (unsigned long long)log->update_index,
				  (unsigned long long)w->max_update_index);
	if ((ret = writer_enter_log_section(w, err)))
		return ret;
	rec.u.log = *log;
	if (!w->opts.exact_log_message && log->value_type == RT_LOG_UPDATE &&
	    log->message.buf) {
		if ((ret = normalize_message(w, &log->message, err)))
			return ret;
		rec.u.log.message = w->msg;
	}
	ret = writer_add_record(w, &rec, err);
	if (!ret)
		w->stats.logs++;
	return ret;
}

int writer_add_log_raw(struct rt_writer *w, const struct rt_buf *key,
		       const struct rt_raw_value *raw, struct rt_err *err)
{
	uint64_t update_index;
	int ret;

	if (w->closed)
		return rt_err_set(err, RT_ERR_API, "writer is closed");
	/* The bytes go in as they are: no message to normalize. */
	if (!w->opts.exact_log_message)
		return rt_err_set(err, RT_ERR_API,
				  "raw log records need exact messages");
	if (key->len < 9)
		return rt_err_set(err, RT_ERR_API, "malformed log key");
	/* SHOWN_KEY stops at the NUL that ends the key's refname. */
	update_index = rt_log_key_update_index(key);
	if (update_index > w->max_update_index)
		return rt_err_set(err, RT_ERR_API,
				  "log of '%.*s'%s has update index %llu above "
				  "the table's maximum %llu",
				  SHOWN_KEY(key->buf),
				  (unsigned long long)update_index,
				  (unsigned long long)w->max_update_index);
	if ((ret = writer_enter_log_section(w, err)))
		return ret;
	if (rt_buf_set(&w->key, key->buf, key->len))
		return rt_err_oom(err);
	ret = writer_add_keyed(w, RT_BLOCK_LOG, NULL, raw, err);
	if (!ret) {
		w->stats.logs++;
		w->stats.logs_raw++;
	}
	return ret;
}
