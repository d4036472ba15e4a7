/*
 * scripts.c: installing and removing our hooks as files in a hooks
 * directory.
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

static bool ours(enum present p)
{
	return p == OUR_LINK || p == OUR_SCRIPT;
}

/* What is at `path`; for a symlink of ours, its target in `target`. */
static enum present what_is(const char *path, char *target, size_t size)
{
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat(path, &st))
		return ABSENT;
	if (S_ISLNK(st.st_mode)) {
		const char *base;

		n = readlink(path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		base = strrchr(buf, '/');
		if (!base || strcmp(base + 1, "git-reftable"))
			return OTHER;
		snprintf(target, size, "%s", buf);
		return OUR_LINK;
	}
	if (!S_ISREG(st.st_mode))
		return OTHER;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return OTHER;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, HOOKS_SCRIPT_MARKER) ? OUR_SCRIPT : OTHER;
}

static int event_paths(const char *dir, const char *event, char **path,
		       char **orig, struct rt_err *err);
static void uninstall_event(const char *dir, const char *event, bool dry_run,
			    struct hooks_report *r, int *ret,
			    struct rt_err *err);

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

bool hooks_scripts_links_only(const char *dir, enum hooks_trigger trigger)
{
	char target[PATH_MAX];
	bool ok = true;

	for (size_t i = 0; ok && i < HOOKS_NEVENTS; i++) {
		char *path, *orig;
		struct rt_err err = { 0 };
		enum present p;

		if (!hooks_event_wanted(i, trigger))
			continue;
		if (event_paths(dir, hooks_events[i].event, &path, &orig, &err))
			return false;
		p = what_is(path, target, sizeof(target));
		ok = (p == ABSENT || p == OUR_LINK) && !exists(orig);
		free(path);
		free(orig);
	}
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
 * Put at `path`, atomically, either the executable script `text` or, when
 * `text` is NULL, a symlink to `self` (made under a new name and renamed
 * over it).
 */
static int put_hook(const char *path, const char *text, const char *self,
		    struct rt_err *err)
{
	char *tmp;
	int ret = 0;

	if (text)
		return rt_file_replace(path, text, strlen(text), 0755, err);
	if (asprintf(&tmp, "%s" NEW_SUFFIX, path) < 0)
		return rt_err_oom(err);
	/* What an interrupted install left under that name. */
	unlink(tmp);
	if (symlink(self, tmp))
		ret = rt_err_errno(err, RT_ERR_IO, "cannot write %s", path);
	else if ((ret = rt_file_give_to_dir_owner(AT_FDCWD, tmp, tmp, err)) ||
		 rename(tmp, path)) {
		ret = ret ? ret :
			    rt_err_errno(err, RT_ERR_IO, "cannot write %s",
					 path);
		unlink(tmp);
	}
	free(tmp);
	return ret ? ret : rt_fsync_parent(path, err);
}

/* Whether what is at `path` is already exactly what we would put there. */
static bool same_hook(const char *path, const char *text, const char *self)
{
	char have[8192], target[PATH_MAX];
	enum present p = what_is(path, target, sizeof(target));
	ssize_t n = -1;
	int fd;

	if (!text)
		return p == OUR_LINK && !strcmp(target, self);
	if (p != OUR_SCRIPT)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, have, sizeof(have));
		close(fd);
	}
	return n == (ssize_t)strlen(text) && !memcmp(have, text, n);
}

/* <dir>/<event> and <dir>/<event>.git-reftable-orig; 0 or RT_ERR_NOMEM. */
static int event_paths(const char *dir, const char *event, char **path,
		       char **orig, struct rt_err *err)
{
	*orig = NULL;
	*path = path_join(dir, event, NULL);
	if (*path && asprintf(orig, "%s" HOOKS_ORIG_SUFFIX, *path) < 0)
		*orig = NULL;
	if (*path && *orig)
		return 0;
	free(*path);
	*path = NULL;
	return rt_err_oom(err);
}

/* One event, as scripts.h describes. */
static int install_event(const char *dir, const char *event, const char *self,
			 bool dry_run, struct hooks_report *r,
			 struct rt_err *err)
{
	char *path, *orig, *text = NULL;
	char target[PATH_MAX];
	bool moved = false;
	int ret = event_paths(dir, event, &path, &orig, err);

	if (ret)
		return ret;
	if (what_is(path, target, sizeof(target)) == OTHER) {
		if (!dry_run && rename(path, orig)) {
			ret = rt_err_errno(err, RT_ERR_IO,
					   "cannot move %s aside", path);
			goto out;
		}
		r->changed = moved = true;
	}
	if ((moved || exists(orig)) &&
	    !(text = hooks_script_text(self, event))) {
		ret = rt_err_oom(err);
		goto out;
	}
	if (!same_hook(path, text, self)) {
		r->changed = true;
		if (!dry_run)
			ret = put_hook(path, text, self, err);
	}
out:
	free(path);
	free(orig);
	free(text);
	return ret;
}

int hooks_scripts_install(const char *dir, const char *self,
			  enum hooks_trigger trigger, bool dry_run,
			  struct hooks_report *r, struct rt_err *err)
{
	char target[PATH_MAX], *mark;
	struct stat st;
	int ret = 0;

	/* Refuse before changing anything when a name is taken. */
	for (size_t i = 0; !ret && i < HOOKS_NEVENTS; i++) {
		char *path, *orig;

		if (!hooks_event_wanted(i, trigger))
			continue;
		if ((ret = event_paths(dir, hooks_events[i].event, &path, &orig,
				       err)))
			break;
		if (what_is(path, target, sizeof(target)) == OTHER &&
		    exists(orig))
			ret = rt_err_set(err, RT_ERR_API,
					 "both %s and %s exist; keep one of "
					 "them and run install again",
					 path, orig);
		free(path);
		free(orig);
	}
	if (ret)
		return ret;
	if (stat(dir, &st) && dry_run) {
		r->changed = true;
	} else if (stat(dir, &st)) {
		struct rt_err ignored = { 0 };
		int fd;

		if (mkdir(dir, 0777))
			return rt_err_errno(err, RT_ERR_IO, "cannot create %s",
					    dir);
		/* Run as root: the repository owner's, as what goes in it. */
		if ((ret = rt_file_give_to_dir_owner(AT_FDCWD, dir, dir, err)))
			return ret;
		/* Remembers for uninstall that the directory is ours. */
		if (!(mark = path_join(dir, CREATED_MARK, NULL)))
			return rt_err_oom(err);
		fd = rt_file_open_at(AT_FDCWD, mark, mark, O_WRONLY | O_CREAT,
				     0, &ignored);
		if (fd >= 0)
			close(fd);
		free(mark);
		r->changed = true;
	}
	/* Ours of the other trigger go, what they chained comes back. */
	for (size_t i = 0; !ret && i < HOOKS_NEVENTS; i++)
		if (hooks_event_wanted(i, trigger))
			ret = install_event(dir, hooks_events[i].event, self,
					    dry_run, r, err);
		else
			uninstall_event(dir, hooks_events[i].event, dry_run, r,
					&ret, err);
	return ret;
}

/*
 * One event; the first error is kept in `*ret`, and the caller goes on
 * with the other events. At most one note per event.
 */
static void uninstall_event(const char *dir, const char *event, bool dry_run,
			    struct hooks_report *r, int *ret,
			    struct rt_err *err)
{
	char target[PATH_MAX], *path, *orig;
	enum present here;

	if (event_paths(dir, event, &path, &orig, err)) {
		*ret = *ret ? *ret : RT_ERR_NOMEM;
		return;
	}
	here = what_is(path, target, sizeof(target));
	if (ours(here) && !dry_run && unlink(path)) {
		int e = rt_err_errno(err, RT_ERR_IO, "cannot remove %s", path);

		*ret = *ret ? *ret : e;
	} else if (here != OTHER && exists(orig)) {
		if (!dry_run && rename(orig, path)) {
			int e = rt_err_errno(err, RT_ERR_IO,
					     "cannot restore %s", path);

			*ret = *ret ? *ret : e;
		}
		r->changed = true;
	} else if (here == OTHER && exists(orig)) {
		if (asprintf(&r->notes[r->nnotes],
			     "%s is not ours; left it and %s as they are", path,
			     orig) < 0) {
			r->notes[r->nnotes] = NULL;
			*ret = *ret ? *ret : rt_err_oom(err);
		} else {
			r->nnotes++;
		}
	}
	if (ours(here))
		r->changed = true;
	free(path);
	free(orig);
}

int hooks_scripts_uninstall(const char *dir, bool dry_run,
			    struct hooks_report *r, struct rt_err *err)
{
	char *mark = path_join(dir, CREATED_MARK, NULL);
	int ret = 0;

	if (!mark)
		return rt_err_oom(err);
	for (size_t i = 0; i < HOOKS_NEVENTS; i++)
		uninstall_event(dir, hooks_events[i].event, dry_run, r, &ret,
				err);
	/* Only if we made it and nothing else has been put there since. */
	if (dry_run ? !access(mark, F_OK) : !unlink(mark)) {
		r->changed = true;
		if (!dry_run)
			rmdir(dir);
	}
	free(mark);
	return ret;
}
