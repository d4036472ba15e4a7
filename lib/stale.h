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

/* A lock judged stale, to remove only if it still is (rt_remove_stale()). */
struct rt_stale_lock {
	const char *name; /* in the directory */
	struct stat seen; /* its lstat when judged */
	bool unheld; /* judged so by evidence (not by age alone) */
	/* out: 0 removed (or gone already), -1 kept with `error` (errno) */
	int ret, error;
	/*
	 * out: when it was moved aside to be judged and then could neither be
	 * removed nor put back (a new lock took its name meanwhile), the name
	 * it is left under (never deleted); else empty.
	 */
	char parked[RT_PARKED_MAX];
};

/*
 * Remove each of the `n` locks in `dirfd` only if it is still the file
 * `seen` (same device, inode and modification time): its holder may have
 * released it and another taken the lock since. One judged `unheld` is
 * removed only if, after a settling wait, it is still that file and still
 * no live process holds it open, nor the file moved aside to be removed.
 * One wait and one look through open files per step serve all `n`.
 * error EBUSY: another file has the name now, or a live process holds it
 * (or may: liveness unknown), or another cleaner kept the directory's
 * removals to itself too long; it is left there. Cleaners of one
 * directory move locks aside one at a time (an flock on the directory),
 * so none ever moves the lock a writer took just after another removed
 * the dead one both judged.
 */
void rt_remove_stale(int dirfd, struct rt_stale_lock *locks, size_t n);

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

/* What a lock or temp file at least its configured age old is. */
enum rt_verdict {
	RT_VERDICT_HELD, /* a live process holds it open */
	/* Whether one does cannot be told, and it is younger than
	 * rt_stale_age(): taken as live. */
	RT_VERDICT_UNSURE,
	RT_VERDICT_STALE, /* no live process holds it, or unsure but old */
};

/*
 * The one decision for a file `age` seconds old, of liveness `l`
 * (rt_liveness_check()), stale at `configured` seconds when unheld.
 */
enum rt_verdict rt_stale_verdict(enum rt_liveness l, uint64_t age,
				 uint64_t configured);

/* The identity of `seen` to look for among open files. */
void rt_open_file_of(struct rt_open_file *f, const struct stat *seen);

#endif
