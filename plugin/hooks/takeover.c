/*
 * takeover.c: the file of Git settings install writes, and its include
 * in the repository's config.
 */
#define _GNU_SOURCE
#include "plugin/hooks/takeover.h"
#include "lib/include/rt-basics.h"
#include "lib/include/rt-file.h"
#include "plugin/git/config.h"
#include "plugin/util/path.h"
#include "plugin/util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What install appends to the config, and uninstall cuts. */
static const char include_block[] = "[include]\n\tpath = " CONFIG_TAKEOVER_FILE
				    "\n";
#define BLOCK_LEN (sizeof(include_block) - 1)

static const char file_header[] =
	"# Written by 'git reftable install' and included from this\n"
	"# repository's config; 'git reftable uninstall' removes both.\n"
	"# git-reftable maintains the refs by its policy: Git's own reflog\n"
	"# expiry and ref packing are off, and Git compacts by the policy's\n"
	"# geometric factor.\n";

/* One comment line per enum takeover_mark, by bit. */
static const char *const mark_lines[] = {
	"# git-reftable: install ended the config's last line\n",
	"# git-reftable: install --schedule registered this repository\n",
	"# git-reftable: install --schedule created the global config\n",
};
#define NMARKS (sizeof(mark_lines) / sizeof(mark_lines[0]))

void takeover_settings(unsigned factor,
		       struct takeover_setting out[TAKEOVER_NSETTINGS])
{
	static const struct takeover_setting fixed[TAKEOVER_NSETTINGS] = {
		{ "maintenance", "reflog-expire", "enabled", "false",
		  "git maintenance expires no reflog" },
		{ "maintenance", "pack-refs", "enabled", "false",
		  "git maintenance leaves the stack to us" },
		{ "gc", NULL, "reflogExpire", "never",
		  "with the next one: git gc expires no reflog" },
		{ "gc", NULL, "reflogExpireUnreachable", "never",
		  "with the one above: git gc expires no reflog" },
		{ "reftable", NULL, "geometricFactor", "",
		  "Git's compaction after each write follows the policy's "
		  "geometric-factor" },
	};

	memcpy(out, fixed, sizeof(fixed));
	snprintf(out[4].value, sizeof(out[4].value), "%u", factor);
}

void takeover_report_release(struct takeover_report *r)
{
	free(r->file);
	free(r->config);
	memset(r, 0, sizeof(*r));
}

static int file_text(unsigned factor, unsigned marks, struct rt_buf *out)
{
	struct takeover_setting s[TAKEOVER_NSETTINGS];
	const char *section = "", *sub = NULL;
	int ret = rt_buf_addstr(out, file_header);

	takeover_settings(factor, s);
	for (size_t i = 0; !ret && i < TAKEOVER_NSETTINGS; i++) {
		if (strcmp(s[i].section, section) || !sub != !s[i].subsection ||
		    (sub && strcmp(sub, s[i].subsection))) {
			section = s[i].section;
			sub = s[i].subsection;
			ret = rt_buf_addch(out, '[') ||
			      rt_buf_addstr(out, section) ||
			      (sub && (rt_buf_addstr(out, " \"") ||
				       rt_buf_addstr(out, sub) ||
				       rt_buf_addch(out, '"'))) ||
			      rt_buf_addstr(out, "]\n");
		}
		ret = ret || rt_buf_addch(out, '\t') ||
		      rt_buf_addstr(out, s[i].name) ||
		      rt_buf_addstr(out, " = ") ||
		      rt_buf_addstr(out, s[i].value) || rt_buf_addch(out, '\n');
	}
	for (size_t m = 0; !ret && m < NMARKS; m++)
		if (marks & (1u << m))
			ret = rt_buf_addstr(out, mark_lines[m]);
	return ret ? RT_ERR_NOMEM : 0;
}

/*
 * Neither the repository's config nor our file is anywhere near this; a
 * bigger one is refused rather than read whole.
 */
#define READ_MAX ((size_t)64 << 20)

/*
 * The file at `path` into `out`: 1 read, 0 when there is none (a symlink
 * counts as none: it is not what install wrote, and install replaces it
 * rather than write through it). Read by the library's reader, so a FIFO
 * or device there is refused at once instead of blocking `run` and the
 * hook.
 */
/* `path` in the directory open at `dirfd` (rt_file_at_name()). */
static int read_file_at(int dirfd, const char *path, struct rt_buf *out,
			struct rt_err *err)
{
	const char *name = rt_file_at_name(dirfd, path);
	struct rt_err why = { 0 };
	struct stat st;
	int ret = rt_file_read_at(dirfd, name, path, READ_MAX, 0, out, &why);

	if (!ret)
		return 1;
	if (ret == RT_ERR_NOT_EXIST ||
	    (!fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	     S_ISLNK(st.st_mode)))
		return 0;
	return rt_err_set(err, ret, "%s", why.msg);
}

static int read_file(const char *path, struct rt_buf *out, struct rt_err *err)
{
	return read_file_at(AT_FDCWD, path, out, err);
}

static unsigned parse_marks(const struct rt_buf *text)
{
	unsigned marks = 0;

	for (size_t m = 0; m < NMARKS; m++) {
		size_t n = strlen(mark_lines[m]);
		const char *p = text->buf;

		while (p && (p = memmem(p, text->len - (p - text->buf),
					mark_lines[m], n))) {
			if (p > text->buf && p[-1] == '\n') {
				marks |= 1u << m;
				break;
			}
			p++;
		}
	}
	return marks;
}

/*
 * The offset of include_block in `t`, as a section of its own: at a line
 * start, and followed by the end or the next section (Git adds a new
 * include.path to the last [include], which may be ours: then cutting
 * ours would leave that key in the section before). -1 when not found.
 */
static long find_block(const struct rt_buf *t)
{
	const char *p = t->buf;

	while (p && (p = memmem(p, t->len - (p - t->buf), include_block,
				BLOCK_LEN))) {
		const char *next = p + BLOCK_LEN;

		if ((p == t->buf || p[-1] == '\n') &&
		    (next == t->buf + t->len || *next == '['))
			return p - t->buf;
		p++;
	}
	return -1;
}

/* The repository's config, read under Git's lock on it. */
struct config_file {
	char *path, *lock;
	int fd; /* the lock's, or -1 */
	mode_t mode;
	struct rt_buf text;
};

static void config_file_release(struct config_file *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->lock);
	}
	free(c->path);
	free(c->lock);
	rt_buf_release(&c->text);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/*
 * Read the config of `common_dir` into `c`, first taking its lock as Git
 * does (<config>.lock, created exclusively) unless `dry_run`.
 */
static int config_file_open(struct config_file *c, const char *common_dir,
			    bool dry_run, struct rt_err *err)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!(c->path = path_join(common_dir, "config", NULL)) ||
	    asprintf(&c->lock, "%s.lock", c->path) < 0) {
		c->lock = NULL;
		return rt_err_oom(err);
	}
	if (lstat(c->path, &st))
		return rt_err_errno(err,
				    errno == ENOENT ? RT_ERR_API : RT_ERR_IO,
				    "cannot read %s", c->path);
	if (!S_ISREG(st.st_mode))
		return rt_err_set(err, RT_ERR_API,
				  "%s is not a regular file (a symlink?); "
				  "git-reftable does not write through it",
				  c->path);
	c->mode = st.st_mode & 07777;
	if (!dry_run) {
		struct rt_err why = { 0 };

		/* Run as root: the lock, renamed over the config, is given to
		 * the repository's owner (rt-file.h). */
		c->fd = rt_file_open_at(AT_FDCWD, c->lock, c->lock,
					O_WRONLY | O_CREAT | O_EXCL, 0600,
					&why);
		if (c->fd < 0)
			return rt_err_errno(
				err, errno == EEXIST ? RT_ERR_LOCK : RT_ERR_IO,
				"cannot lock %s (is another git "
				"changing it?)",
				c->path);
	}
	return rt_file_read_at(AT_FDCWD, c->path, c->path, READ_MAX, 0,
			       &c->text, err);
}

/* Write `c->text` to the lock and rename it over the config. */
static int config_file_commit(struct config_file *c, struct rt_err *err)
{
	size_t done = 0;
	int fd = c->fd;

	c->fd = -1;
	if (fchmod(fd, c->mode))
		goto fail;
	while (done < c->text.len) {
		ssize_t n = write(fd, c->text.buf + done, c->text.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	if (rename(c->lock, c->path)) {
		fd = -1;
		goto fail;
	}
	return rt_fsync_parent(c->path, err);
fail:
	rt_err_errno(err, RT_ERR_IO, "cannot write %s", c->lock);
	if (fd >= 0)
		close(fd);
	unlink(c->lock);
	return RT_ERR_IO;
}

/* Cut `n` bytes at `at` out of `t`. */
static void cut(struct rt_buf *t, size_t at, size_t n)
{
	memmove(t->buf + at, t->buf + at + n, t->len - at - n);
	rt_buf_setlen(t, t->len - n);
}

/*
 * Put the include last in `c->text`; the NEWLINE mark in `*marks` follows
 * what it now has to undo (`bare_end`: takeover_install()'s).
 */
static enum takeover_change place_include(struct config_file *c, bool bare_end,
					  unsigned *marks, int *ret)
{
	struct rt_buf *t = &c->text;
	long at = find_block(t);
	enum takeover_change change = TAKEOVER_ADDED;

	*ret = 0;
	if (at >= 0 && (size_t)at + BLOCK_LEN == t->len)
		return TAKEOVER_KEPT;
	if (at >= 0) {
		/* Moved: a newline install once added is the user's now. */
		cut(t, (size_t)at, BLOCK_LEN);
		change = TAKEOVER_REPLACED;
	}
	*marks &= ~(unsigned)TAKEOVER_NEWLINE;
	if (t->len && t->buf[t->len - 1] != '\n') {
		bare_end = true;
		*ret = rt_buf_addch(t, '\n');
	}
	/* Moved, the block follows what the user wrote since. */
	if (change == TAKEOVER_ADDED && bare_end)
		*marks |= TAKEOVER_NEWLINE;
	if (*ret || rt_buf_addstr(t, include_block))
		*ret = RT_ERR_NOMEM;
	return change;
}

static int report_paths(struct takeover_report *r, const char *common_dir,
			struct rt_err *err)
{
	memset(r, 0, sizeof(*r));
	r->file = path_join(common_dir, CONFIG_TAKEOVER_FILE, NULL);
	r->config = path_join(common_dir, "config", NULL);
	return r->file && r->config ? 0 : rt_err_oom(err);
}

int takeover_config_bare_end(const char *common_dir, bool *bare,
			     struct rt_err *err)
{
	struct rt_buf text = RT_BUF_INIT;
	char *path = path_join(common_dir, "config", NULL);
	int ret = path ? read_file(path, &text, err) : rt_err_oom(err);

	*bare = ret > 0 && text.len && text.buf[text.len - 1] != '\n';
	rt_buf_release(&text);
	free(path);
	return ret < 0 ? ret : 0;
}

int takeover_install(const char *common_dir, unsigned factor, bool bare_end,
		     bool dry_run, struct takeover_report *r,
		     struct rt_err *err)
{
	struct rt_buf old = RT_BUF_INIT, want = RT_BUF_INIT;
	struct config_file c;
	int ret, had;

	if ((ret = report_paths(r, common_dir, err)))
		return ret;
	if (factor > TAKEOVER_MAX_FACTOR)
		return rt_err_set(err, RT_ERR_API,
				  "geometric factor %u: Git accepts at most %d",
				  factor, TAKEOVER_MAX_FACTOR);
	if ((ret = config_file_open(&c, common_dir, dry_run, err)) ||
	    (ret = had = read_file(r->file, &old, err)) < 0)
		goto out;
	ret = 0;
	r->marks = had ? parse_marks(&old) : 0;
	r->include_change = place_include(&c, bare_end, &r->marks, &ret);
	if (!ret && file_text(factor, r->marks, &want))
		ret = rt_err_oom(err);
	if (ret)
		goto out;
	r->file_change = !had			 ? TAKEOVER_ADDED :
			 rt_buf_cmp(&old, &want) ? TAKEOVER_REPLACED :
						   TAKEOVER_KEPT;
	if (dry_run)
		goto out;
	/* The file first: Git would skip an include of a missing file. */
	if (r->file_change != TAKEOVER_KEPT)
		ret = rt_file_replace(r->file, want.buf, want.len, c.mode, err);
	if (!ret && r->include_change != TAKEOVER_KEPT)
		ret = config_file_commit(&c, err);
out:
	config_file_release(&c);
	rt_buf_release(&old);
	rt_buf_release(&want);
	return ret;
}

int takeover_refresh(const char *common_dir, int dirfd, unsigned factor,
		     bool *changed, struct rt_err *err)
{
	struct rt_buf old = RT_BUF_INIT, want = RT_BUF_INIT;
	char *path = path_join(common_dir, CONFIG_TAKEOVER_FILE, NULL);
	struct stat st;
	int ret = path ? read_file_at(dirfd, path, &old, err) : rt_err_oom(err);

	*changed = false;
	if (ret <= 0 || factor > TAKEOVER_MAX_FACTOR)
		goto out;
	ret = 0;
	if (file_text(factor, parse_marks(&old), &want)) {
		ret = rt_err_oom(err);
	} else if (rt_buf_cmp(&old, &want)) {
		/* Keep the mode install gave it (core.sharedRepository). */
		if (fstatat(dirfd, rt_file_at_name(dirfd, path), &st,
			    AT_SYMLINK_NOFOLLOW))
			ret = rt_err_errno(err, RT_ERR_IO, "cannot stat %s",
					   path);
		else
			ret = rt_file_replace_at(dirfd, path, want.buf,
						 want.len, st.st_mode & 07777,
						 err);
		*changed = !ret;
	}
out:
	rt_buf_release(&old);
	rt_buf_release(&want);
	free(path);
	return ret < 0 ? ret : 0;
}

int takeover_marks(const char *common_dir, unsigned *marks, struct rt_err *err)
{
	struct rt_buf text = RT_BUF_INIT;
	char *path = path_join(common_dir, CONFIG_TAKEOVER_FILE, NULL);
	int ret = path ? read_file(path, &text, err) : rt_err_oom(err);

	*marks = ret > 0 ? parse_marks(&text) : 0;
	rt_buf_release(&text);
	free(path);
	return ret < 0 ? ret : 0;
}

int takeover_mark(const char *common_dir, unsigned marks, struct rt_err *err)
{
	struct rt_buf text = RT_BUF_INIT;
	char *path = path_join(common_dir, CONFIG_TAKEOVER_FILE, NULL);
	unsigned have;
	struct stat st;
	int ret = path ? read_file(path, &text, err) : rt_err_oom(err);

	if (!ret)
		ret = rt_err_set(err, RT_ERR_NOT_EXIST, "%s is missing", path);
	if (ret < 0)
		goto out;
	have = parse_marks(&text);
	ret = 0;
	for (size_t m = 0; !ret && m < NMARKS; m++)
		if (marks & ~have & (1u << m) &&
		    rt_buf_addstr(&text, mark_lines[m]))
			ret = rt_err_oom(err);
	if (!ret && marks & ~have)
		ret = rt_file_replace(path, text.buf, text.len,
				      stat(path, &st) ? 0 : st.st_mode & 07777,
				      err);
out:
	rt_buf_release(&text);
	free(path);
	return ret;
}

/* `git config --unset` of our include, for lines changed since install. */
static int unset_include(struct takeover_report *r, struct rt_err *err)
{
	const char *argv[] = { "git",
			       "config",
			       "--file",
			       r->config,
			       "--fixed-value",
			       "--unset-all",
			       "include.path",
			       CONFIG_TAKEOVER_FILE,
			       NULL };
	/* Exit 5: no such value. */
	int st = spawn_run_ok(argv, NULL, 0, 5, NULL, err);

	if (st < 0)
		return st;
	r->include_change = st ? TAKEOVER_KEPT : TAKEOVER_REMOVED;
	/* Git rewrote it as us: run as root, it is the owner's again. */
	return st ? 0 :
		    rt_file_give_to_dir_owner(AT_FDCWD, r->config, r->config,
					      err);
}

int takeover_uninstall(const char *common_dir, struct takeover_report *r,
		       struct rt_err *err)
{
	struct rt_err open_err = { 0 };
	struct config_file c = { .fd = -1 };
	struct stat st;
	long at;
	int ret;

	if ((ret = report_paths(r, common_dir, err)) ||
	    (ret = takeover_marks(common_dir, &r->marks, err)))
		goto out;
	ret = config_file_open(&c, common_dir, false, &open_err);
	/* A config install would not write (a symlink): nothing of ours. */
	if (ret == RT_ERR_API)
		ret = 0;
	else if (ret)
		ret = rt_err_set(err, ret, "%s", open_err.msg);
	else if ((at = find_block(&c.text)) >= 0) {
		size_t start = (size_t)at;

		/* The newline install added before it, if it did. */
		if (r->marks & TAKEOVER_NEWLINE && start &&
		    start + BLOCK_LEN == c.text.len)
			start--;
		cut(&c.text, start, BLOCK_LEN + ((size_t)at - start));
		r->include_change = TAKEOVER_REMOVED;
		ret = config_file_commit(&c, err);
	} else {
		config_file_release(&c);
		ret = unset_include(r, err);
	}
	if (!ret && !lstat(r->file, &st)) {
		if (unlink(r->file))
			ret = rt_err_errno(err, RT_ERR_IO, "cannot remove %s",
					   r->file);
		else
			r->file_change = TAKEOVER_REMOVED;
	}
out:
	config_file_release(&c);
	return ret;
}
