/*
 * stack.c: reading a stack directory.
 */
#include "lib/stack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How often to re-read tables.list when a listed table vanishes. */
#define OPEN_RETRIES 64

static bool hex_run(const char **p, size_t min, size_t max)
{
	size_t n = 0;

	while ((**p >= '0' && **p <= '9') || (**p >= 'a' && **p <= 'f')) {
		(*p)++;
		n++;
	}
	return n >= min && n <= max;
}

bool rt_stack_valid_table_name(const char *name)
{
	const char *p = name;

	if (strncmp(p, "0x", 2))
		return false;
	p += 2;
	if (!hex_run(&p, 12, 16) || strncmp(p, "-0x", 3))
		return false;
	p += 3;
	if (!hex_run(&p, 12, 16) || *p++ != '-')
		return false;
	if (!hex_run(&p, 8, 8))
		return false;
	return !strcmp(p, ".ref") || !strcmp(p, ".log");
}

void rt_stack_free_names(char **names)
{
	if (!names)
		return;
	for (size_t i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}

int rt_stack_read_list(const char *list_path, char ***names, struct rt_err *err)
{
	struct rt_buf content = RT_BUF_INIT;
	char **out = NULL, *line;
	size_t n = 0, lineno = 0;
	char buf[8192];
	ssize_t got;
	int fd, ret = 0;

	*names = NULL;
	fd = open(list_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return rt_err_errno(err, RT_ERR_IO, "cannot open %s",
				    list_path);
	while (fd >= 0 && (got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = rt_err_errno(err, RT_ERR_IO, "cannot read %s",
					   list_path);
			break;
		}
		if (rt_buf_add(&content, buf, got)) {
			ret = rt_err_set(err, RT_ERR_NOMEM, "out of memory");
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	if (!ret && memchr(content.buf, '\0', content.len))
		ret = rt_err_set(err, RT_ERR_FORMAT, "%s: contains a NUL byte",
				 list_path);

	line = content.buf;
	while (!ret && line && *line) {
		char *eol = strchr(line, '\n'), **grown;

		lineno++;
		if (eol)
			*eol = '\0';
		if (!rt_stack_valid_table_name(line)) {
			ret = rt_err_set(err, RT_ERR_NAME,
					 "%s:%zu: '%s' is not a table name",
					 list_path, lineno, line);
			break;
		}
		grown = realloc(out, (n + 2) * sizeof(*out));
		if (!grown || !(grown[n] = strdup(line))) {
			out = grown ? grown : out;
			ret = rt_err_set(err, RT_ERR_NOMEM, "out of memory");
			break;
		}
		out = grown;
		out[++n] = NULL;
		line = eol ? eol + 1 : NULL;
	}
	rt_buf_release(&content);
	if (!ret && !out) {
		out = calloc(1, sizeof(*out));
		if (!out)
			ret = rt_err_set(err, RT_ERR_NOMEM, "out of memory");
	}
	if (ret) {
		if (out)
			out[n] = NULL;
		rt_stack_free_names(out);
		return ret;
	}
	*names = out;
	return 0;
}

static void close_tables(struct rt_stack *st)
{
	for (size_t i = 0; i < st->n; i++)
		rt_table_close(st->tables[i]);
	free(st->tables);
	st->tables = NULL;
	st->n = 0;
}

/* One attempt; RT_ERR_NOT_EXIST when a listed table has vanished. */
static int open_once(struct rt_stack *st, struct rt_err *err)
{
	char **names = NULL;
	size_t n = 0;
	int ret;

	ret = rt_stack_read_list(st->list_path, &names, err);
	if (ret)
		return ret;
	while (names[n])
		n++;
	st->tables = calloc(n ? n : 1, sizeof(*st->tables));
	if (!st->tables) {
		rt_stack_free_names(names);
		return rt_err_set(err, RT_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct rt_buf path = RT_BUF_INIT;

		if (rt_buf_addstr(&path, st->dir) || rt_buf_addch(&path, '/') ||
		    rt_buf_addstr(&path, names[i])) {
			ret = rt_err_set(err, RT_ERR_NOMEM, "out of memory");
		} else {
			ret = rt_table_open(&st->tables[i], path.buf, err);
		}
		rt_buf_release(&path);
		if (ret)
			break;
		st->n++;
		if (i && st->tables[i]->hash_id != st->tables[0]->hash_id) {
			ret = rt_err_set(err, RT_ERR_FORMAT,
					 "%s: hash differs from the other "
					 "tables of the stack",
					 st->tables[i]->path);
			break;
		}
	}
	rt_stack_free_names(names);
	if (ret)
		close_tables(st);
	return ret;
}

int rt_stack_open(struct rt_stack **out, const char *dir, struct rt_err *err)
{
	struct rt_stack *st = calloc(1, sizeof(*st));
	struct rt_buf list = RT_BUF_INIT;
	int ret;

	if (!st || !(st->dir = strdup(dir)) || rt_buf_addstr(&list, dir) ||
	    rt_buf_addstr(&list, "/tables.list")) {
		if (st)
			free(st->dir);
		free(st);
		rt_buf_release(&list);
		return rt_err_set(err, RT_ERR_NOMEM, "out of memory");
	}
	st->list_path = list.buf;
	for (int attempt = 0;; attempt++) {
		struct rt_err local = { 0 };

		ret = open_once(st, &local);
		if (ret != RT_ERR_NOT_EXIST || attempt == OPEN_RETRIES) {
			if (ret && err && !err->code)
				*err = local;
			break;
		}
	}
	if (ret) {
		rt_stack_close(st);
		return ret;
	}
	*out = st;
	return 0;
}

void rt_stack_close(struct rt_stack *st)
{
	if (!st)
		return;
	close_tables(st);
	free(st->dir);
	free(st->list_path);
	free(st);
}

enum rt_hash rt_stack_hash_id(const struct rt_stack *st)
{
	return st->n ? st->tables[0]->hash_id : RT_HASH_SHA1;
}

uint64_t rt_stack_max_update_index(const struct rt_stack *st)
{
	return st->n ? st->tables[st->n - 1]->max_update_index : 0;
}

uint64_t rt_stack_table_weight(const struct rt_table *t)
{
	return t->size - (t->header_len - 1);
}

struct rt_segment rt_suggest_segment(const uint64_t *sizes, size_t n,
				     unsigned factor)
{
	struct rt_segment seg = { 0 };
	uint64_t bytes = 0;
	size_t i;

	if (!factor)
		factor = 2;
	if (n < 2)
		return seg;
	/* The newest table that breaks the sequence ends the segment. */
	for (i = n - 1; i > 0; i--) {
		if (sizes[i - 1] < sizes[i] * factor) {
			seg.end = i + 1;
			bytes = sizes[i];
			break;
		}
	}
	/*
	 * Keep walking to the oldest table: an older table may still be
	 * smaller than factor x everything merged so far, and then it joins.
	 */
	for (; i > 0; i--) {
		uint64_t merged = bytes;

		bytes += sizes[i - 1];
		if (sizes[i - 1] < merged * factor) {
			seg.start = i - 1;
			seg.bytes = bytes;
		}
	}
	if (seg.end - seg.start < 2)
		seg = (struct rt_segment){ 0 };
	return seg;
}
