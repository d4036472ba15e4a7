/*
 * expire_recheck.c: placeholders checked against the stack at commit time
 * (see expire_recheck.h).
 */
#include "lib/expire_recheck.h"
#include "lib/include/rt-iter.h"
#include "lib/include/rt-table.h"

#include <stdlib.h>
#include <string.h>

/*
 * Bounds of the check under tables.list.lock: new tables are Git's small
 * additions, read in well under a millisecond; beyond this (a compaction
 * that rewrote old tables) the lock is not the place.
 */
#define LOCKED_MAX_BYTES (256 * 1024)
#define LOCKED_MAX_LOOKUPS 256

int rt_placeholders_add(struct rt_placeholders *p, const struct rt_buf *refname,
			uint64_t newest, struct rt_err *err)
{
	struct rt_placeholder *e;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		e = realloc(p->v, cap * sizeof(*e));
		if (!e)
			return rt_err_oom(err);
		p->v = e;
		p->cap = cap;
	}
	e = &p->v[p->n];
	e->refname = strndup(refname->buf, refname->len);
	if (!e->refname)
		return rt_err_oom(err);
	e->newest = newest;
	e->stale = false;
	p->n++;
	return 0;
}

void rt_placeholders_release(struct rt_placeholders *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].refname);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

struct rt_placeholder *rt_placeholders_find(struct rt_placeholders *p,
					    const char *refname, size_t len)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = p->v[mid].refname;
		size_t nlen = strlen(name);
		int c = memcmp(name, refname, nlen < len ? nlen : len);

		if (!c)
			c = nlen < len ? -1 : nlen > len;
		if (!c)
			return &p->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rt_placeholders_snapshot(const struct rt_stack *st, char ***names,
			     struct rt_err *err)
{
	char **v = calloc(st->n + 1, sizeof(*v));

	*names = v;
	if (!v)
		return rt_err_oom(err);
	for (size_t i = 0; i < st->n; i++)
		if (!(v[i] = strdup(rt_table_name(st->tables[i]))))
			return rt_err_oom(err);
	qsort(v, st->n, sizeof(*v), cmp_names);
	return 0;
}

static bool is_known(char *const *known, size_t n, const char *name)
{
	return bsearch(&name, known, n, sizeof(*known), cmp_names) != NULL;
}

/* Flag (in `suspect`) the placeholders a record of `t` touches. */
static int suspects_in(const struct rt_table *t, struct rt_placeholders *p,
		       bool *suspect, size_t *nsuspect, struct rt_err *err)
{
	struct rt_log_record log = { 0 };
	struct rt_iter *it = NULL;
	int ret = rt_table_logs(t, &it, err);

	while (!ret && !(ret = rt_iter_next_log(it, &log, err))) {
		struct rt_placeholder *e = rt_placeholders_find(
			p, log.refname.buf, log.refname.len);

		if (e && !e->stale && !suspect[e - p->v]) {
			suspect[e - p->v] = true;
			(*nsuspect)++;
		}
	}
	rt_log_record_release(&log);
	rt_iter_free(it);
	return ret < 0 ? ret : 0;
}

/* Whether the reflog's newest live entry is still the one expiry saw. */
static int still_right(struct rt_iter *it, const struct rt_placeholder *e,
		       bool *right, struct rt_err *err)
{
	struct rt_log_record log = { 0 };
	int ret = rt_iter_seek_log(it, e->refname, err);

	if (!ret)
		ret = rt_iter_next_log(it, &log, err);
	*right = !ret && log.refname.len == strlen(e->refname) &&
		 !memcmp(log.refname.buf, e->refname, log.refname.len) &&
		 log.update_index == e->newest;
	rt_log_record_release(&log);
	return ret < 0 ? ret : 0;
}

int rt_placeholders_check(struct rt_stack *st, char *const *known,
			  struct rt_placeholders *p, struct rt_err *err)
{
	size_t nknown = 0, nsuspect = 0;
	uint64_t bytes = 0;
	struct rt_iter *it = NULL;
	bool *suspect;
	int ret = 0;

	if (!p->n)
		return 0;
	if (!(suspect = calloc(p->n, sizeof(*suspect))))
		return rt_err_oom(err);
	while (known && known[nknown])
		nknown++;
	for (size_t i = 0; known && !ret && i < st->n; i++) {
		const struct rt_table *t = st->tables[i];

		if (is_known(known, nknown, rt_table_name(t)))
			continue;
		bytes += rt_table_size(t);
		ret = bytes > LOCKED_MAX_BYTES ?
			      1 :
			      suspects_in(t, p, suspect, &nsuspect, err);
	}
	if (!ret && known && nsuspect > LOCKED_MAX_LOOKUPS)
		ret = 1;
	if (!ret)
		ret = rt_stack_logs(st, &it, err);
	for (size_t i = 0; !ret && i < p->n; i++) {
		bool right;

		if (p->v[i].stale || (known && !suspect[i]))
			continue;
		ret = still_right(it, &p->v[i], &right, err);
		if (!ret && !right)
			p->v[i].stale = true;
	}
	rt_iter_free(it);
	free(suspect);
	return ret;
}
