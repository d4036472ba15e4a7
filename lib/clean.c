/*
 * clean.c: orphan tables, temp files and stale locks.
 *
 * The directory is read under tables.list.lock, so the list and the files
 * are seen at one moment with no writer between writing a table and
 * listing it; the removals happen after the lock is released, to keep
 * Git's writers waiting as briefly as possible. That is safe because a
 * table seen unlisted can never become listed later: Git and this library
 * list a table only within the lock hold that gives it its (random) name.
 */
#define _GNU_SOURCE
#include "lib/include/rt-clean.h"
#include "lib/stack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One file seen during the scan, and what to do about it. */
struct action {
	enum rt_clean_kind kind;
	char *name;
	long long age;
	const char *why_kept; /* NULL: remove */
	struct stat seen;
};

struct clean_ctx {
	struct rt_stack *st;
	const struct rt_clean_options *opts;
	int dirfd;
	time_t now;
	struct action *actions;
	size_t n, cap;
	bool nomem;
};

/*
 * Age of a regular file (not following symlinks); -1 if not one. Its stat
 * goes to `out` when given.
 */
static long long file_age(struct clean_ctx *c, const char *name,
			  struct stat *out)
{
	struct stat st;

	if (fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	if (out)
		*out = st;
	return c->now > st.st_mtime ? (long long)(c->now - st.st_mtime) : 0;
}

static void plan(struct clean_ctx *c, enum rt_clean_kind kind, const char *name,
		 long long age, const char *why_kept, const struct stat *seen)
{
	struct action *a;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct action *p = realloc(c->actions, cap * sizeof(*p));

		if (!p) {
			c->nomem = true;
			return;
		}
		c->actions = p;
		c->cap = cap;
	}
	a = &c->actions[c->n];
	a->name = strdup(name);
	if (!a->name) {
		c->nomem = true;
		return;
	}
	a->kind = kind;
	a->age = age;
	a->why_kept = why_kept;
	a->seen = *seen;
	c->n++;
}

/*
 * Remove a lock judged stale, but only if the file is still that one: its
 * holder may have released it and someone else taken the lock since.
 * Moving it aside first means we decide about exactly the file we then
 * delete; a different (live) lock is put back under its name.
 */
static int remove_stale_lock(struct clean_ctx *c, const struct action *a)
{
	char aside[300];
	struct stat now;

	snprintf(aside, sizeof(aside), "%s.stale-%08x", a->name,
		 rt_random_u32());
	if (renameat(c->dirfd, a->name, c->dirfd, aside) < 0)
		return -1;
	if (fstatat(c->dirfd, aside, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == a->seen.st_dev && now.st_ino == a->seen.st_ino &&
	    now.st_mtime == a->seen.st_mtime)
		return unlinkat(c->dirfd, aside, 0);
	renameat2(c->dirfd, aside, c->dirfd, a->name, RENAME_NOREPLACE);
	errno = EBUSY;
	return -1;
}

/* Carry out one planned action (unless dry-run) and report it. */
static void act(struct clean_ctx *c, const struct action *a,
		rt_clean_report_fn report, void *arg)
{
	struct rt_clean_item it = {
		.kind = a->kind,
		.name = a->name,
		.age_seconds = (uint64_t)a->age,
		.why_kept = a->why_kept,
	};

	if (!it.why_kept && (c->opts->dry_run || c->opts->survey)) {
		it.why_kept = "dry run";
		it.would_remove = true;
	}
	if (!it.why_kept) {
		int ret = a->kind == RT_CLEAN_STALE_LOCK ?
				  remove_stale_lock(c, a) :
				  unlinkat(c->dirfd, a->name, 0);

		if (ret == 0 || errno == ENOENT)
			it.removed = true;
		else
			it.why_kept =
				errno == EBUSY ?
					"replaced by a live lock meanwhile" :
					strerror(errno);
	}
	if (report)
		report(arg, &it);
}

static bool is_listed(char **names, const char *name)
{
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* Whether a live (not stale) lock sits beside table `name`. */
static bool has_live_lock(struct clean_ctx *c, const char *name)
{
	char lock[256];
	long long age;

	if (snprintf(lock, sizeof(lock), "%s.lock", name) >= (int)sizeof(lock))
		return true;
	age = file_age(c, lock, NULL);
	return age >= 0 && (uint64_t)age < c->opts->stale_lock_seconds;
}

static const char *grace(struct clean_ctx *c, long long age)
{
	return (uint64_t)age < c->opts->grace_seconds ?
		       "younger than the grace period" :
		       NULL;
}

static void scan_entry(struct clean_ctx *c, char **names, const char *name,
		       uint64_t stack_max)
{
	struct stat st;
	uint64_t min, max;
	long long age = file_age(c, name, &st);

	if (age < 0)
		return;
	switch (rt_stack_file_kind(name)) {
	case RT_FILE_LIST:
	case RT_FILE_LIST_LOCK: /* lock_list() saw to it */
	case RT_FILE_OTHER:
		return;
	case RT_FILE_LOCK:
		if ((uint64_t)age >= c->opts->stale_lock_seconds)
			plan(c, RT_CLEAN_STALE_LOCK, name, age,
			     c->opts->remove_stale_locks ?
				     NULL :
				     "stale locks are only reported",
			     &st);
		return;
	case RT_FILE_TEMP:
		plan(c, RT_CLEAN_TEMP_FILE, name, age, grace(c, age), &st);
		return;
	case RT_FILE_TABLE:
		break;
	}
	if (rt_stack_parse_table_name(name, &min, &max) ||
	    is_listed(names, name))
		return;
	if (max > stack_max)
		plan(c, RT_CLEAN_ORPHAN_TABLE, name, age,
		     "update index beyond the stack's (a writer may be adding "
		     "it)",
		     &st);
	else if (has_live_lock(c, name))
		plan(c, RT_CLEAN_ORPHAN_TABLE, name, age, "locked", &st);
	else
		plan(c, RT_CLEAN_ORPHAN_TABLE, name, age, grace(c, age), &st);
}

/* Take tables.list.lock; a stale one is removed first when allowed. */
static int lock_list(struct clean_ctx *c, struct rt_lock *lock,
		     rt_clean_report_fn report, void *arg, struct rt_err *err)
{
	struct rt_err first = { 0 };
	struct action stale = { .kind = RT_CLEAN_STALE_LOCK,
				.name = "tables.list.lock" };
	bool remove;
	int ret = RT_ERR_LOCK;

	/* A survey does not lock, but still reports a stale lock. */
	if (!c->opts->survey)
		ret = rt_lock_acquire(lock, c->st->dirfd, c->st->list_path,
				      c->st->opts.lock_timeout_ms,
				      c->st->opts.default_permissions, &first);
	if (ret != RT_ERR_LOCK)
		goto out;
	stale.age = file_age(c, stale.name, &stale.seen);
	if (stale.age < 0 || (uint64_t)stale.age < c->opts->stale_lock_seconds)
		goto out;
	remove = c->opts->remove_stale_locks && !c->opts->dry_run &&
		 !c->opts->survey;
	stale.why_kept = c->opts->remove_stale_locks ?
				 NULL :
				 "stale locks are only reported";
	act(c, &stale, report, arg);
	if (!remove)
		goto out;
	return rt_lock_acquire(lock, c->st->dirfd, c->st->list_path,
			       c->st->opts.lock_timeout_ms,
			       c->st->opts.default_permissions, err);
out:
	if (c->opts->survey)
		return 0;
	if (ret && err && !err->code)
		*err = first;
	return ret;
}

int rt_stack_clean(struct rt_stack *st, const struct rt_clean_options *opts,
		   rt_clean_report_fn report, void *arg, struct rt_err *err)
{
	struct clean_ctx c = { .st = st, .opts = opts };
	struct rt_lock lock = RT_LOCK_INIT;
	char **names = NULL;
	uint64_t stack_max = 0;
	DIR *d = NULL;
	int ret, fd;

	c.now = opts->now ? opts->now : time(NULL);
	/* The stack's own, opened without following a symlink. */
	c.dirfd = st->dirfd;
	ret = lock_list(&c, &lock, report, arg, err);
	if (ret)
		goto done;
	ret = rt_stack_read_list(st->list_path, &names, err);
	if (ret)
		goto done;
	for (size_t i = 0; names[i]; i++) {
		uint64_t min, max;

		if (!rt_stack_parse_table_name(names[i], &min, &max) &&
		    max > stack_max)
			stack_max = max;
	}
	fd = dup(c.dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot read %s", st->dir);
		if (fd >= 0)
			close(fd);
		goto done;
	}
	/* The copy shares the stack's descriptor's offset: from the top. */
	rewinddir(d);
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			scan_entry(&c, names, e->d_name, stack_max);
	closedir(d);
	if (c.nomem)
		ret = rt_err_oom(err);
	rt_lock_release(&lock);
	rt_stack_note_lock(st, &lock);
	lock.held_ns = 0;
	for (size_t i = 0; !ret && i < c.n; i++)
		act(&c, &c.actions[i], report, arg);
done:
	for (size_t i = 0; i < c.n; i++)
		free(c.actions[i].name);
	free(c.actions);
	rt_stack_free_names(names);
	rt_lock_release(&lock);
	rt_stack_note_lock(st, &lock);
	return ret;
}
