/*
 * clean.c: orphan tables, temp files and stale locks.
 */
#include "lib/clean.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct clean_ctx {
	struct rt_stack *st;
	const struct rt_clean_options *opts;
	rt_clean_report_fn report;
	void *arg;
	int dirfd;
	time_t now;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Age of a regular file (not following symlinks); -1 if not one. */
static long long file_age(struct clean_ctx *c, const char *name)
{
	struct stat st;

	if (fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	return c->now > st.st_mtime ? (long long)(c->now - st.st_mtime) : 0;
}

/* Remove `name` unless dry-run or kept; report either way. */
static void act(struct clean_ctx *c, enum rt_clean_kind kind, const char *name,
		long long age, const char *why_kept)
{
	struct rt_clean_item it = {
		.kind = kind,
		.name = name,
		.age_seconds = (uint64_t)age,
		.why_kept = why_kept,
	};

	if (!why_kept && c->opts->dry_run)
		it.why_kept = "dry run";
	if (!it.why_kept) {
		if (unlinkat(c->dirfd, name, 0) == 0 || errno == ENOENT)
			it.removed = true;
		else
			it.why_kept = strerror(errno);
	}
	if (c->report)
		c->report(c->arg, &it);
}

static bool is_listed(char **names, const char *name)
{
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* "<table>.temp.XXXXXX", as Git and this library name temp tables. */
static bool is_temp_table(const char *name)
{
	const char *t = strstr(name, ".temp.");
	char base[128];

	if (!t || strlen(t) != 12 || (size_t)(t - name) + 5 > sizeof(base))
		return false;
	memcpy(base, name, t - name);
	memcpy(base + (t - name), ".ref", 5);
	return rt_stack_valid_table_name(base);
}

/* Whether a live (not stale) lock sits beside table `name`. */
static bool has_live_lock(struct clean_ctx *c, const char *name)
{
	char lock[256];
	long long age;

	if (snprintf(lock, sizeof(lock), "%s.lock", name) >= (int)sizeof(lock))
		return true;
	age = file_age(c, lock);
	return age >= 0 && (uint64_t)age < c->opts->stale_lock_seconds;
}

static void clean_entry(struct clean_ctx *c, char **names, const char *name,
			uint64_t stack_max)
{
	uint64_t min, max;
	long long age = file_age(c, name);

	if (age < 0 || !strcmp(name, "tables.list") ||
	    !strcmp(name, "tables.list.lock"))
		return;
	if (ends_with(name, ".lock")) {
		if ((uint64_t)age >= c->opts->stale_lock_seconds)
			act(c, RT_CLEAN_STALE_LOCK, name, age,
			    c->opts->remove_stale_locks ?
				    NULL :
				    "stale locks are only reported");
		return;
	}
	if (is_temp_table(name)) {
		act(c, RT_CLEAN_TEMP_FILE, name, age,
		    (uint64_t)age < c->opts->grace_seconds ?
			    "younger than the grace period" :
			    NULL);
		return;
	}
	if (rt_stack_parse_table_name(name, &min, &max) ||
	    is_listed(names, name))
		return;
	if (max > stack_max)
		act(c, RT_CLEAN_ORPHAN_TABLE, name, age,
		    "update index beyond the stack's (a writer may be adding "
		    "it)");
	else if (has_live_lock(c, name))
		act(c, RT_CLEAN_ORPHAN_TABLE, name, age, "locked");
	else
		act(c, RT_CLEAN_ORPHAN_TABLE, name, age,
		    (uint64_t)age < c->opts->grace_seconds ?
			    "younger than the grace period" :
			    NULL);
}

/* Take tables.list.lock; a stale one is removed first when allowed. */
static int lock_list(struct clean_ctx *c, struct rt_lock *lock,
		     struct rt_err *err)
{
	struct rt_err first = { 0 };
	long long age;
	int ret;

	ret = rt_lock_acquire(lock, c->st->list_path,
			      c->st->opts.lock_timeout_ms,
			      c->st->opts.default_permissions, &first);
	if (ret != RT_ERR_LOCK) {
		if (ret && err && !err->code)
			*err = first;
		return ret;
	}
	age = file_age(c, "tables.list.lock");
	if (age < 0 || (uint64_t)age < c->opts->stale_lock_seconds) {
		if (err && !err->code)
			*err = first;
		return ret;
	}
	act(c, RT_CLEAN_STALE_LOCK, "tables.list.lock", age,
	    c->opts->remove_stale_locks ? NULL :
					  "stale locks are only reported");
	if (!c->opts->remove_stale_locks || c->opts->dry_run) {
		if (err && !err->code)
			*err = first;
		return ret;
	}
	return rt_lock_acquire(lock, c->st->list_path,
			       c->st->opts.lock_timeout_ms,
			       c->st->opts.default_permissions, err);
}

int rt_stack_clean(struct rt_stack *st, const struct rt_clean_options *opts,
		   rt_clean_report_fn report, void *arg, struct rt_err *err)
{
	struct clean_ctx c = { .st = st,
			       .opts = opts,
			       .report = report,
			       .arg = arg };
	struct rt_lock lock = RT_LOCK_INIT;
	char **names = NULL;
	uint64_t stack_max = 0;
	DIR *d;
	int ret;

	c.now = opts->now ? opts->now : time(NULL);
	c.dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dirfd < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot open %s", st->dir);
	ret = lock_list(&c, &lock, err);
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
	d = fdopendir(dup(c.dirfd));
	if (!d) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot read %s", st->dir);
		goto done;
	}
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			clean_entry(&c, names, e->d_name, stack_max);
	closedir(d);
done:
	rt_stack_free_names(names);
	rt_lock_release(&lock);
	rt_stack_note_lock(st, &lock);
	close(c.dirfd);
	return ret;
}
