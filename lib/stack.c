/*
 * stack.c: reading a stack directory and adding tables to it, and Git's
 * geometric rule over its tables.
 */
#include "lib/stack.h"
#include "lib/include/rt-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often to re-read tables.list when a listed table vanishes. */
#define OPEN_RETRIES 64

void rt_stack_free_names(char **names)
{
	if (!names)
		return;
	for (size_t i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}

/* tables.list as `name` relative to `dirfd`, shown as `list_path`. */
static int read_list(int dirfd, const char *name, const char *list_path,
		     char ***names, struct rt_err *err)
{
	struct rt_buf content = RT_BUF_INIT;
	struct rt_err local = { 0 };
	char **out = NULL, *line;
	size_t n = 0, lineno = 0;
	int ret;

	*names = NULL;
	/* Never through a symlink, never a FIFO: what it names is shown. */
	ret = rt_file_read_at(dirfd, name, list_path, SIZE_MAX, 0, &content,
			      &local);
	if (ret == RT_ERR_NOT_EXIST)
		ret = 0; /* an empty stack */
	else if (ret && err && !err->code)
		*err = local;
	if (!ret && content.len && memchr(content.buf, 0, content.len))
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
					 RT_NOT_TABLE_NAME_FMT, list_path,
					 lineno, strlen(line));
			break;
		}
		grown = realloc(out, (n + 2) * sizeof(*out));
		if (!grown || !(grown[n] = strdup(line))) {
			out = grown ? grown : out;
			ret = rt_err_oom(err);
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
			ret = rt_err_oom(err);
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

int rt_stack_read_list(const char *list_path, char ***names, struct rt_err *err)
{
	return read_list(AT_FDCWD, list_path, list_path, names, err);
}

int rt_stack_read_list_of(const struct rt_stack *st, char ***names,
			  struct rt_err *err)
{
	return read_list(st->dirfd, "tables.list", st->list_path, names, err);
}

void rt_stack_options_init(struct rt_stack_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->lock_timeout_ms = 100;
	opts->geometric_factor = 2;
}

static void close_tables(struct rt_table **tables, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rt_table_close(tables[i]);
	free(tables);
}

/*
 * One attempt at loading what tables.list names, reusing tables of `st`
 * that are still listed. RT_ERR_NOT_EXIST when a listed table vanished.
 * On failure `st` is left exactly as it was.
 */
static int load_once(struct rt_stack *st, struct rt_err *err)
{
	struct rt_buf path = RT_BUF_INIT;
	struct rt_table **tables;
	bool *reused, *fresh;
	char **names = NULL;
	size_t n = 0;
	int ret;

	ret = rt_stack_read_list_of(st, &names, err);
	if (ret)
		return ret;
	while (names[n])
		n++;
	tables = calloc(n + 1, sizeof(*tables));
	fresh = calloc(n + 1, sizeof(*fresh));
	reused = calloc(st->n + 1, sizeof(*reused));
	if (!tables || !fresh || !reused) {
		ret = rt_err_oom(err);
		goto done;
	}
	for (size_t i = 0; !ret && i < n; i++) {
		for (size_t j = 0; !tables[i] && j < st->n; j++) {
			if (!reused[j] &&
			    !strcmp(st->tables[j]->name, names[i])) {
				tables[i] = st->tables[j];
				reused[j] = true;
			}
		}
		if (tables[i])
			continue;
		if (rt_buf_path(&path, st->dir, names[i]))
			ret = rt_err_oom(err);
		else
			ret = rt_table_open_at(&tables[i], st->dirfd, names[i],
					       path.buf, err);
		fresh[i] = !ret;
	}
	for (size_t i = 1; !ret && i < n; i++)
		if (tables[i]->hash_id != tables[0]->hash_id)
			ret = rt_err_set(err, RT_ERR_FORMAT,
					 "%s: hash differs from the other "
					 "tables of the stack",
					 tables[i]->path);
	if (ret) {
		for (size_t i = 0; i < n; i++)
			if (fresh[i])
				rt_table_close(tables[i]);
		free(tables);
		goto done;
	}
	for (size_t j = 0; j < st->n; j++)
		if (!reused[j])
			rt_table_close(st->tables[j]);
	free(st->tables);
	st->tables = tables;
	st->n = n;
done:
	free(fresh);
	free(reused);
	rt_buf_release(&path);
	rt_stack_free_names(names);
	return ret;
}

int rt_stack_reload(struct rt_stack *st, struct rt_err *err)
{
	int ret;

	for (int attempt = 0;; attempt++) {
		struct rt_err local = { 0 };

		ret = load_once(st, &local);
		if (ret != RT_ERR_NOT_EXIST || attempt == OPEN_RETRIES) {
			if (ret && err && !err->code)
				*err = local;
			return ret;
		}
	}
}

/* The directory open at `dirfd` belongs to `owner`, or RT_ERR_UNSAFE. */
static int check_owner(int dirfd, const char *dir, uid_t owner,
		       struct rt_err *err)
{
	struct stat sb;

	if (fstat(dirfd, &sb) < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot stat %s", dir);
	if (sb.st_uid == owner)
		return 0;
	return rt_err_set(err, RT_ERR_UNSAFE,
			  "%s belongs to uid %lu, not to uid %lu: refusing to "
			  "change another user's stack",
			  dir, (unsigned long)sb.st_uid, (unsigned long)owner);
}

int rt_stack_open(struct rt_stack **out, const char *dir,
		  const struct rt_stack_options *opts, struct rt_err *err)
{
	struct rt_stack *st = calloc(1, sizeof(*st));
	struct rt_buf list = RT_BUF_INIT;
	int ret;

	if (!st)
		return rt_err_oom(err);
	/* Opened once: every lock, temp file and removal is relative to it. */
	st->dirfd = rt_dir_open(dir, err);
	if (st->dirfd < 0) {
		ret = st->dirfd;
		free(st);
		return ret;
	}
	if (opts && opts->require_owner &&
	    (ret = check_owner(st->dirfd, dir, opts->owner, err))) {
		close(st->dirfd);
		free(st);
		return ret;
	}
	if (!(st->dir = strdup(dir)) || rt_buf_addstr(&list, dir) ||
	    rt_buf_addstr(&list, "/tables.list")) {
		close(st->dirfd);
		free(st->dir);
		free(st);
		rt_buf_release(&list);
		return rt_err_oom(err);
	}
	st->list_path = list.buf;
	if (opts)
		st->opts = *opts;
	else
		rt_stack_options_init(&st->opts);
	ret = rt_stack_reload(st, err);
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
	close_tables(st->tables, st->n);
	close(st->dirfd);
	free(st->dir);
	free(st->list_path);
	free(st);
}

int rt_stack_is_outdated(struct rt_stack *st, struct rt_err *err)
{
	char **names;
	size_t i;
	int ret = rt_stack_read_list_of(st, &names, err);

	if (ret)
		return ret;
	for (i = 0; names[i] && i < st->n; i++)
		if (strcmp(names[i], st->tables[i]->name))
			break;
	ret = names[i] || i != st->n;
	rt_stack_free_names(names);
	return ret;
}

int rt_stack_unlink(const struct rt_stack *st, const char *path)
{
	const char *slash = strrchr(path, '/');

	return unlinkat(st->dirfd, slash ? slash + 1 : path, 0);
}

void rt_stack_note_lock(struct rt_stack *st, const struct rt_lock *lock)
{
	if (!lock->held_ns)
		return;
	st->lock_stats.holds++;
	st->lock_stats.total_ns += lock->held_ns;
	if (lock->held_ns > st->lock_stats.max_ns)
		st->lock_stats.max_ns = lock->held_ns;
	if (st->opts.on_lock_hold)
		st->opts.on_lock_hold(st->opts.on_lock_hold_arg, lock->held_ns);
}

int rt_stack_table_path(const struct rt_stack *st, struct rt_buf *out,
			uint64_t min, uint64_t max, const char *suffix)
{
	char name[80];

	snprintf(name, sizeof(name), "0x%012llx-0x%012llx-%08x",
		 (unsigned long long)min, (unsigned long long)max,
		 rt_random_u32());
	if (rt_buf_path(out, st->dir, name) || rt_buf_addstr(out, suffix))
		return RT_ERR_NOMEM;
	return 0;
}

/* Write tables.list.lock with `names` (NULL-terminated) and commit it. */
int rt_stack_commit_list(struct rt_lock *lock, char *const *names,
			 struct rt_err *err)
{
	struct rt_buf content = RT_BUF_INIT;
	int ret = 0;

	for (size_t i = 0; names[i]; i++)
		if (rt_buf_addstr(&content, names[i]) ||
		    rt_buf_addch(&content, '\n'))
			ret = rt_err_oom(err);
	if (!ret)
		ret = rt_lock_write(lock, content.buf, content.len, err);
	if (!ret)
		ret = rt_lock_commit(lock, err);
	rt_buf_release(&content);
	return ret;
}

int rt_stack_lock_for_append(struct rt_stack *st, struct rt_lock *lock,
			     struct rt_err *err)
{
	int ret = rt_lock_acquire(lock, st->dirfd, st->list_path,
				  st->opts.lock_timeout_ms,
				  st->opts.default_permissions, err);

	if (ret)
		return ret;
	/* Under the lock nobody else changes the list: load what is there. */
	ret = rt_stack_is_outdated(st, err);
	if (ret > 0)
		ret = rt_stack_reload(st, err);
	if (ret) {
		rt_lock_release(lock);
		rt_stack_note_lock(st, lock);
	}
	return ret;
}

int rt_stack_commit_appended(struct rt_stack *st, struct rt_lock *lock,
			     const char *path, struct rt_err *err)
{
	char **names = calloc(st->n + 2, sizeof(*names));
	int ret;

	if (!names) {
		rt_stack_unlink(st, path);
		return rt_err_oom(err);
	}
	for (size_t i = 0; i < st->n; i++)
		names[i] = (char *)st->tables[i]->name;
	names[st->n] = (char *)strrchr(path, '/') + 1;
	ret = rt_stack_commit_list(lock, names, err);
	/*
	 * Not listed, so unreferenced: remove the new table again, unless
	 * the list was renamed into place before the error (a failed
	 * directory fsync): then it names the table.
	 */
	if (ret && !lock->committed)
		rt_stack_unlink(st, path);
	free(names);
	return ret;
}

int rt_stack_add(struct rt_stack *st, rt_table_fill_fn fill, void *arg,
		 struct rt_err *err)
{
	struct rt_lock lock = RT_LOCK_INIT;
	struct rt_tmpfile tmp = RT_TMPFILE_INIT;
	struct rt_buf path = RT_BUF_INIT;
	struct rt_writer *w = NULL;
	uint64_t next;
	int ret;

	ret = rt_stack_lock_for_append(st, &lock, err);
	if (ret)
		return ret;
	next = rt_stack_max_update_index(st) + 1;
	st->opts.write.hash_id = st->n ? rt_stack_hash_id(st) :
					 st->opts.write.hash_id;
	if (rt_stack_table_path(st, &path, next, next, ".temp.XXXXXX")) {
		ret = rt_err_oom(err);
		goto done;
	}
	ret = rt_tmpfile_create(&tmp, st->dirfd, path.buf,
				st->opts.default_permissions, err);
	if (!ret)
		ret = rt_writer_new(&w, rt_tmpfile_write, &tmp, &st->opts.write,
				    err);
	if (!ret)
		ret = rt_writer_set_limits(w, next, next);
	if (!ret)
		ret = fill(w, next, arg, err);
	if (!ret)
		ret = rt_writer_close(w, err);
	if (ret)
		goto done;
	if (!rt_writer_stats(w)->refs && !rt_writer_stats(w)->logs)
		goto done; /* nothing to add */

	ret = rt_stack_table_path(st, &path, next, next, ".ref");
	if (ret) {
		ret = rt_err_oom(err);
		goto done;
	}
	ret = rt_tmpfile_sync(&tmp, err);
	if (!ret)
		ret = rt_tmpfile_rename(&tmp, path.buf, err);
	if (ret)
		goto done;

	ret = rt_stack_commit_appended(st, &lock, path.buf, err);
	if (ret)
		goto done;
	ret = rt_stack_reload(st, err);
done:
	rt_writer_free(w);
	rt_tmpfile_delete(&tmp);
	rt_lock_release(&lock);
	rt_stack_note_lock(st, &lock);
	rt_buf_release(&path);
	return ret;
}

size_t rt_stack_table_count(const struct rt_stack *st)
{
	return st->n;
}

const struct rt_table *rt_stack_table(const struct rt_stack *st, size_t i)
{
	return st->tables[i];
}

const struct rt_stack_options *rt_stack_get_options(const struct rt_stack *st)
{
	return &st->opts;
}

const struct rt_stack_lock_stats *
rt_stack_get_lock_stats(const struct rt_stack *st)
{
	return &st->lock_stats;
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
	return rt_table_weight(t->size, t->version);
}

uint64_t rt_table_weight(uint64_t file_size, int version)
{
	/*
	 * Git's auto-compaction weighs a table as its size without the
	 * footer, less the header bar one byte; the same weight keeps our
	 * rule calling for compaction exactly where Git's inline one does.
	 */
	uint64_t overhead = (uint64_t)rt_footer_size(version) +
			    (uint64_t)rt_header_size(version) - 1;

	return file_size > overhead ? file_size - overhead : 0;
}

int rt_stack_stat_weights(const char *dir, int version, uint64_t **weights,
			  size_t *n, struct rt_err *err)
{
	struct rt_buf path = RT_BUF_INIT;
	char **names = NULL;
	size_t count = 0;
	int ret;

	*weights = NULL;
	*n = 0;
	if ((ret = rt_buf_path(&path, dir, "tables.list")) ||
	    (ret = rt_stack_read_list(path.buf, &names, err)))
		goto done;
	while (names[count])
		count++;
	*weights = calloc(count ? count : 1, sizeof(**weights));
	if (!*weights) {
		ret = rt_err_oom(err);
		goto done;
	}
	for (size_t i = 0; i < count; i++) {
		struct stat sb;

		if ((ret = rt_buf_path(&path, dir, names[i])))
			break;
		/* lstat: a FIFO or symlink has no weight to wait for. */
		if (!lstat(path.buf, &sb)) {
			(*weights)[i] = rt_table_weight(sb.st_size, version);
			continue;
		}
		ret = errno == ENOENT ?
			      rt_err_set(err, RT_ERR_OUTDATED,
					 "%s vanished: the stack changed",
					 path.buf) :
			      rt_err_errno(err, RT_ERR_IO, "cannot stat %s",
					   path.buf);
		break;
	}
	if (!ret)
		*n = count;
done:
	if (ret) {
		free(*weights);
		*weights = NULL;
	}
	rt_stack_free_names(names);
	rt_buf_release(&path);
	return ret;
}

struct rt_segment rt_stack_suggest_segment(const struct rt_stack *st)
{
	uint64_t *sizes = calloc(st->n ? st->n : 1, sizeof(*sizes));
	struct rt_segment seg = { 0 };

	if (!sizes)
		return seg;
	for (size_t i = 0; i < st->n; i++)
		sizes[i] = rt_stack_table_weight(st->tables[i]);
	seg = rt_suggest_segment(sizes, st->n, st->opts.geometric_factor);
	free(sizes);
	return seg;
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
