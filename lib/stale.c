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
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/*
 * The same file, unchanged: inode numbers are reused at once on ext4 (a
 * lock created right after another is removed often gets its number), so
 * the size and the modification time to the nanosecond must match too.
 * A rename does not change either.
 */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * A writer closes its lock just before renaming it into place (Git
 * commits tables.list so), and /proc cannot see a file in that moment.
 * So an unheld lock is moved only if, a while later, it is still there,
 * the same file, and still unheld: a writer between its close and its
 * rename has long renamed it by then. One wait serves every lock.
 */
#define SETTLE_NS (250 * 1000 * 1000L)

/* A lock still to be decided: ret is 1 until it is. */
#define PENDING 1

static void decide(struct rt_stale_lock *l, int ret, int error)
{
	l->ret = ret;
	l->error = error;
}

/* Whether `l` is still its file under its name; decided if not. */
static bool still_same(int dirfd, struct rt_stale_lock *l)
{
	struct stat now;

	if (fstatat(dirfd, l->name, &now, AT_SYMLINK_NOFOLLOW) < 0)
		decide(l, errno == ENOENT ? 0 : -1, errno);
	else if (!same_file(&now, &l->seen))
		decide(l, -1, EBUSY);
	return l->ret == PENDING;
}

/*
 * Look for the pending locks `want` selects among open files in one
 * pass; those found held, or whose liveness cannot be told, are decided
 * EBUSY (left as they are).
 */
static void still_unheld(int dirfd, struct rt_stale_lock *l, size_t n,
			 struct rt_open_file *f,
			 bool (*want)(const struct rt_stale_lock *))
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (l[i].ret == PENDING && want(&l[i]))
			rt_open_file_of(&f[k++], &l[i].seen);
	if (!k)
		return;
	rt_liveness_check(dirfd, f, k, NULL, 0);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (l[i].ret == PENDING && want(&l[i]) &&
		    f[k++].liveness != RT_UNHELD)
			decide(&l[i], -1, EBUSY);
}

static bool judged_unheld(const struct rt_stale_lock *l)
{
	return l->unheld;
}

/* Moved aside, it is the file judged, judged unheld. */
static bool aside_unheld(const struct rt_stale_lock *l)
{
	return l->unheld && l->parked[0];
}

/* Put a file moved aside back under its name, if that is still free. */
static void put_back(int dirfd, struct rt_stale_lock *l)
{
	if (!renameat2(dirfd, l->parked, dirfd, l->name, RENAME_NOREPLACE))
		l->parked[0] = '\0';
	else
		decide(l, -1, errno);
}

/*
 * How long a cleaner waits for another one's move aside (a few system
 * calls) before leaving its locks for the next time.
 */
#define SERIALIZE_WAIT_MS 1000

/*
 * One cleaner at a time moves locks aside in a directory: an flock(2) on
 * a descriptor of the directory of its own (Git takes none). Without it,
 * two cleaners that judged the same dead lock raced: the first removed
 * it, a Git writer retrying its lock took the free name at once, and the
 * second, whose last look still saw the dead lock, moved the writer's
 * live lock aside. Under it, a cleaner's last look and its rename see the
 * same file unless the lock's own holder moves it (below). The descriptor,
 * or -1 where flock is not supported (a network file system: processes
 * there are unseen, so only hour-old locks are removed); -2 when another
 * cleaner kept it past SERIALIZE_WAIT_MS.
 */
static int serialize(int dirfd)
{
	uint64_t deadline = rt_now_ns() + SERIALIZE_WAIT_MS * 1000000ull;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return -1;
		}
		if (rt_now_ns() >= deadline) {
			close(fd);
			return -2;
		}
		rt_sleep_ns(1000000);
	}
	return fd;
}

/*
 * Moving a file aside first means we decide about exactly the file we
 * then delete. It is renamed only if its name still holds the file
 * judged, looked at just before (under serialize(), so no cleaner of
 * ours removes it in between), and it is compared again once moved: a
 * different file is put back at once.
 *
 * The one window left is between that last look and the rename, a few
 * microseconds: rename(2) moves whatever the name holds, and only the
 * lock's holder can change that meanwhile (Git never removes or replaces
 * a lock it does not hold). For Git to be hurt there, the lock judged
 * must have been a live one: RT_DEAD_LOCK_SECONDS old by its
 * modification time, yet closed by a holder that stays between closing
 * it and renaming or unlinking it through the settling wait and two looks
 * through open files (Git writes tables.list.lock just before it closes
 * and renames it, so a lock on its way to commit is never old; one
 * rolled back is not written, and Git unlinking it finds it gone, which
 * it ignores). The holder must then let go within those microseconds and
 * another writer take the name in the same microseconds; that writer's
 * lock is then away from its name for one rename and put back, and it
 * fails only if it commits in exactly that instant (its rename fails and
 * Git reports the update failed; tables.list is never touched).
 *
 * A file moved aside that was judged unheld is looked for among open
 * files once more.
 */
static void move_aside(int dirfd, struct rt_stale_lock *l)
{
	struct stat now;

	if (!still_same(dirfd, l))
		return;
	snprintf(l->parked, sizeof(l->parked), "%s.stale-%08x", l->name,
		 rt_random_u32());
	if (renameat(dirfd, l->name, dirfd, l->parked) < 0) {
		decide(l, errno == ENOENT ? 0 : -1, errno);
		l->parked[0] = '\0';
		return;
	}
	if (fstatat(dirfd, l->parked, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !same_file(&now, &l->seen)) {
		decide(l, -1, EBUSY);
		put_back(dirfd, l);
	}
}

/* Remove what moved aside and is still pending; put back the rest. */
static void finish(int dirfd, struct rt_stale_lock *l)
{
	if (!l->parked[0])
		return;
	if (l->ret != PENDING) {
		put_back(dirfd, l);
	} else if (!unlinkat(dirfd, l->parked, 0)) {
		decide(l, 0, 0);
		l->parked[0] = '\0';
	} else {
		decide(l, -1, errno);
	}
	/* Never deleted if not put back: it may be a live lock. l->parked
	 * tells where. */
}

static bool pending(const struct rt_stale_lock *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].ret == PENDING)
			return true;
	return false;
}

void rt_remove_stale(int dirfd, struct rt_stale_lock *l, size_t n)
{
	struct rt_open_file *f = calloc(n ? n : 1, sizeof(*f));
	bool settle = false;

	for (size_t i = 0; i < n; i++) {
		l[i].parked[0] = '\0';
		decide(&l[i], PENDING, 0);
		if (!f)
			decide(&l[i], -1, ENOMEM);
		else if (still_same(dirfd, &l[i]) && l[i].unheld)
			settle = true;
	}
	if (settle) {
		rt_sleep_ns(SETTLE_NS);
		for (size_t i = 0; i < n; i++)
			if (l[i].ret == PENDING && l[i].unheld)
				still_same(dirfd, &l[i]);
		still_unheld(dirfd, l, n, f, judged_unheld);
	}
	if (pending(l, n)) {
		int fd = serialize(dirfd);

		for (size_t i = 0; i < n; i++)
			if (l[i].ret == PENDING && fd == -2)
				decide(&l[i], -1, EBUSY);
			else if (l[i].ret == PENDING)
				move_aside(dirfd, &l[i]);
		if (fd >= 0)
			close(fd); /* and the flock with it */
	}
	if (f)
		still_unheld(dirfd, l, n, f, aside_unheld);
	for (size_t i = 0; i < n; i++)
		finish(dirfd, &l[i]);
	free(f);
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

enum rt_verdict rt_stale_verdict(enum rt_liveness l, uint64_t age,
				 uint64_t configured)
{
	if (l == RT_HELD)
		return RT_VERDICT_HELD;
	return age < rt_stale_age(l, configured) ? RT_VERDICT_UNSURE :
						   RT_VERDICT_STALE;
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
	struct rt_stale_lock lock = { .name = "tables.list.lock" };
	enum rt_verdict verdict;
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
	verdict = rt_stale_verdict(f.liveness, (uint64_t)age,
				   opts->stale_lock_seconds);
	if (verdict == RT_VERDICT_HELD) {
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
			 verdict == RT_VERDICT_STALE;
	}
	if (!clear || !remove)
		return 0;
	lock.seen = seen;
	lock.unheld = f.liveness == RT_UNHELD;
	rt_remove_stale(dirfd, &lock, 1);
	memcpy(parked, lock.parked, RT_PARKED_MAX);
	if (!lock.ret) {
		out->state = RT_LIST_LOCK_CLEARED;
		return 0;
	}
	/* Someone took the lock meanwhile. */
	if (lock.error == EBUSY && !parked[0]) {
		out->state = RT_LIST_LOCK_BUSY;
		return 0;
	}
	errno = lock.error;
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
