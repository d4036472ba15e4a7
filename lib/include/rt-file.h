/*
 * rt-file.h: replacing a small file atomically and durably, the way the
 * library commits tables.list, for callers' own files (state, config).
 */
#ifndef RT_FILE_H
#define RT_FILE_H

#include "rt-error.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace the file at `path` with `data` so that a reader sees either the
 * old content or all of the new, and a crash leaves one of the two: a temp
 * file beside it (<path>.XXXXXX, created with O_EXCL), written, fsynced,
 * renamed over `path`, then the directory fsynced. A symlink at `path` is
 * replaced by the new file, never written through. `mode` 0 means 0666
 * less the process's umask (applied by the kernel at creation, so threads
 * need not agree on the umask); otherwise the file gets exactly `mode`.
 * On error nothing is left behind and `path` is unchanged, unless the
 * rename happened and only the directory fsync failed: then the new
 * content is in place but maybe not durable yet.
 */
int rt_file_replace(const char *path, const void *data, size_t len, mode_t mode,
		    struct rt_err *err);

/*
 * fsync the directory that holds `path`, so that a rename or link made in
 * it is durable (for callers that rename on their own, e.g. a symlink).
 */
int rt_fsync_parent(const char *path, struct rt_err *err);

#endif
