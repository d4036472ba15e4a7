/*
 * lock.h: lock files and temp files, as Git makes them.
 *
 * A lock on <path> is the file <path>.lock created with O_EXCL; committing
 * it renames it over <path>, releasing it unlinks it. A temp file is
 * created with O_EXCL under a pattern ending in XXXXXX, fsynced, then
 * renamed into place; the directory is fsynced after every rename so the
 * new name is durable.
 *
 * Every file the library creates in a stack directory is created here,
 * with O_EXCL and O_NOFOLLOW relative to the stack's directory descriptor
 * (rt-file.h), so none is ever written through a symlink (objsort.c's
 * scratch file is unnamed and lives elsewhere). Files are removed only
 * where the protocol allows: here, our own lock and temp files; in
 * stack.c and compact.c, a new table that did not get listed and the
 * tables a committed compaction unlisted; in clean.c, leftovers (regular
 * files only, judged under tables.list.lock).
 */
#ifndef RT_LIB_LOCK_H
#define RT_LIB_LOCK_H

#include "lib/include/rt-error.h"
#include "lib/include/rt-file.h"

#include <fcntl.h> /* AT_FDCWD */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rt_lock {
	char *path; /* <target>.lock; NULL when not held */
	int fd;
	/* The directory the lock is in (not owned), or AT_FDCWD. */
	int dirfd;
	/* Identity of our lock file: release never removes someone else's. */
	dev_t dev;
	ino_t ino;
	/*
	 * Set once rt_lock_commit() renamed the lock over its target: from
	 * then on the new content is visible, even if the commit reports an
	 * error (the directory fsync failed), and callers must not undo it.
	 */
	bool committed;
	uint64_t acquired_ns; /* CLOCK_MONOTONIC */
	uint64_t held_ns; /* of the last hold, set when it ends */
};

/* clang-format off */
#define RT_LOCK_INIT { NULL, -1, AT_FDCWD, 0, 0, false, 0, 0 }
/* clang-format on */

/*
 * Create <target>.lock. When it exists, retry with randomised backoff for
 * up to `timeout_ms` (0: try once; < 0: wait indefinitely), then fail with
 * RT_ERR_LOCK. `mode` 0 leaves the permissions to the umask. `dirfd` is
 * the directory holding `target` (rt_dir_open()), used for every call on
 * the lock until it is committed or released, or AT_FDCWD; `target` names
 * the file in messages either way.
 */
int rt_lock_acquire(struct rt_lock *l, int dirfd, const char *target,
		    long timeout_ms, mode_t mode, struct rt_err *err);
/* Write all of `data` to the lock file. */
int rt_lock_write(struct rt_lock *l, const void *data, size_t len,
		  struct rt_err *err);
/*
 * fsync, close and rename the lock over its target; fsync the directory.
 * On error, check `committed`: the rename may have happened already.
 */
int rt_lock_commit(struct rt_lock *l, struct rt_err *err);
/* Close the descriptor but keep holding the lock (the file stays). */
void rt_lock_close_fd(struct rt_lock *l);
/*
 * Give the lock up: remove the lock file, unless it is no longer ours (a
 * stale-lock cleanup removed it and someone else took the lock). Safe on a
 * released lock.
 */
void rt_lock_release(struct rt_lock *l);

struct rt_tmpfile {
	char *path; /* NULL once renamed or deleted */
	int fd;
	int dirfd; /* as for rt_lock */
	/* Writes are gathered here: a table is written in small blocks. */
	char *buf;
	size_t len;
};

/* clang-format off */
#define RT_TMPFILE_INIT { NULL, -1, AT_FDCWD, NULL, 0 }
/* clang-format on */

/*
 * Create a temp file from `pattern`, whose XXXXXX become random
 * characters. `mode` 0 leaves it 0600; Git uses 0666 & ~umask, or shared
 * permissions.
 */
int rt_tmpfile_create(struct rt_tmpfile *t, int dirfd, const char *pattern,
		      mode_t mode, struct rt_err *err);
/* A write function for rt_writer that writes to the temp file. */
int rt_tmpfile_write(void *tmpfile, const void *data, size_t len);
/*
 * fsync and close. Done before taking tables.list.lock: syncing a large
 * table must not happen while other writers wait for the lock.
 */
int rt_tmpfile_sync(struct rt_tmpfile *t, struct rt_err *err);
/*
 * Rename a synced temp file to `dest`, in the same directory. The directory is not synced here:
 * the tables.list commit that follows syncs it once for both renames.
 */
int rt_tmpfile_rename(struct rt_tmpfile *t, const char *dest,
		      struct rt_err *err);
/* Remove the temp file if it still exists. */
void rt_tmpfile_delete(struct rt_tmpfile *t);
/*
 * A temp file without a name in directory `dirfd` (O_TMPFILE): gone with
 * its descriptor, whatever happens. Where the file system has no
 * O_TMPFILE, one named from `pattern` (as rt_tmpfile_create()), unlinked
 * at once. Release it with rt_tmpfile_delete().
 */
int rt_tmpfile_unnamed(struct rt_tmpfile *t, int dirfd, const char *pattern,
		       struct rt_err *err);
/* Append bytes [off, off + len) of those written to `src` to `dst`. */
int rt_tmpfile_append(struct rt_tmpfile *dst, struct rt_tmpfile *src,
		      uint64_t off, uint64_t len);
/*
 * Append bytes [off, off + len) of the file `src_fd` to `dst`. The bytes
 * must be in the file already (written, not gathered in a buffer); the
 * file's own position is neither used nor moved, so another thread may
 * go on writing to it.
 */
int rt_tmpfile_append_range(struct rt_tmpfile *dst, int src_fd, uint64_t off,
			    uint64_t len);
/*
 * Write out what is gathered and fdatasync, keeping the file open: the
 * final rt_tmpfile_sync() then has only what comes after to write.
 */
int rt_tmpfile_sync_data(struct rt_tmpfile *t, struct rt_err *err);

#endif
