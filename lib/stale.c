/*
 * stale.c: judging tables.list.lock by evidence, and removing a stale
 * lock only if it is still the file that was judged.
 */
#define _GNU_SOURCE
#include "lib/stale.h"
#include "lib/basics.h"
#include "lib/include/rt-clean.h"
#include "lib/stack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_mtime == b->st_mtime;
}

/*
 * A writer closes its lock just before renaming it into place (Git
 * commits tables.list so), and /proc cannot see a file in that moment.
 * So an unheld lock is moved only if, a while later, it is still there,
 * the same file, and still unheld: a writer between its close and its
 * rename has long renamed it by then. 0 and errno ENOENT when it went
 * away, EBUSY when it changed or is held now.
 */
#define SETTLE_NS (250 * 1000 * 1000L)

static bool settled(int dirfd, const char *name, const struct stat *seen)
{
	struct timespec ts = { 0, SETTLE_NS };
	struct rt_open_file f;
	struct stat now;

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (!same_file(&now, seen)) {
		errno = EBUSY;
		return false;
	}
	rt_open_file_of(&f, &now);
	rt_liveness_check(dirfd, &f, 1, NULL, 0);
	if (f.liveness != RT_UNHELD) {
		errno = EBUSY;
		return false;
	}
	return true;
}

/*
 * Moving the file aside first means we decide about exactly the file we
 * then delete; a different (live) lock is put back under its name. The
 * lstat just before keeps the moment a replaced lock is away from its
 * name as short as it can be. With `unheld`, the file moved aside is
 * looked for among open files once more: an inode freed and reused for a
 * new lock within the same second would pass the comparison.
 */
int rt_remove_if_same(int dirfd, const char *name, const struct stat *seen,
		      bool unheld, char parked[RT_PARKED_MAX])
{
	char aside[RT_PARKED_MAX];
	struct stat now;
	int e;

	parked[0] = '\0';
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!same_file(&now, seen)) {
		errno = EBUSY;
		return -1;
	}
	if (unheld && !settled(dirfd, name, seen))
		return errno == ENOENT ? 0 : -1;
	snprintf(aside, sizeof(aside), "%s.stale-%08x", name, rt_random_u32());
	if (renameat(dirfd, name, dirfd, aside) < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstatat(dirfd, aside, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    same_file(&now, seen)) {
		struct rt_open_file f;

		rt_open_file_of(&f, &now);
		if (unheld)
			rt_liveness_check(dirfd, &f, 1, NULL, 0);
		if (!unheld || f.liveness == RT_UNHELD) {
			if (!unlinkat(dirfd, aside, 0))
				return 0;
			goto left;
		}
	}
	if (!renameat2(dirfd, aside, dirfd, name, RENAME_NOREPLACE)) {
		errno = EBUSY;
		return -1;
	}
left:
	/* Never deleted: it may be a live lock. Its new name is told. */
	e = errno;
	snprintf(parked, RT_PARKED_MAX, "%s", aside);
	errno = e;
	return -1;
}

long long rt_file_age(int dirfd, const char *name, time_t now, struct stat *out)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	if (out)
		*out = st;
	return now > st.st_mtime ? (long long)(now - st.st_mtime) : 0;
}

uint64_t rt_stale_age(enum rt_liveness l, uint64_t configured)
{
	if (l == RT_HELD)
		return UINT64_MAX;
	if (l == RT_LIVENESS_UNKNOWN &&
	    configured < RT_UNVERIFIED_STALE_SECONDS)
		return RT_UNVERIFIED_STALE_SECONDS;
	return configured;
}

void rt_open_file_of(struct rt_open_file *f, const struct stat *seen)
{
	memset(f, 0, sizeof(*f));
	f->dev = seen->st_dev;
	f->ino = seen->st_ino;
	f->uid = seen->st_uid;
}

const char *rt_list_lock_state_name(enum rt_list_lock_state s)
{
	static const char *const names[] = {
		[RT_LIST_LOCK_NONE] = "none",
		[RT_LIST_LOCK_BUSY] = "busy",
		[RT_LIST_LOCK_CLEARED] = "cleared",
		[RT_LIST_LOCK_DEAD] = "dead",
		[RT_LIST_LOCK_STUCK] = "stuck",
		[RT_LIST_LOCK_UNVERIFIED] = "unverified",
	};

	return s <= RT_LIST_LOCK_UNVERIFIED ? names[s] : "?";
}

static int judge(int dirfd, const struct rt_clean_options *opts, bool clear,
		 struct rt_list_lock_check *out, char parked[RT_PARKED_MAX])
{
	time_t now = opts->now ? opts->now : time(NULL);
	struct rt_open_file f;
	struct stat seen;
	long long age;
	bool remove;

	memset(out, 0, sizeof(*out));
	parked[0] = '\0';
	age = rt_file_age(dirfd, "tables.list.lock", now, &seen);
	if (age < 0) {
		/* Gone, or not a regular file: never ours to remove. */
		if (fstatat(dirfd, "tables.list.lock", &seen,
			    AT_SYMLINK_NOFOLLOW) < 0)
			return 0;
		out->state = RT_LIST_LOCK_UNVERIFIED;
		snprintf(out->why, sizeof(out->why), "not a regular file");
		return 0;
	}
	out->age_seconds = (uint64_t)age;
	out->state = RT_LIST_LOCK_BUSY;
	/* Young: Git holds it for milliseconds; no need to look further. */
	if (age < RT_DEAD_LOCK_SECONDS)
		return 0;
	rt_open_file_of(&f, &seen);
	rt_liveness_check(dirfd, &f, 1, out->why, sizeof(out->why));
	if (f.liveness == RT_HELD) {
		out->holder_pid = f.pid;
		out->why[0] = '\0';
		if ((uint64_t)age >= opts->stale_lock_seconds)
			out->state = RT_LIST_LOCK_STUCK;
		return 0;
	}
	if (f.liveness == RT_UNHELD) {
		out->state = RT_LIST_LOCK_DEAD;
		remove = true;
	} else {
		if ((uint64_t)age >= opts->stale_lock_seconds)
			out->state = RT_LIST_LOCK_UNVERIFIED;
		remove = opts->remove_stale_locks &&
			 (uint64_t)age >=
				 rt_stale_age(f.liveness,
					      opts->stale_lock_seconds);
	}
	if (!clear || !remove)
		return 0;
	if (rt_remove_if_same(dirfd, "tables.list.lock", &seen,
			      f.liveness == RT_UNHELD, parked) == 0) {
		out->state = RT_LIST_LOCK_CLEARED;
		return 0;
	}
	if (errno == EBUSY &&
	    !parked[0]) { /* someone took the lock meanwhile */
		out->state = RT_LIST_LOCK_BUSY;
		return 0;
	}
	return -1;
}

int rt_stack_check_list_lock(struct rt_stack *st,
			     const struct rt_clean_options *opts, bool clear,
			     struct rt_list_lock_check *out, struct rt_err *err)
{
	char parked[RT_PARKED_MAX];

	/* The stack's own handle: never a symlinked directory. */
	if (!judge(st->dirfd, opts, clear, out, parked))
		return 0;
	if (parked[0])
		return rt_err_errno(err, RT_ERR_IO,
				    "%s/tables.list.lock, moved aside to be "
				    "removed, is left as %s/%s (remove it once "
				    "no process holds it)",
				    st->dir, st->dir, parked);
	return rt_err_errno(err, RT_ERR_IO, "cannot remove %s/tables.list.lock",
			    st->dir);
}
