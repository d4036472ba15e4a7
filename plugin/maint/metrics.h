/*
 * metrics.h: the Prometheus text format (version 0.0.4) of our gauges, in
 * one place, for `stats --prometheus` and `fleet run --metrics`.
 *
 * The format allows one HELP and one TYPE line per metric family, with
 * every sample of the family right after them. So samples are collected
 * per family first and written out family by family: any number of
 * repositories' samples (each labelled repo="...") then make one valid
 * file, which node_exporter's textfile collector and `promtool check
 * metrics` accept. Nothing here prints: the text goes into a buffer.
 */
#ifndef PLUGIN_MAINT_METRICS_H
#define PLUGIN_MAINT_METRICS_H

#include "lib/include/rt-basics.h"
#include "lib/include/rt-error.h"
#include "plugin/git/repo.h"

#include <stddef.h>
#include <stdint.h>

enum metric {
	METRIC_STACK_READABLE,
	METRIC_TABLES,
	METRIC_BYTES,
	METRIC_REFS,
	METRIC_REF_RECORDS,
	METRIC_LOG_ENTRIES,
	METRIC_TOMBSTONES,
	METRIC_COMPACTION_DUE,
	METRIC_LIST_LOCK_AGE,
	METRIC_LIST_LOCK_HELD,
	METRIC_LIST_LOCK_DEAD,
	METRIC_TASK_LAST_RUN,
	METRIC_TASK_OUTCOME,
	METRIC_TASK_DURATION,
	METRIC_FLEET_OUTCOME,
	METRIC_FLEET_DURATION,
	METRIC_FLEET_LAST_RUN,
	METRIC_N
};

/* The samples of every family, each in its own buffer. */
struct metrics {
	struct rt_buf fam[METRIC_N];
};

void metrics_init(struct metrics *m);
void metrics_release(struct metrics *m);

/*
 * Add one sample of `m`: its labels are the NULL-ended name, value, name,
 * value, ... pairs of `labels` (values escaped as the format wants), its
 * value `v` written exactly when it is a whole number below 2^53. 0, or
 * RT_ERR_NOMEM.
 */
int metrics_add(struct metrics *ms, enum metric m, const char *const *labels,
		double v);

/*
 * Add the sample lines of the text `text` (another process's output in
 * this format): comment lines are dropped, a sample goes to its family.
 * Returns the number of lines of no family of ours (dropped too), or
 * RT_ERR_NOMEM.
 */
int metrics_add_text(struct metrics *ms, const char *text, size_t len);

/*
 * The gauges of `repo` that need no table opened: per task its last run,
 * outcome and duration from the state file (scheduler/state.h).
 * RT_ERR_FORMAT
 * and the like when the state file cannot be read.
 */
int metrics_add_repo(struct metrics *ms, const struct repo *repo,
		     struct rt_err *err);

/* Every family, HELP and TYPE then its samples, appended to `out`. */
int metrics_format(const struct metrics *ms, struct rt_buf *out);

#endif
