/*
 * logfilter.c: the one-record-lookahead walk over merged log records.
 */
#include "lib/logfilter.h"
#include "lib/stack.h"

#include <stdlib.h>
#include <string.h>

int rt_log_walk_init(struct rt_log_walk *w, struct rt_table **tables, size_t n,
		     bool show_deletions, struct rt_err *err)
{
	memset(w, 0, sizeof(*w));
	rt_record_init(&w->recs[0], RT_BLOCK_LOG);
	rt_record_init(&w->recs[1], RT_BLOCK_LOG);
	w->cur = &w->recs[0];
	w->ahead = &w->recs[1];
	w->ahead_state = -1;
	return rt_merged_iter_start(&w->mi, tables, n, RT_BLOCK_LOG,
				    show_deletions, err);
}

int rt_log_walk_new(struct rt_log_walk **out, struct rt_stack *st,
		    struct rt_err *err)
{
	struct rt_log_walk *w = malloc(sizeof(*w));
	int ret;

	*out = NULL;
	if (!w)
		return rt_err_oom(err);
	ret = rt_log_walk_init(w, st->tables, st->n, false, err);
	if (ret) {
		rt_log_walk_free(w);
		return ret;
	}
	*out = w;
	return 0;
}

void rt_log_walk_free(struct rt_log_walk *w)
{
	if (!w)
		return;
	rt_log_walk_release(w);
	free(w);
}

int rt_log_walk_next(struct rt_log_walk *w, struct rt_log_record **log,
		     bool *last, struct rt_err *err)
{
	struct rt_record *tmp;
	int ret;

	if (w->ahead_state < 0) {
		w->ahead_state = rt_merged_iter_next(&w->mi, w->ahead, err);
		if (w->ahead_state < 0)
			return w->ahead_state;
		w->ahead_origin = w->mi.origin;
	}
	if (w->ahead_state == 1)
		return 1;
	tmp = w->cur;
	w->cur = w->ahead;
	w->ahead = tmp;
	w->cur_origin = w->ahead_origin;
	ret = rt_merged_iter_next(&w->mi, w->ahead, err);
	if (ret < 0)
		return ret;
	w->ahead_state = ret;
	w->ahead_origin = w->mi.origin;
	*last = ret == 1 ||
		rt_buf_cmp(&w->cur->u.log.refname, &w->ahead->u.log.refname);
	*log = &w->cur->u.log;
	return 0;
}

void rt_log_walk_release(struct rt_log_walk *w)
{
	rt_merged_iter_release(&w->mi);
	rt_record_release(&w->recs[0]);
	rt_record_release(&w->recs[1]);
}

void rt_log_make_placeholder(struct rt_log_record *log)
{
	log->value_type = RT_LOG_UPDATE;
	memset(log->old_id, 0, sizeof(log->old_id));
	memset(log->new_id, 0, sizeof(log->new_id));
	rt_buf_reset(&log->name);
	rt_buf_reset(&log->email);
	rt_buf_reset(&log->message);
	log->time = 0;
	log->tz_offset = 0;
}

bool rt_log_is_placeholder(const struct rt_log_record *log)
{
	static const uint8_t zero[RT_MAX_HASH_SIZE];

	return log->value_type == RT_LOG_UPDATE &&
	       !memcmp(log->old_id, zero, sizeof(zero)) &&
	       !memcmp(log->new_id, zero, sizeof(zero));
}
