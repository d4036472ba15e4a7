/*
 * verify.c: read-only checks of a stack directory and its tables.
 *
 * The table reader already refuses what it cannot decode (with file and
 * offset); this file drives it over every section and index block and adds
 * what no single read sees: key order across blocks, update-index ranges,
 * the order of tables in the stack, stray files.
 */
#define _GNU_SOURCE
#include "lib/verify.h"

#include "lib/clean.h"
#include "lib/stack.h"

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
/* Names in messages are cut to this length: they may be garbage. */
#define SHOWN 120

struct vctx {
	const char *dir;
	const struct rt_verify_options *opts;
	struct rt_verify_result *res;
	char *list_path;
	struct rt_buf list; /* tables.list as read */
	bool nomem;
};

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

__attribute__((format(printf, 4, 5))) static void
problem(struct vctx *c, size_t table, const char *file, const char *fmt, ...)
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

/*
 * A kind of damage that may repeat for many records: the first one is
 * described, the count is added when the section is done.
 */
struct tally {
	uint64_t count;
	char *first;
};

__attribute__((format(printf, 3, 4))) static void
tally(struct vctx *c, struct tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->count++)
		return;
	va_start(ap, fmt);
	if (vasprintf(&t->first, fmt, ap) < 0) {
		t->first = NULL;
		c->nomem = true;
	}
	va_end(ap);
}

static void tally_flush(struct vctx *c, size_t ti, struct tally *t)
{
	const char *name = c->res->tables[ti].name;

	if (t->first && t->count > 1)
		problem(c, ti, name, "%s (%llu records in this table)",
			t->first, (unsigned long long)t->count);
	else if (t->first)
		problem(c, ti, name, "%s", t->first);
	free(t->first);
	t->first = NULL;
	t->count = 0;
}

static const char *section_name(uint8_t type)
{
	switch (type) {
	case RT_BLOCK_REF:
		return "ref";
	case RT_BLOCK_LOG:
		return "log";
	case RT_BLOCK_OBJ:
		return "obj";
	}
	return "index";
}

/* Type byte of the block starting at `off`, or -1 outside the blocks. */
static int block_type_at(const struct rt_table *t, uint64_t off)
{
	if (off >= t->footer_off || (off && off < t->header_len))
		return -1;
	return t->data[off ? off : t->header_len];
}

static void check_record(struct vctx *c, struct rt_table *t,
			 const struct rt_record *rec, uint64_t blk_off,
			 struct tally *range, struct tally *offsets)
{
	if (rec->type == RT_BLOCK_REF) {
		const struct rt_ref_record *r = &rec->u.ref;
		int n = r->refname.len > SHOWN ? SHOWN : (int)r->refname.len;

		if (r->update_index > t->max_update_index)
			tally(c, range,
			      "%s: offset %llu: ref '%.*s' has update index "
			      "%llu, outside the table's range %llu-%llu",
			      t->path, (unsigned long long)blk_off, n,
			      r->refname.buf,
			      (unsigned long long)r->update_index,
			      (unsigned long long)t->min_update_index,
			      (unsigned long long)t->max_update_index);
	} else if (rec->type == RT_BLOCK_OBJ) {
		const struct rt_obj_record *o = &rec->u.obj;

		for (size_t i = 0; i < o->offset_len; i++)
			if (block_type_at(t, o->offsets[i]) != RT_BLOCK_REF)
				tally(c, offsets,
				      "%s: offset %llu: obj record points to "
				      "offset %llu, which is not a ref block",
				      t->path, (unsigned long long)blk_off,
				      (unsigned long long)o->offsets[i]);
	}
}

/*
 * Read one section's records whole; keys must ascend across blocks too.
 * Returns the offset after its last block (0: none read).
 */
static uint64_t check_section(struct vctx *c, size_t ti, struct rt_table *t,
			      uint8_t type, uint64_t *count)
{
	struct tally order = { 0 }, range = { 0 }, offsets = { 0 };
	struct rt_buf key = RT_BUF_INIT, prev = RT_BUF_INIT, tmp;
	struct rt_err err = { 0 };
	struct rt_table_iter it;
	struct rt_record rec;
	uint64_t end = 0;
	int ret;

	rt_table_iter_init(&it, t, type);
	rt_table_iter_drop_behind(&it);
	rt_record_init(&rec, type);
	ret = rt_table_iter_seek(&it, NULL, 0, &err);
	while (!ret && !(ret = rt_table_iter_next(&it, &rec, &err))) {
		if (rt_record_key(&rec, &key)) {
			c->nomem = true;
			break;
		}
		/* Within a block the reader checks this; here: across. */
		if ((*count)++ && rt_buf_cmp(&key, &prev) <= 0)
			tally(c, &order,
			      "%s: offset %llu: first %s key of the block is "
			      "not above the last key of the block before",
			      t->path, (unsigned long long)it.blk.file_off,
			      section_name(type));
		tmp = prev;
		prev = key;
		key = tmp;
		check_record(c, t, &rec, it.blk.file_off, &range, &offsets);
	}
	if (ret < 0)
		problem(c, ti, c->res->tables[ti].name, "%s", err.msg);
	else if (*count)
		end = it.blk.file_off + it.blk.file_len;
	tally_flush(c, ti, &order);
	tally_flush(c, ti, &range);
	tally_flush(c, ti, &offsets);
	rt_record_release(&rec);
	rt_table_iter_release(&it);
	rt_buf_release(&key);
	rt_buf_release(&prev);
	return end;
}

/* Where the next section (or the footer) starts after offset `off`. */
static uint64_t next_section(const struct rt_table *t, uint64_t off)
{
	uint64_t next = t->footer_off;

	if (t->obj.offset >= off && t->obj.offset < next)
		next = t->obj.offset;
	if (t->log.offset >= off && t->log.offset < next)
		next = t->log.offset;
	return next;
}

/*
 * After a section's last record block come its index blocks, all levels,
 * up to the next section; the footer points at the root level. Every
 * byte up to the next section must belong to a block, and each index
 * record must point at a block of the section or at an index block.
 */
static void check_index(struct vctx *c, size_t ti, struct rt_table *t,
			uint64_t off, uint64_t index_offset, uint8_t type,
			uint64_t *count)
{
	const char *name = c->res->tables[ti].name;
	uint64_t end = next_section(t, off);
	struct rt_block blk = { 0 };
	struct rt_block_iter bi = { 0 };
	struct tally targets = { 0 };
	struct rt_err err = { 0 };
	bool root_seen = !index_offset;
	struct rt_record rec;
	int ret = 0;

	rt_record_init(&rec, RT_BLOCK_INDEX);
	while (off < end && block_type_at(t, off) == RT_BLOCK_INDEX) {
		ret = rt_block_load(&blk, t->data + off, t->footer_off - off,
				    off, 0, t->block_size, t->hash_size,
				    t->min_update_index, t->path, &err);
		if (ret)
			break;
		root_seen |= off == index_offset;
		rt_block_iter_start(&bi, &blk);
		while (!(ret = rt_block_iter_next(&bi, &rec, &err))) {
			int tt = block_type_at(t, rec.u.idx.offset);

			(*count)++;
			if (tt != type && tt != RT_BLOCK_INDEX)
				tally(c, &targets,
				      "%s: offset %llu: %s index record points "
				      "to offset %llu, which is not a %s or "
				      "index block",
				      t->path, (unsigned long long)off,
				      section_name(type),
				      (unsigned long long)rec.u.idx.offset,
				      section_name(type));
		}
		if (ret < 0)
			break;
		ret = 0;
		off = blk.file_off + blk.file_len;
	}
	if (ret < 0)
		problem(c, ti, name, "%s", err.msg);
	else if (off != end)
		problem(c, ti, name,
			"%s: offset %llu: no %s or index block here, but the "
			"%s ends at %llu",
			t->path, (unsigned long long)off, section_name(type),
			end == t->footer_off ? "last section" : "section",
			(unsigned long long)end);
	else if (!root_seen)
		problem(c, ti, name,
			"%s: offset %llu: the footer's %s index position is "
			"not the start of an index block",
			t->path, (unsigned long long)index_offset,
			section_name(type));
	tally_flush(c, ti, &targets);
	rt_record_release(&rec);
	rt_block_iter_release(&bi);
	rt_block_release(&blk);
}

static void check_table(struct vctx *c, size_t ti, struct rt_table *t)
{
	struct rt_verify_table *vt = &c->res->tables[ti];
	uint64_t min = vt->min_update_index, max = vt->max_update_index;

	vt->opened = true;
	vt->bytes = t->size;
	vt->version = t->version;
	vt->hash = t->hash_id;
	vt->min_update_index = t->min_update_index;
	vt->max_update_index = t->max_update_index;
	if (min != t->min_update_index || max != t->max_update_index)
		problem(c, ti, vt->name,
			"%s: offset 8: header update-index range %llu-%llu "
			"differs from the range %llu-%llu in the file name",
			t->path, (unsigned long long)t->min_update_index,
			(unsigned long long)t->max_update_index,
			(unsigned long long)min, (unsigned long long)max);
	if (c->opts->expected_hash && t->hash_id != c->opts->expected_hash)
		problem(c, ti, vt->name,
			"%s: offset %d: the table's hash is %s, the "
			"repository's %s",
			t->path, t->version == 2 ? 24 : 4,
			rt_hash_name(t->hash_id),
			rt_hash_name(c->opts->expected_hash));

	for (size_t k = 0; k < 3; k++) {
		const struct rt_table_section *sec = k == 0 ? &t->ref :
						     k == 1 ? &t->obj :
							      &t->log;
		static const uint8_t types[] = { RT_BLOCK_REF, RT_BLOCK_OBJ,
						 RT_BLOCK_LOG };
		uint64_t *count = k == 0 ? &vt->refs :
				  k == 1 ? &vt->objs :
					   &vt->logs;
		uint64_t end = check_section(c, ti, t, types[k], count);

		if (end)
			check_index(c, ti, t, end, sec->index_offset, types[k],
				    &vt->index_records);
	}
}

/* tables.list into c->list; 1 when it does not exist. */
static int read_list(struct vctx *c, struct rt_buf *out)
{
	FILE *f = fopen(c->list_path, "r");
	char buf[8192];
	size_t n;
	int bad;

	rt_buf_reset(out);
	if (!f && errno == ENOENT)
		return 1;
	if (!f) {
		problem(c, RT_VERIFY_STACK, "tables.list", "cannot open %s: %s",
			c->list_path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (rt_buf_add(out, buf, n)) {
			c->nomem = true;
			break;
		}
	bad = ferror(f);
	fclose(f);
	if (bad)
		problem(c, RT_VERIFY_STACK, "tables.list", "cannot read %s",
			c->list_path);
	return bad || c->nomem ? -1 : 0;
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
			problem(c, RT_VERIFY_STACK, "tables.list",
				"%s:%zu: '%.*s' is not a table name",
				c->list_path, lineno,
				(int)(len > SHOWN ? SHOWN : len), name);
			free(name);
			continue;
		}
		if ((dup = find_table(r, name)) != RT_VERIFY_STACK) {
			problem(c, RT_VERIFY_STACK, "tables.list",
				"%s:%zu: '%s' is listed twice", c->list_path,
				lineno, name);
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

		rt_buf_reset(&path);
		if (rt_buf_addstr(&path, c->dir) || rt_buf_addch(&path, '/') ||
		    rt_buf_addstr(&path, vt->name)) {
			c->nomem = true;
			break;
		}
		switch (rt_table_open(&t, path.buf, &err)) {
		case 0:
			check_table(c, i, t);
			rt_table_close(t);
			break;
		case RT_ERR_NOT_EXIST:
			if (list_changed(c))
				ret = 1;
			else
				problem(c, i, vt->name,
					"%s: listed in tables.list but missing",
					path.buf);
			break;
		case RT_ERR_NOMEM:
			c->nomem = true;
			break;
		default:
			problem(c, i, vt->name, "%s", err.msg);
		}
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
			problem(c, i, tabs[i].name,
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
			problem(c, i, tabs[i].name,
				"%s/%s: the table's hash is %s, that of %s %s",
				c->dir, tabs[i].name,
				rt_hash_name(tabs[i].hash), first->name,
				rt_hash_name(first->hash));
	}
}

/* What else lies in the directory: leftovers are notes. */
static void scan_dir(struct vctx *c)
{
	uint64_t stale = c->opts->stale_lock_seconds ?
				 c->opts->stale_lock_seconds :
				 3600;
	time_t now = c->opts->now ? c->opts->now : time(NULL);
	DIR *d = opendir(c->dir);
	struct dirent *e;

	if (!d) {
		problem(c, RT_VERIFY_STACK, ".", "cannot read %s: %s", c->dir,
			strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		unsigned long long age;
		struct stat st;

		if (n[0] == '.' || !strcmp(n, "tables.list") ||
		    find_table(c->res, n) != RT_VERIFY_STACK)
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		age = now > st.st_mtime ?
			      (unsigned long long)(now - st.st_mtime) :
			      0;
		if (!S_ISREG(st.st_mode))
			note(c, n, "%s/%s: not a regular file", c->dir, n);
		else if (strlen(n) > 5 && !strcmp(n + strlen(n) - 5, ".lock"))
			note(c, n, "%s/%s: %s lock (age %llu s)", c->dir, n,
			     (uint64_t)age >= stale ? "stale" : "live", age);
		else if (rt_clean_is_temp_table(n))
			note(c, n,
			     "%s/%s: temp file of an unfinished write (age %llu s)",
			     c->dir, n, age);
		else if (rt_stack_valid_table_name(n))
			note(c, n,
			     "%s/%s: orphan table, not in tables.list (age %llu s)",
			     c->dir, n, age);
		else
			note(c, n, "%s/%s: unexpected file (age %llu s)",
			     c->dir, n, age);
	}
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
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		bool missing = errno == ENOENT;

		problem(&c, RT_VERIFY_STACK, ".", "%s: %s", dir,
			missing ? "stack directory missing" :
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
			problem(&c, RT_VERIFY_STACK, "tables.list",
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
		return rt_err_set(err, RT_ERR_NOMEM, "out of memory");
	return 0;
}
