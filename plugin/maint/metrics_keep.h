/*
 * metrics_keep.h: the metrics a repository's last `stats --prometheus
 * --keep` printed, kept in its git dir, so that `fleet run --metrics` can
 * report a repository with nothing due without starting anything in it.
 *
 * The kept block is headed by the identity of what it describes: the git
 * dir (the label), the geometric factor (compaction_due), per stack
 * tables.list and every table it names (inode, size, mtime and ctime in
 * ns), and the state file (the task gauges). Tables are never rewritten
 * in place; tables.list and the state file are replaced by rename, which
 * gives a new inode; so while the identity is unchanged, so is every
 * gauge the block holds. A block is only written when no gauge depends on
 * the clock: every stack readable and no tables.list.lock (its age).
 */
#ifndef PLUGIN_MAINT_METRICS_KEEP_H
#define PLUGIN_MAINT_METRICS_KEEP_H

#include "lib/include/rt-basics.h"
#include "lib/include/rt-error.h"
#include "plugin/git/repo.h"

#include <stddef.h>
#include <sys/types.h>

/* In the git dir (the label is the git dir's), beside the state file. */
#define METRICS_KEEP_FILE "reftable-metrics.prom"

/*
 * The identity of `repo`'s metrics with geometric factor `factor`, one
 * line, into `id` (reset first). 0; RT_ERR_NOMEM; another rt_error when a
 * part cannot be looked at (a listed table gone: then nothing is kept).
 */
int metrics_keep_identity(const struct repo *repo, unsigned factor,
			  struct rt_buf *id);

/*
 * Keep `text` (Prometheus text) for identity `id` in the git dir:
 * replaced atomically (temp file and rename, never through a symlink)
 * with `mode` (the repository's, core.sharedRepository). 0, or an
 * rt_error with `err` set.
 */
int metrics_keep_write(const struct repo *repo, const struct rt_buf *id,
		       const char *text, size_t len, mode_t mode,
		       struct rt_err *err);

/*
 * The kept text into `text`, when its identity is `repo`'s now (with
 * `factor`): 0. Otherwise (none kept, another identity, unreadable) a
 * negative rt_error and `text` empty.
 */
int metrics_keep_read(const struct repo *repo, unsigned factor,
		      struct rt_buf *text);

#endif
