/*
 * compact_merge.h: the merge passes of a compaction (lib/compact_merge.c),
 * as lib/compact.c runs them.
 */
#ifndef RT_LIB_COMPACT_MERGE_H
#define RT_LIB_COMPACT_MERGE_H

#include "lib/include/rt-compact.h"
#include "lib/lock.h"
#include "lib/stack.h"
#include "lib/writer.h"

#include <stdatomic.h>

struct merge_state {
	struct rt_stack *st;
	size_t first, last;
	const struct rt_compact_options *opts;
	struct rt_compact_result *res;
	/* Set when the refs' side of a split merge failed: logs, give up. */
	const atomic_bool *stop;
};

/*
 * Whether compact_write_merged() will merge the logs apart, on a thread
 * of their own: when `wo` allows threads, no filter is set, the segment
 * has refs, and is large (see rt_compact_options.logs_apart).
 */
bool compact_logs_apart(const struct merge_state *m,
			const struct rt_write_options *wo);
/*
 * The merged records of the segment, refs then logs, into `w`, which
 * writes to `tmp` (the logs, on a large segment, merged meanwhile on a
 * thread of their own into a file of their own, then appended).
 */
int compact_write_merged(struct rt_writer *w, const struct rt_write_options *wo,
			 struct rt_tmpfile *tmp, struct merge_state *m,
			 struct rt_err *err);

#endif
