/*
 * scripts.c: installing and removing our hooks as files in a hooks
 * directory.
 *
 * The directory is opened once, never through a symlink (rt-file.h), and
 * every name in it is reached relative to that descriptor: a hooks
 * directory that is a symlink is most often one that several repositories
 * share, and what we put there would run in all of them. Paths are only
 * built for messages.
 */
#define _GNU_SOURCE
#include "plugin/hooks/scripts.h"
#include "lib/include/rt-basics.h"
#include "lib/include/rt-file.h"
#include "plugin/util/path.h"
#include "plugin/util/quote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The name a symlink is made under before it is renamed into place. */
#define NEW_SUFFIX ".git-reftable-new"
/* In a hooks directory install created, so that uninstall removes it. */
#define CREATED_MARK ".git-reftable-created-this-directory"

enum present {
	ABSENT,
	OUR_LINK, /* a symlink to a git-reftable */
	OUR_SCRIPT, /* a script with HOOKS_SCRIPT_MARKER */
	OTHER,
};

/* The hooks directory, open, and its path for messages. */
struct hooks_dir {
	int fd;
	const char *path;
};

static bool ours(enum present p)
{
	return p == OUR_LINK || p == OUR_SCRIPT;
}

/*
 * What is at `name` in `dirfd` (AT_FDCWD: `name` is a path, only read);
 * for a symlink of ours, its target in `target`.
 */
static enum present what_is(int dirfd, const char *name, char *target,
			    size_t size)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return ABSENT;
	if (S_ISLNK(st.st_mode)) {
		const char *base;

		n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		base = strrchr(buf, '/');
		if (!base || strcmp(base + 1, "git-reftable"))
			return OTHER;
		snprintf(target, size, "%s", buf);
		return OUR_LINK;
	}
	if (!S_ISREG(st.st_mode))
		return OTHER;
	fd = openat(dirfd, name,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return OTHER;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, HOOKS_SCRIPT_MARKER) ? OUR_SCRIPT : OTHER;
}

static bool exists(int dirfd, const char *name)
{
	struct stat st;

	return !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
}

/* <event>.git-reftable-orig; NULL when out of memory. */
static char *orig_name(const char *event)
{
	char *orig;

	return asprintf(&orig, "%s" HOOKS_ORIG_SUFFIX, event) < 0 ? NULL : orig;
}

/*
 * Open the hooks directory at `path` into `d`. RT_ERR_NOT_EXIST, with
 * `err` left as it was, when there is none; a symlink there (or anything
 * but a directory) is refused with a message saying why and what to do
 * instead.
 */
static int dir_open(struct hooks_dir *d, const char *path, struct rt_err *err)
{
	struct rt_err why = { 0 };
	struct stat st;

	d->path = path;
	d->fd = rt_dir_open(path, &why);
	if (d->fd >= 0 || d->fd == RT_ERR_NOT_EXIST)
		return d->fd < 0 ? d->fd : 0;
	if (!lstat(path, &st) && S_ISLNK(st.st_mode))
		return rt_err_set(err, RT_ERR_IO,
				  "%s is a symbolic link, maybe to hooks other "
				  "repositories share: no hook of ours goes "
				  "there; use --hooks=config (Git 2.54 and "
				  "later), or --hooks=none with a schedule",
				  path);
	return rt_err_set(err, d->fd, "%s", why.msg);
}

bool hooks_scripts_links_only(const char *dir, enum hooks_trigger trigger)
{
	char target[PATH_MAX];
	struct rt_err err = { 0 };
	struct hooks_dir d;
	bool ok = true;
	int ret = dir_open(&d, dir, &err);

	/* Absent, it takes nothing but links; unusable, not links only. */
	if (ret)
		return ret == RT_ERR_NOT_EXIST;
	for (size_t i = 0; ok && i < HOOKS_NEVENTS; i++) {
		const char *event = hooks_events[i].event;
		char *orig;
		enum present p;

		if (!hooks_event_wanted(i, trigger))
			continue;
		if (!(orig = orig_name(event))) {
			ok = false;
			break;
		}
		p = what_is(d.fd, event, target, sizeof(target));
		ok = (p == ABSENT || p == OUR_LINK) && !exists(d.fd, orig);
		free(orig);
	}
	close(d.fd);
	return ok;
}

char *hooks_script_text(const char *self, const char *event)
{
	const struct hooks_event *ev = hooks_event_find(event);
	struct rt_buf q = RT_BUF_INIT;
	char *chain = NULL, *text = NULL;
	int n;

	if (quote_sh(&q, self))
		goto out;
	/* Both hooks read what Git writes to stdin. */
	if (ev && ev->reads_stdin)
		n = asprintf(&chain,
			     "\t# Both hooks read the updates Git writes to "
			     "stdin.\n"
			     "\tinput=$(cat; echo .)\n"
			     "\tinput=${input%%.}\n"
			     "\tprintf '%%s' \"$input\" | \"$orig\" \"$@\"\n"
			     "\tstatus=$?\n"
			     "\tif test -x %s\n\tthen\n"
			     "\t\tprintf '%%s' \"$input\" | %s hook %s \"$@\"\n"
			     "\tfi\n"
			     "\texit $status\n",
			     q.buf, q.buf, event);
	else
		n = asprintf(&chain, "\t\"$orig\" \"$@\" || exit $?\n");
	if (n < 0) {
		chain = NULL;
		goto out;
	}
	/*
	 * A failing `prepared` reference-transaction hook aborts the update;
	 * a failing pre-auto-gc hook cancels gc, and then ours does not run
	 * either. Git ignores the post-* hooks' status, but the script still
	 * passes on the chained hook's, as the hook alone would.
	 */
	if (asprintf(&text,
		     "#!/bin/sh\n" HOOKS_SCRIPT_MARKER
		     ": written by 'git reftable install',\n# removed by 'git "
		     "reftable uninstall', which puts back the hook it\n# "
		     "replaced (%s" HOOKS_ORIG_SUFFIX ").\n"
		     "orig=\"${0%%/*}/%s" HOOKS_ORIG_SUFFIX "\"\n"
		     "if test -x \"$orig\"\nthen\n"
		     "%s"
		     "fi\n"
		     "# Never fail Git because git-reftable is gone.\n"
		     "test -x %s || exit 0\n"
		     "exec %s hook %s \"$@\"\n",
		     event, event, chain, q.buf, q.buf, event) < 0)
		text = NULL;
out:
	free(chain);
	rt_buf_release(&q);
	return text;
}

/*
 * Put `event` in the hooks directory, atomically: either the executable
 * script `text` or, when `text` is NULL, a symlink to `self` (made under
 * a new name and renamed over it).
 */
static int put_hook(const struct hooks_dir *d, const char *event,
		    const char *text, const char *self, struct rt_err *err)
{
	char *path = path_join(d->path, event, NULL), *tmp = NULL;
	int ret = 0;

	if (!path || asprintf(&tmp, "%s" NEW_SUFFIX, event) < 0) {
		free(path);
		return rt_err_oom(err);
	}
	if (text) {
		ret = rt_file_replace_at(d->fd, path, text, strlen(text), 0755,
					 err);
		goto out;
	}
	/* What an interrupted install left under that name. */
	unlinkat(d->fd, tmp, 0);
	if (symlinkat(self, d->fd, tmp)) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot write %s", path);
	} else if ((ret = rt_file_give_to_dir_owner(d->fd, tmp, path, err)) ||
		   renameat(d->fd, tmp, d->fd, event)) {
		ret = ret ? ret :
			    rt_err_errno(err, RT_ERR_IO, "cannot write %s",
					 path);
		unlinkat(d->fd, tmp, 0);
	} else if (fsync(d->fd)) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot fsync %s", d->path);
	}
out:
	free(tmp);
	free(path);
	return ret;
}

/* Whether `event` is already exactly what we would put there. */
static bool same_hook(const struct hooks_dir *d, const char *event,
		      const char *text, const char *self)
{
	char have[8192], target[PATH_MAX];
	enum present p = what_is(d->fd, event, target, sizeof(target));
	ssize_t n = -1;
	int fd;

	if (!text)
		return p == OUR_LINK && !strcmp(target, self);
	if (p != OUR_SCRIPT)
		return false;
	fd = openat(d->fd, event,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd >= 0) {
		n = read(fd, have, sizeof(have));
		close(fd);
	}
	return n == (ssize_t)strlen(text) && !memcmp(have, text, n);
}

/* One event, as scripts.h describes. */
static int install_event(const struct hooks_dir *d, const char *event,
			 const char *self, bool dry_run, struct hooks_report *r,
			 struct rt_err *err)
{
	char *orig = orig_name(event), *text = NULL;
	char target[PATH_MAX];
	bool moved = false;
	int ret = 0;

	if (!orig)
		return rt_err_oom(err);
	if (what_is(d->fd, event, target, sizeof(target)) == OTHER) {
		if (!dry_run && renameat(d->fd, event, d->fd, orig)) {
			ret = rt_err_errno(err, RT_ERR_IO,
					   "cannot move %s/%s aside", d->path,
					   event);
			goto out;
		}
		r->changed = moved = true;
	}
	if ((moved || exists(d->fd, orig)) &&
	    !(text = hooks_script_text(self, event))) {
		ret = rt_err_oom(err);
		goto out;
	}
	if (!same_hook(d, event, text, self)) {
		r->changed = true;
		if (!dry_run)
			ret = put_hook(d, event, text, self, err);
	}
out:
	free(orig);
	free(text);
	return ret;
}

/*
 * Create the hooks directory at `path` and open it into `d`, marked as
 * ours for uninstall. Run as root, it is the repository owner's, as what
 * goes in it; when that fails, it is taken out again.
 */
static int dir_create(struct hooks_dir *d, const char *path, struct rt_err *err)
{
	struct rt_err ignored = { 0 };
	char *mark;
	int ret, fd;

	if (mkdir(path, 0777))
		return rt_err_errno(err, RT_ERR_IO, "cannot create %s", path);
	if ((ret = rt_file_give_to_dir_owner(AT_FDCWD, path, path, err)) ||
	    (ret = dir_open(d, path, err))) {
		rmdir(path);
		return ret;
	}
	/* Remembers for uninstall that the directory is ours. */
	if (!(mark = path_join(path, CREATED_MARK, NULL))) {
		close(d->fd);
		return rt_err_oom(err);
	}
	fd = rt_file_open_at(d->fd, CREATED_MARK, mark, O_WRONLY | O_CREAT, 0,
			     &ignored);
	if (fd >= 0)
		close(fd);
	free(mark);
	return 0;
}

static void uninstall_event(const struct hooks_dir *d, const char *event,
			    bool dry_run, struct hooks_report *r, int *ret,
			    struct rt_err *err);

int hooks_scripts_install(const char *dir, const char *self,
			  enum hooks_trigger trigger, bool dry_run,
			  struct hooks_report *r, struct rt_err *err)
{
	char target[PATH_MAX];
	struct hooks_dir d;
	int ret = dir_open(&d, dir, err);

	if (ret == RT_ERR_NOT_EXIST) {
		r->changed = true;
		/* Nothing there: nothing to refuse, nothing to take out. */
		if (dry_run)
			return 0;
		ret = dir_create(&d, dir, err);
	}
	if (ret)
		return ret;
	/* Refuse before changing anything when a name is taken. */
	for (size_t i = 0; !ret && i < HOOKS_NEVENTS; i++) {
		const char *event = hooks_events[i].event;
		char *orig;

		if (!hooks_event_wanted(i, trigger))
			continue;
		if (!(orig = orig_name(event))) {
			ret = rt_err_oom(err);
			break;
		}
		if (what_is(d.fd, event, target, sizeof(target)) == OTHER &&
		    exists(d.fd, orig))
			ret = rt_err_set(err, RT_ERR_API,
					 "both %s/%s and %s/%s exist; keep "
					 "one of them and run install again",
					 dir, event, dir, orig);
		free(orig);
	}
	/* Ours of the other trigger go, what they chained comes back. */
	for (size_t i = 0; !ret && i < HOOKS_NEVENTS; i++)
		if (hooks_event_wanted(i, trigger))
			ret = install_event(&d, hooks_events[i].event, self,
					    dry_run, r, err);
		else
			uninstall_event(&d, hooks_events[i].event, dry_run, r,
					&ret, err);
	close(d.fd);
	return ret;
}

/*
 * One event; the first error is kept in `*ret`, and the caller goes on
 * with the other events. At most one note per event.
 */
static void uninstall_event(const struct hooks_dir *d, const char *event,
			    bool dry_run, struct hooks_report *r, int *ret,
			    struct rt_err *err)
{
	char target[PATH_MAX], *orig = orig_name(event);
	enum present here;

	if (!orig) {
		*ret = *ret ? *ret : rt_err_oom(err);
		return;
	}
	here = what_is(d->fd, event, target, sizeof(target));
	if (ours(here) && !dry_run && unlinkat(d->fd, event, 0)) {
		int e = rt_err_errno(err, RT_ERR_IO, "cannot remove %s/%s",
				     d->path, event);

		*ret = *ret ? *ret : e;
	} else if (here != OTHER && exists(d->fd, orig)) {
		if (!dry_run && renameat(d->fd, orig, d->fd, event)) {
			int e = rt_err_errno(err, RT_ERR_IO,
					     "cannot restore %s/%s", d->path,
					     event);

			*ret = *ret ? *ret : e;
		}
		r->changed = true;
	} else if (here == OTHER && exists(d->fd, orig)) {
		if (asprintf(&r->notes[r->nnotes],
			     "%s/%s is not ours; left it and %s/%s as they "
			     "are",
			     d->path, event, d->path, orig) < 0) {
			r->notes[r->nnotes] = NULL;
			*ret = *ret ? *ret : rt_err_oom(err);
		} else {
			r->nnotes++;
		}
	}
	if (ours(here))
		r->changed = true;
	free(orig);
}

int hooks_scripts_note_left(const char *dir, const char *why,
			    struct hooks_report *r, struct rt_err *err)
{
	char target[PATH_MAX];
	bool found = false;

	for (size_t i = 0; !found && i < HOOKS_NEVENTS; i++) {
		char *path = path_join(dir, hooks_events[i].event, NULL);

		if (!path)
			return rt_err_oom(err);
		found = ours(what_is(AT_FDCWD, path, target, sizeof(target)));
		free(path);
	}
	if (found && asprintf(&r->notes[r->nnotes],
			      "%s is %s: left the hooks of ours in it (other "
			      "repositories may use them)",
			      dir, why) >= 0)
		r->nnotes++;
	return 0;
}

int hooks_scripts_uninstall(const char *dir, bool dry_run,
			    struct hooks_report *r, struct rt_err *err)
{
	struct rt_err why = { 0 };
	struct stat st;
	struct hooks_dir d;
	int ret = dir_open(&d, dir, &why);

	if (ret == RT_ERR_NOT_EXIST)
		return 0;
	if (ret && !lstat(dir, &st) && S_ISLNK(st.st_mode))
		return hooks_scripts_note_left(dir, "a symbolic link", r, err);
	if (ret)
		return rt_err_set(err, ret, "%s", why.msg);
	for (size_t i = 0; i < HOOKS_NEVENTS; i++)
		uninstall_event(&d, hooks_events[i].event, dry_run, r, &ret,
				err);
	/* Only if we made it and nothing else has been put there since. */
	if (dry_run ? !fstatat(d.fd, CREATED_MARK, &st, AT_SYMLINK_NOFOLLOW) :
		      !unlinkat(d.fd, CREATED_MARK, 0)) {
		r->changed = true;
		if (!dry_run)
			rmdir(dir);
	}
	close(d.fd);
	return ret;
}
