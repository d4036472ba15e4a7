/*
 * rt-liveness.h: whether a lock or temp file is still in use, judged by
 * evidence (a live process holds it open), and the ages below which no
 * file is ever judged by age alone.
 *
 * Git keeps tables.list.lock and the temp table it writes open while it
 * uses them, so on Linux their holder is found among the open descriptors
 * of /proc/<pid>/fd, compared by device and inode (robust to the renames
 * that commit them). Git closes its <table>.lock files while it compacts;
 * the temp table it writes meanwhile is their evidence (rt-clean.h).
 */
#ifndef RT_LIVENESS_H
#define RT_LIVENESS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The smallest stale-lock age and grace period accepted (command line and
 * policy). A held file is never stale whatever its age; these only guard
 * the instants where a writer has closed a file it still uses (Git closes
 * a temp table, then waits up to its lock timeout, 100 ms by default, for
 * tables.list.lock before renaming it) and file systems with one-second
 * or coarser modification times.
 */
#define RT_MIN_STALE_LOCK_SECONDS 10
#define RT_MIN_GRACE_SECONDS 10
/*
 * A tables.list.lock no live process holds, at least this old, was left
 * by a dead process: Git holds it for milliseconds and keeps it open.
 */
#define RT_DEAD_LOCK_SECONDS 5
/*
 * When liveness cannot be told (no /proc, a network file system, processes
 * whose descriptors cannot be read), a file is stale only past its
 * configured age and at least this old: the default stale-lock age.
 */
#define RT_UNVERIFIED_STALE_SECONDS 3600

enum rt_liveness {
	RT_UNHELD, /* every process that could hold it was seen: none does */
	RT_HELD, /* a live process has it open */
	RT_LIVENESS_UNKNOWN, /* some process that could hold it is unseen */
};

/* One file to look for: its identity as lstat() saw it, and the answer. */
struct rt_open_file {
	dev_t dev;
	ino_t ino;
	uid_t uid; /* the owner: only processes running as it could hold it */
	enum rt_liveness liveness; /* out */
	long pid; /* out: RT_HELD, one process holding it */
};

/*
 * Look for the `n` files in one pass over every process's open
 * descriptors. `dirfd` is the directory holding them: on a network file
 * system (NFS, SMB, Ceph, FUSE, ...) processes of other hosts cannot be
 * seen, so what is not seen held is RT_LIVENESS_UNKNOWN. When any answer
 * is unknown and `why` is not NULL, it says why in at most `whylen`
 * bytes. Linux only; elsewhere every answer is unknown.
 */
void rt_liveness_check(int dirfd, struct rt_open_file *files, size_t n,
		       char *why, size_t whylen);

#endif
