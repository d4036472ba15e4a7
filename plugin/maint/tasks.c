/*
 * tasks.c: cleaning and compacting one stack, for the commands and `run`.
 */
#include "plugin/maint/tasks.h"

#include <string.h>

/* Retries when a concurrent writer changed tables.list under us. */
#define OUTDATED_RETRIES 5

void clean_options_from_policy(const struct policy *p,
			       struct rt_clean_options *o)
{
	o->grace_seconds = p->grace.never ? UINT64_MAX : p->grace.seconds;
	o->stale_lock_seconds = p->stale_lock.never ? UINT64_MAX :
						      p->stale_lock.seconds;
	o->remove_stale_locks = p->remove_stale_locks;
}

struct report_ctx {
	const char *label;
	FILE *out;
	struct clean_summary *sum;
};

static void report(void *arg, const struct rt_clean_item *it)
{
	static const char *const kinds[] = { "orphan table", "temp file",
					     "stale lock" };
	struct report_ctx *r = arg;

	if (it->removed)
		r->sum->removed++;
	else
		r->sum->kept++;
	if (!r->out)
		return;
	if (it->removed)
		fprintf(r->out, "%s: removed %s %s (age %llu s)\n", r->label,
			kinds[it->kind], it->name,
			(unsigned long long)it->age_seconds);
	else
		fprintf(r->out, "%s: kept %s %s (age %llu s): %s\n", r->label,
			kinds[it->kind], it->name,
			(unsigned long long)it->age_seconds, it->why_kept);
}

int clean_stack(struct rt_stack *st, const char *label,
		const struct rt_clean_options *o, FILE *out,
		struct clean_summary *sum, struct rt_err *err)
{
	struct report_ctx r = { .label = label, .out = out, .sum = sum };

	memset(sum, 0, sizeof(*sum));
	return rt_stack_clean(st, o, report, &r, err);
}

int compact_retrying(struct rt_stack *st, compact_choose_fn choose, void *arg,
		     const struct rt_compact_options *opts,
		     struct rt_compact_result *res, struct rt_err *err)
{
	for (int attempt = 0;; attempt++) {
		size_t first, last;
		int ret;

		memset(res, 0, sizeof(*res));
		res->tables_before = res->tables_after =
			rt_stack_table_count(st);
		if (!choose(st, arg, &first, &last))
			return 1;
		rt_err_clear(err);
		ret = rt_stack_compact_range(st, first, last, opts, res, err);
		if (ret != RT_ERR_OUTDATED || attempt >= OUTDATED_RETRIES)
			return ret;
		rt_err_clear(err);
		if ((ret = rt_stack_reload(st, err)))
			return ret;
	}
}
