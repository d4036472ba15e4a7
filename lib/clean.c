/*
 * clean.c: orphan tables, temp files and stale locks.
 *
 * The directory is read under tables.list.lock, so the list and the files
 * are seen at one moment with no writer between writing a table and
 * listing it; the removals happen after the lock is released, to keep
 * Git's writers waiting as briefly as possible. That is safe because a
 * table seen unlisted can never become listed later: Git and this library
 * list a table only within the lock hold that gives it its (random) name.
 *
 * Locks and temp files old enough to be leftovers are then looked for
 * among the open files of live processes (rt-liveness.h), also after the
 * lock is released: a held one is never stale, whatever its age.
 */
#define _GNU_SOURCE
#include "lib/include/rt-clean.h"
#include "lib/stack.h"
#include "lib/stale.h"

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
	/* Removed or stale only if no live process holds it open. */
	bool ask;
	struct rt_open_file open; /* the answer, when asked */
	bool live; /* held, or may be: rt_clean_item.live */
	const struct rt_stale_lock *removal; /* a stale lock's, once tried */
};

struct clean_ctx {
	struct rt_stack *st;
	const struct rt_clean_options *opts;
	int dirfd;
	time_t now;
	struct action *actions;
	size_t n, cap;
	bool nomem;
	char why_unknown[160];
	/* The stale locks to remove, all at once (rt_remove_stale()). */
	struct rt_stale_lock *locks;
	/* The first of them left moved aside, if any. */
	const struct rt_stale_lock *parked;
};

static long long file_age(struct clean_ctx *c, const char *name,
			  struct stat *out)
{
	return rt_file_age(c->dirfd, name, c->now, out);
}

static struct action *plan(struct clean_ctx *c, enum rt_clean_kind kind,
			   const char *name, long long age,
			   const char *why_kept, const struct stat *seen)
{
	struct action *a;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct action *p = realloc(c->actions, cap * sizeof(*p));

		if (!p) {
			c->nomem = true;
			return NULL;
		}
		c->actions = p;
		c->cap = cap;
	}
	a = &c->actions[c->n];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	if (!a->name) {
		c->nomem = true;
		return NULL;
	}
	a->kind = kind;
	a->age = age;
	a->why_kept = why_kept;
	a->seen = *seen;
	c->n++;
	return a;
}

/* Whether `a` is to be removed now (not kept, not a dry run). */
static bool removing(const struct clean_ctx *c, const struct action *a)
{
	return !a->why_kept && !c->opts->dry_run && !c->opts->survey;
}

/*
 * Remove the stale locks to be removed together: one settling wait and
 * one look through open files serve them all.
 */
static void remove_locks(struct clean_ctx *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->actions[i].kind == RT_CLEAN_STALE_LOCK &&
		     removing(c, &c->actions[i]);
	if (!n)
		return;
	c->locks = calloc(n, sizeof(*c->locks));
	if (!c->locks) {
		c->nomem = true;
		return;
	}
	n = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct action *a = &c->actions[i];

		if (a->kind != RT_CLEAN_STALE_LOCK || !removing(c, a))
			continue;
		c->locks[n] = (struct rt_stale_lock){
			.name = a->name,
			.seen = a->seen,
			.unheld = a->open.liveness == RT_UNHELD,
		};
		a->removal = &c->locks[n++];
	}
	rt_remove_stale(c->dirfd, c->locks, n);
}

/* Carry out one planned action (unless dry-run) and report it. */
static void act(struct clean_ctx *c, const struct action *a,
		rt_clean_report_fn report, void *arg)
{
	const struct rt_stale_lock *rm = a->removal;
	struct rt_clean_item it = {
		.kind = a->kind,
		.name = a->name,
		.age_seconds = (uint64_t)a->age,
		.why_kept = a->why_kept,
		.live = a->live,
		.holder_pid = a->open.pid,
	};

	if (!it.why_kept && (c->opts->dry_run || c->opts->survey)) {
		it.why_kept = "dry run";
		it.would_remove = true;
	}
	if (!it.why_kept) {
		int ret = rm ? rm->ret : unlinkat(c->dirfd, a->name, 0);
		int e = rm ? rm->error : errno;

		if (rm && rm->parked[0]) {
			it.why_kept = "moved aside to be removed, then a new "
				      "lock took its name: left under another "
				      "name";
			if (!c->parked)
				c->parked = rm;
		} else if (ret == 0 || e == ENOENT)
			it.removed = true;
		else
			it.why_kept =
				e == EBUSY ?
					"replaced by a live lock meanwhile" :
					strerror(e);
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
	struct action *a;
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
		if ((uint64_t)age >= c->opts->stale_lock_seconds &&
		    (a = plan(c, RT_CLEAN_STALE_LOCK, name, age,
			      c->opts->remove_stale_locks ?
				      NULL :
				      "stale locks are only reported",
			      &st)))
			a->ask = true;
		return;
	case RT_FILE_TEMP:
		/* Asked also as the evidence for table locks (covers()). */
		if ((a = plan(c, RT_CLEAN_TEMP_FILE, name, age, grace(c, age),
			      &st)))
			a->ask = !a->why_kept ||
				 (uint64_t)age >= c->opts->stale_lock_seconds;
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

/*
 * Update-index range of a table lock, or of a temp table (named after
 * the range it compacts); false for other names.
 */
static bool range_of(const char *name, const char *suffix, uint64_t *min,
		     uint64_t *max)
{
	const char *end = strstr(name, suffix);
	char table[128];
	size_t n = end ? (size_t)(end - name) : 0;

	if (!end || n + 5 > sizeof(table))
		return false;
	memcpy(table, name, n);
	memcpy(table + n, ".ref", 5);
	return !rt_stack_parse_table_name(table, min, max);
}

/*
 * Whether temp table `t` is evidence that the table of lock `lock` is
 * being compacted: Git closes a compaction's <table>.lock files, but
 * holds open the temp table it writes (named after the range it
 * compacts), whose modification time then stays fresh until renamed.
 */
static bool covers(const struct clean_ctx *c, const struct action *t,
		   const char *lock)
{
	uint64_t lmin, lmax, tmin, tmax;

	if (t->kind != RT_CLEAN_TEMP_FILE ||
	    ((uint64_t)t->age >= c->opts->stale_lock_seconds && !t->live))
		return false;
	if (!range_of(lock, ".ref.lock", &lmin, &lmax) &&
	    !range_of(lock, ".log.lock", &lmin, &lmax))
		return false;
	return range_of(t->name, ".temp.", &tmin, &tmax) && tmin <= lmin &&
	       lmax <= tmax;
}

/*
 * Ask which of the files judged by age a live process holds open, and
 * keep those (and what depends on them). Done after tables.list.lock is
 * released: looking through /proc must not keep Git's writers waiting.
 */
static void judge_liveness(struct clean_ctx *c)
{
	struct rt_open_file *f;
	size_t n = 0, k = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->actions[i].ask;
	if (!n)
		return;
	f = calloc(n, sizeof(*f));
	if (!f) {
		c->nomem = true;
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->actions[i].ask)
			rt_open_file_of(&f[k++], &c->actions[i].seen);
	rt_liveness_check(c->dirfd, f, n, c->why_unknown,
			  sizeof(c->why_unknown));
	for (size_t i = 0, k = 0; i < c->n; i++) {
		struct action *a = &c->actions[i];
		uint64_t configured = a->kind == RT_CLEAN_TEMP_FILE ?
					      c->opts->grace_seconds :
					      c->opts->stale_lock_seconds;
		enum rt_verdict v;

		if (!a->ask)
			continue;
		a->open = f[k++];
		v = rt_stale_verdict(a->open.liveness, (uint64_t)a->age,
				     configured);
		a->live = v != RT_VERDICT_STALE;
		if (v == RT_VERDICT_HELD)
			a->why_kept = "held open by a live process";
		else if (a->live && !a->why_kept)
			a->why_kept = "no way to tell whether a live process "
				      "holds it; kept until an hour old";
	}
	free(f);
	for (size_t i = 0; i < c->n; i++) {
		struct action *a = &c->actions[i];

		for (size_t j = 0;
		     a->kind == RT_CLEAN_STALE_LOCK && !a->live && j < c->n;
		     j++)
			if (covers(c, &c->actions[j], a->name)) {
				a->why_kept = "a temp table is being written "
					      "over it (a compaction holds "
					      "its table locks)";
				a->live = true;
			}
	}
	for (size_t i = 0; i < c->n; i++) {
		struct action *a = &c->actions[i];
		size_t len = strlen(a->name);

		/* An orphan beside a lock found live is locked. */
		if (a->kind != RT_CLEAN_STALE_LOCK || !a->live)
			continue;
		for (size_t j = 0; j < c->n; j++)
			if (c->actions[j].kind == RT_CLEAN_ORPHAN_TABLE &&
			    !c->actions[j].why_kept && len > 5 &&
			    !strncmp(c->actions[j].name, a->name, len - 5) &&
			    !c->actions[j].name[len - 5])
				c->actions[j].why_kept = "locked";
	}
}

/* Report tables.list.lock as rt_stack_check_list_lock() judged it. */
static void report_list_lock(const struct rt_list_lock_check *chk,
			     rt_clean_report_fn report, void *arg)
{
	struct rt_clean_item it = { .kind = RT_CLEAN_STALE_LOCK,
				    .name = "tables.list.lock",
				    .age_seconds = chk->age_seconds,
				    .holder_pid = chk->holder_pid };

	switch (chk->state) {
	case RT_LIST_LOCK_CLEARED:
		it.removed = true;
		break;
	case RT_LIST_LOCK_DEAD:
		it.why_kept = "dry run";
		it.would_remove = true;
		break;
	case RT_LIST_LOCK_STUCK:
		it.why_kept = "held open by a live process";
		it.live = true;
		break;
	case RT_LIST_LOCK_UNVERIFIED:
		it.why_kept = chk->why;
		break;
	case RT_LIST_LOCK_NONE:
	case RT_LIST_LOCK_BUSY:
		return;
	}
	if (report)
		report(arg, &it);
}

/* Take tables.list.lock; one left by a dead process is removed first. */
static int lock_list(struct clean_ctx *c, struct rt_lock *lock,
		     rt_clean_report_fn report, void *arg, struct rt_err *err)
{
	struct rt_err first = { 0 };
	struct rt_list_lock_check chk;
	bool clear = !c->opts->dry_run && !c->opts->survey;
	int ret = RT_ERR_LOCK;

	/* A survey does not lock, but still reports a stale lock. */
	if (!c->opts->survey)
		ret = rt_lock_acquire(lock, c->st->dirfd, c->st->list_path,
				      c->st->opts.lock_timeout_ms,
				      c->st->opts.default_permissions, &first);
	if (ret != RT_ERR_LOCK)
		goto out;
	ret = rt_stack_check_list_lock(c->st, c->opts, clear, &chk, err);
	if (ret)
		return ret; /* `err` may be NULL */
	report_list_lock(&chk, report, arg);
	if (chk.state != RT_LIST_LOCK_CLEARED)
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

	if (opts->stale_lock_seconds < RT_MIN_STALE_LOCK_SECONDS ||
	    opts->grace_seconds < RT_MIN_GRACE_SECONDS)
		return rt_err_set(err, RT_ERR_API,
				  "stale-lock age and grace below the "
				  "minimum (%d s, %d s)",
				  RT_MIN_STALE_LOCK_SECONDS,
				  RT_MIN_GRACE_SECONDS);
	c.now = opts->now ? opts->now : time(NULL);
	/* The stack's own, opened without following a symlink. */
	c.dirfd = st->dirfd;
	ret = lock_list(&c, &lock, report, arg, err);
	if (ret)
		goto done;
	ret = rt_stack_read_list_of(st, &names, err);
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
	if (!ret)
		judge_liveness(&c);
	if (c.nomem)
		ret = rt_err_oom(err);
	if (!ret)
		remove_locks(&c);
	if (c.nomem)
		ret = rt_err_oom(err);
	for (size_t i = 0; !ret && i < c.n; i++)
		act(&c, &c.actions[i], report, arg);
	if (!ret && c.parked)
		ret = rt_err_set(err, RT_ERR_IO,
				 "%s/%s, moved aside to be removed, is left as "
				 "%s/%s (remove it once no process holds it)",
				 st->dir, c.parked->name, st->dir,
				 c.parked->parked);
done:
	free(c.locks);
	for (size_t i = 0; i < c.n; i++)
		free(c.actions[i].name);
	free(c.actions);
	rt_stack_free_names(names);
	rt_lock_release(&lock);
	rt_stack_note_lock(st, &lock);
	return ret;
}
