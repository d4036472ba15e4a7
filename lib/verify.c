/*
 * verify.c: read-only checks of a stack directory: tables.list, the
 * order of its tables, stray files; each table is checked by
 * verify_table.c. Findings are collected, never printed.
 */
#define _GNU_SOURCE
#include "lib/verify.h"
#include "lib/stale.h"
#include "lib/basics.h"
#include "lib/include/rt-file.h"
#include "lib/include/rt-table.h"
#include "lib/names.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Restarts when tables.list changes under us (concurrent compaction). */
#define VERIFY_RETRIES 16

static void vissue(struct vctx *c, enum rt_verify_kind kind, size_t table,
		   const char *file, const char *fmt, va_list ap)
{
	struct rt_verify_result *r = c->res;
	struct rt_verify_issue *grown, *is;

	grown = realloc(r->issues, (r->nissues + 1) * sizeof(*grown));
	if (!grown) {
		c->nomem = true;
		return;
	}
	r->issues = grown;
	is = &r->issues[r->nissues];
	is->kind = kind;
	is->table = table;
	is->file = strdup(file);
	if (vasprintf(&is->msg, fmt, ap) < 0)
		is->msg = NULL;
	if (!is->file || !is->msg) {
		free(is->file);
		free(is->msg);
		c->nomem = true;
		return;
	}
	r->nissues++;
	if (kind == RT_VERIFY_NOTE) {
		r->notes++;
		return;
	}
	r->problems++;
	if (table != RT_VERIFY_STACK)
		r->tables[table].problems++;
}

void rt_verify_problem(struct vctx *c, size_t table, const char *file,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vissue(c, RT_VERIFY_PROBLEM, table, file, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void
note(struct vctx *c, const char *file, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vissue(c, RT_VERIFY_NOTE, RT_VERIFY_STACK, file, fmt, ap);
	va_end(ap);
}

/* tables.list into c->list; 1 when it does not exist. */
static int read_list(struct vctx *c, struct rt_buf *out)
{
	struct rt_err err = { 0 };

	/* Not through a symlink, not a FIFO: what it names is shown. */
	switch (rt_file_read_at(AT_FDCWD, c->list_path, c->list_path, SIZE_MAX,
				0, out, &err)) {
	case 0:
		return 0;
	case RT_ERR_NOT_EXIST:
		return 1;
	case RT_ERR_NOMEM:
		c->nomem = true;
		return -1;
	default:
		rt_verify_problem(c, RT_VERIFY_STACK, "tables.list", "%s",
				  err.msg);
		return -1;
	}
}

static size_t find_table(const struct rt_verify_result *r, const char *name)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (!strcmp(r->tables[i].name, name))
			return i;
	return RT_VERIFY_STACK;
}

/* One entry per valid name of tables.list; each bad line is a problem. */
static void parse_list(struct vctx *c)
{
	struct rt_verify_result *r = c->res;
	const char *p = c->list.buf, *end = p + c->list.len;
	size_t lineno = 0;

	while (p && p < end && !c->nomem) {
		const char *eol = memchr(p, '\n', end - p);
		size_t len = (eol ? eol : end) - p, dup;
		char *name = strndup(p, len);
		struct rt_verify_table *grown;

		lineno++;
		p = eol ? eol + 1 : NULL;
		if (!name) {
			c->nomem = true;
			break;
		}
		if (strlen(name) != len || !rt_stack_valid_table_name(name)) {
			rt_verify_problem(c, RT_VERIFY_STACK, "tables.list",
					  RT_NOT_TABLE_NAME_FMT, c->list_path,
					  lineno, len);
			free(name);
			continue;
		}
		if ((dup = find_table(r, name)) != RT_VERIFY_STACK) {
			rt_verify_problem(c, RT_VERIFY_STACK, "tables.list",
					  "%s:%zu: '%s' is listed twice",
					  c->list_path, lineno, name);
			free(name);
			continue;
		}
		grown = realloc(r->tables, (r->ntables + 1) * sizeof(*grown));
		if (!grown) {
			free(name);
			c->nomem = true;
			break;
		}
		r->tables = grown;
		memset(&r->tables[r->ntables], 0, sizeof(*grown));
		r->tables[r->ntables].name = name;
		rt_stack_parse_table_name(
			name, &r->tables[r->ntables].min_update_index,
			&r->tables[r->ntables].max_update_index);
		r->ntables++;
	}
}

/* Whether tables.list still reads as it did when the check started. */
static bool list_changed(struct vctx *c)
{
	struct rt_buf now = RT_BUF_INIT;
	bool changed = read_list(c, &now) != 0 ||
		       rt_buf_cmp(&now, &c->list) != 0;

	rt_buf_release(&now);
	return changed;
}

/* Open and check each listed table; 1 when tables.list changed meanwhile. */
static int check_tables(struct vctx *c)
{
	struct rt_buf path = RT_BUF_INIT;
	int ret = 0;

	for (size_t i = 0; !ret && !c->nomem && i < c->res->ntables; i++) {
		struct rt_verify_table *vt = &c->res->tables[i];
		struct rt_err err = { 0 };
		struct rt_table *t;

		if (rt_buf_path(&path, c->dir, vt->name)) {
			c->nomem = true;
			break;
		}
		switch (rt_table_open(&t, path.buf, &err)) {
		case 0:
			rt_verify_check_table(c, i, t);
			rt_table_close(t);
			break;
		case RT_ERR_NOT_EXIST:
			if (list_changed(c))
				ret = 1;
			else
				rt_verify_problem(
					c, i, vt->name,
					"%s: listed in tables.list but missing",
					path.buf);
			break;
		case RT_ERR_NOMEM:
			c->nomem = true;
			break;
		default:
			rt_verify_problem(c, i, vt->name, "%s", err.msg);
		}
		if (c->opts->progress)
			c->opts->progress(c->opts->progress_arg, i + 1,
					  c->res->ntables);
	}
	rt_buf_release(&path);
	return ret;
}

/* Update-index ranges must increase along the stack; one hash for all. */
static void check_stack_order(struct vctx *c)
{
	const struct rt_verify_table *first = NULL;
	struct rt_verify_table *tabs = c->res->tables;

	for (size_t i = 0; i < c->res->ntables; i++) {
		if (i &&
		    tabs[i].min_update_index <= tabs[i - 1].max_update_index)
			rt_verify_problem(
				c, i, tabs[i].name,
				"%s/%s: update indexes %llu-%llu do not follow "
				"%llu-%llu of %s, the table before it in "
				"tables.list",
				c->dir, tabs[i].name,
				(unsigned long long)tabs[i].min_update_index,
				(unsigned long long)tabs[i].max_update_index,
				(unsigned long long)tabs[i - 1].min_update_index,
				(unsigned long long)tabs[i - 1].max_update_index,
				tabs[i - 1].name);
		if (!tabs[i].opened || c->opts->expected_hash)
			continue;
		if (!first)
			first = &tabs[i];
		else if (tabs[i].hash != first->hash)
			rt_verify_problem(
				c, i, tabs[i].name,
				"%s/%s: the table's hash is %s, that of %s %s",
				c->dir, tabs[i].name,
				rt_hash_name(tabs[i].hash), first->name,
				rt_hash_name(first->hash));
	}
}

/* A lock past the stale age, whose liveness is asked once for all. */
struct old_lock {
	char *name;
	struct stat st;
	unsigned long long age;
};

struct old_locks {
	struct old_lock *v;
	size_t n, cap;
};

static void keep_old_lock(struct vctx *c, struct old_locks *l, const char *n,
			  const struct stat *st, unsigned long long age)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct old_lock *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			c->nomem = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n].name = strdup(n))) {
		c->nomem = true;
		return;
	}
	l->v[l->n].st = *st;
	l->v[l->n++].age = age;
}

/*
 * The locks past the stale age: stale only if no live process holds them
 * open (rt-liveness.h), asked in one look through open files.
 */
static void note_old_locks(struct vctx *c, int dirfd, struct old_locks *l,
			   uint64_t stale)
{
	struct rt_open_file *f = l->n ? calloc(l->n, sizeof(*f)) : NULL;

	if (l->n && !f)
		c->nomem = true;
	for (size_t i = 0; f && i < l->n; i++)
		rt_open_file_of(&f[i], &l->v[i].st);
	if (f)
		rt_liveness_check(dirfd, f, l->n, NULL, 0);
	for (size_t i = 0; i < l->n; i++) {
		const char *n = l->v[i].name;
		unsigned long long age = l->v[i].age;

		switch (f ? rt_stale_verdict(f[i].liveness, age, stale) :
			    RT_VERDICT_UNSURE) {
		case RT_VERDICT_HELD:
			note(c, n,
			     "%s/%s: live lock (age %llu s, held open by pid "
			     "%ld)",
			     c->dir, n, age, f[i].pid);
			break;
		case RT_VERDICT_UNSURE:
			note(c, n,
			     "%s/%s: live lock (age %llu s; whether a live "
			     "process holds it cannot be told)",
			     c->dir, n, age);
			break;
		case RT_VERDICT_STALE:
			note(c, n, "%s/%s: stale lock (age %llu s)", c->dir, n,
			     age);
			break;
		}
		free(l->v[i].name);
	}
	free(f);
	free(l->v);
}

/* What else lies in the directory: leftovers are notes. */
static void scan_dir(struct vctx *c)
{
	uint64_t stale = c->opts->stale_lock_seconds ?
				 c->opts->stale_lock_seconds :
				 3600;
	time_t now = c->opts->now ? c->opts->now : time(NULL);
	struct old_locks old = { 0 };
	DIR *d = opendir(c->dir);
	struct dirent *e;

	if (!d) {
		rt_verify_problem(c, RT_VERIFY_STACK, ".", "cannot read %s: %s",
				  c->dir, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		enum rt_stack_file kind = rt_stack_file_kind(n);
		unsigned long long age;
		struct stat st;

		if (n[0] == '.' || kind == RT_FILE_LIST ||
		    find_table(c->res, n) != RT_VERIFY_STACK)
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		age = now > st.st_mtime ?
			      (unsigned long long)(now - st.st_mtime) :
			      0;
		if (!S_ISREG(st.st_mode)) {
			note(c, n, "%s/%s: not a regular file", c->dir, n);
			continue;
		}
		switch (kind) {
		case RT_FILE_LIST_LOCK:
		case RT_FILE_LOCK:
			if (age >= stale)
				keep_old_lock(c, &old, n, &st, age);
			else
				note(c, n, "%s/%s: live lock (age %llu s)",
				     c->dir, n, age);
			break;
		case RT_FILE_TEMP:
			note(c, n,
			     "%s/%s: temp file of an unfinished write (age %llu s)",
			     c->dir, n, age);
			break;
		case RT_FILE_TABLE:
			note(c, n,
			     "%s/%s: orphan table, not in tables.list (age %llu s)",
			     c->dir, n, age);
			break;
		default:
			note(c, n, "%s/%s: unexpected file (age %llu s)",
			     c->dir, n, age);
		}
	}
	note_old_locks(c, dirfd(d), &old, stale);
	closedir(d);
}

void rt_verify_result_release(struct rt_verify_result *res)
{
	for (size_t i = 0; i < res->ntables; i++)
		free(res->tables[i].name);
	for (size_t i = 0; i < res->nissues; i++) {
		free(res->issues[i].file);
		free(res->issues[i].msg);
	}
	free(res->tables);
	free(res->issues);
	memset(res, 0, sizeof(*res));
}

int rt_verify_stack(const char *dir, const struct rt_verify_options *opts,
		    struct rt_verify_result *res, struct rt_err *err)
{
	static const struct rt_verify_options defaults = { 0 };
	struct vctx c = { .dir = dir,
			  .opts = opts ? opts : &defaults,
			  .res = res };
	struct stat st;
	int attempt = 0, ret = 0;

	memset(res, 0, sizeof(*res));
	errno = 0;
	/* lstat: a symlink is not followed, as no command follows it. */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		bool missing = errno == ENOENT;

		rt_verify_problem(&c, RT_VERIFY_STACK, ".", "%s: %s", dir,
				  missing ? "stack directory missing" :
				  S_ISLNK(st.st_mode) ?
					    "a symbolic link, not followed" :
					    "not a readable directory");
		goto out;
	}
	if (asprintf(&c.list_path, "%s/tables.list", dir) < 0) {
		c.list_path = NULL;
		c.nomem = true;
		goto out;
	}
	for (;;) {
		if (read_list(&c, &c.list) < 0)
			break;
		parse_list(&c);
		ret = check_tables(&c);
		if (ret != 1 || c.nomem)
			break;
		rt_verify_result_release(res);
		if (++attempt > VERIFY_RETRIES) {
			rt_verify_problem(
				&c, RT_VERIFY_STACK, "tables.list",
				"%s: changes faster than it can be checked",
				c.list_path);
			goto out;
		}
	}
	if (!c.nomem)
		check_stack_order(&c);
	if (!c.nomem)
		scan_dir(&c);
out:
	free(c.list_path);
	rt_buf_release(&c.list);
	if (c.nomem)
		return rt_err_oom(err);
	return 0;
}
