/*
 * stale.h: removing a lock judged stale, and the ages that judge one.
 * The one place that renames or unlinks a lock file someone else made.
 */
#ifndef RT_LIB_STALE_H
#define RT_LIB_STALE_H

#include "lib/include/rt-liveness.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Room for a lock's name moved aside: <name>.stale-XXXXXXXX. */
#define RT_PARKED_MAX 300

/*
 * Remove `name` in `dirfd` only if it is still the file `seen` (same
 * device, inode and modification time): its holder may have released it
 * and another taken the lock since. With `unheld` (it was judged so), it
 * is removed only if still no live process holds it open. 0 when removed
 * (or gone already), -1 with errno (EBUSY: another file has the name now,
 * or a live process holds it; it is left there). The file is moved aside
 * to be judged; when it can then neither be removed nor put back (a new
 * lock took its name meanwhile), it is left under that other name, given
 * in `parked` (else empty), and never deleted.
 */
int rt_remove_if_same(int dirfd, const char *name, const struct stat *seen,
		      bool unheld, char parked[RT_PARKED_MAX]);

/*
 * Age in seconds at `now` of the regular file `name` in `dirfd` (not
 * following symlinks), its lstat in *out; -1 if there is none.
 */
long long rt_file_age(int dirfd, const char *name, time_t now,
		      struct stat *out);

/*
 * The age at which a file of liveness `l` is stale by age, given the
 * configured age: the configured one, or for an unknown liveness at least
 * RT_UNVERIFIED_STALE_SECONDS. UINT64_MAX (never) for a held file.
 */
uint64_t rt_stale_age(enum rt_liveness l, uint64_t configured);

/* The identity of `seen` to look for among open files. */
void rt_open_file_of(struct rt_open_file *f, const struct stat *seen);

#endif
