/*
 * compaction.c: when a stack is to be compacted, and which tables: the
 * geometric rule's segment, or the whole stack when it has more tables
 * than max-tables or more deletion records than tombstone-ratio; and what
 * of that fits in the run's budget (max-bytes-per-run).
 */
#include "scheduler/compaction.h"
#include "lib/include/rt-stack.h"
#include "scheduler/reason.h"

#include <stdlib.h>

static uint64_t sum_of(const uint64_t *v, size_t lo, size_t hi)
{
	uint64_t sum = 0;

	while (lo < hi)
		sum += v[lo++];
	return sum;
}

/*
 * The run of tables within [lo, hi) with the most tables (at least two)
 * whose sizes fit in `budget`, the newest such run on a tie: the most
 * tables gone per byte rewritten. Returns its length, or 0.
 */
static size_t fit_window(const uint64_t *sizes, size_t lo, size_t hi,
			 uint64_t budget, size_t *first, size_t *last,
			 uint64_t *bytes)
{
	size_t k = 0, start = hi;
	uint64_t sum = 0;

	for (size_t end = hi; end > lo; end--) {
		/* The window [start, end): grow it older while it fits. */
		while (start > lo && sum + sizes[start - 1] <= budget)
			sum += sizes[--start];
		if (end - start >= 2 && end - start > k) {
			k = end - start;
			*first = start;
			*last = end - 1;
			*bytes = sum;
		}
		/* Then drop its newest table (or move an empty window on). */
		if (start < end)
			sum -= sizes[end - 1];
		else
			start--;
	}
	return k;
}

size_t sched_fit_segment(const uint64_t *weights, const uint64_t *sizes,
			 size_t n, unsigned factor, uint64_t budget,
			 size_t *first, size_t *last, uint64_t *bytes)
{
	struct rt_segment seg = rt_suggest_segment(weights, n, factor);
	uint64_t seg_bytes = sum_of(sizes, seg.start, seg.end);

	*first = *last = 0;
	*bytes = 0;
	if (seg.end - seg.start < 2)
		return 0;
	if (!budget || seg_bytes <= budget) {
		*first = seg.start;
		*last = seg.end - 1;
		*bytes = seg_bytes;
		return seg.end - seg.start;
	}
	/*
	 * Too big for the budget: part of the segment. Taking only its newest
	 * tables would get stuck once the newest alone eats the budget.
	 */
	return fit_window(sizes, seg.start, seg.end, budget, first, last,
			  bytes);
}

static void set_range(struct sched_item *it, enum sched_compact_mode mode,
		      size_t first, size_t last, uint64_t bytes)
{
	it->due = true;
	it->mode = mode;
	it->first = first;
	it->last = last;
	it->bytes = bytes;
}

/* Part of what is due fits in the budget: that part now, the rest later. */
static void compact_part(struct sched_item *it, size_t first, size_t last,
			 size_t k, uint64_t bytes)
{
	char part[32];

	sched_format_bytes(bytes, part, sizeof(part));
	sched_addf(it,
		   ": compacting tables %zu-%zu (%zu tables, %s) now, the rest "
		   "in later runs",
		   first + 1, last + 1, k, part);
	set_range(it, SCHED_COMPACT_SEGMENT, first, last, bytes);
}

/*
 * The whole stack is due (too many tables or too many deletion records;
 * `why` says which) but exceeds the budget: do what fits.
 */
static void whole_over_budget(const struct sched_stack *s,
			      const uint64_t *weights, const uint64_t *sizes,
			      uint64_t total, unsigned factor, bool for_tables,
			      const struct sched_budget *b,
			      struct sched_item *it)
{
	char have[32], left[32];
	size_t first, last, k;
	uint64_t bytes;

	sched_format_bytes(total, have, sizeof(have));
	sched_format_bytes(b->left, left, sizeof(left));
	sched_addf(it,
		   ", but the whole stack (%s) exceeds the budget left (%s)",
		   have, left);
	k = sched_fit_segment(weights, sizes, s->n, factor, b->left, &first,
			      &last, &bytes);
	if (!k && for_tables)
		/* Fewer tables is the goal: any run of them that fits. */
		k = fit_window(sizes, 0, s->n, b->left, &first, &last, &bytes);
	if (!k) {
		sched_addf(it, "; nothing that helps fits in it");
		return;
	}
	compact_part(it, first, last, k, bytes);
}

/* The compaction heuristics for one stack, within the budget. */
void sched_plan_compaction(const struct policy *p, const struct sched_stack *s,
			   const struct sched_budget *b, struct sched_item *it)
{
	uint64_t refs = 0, logs = 0, dels = 0, total = 0, *weights, *sizes;
	unsigned factor = p->geometric_factor ? p->geometric_factor : 2;
	bool too_many, too_dead;
	struct rt_segment seg;
	char x[32], y[32];

	if (s->n < 2) {
		sched_addf(it, "nothing to compact: %zu table%s", s->n,
			   sched_plural(s->n));
		return;
	}
	weights = calloc(2 * s->n, sizeof(*weights));
	if (!weights) {
		sched_addf(it, "out of memory");
		return;
	}
	sizes = weights + s->n;
	for (size_t i = 0; i < s->n; i++) {
		weights[i] = s->tables[i].weight;
		sizes[i] = s->tables[i].size;
		total += sizes[i];
		refs += s->tables[i].refs;
		logs += s->tables[i].logs;
		dels += s->tables[i].ref_tombstones +
			s->tables[i].log_tombstones;
	}
	too_many = s->n > p->max_tables;
	/* Sizes alone cannot tell: the rule waits for record counts. */
	too_dead = !s->sizes_only && refs + logs + dels &&
		   (double)dels >
			   p->tombstone_ratio * (double)(refs + logs + dels);
	seg = rt_suggest_segment(weights, s->n, factor);

	if (too_many)
		sched_addf(it, "%zu tables exceed max-tables %llu", s->n,
			   (unsigned long long)p->max_tables);
	else if (too_dead)
		sched_addf(
			it,
			"deletion records are %.0f%% of all records (%llu of %llu), "
			"above tombstone-ratio %g",
			100.0 * (double)dels / (double)(refs + logs + dels),
			(unsigned long long)dels,
			(unsigned long long)(refs + logs + dels),
			p->tombstone_ratio);
	else if (seg.end - seg.start >= 2) {
		size_t newer = seg.end - 1;

		sched_format_bytes(weights[newer - 1], x, sizeof(x));
		sched_format_bytes(weights[newer], y, sizeof(y));
		sched_addf(
			it,
			"geometric rule violated: table %zu (%s) < %u x table "
			"%zu (%s)",
			newer, x, factor, newer + 1, y);
	} else {
		sched_addf(it,
			   "nothing to compact: geometric sequence holds (%zu "
			   "tables)",
			   s->n);
		if (s->sizes_only)
			sched_addf(it, "; deletion records not counted (file "
				       "sizes only)");
		goto out;
	}

	if (b->capped && !b->left) {
		sched_format_bytes(b->total, x, sizeof(x));
		sched_addf(it,
			   "; budget exhausted: earlier stacks used all of "
			   "max-bytes-per-run (%s)",
			   x);
	} else if (too_many || too_dead) {
		if (b->capped && total > b->left) {
			whole_over_budget(s, weights, sizes, total, factor,
					  too_many, b, it);
		} else {
			sched_format_bytes(total, x, sizeof(x));
			sched_addf(it, ": whole stack (%zu tables, %s)", s->n,
				   x);
			set_range(it, SCHED_COMPACT_ALL, 0, s->n - 1, total);
		}
	} else {
		size_t first, last, k;
		uint64_t bytes;

		k = sched_fit_segment(weights, sizes, s->n, factor,
				      b->capped ? b->left : 0, &first, &last,
				      &bytes);
		sched_format_bytes(sum_of(sizes, seg.start, seg.end), x,
				   sizeof(x));
		if (k && k == seg.end - seg.start) {
			sched_addf(
				it,
				"; compacting tables %zu-%zu (%zu tables, %s)",
				first + 1, last + 1, k, x);
		} else {
			sched_format_bytes(b->left, y, sizeof(y));
			sched_addf(
				it,
				"; tables %zu-%zu (%s) exceed the budget left (%s)",
				seg.start + 1, seg.end, x, y);
			if (k)
				compact_part(it, first, last, k, bytes);
			else
				sched_addf(it, "; no two of its tables fit");
		}
		if (k)
			set_range(it, SCHED_COMPACT_SEGMENT, first, last,
				  bytes);
	}
out:
	free(weights);
}
