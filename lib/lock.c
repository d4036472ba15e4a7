/*
 * lock.c: lock files and temp files.
 */
#define _GNU_SOURCE
#include "lib/lock.h"
#include "lib/basics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	return rt_now_ns() / 1000000;
}

int rt_fsync_parent(const char *path, struct rt_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash - path) : strdup(".");
	int fd, ret = 0;

	if (!dir)
		return rt_err_oom(err);
	fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = rt_err_errno(err, RT_ERR_IO, "cannot fsync directory %s",
				   dir);
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

/*
 * The name to pass to *at() calls with `dirfd`: the last component of
 * `path` when `dirfd` is a directory (the file must lie in it), the whole
 * path for AT_FDCWD.
 */
const char *rt_file_at_name(int dirfd, const char *path)
{
	const char *slash = strrchr(path, '/');

	return dirfd == AT_FDCWD || !slash ? path : slash + 1;
}

/* fsync `dirfd`, the directory of `path`, or the parent of `path`. */
static int fsync_dir(int dirfd, const char *path, struct rt_err *err)
{
	if (dirfd == AT_FDCWD)
		return rt_fsync_parent(path, err);
	if (fsync(dirfd) < 0)
		return rt_err_errno(err, RT_ERR_IO,
				    "cannot fsync the directory of %s", path);
	return 0;
}

int rt_lock_acquire(struct rt_lock *l, int dirfd, const char *target,
		    long timeout_ms, mode_t mode, struct rt_err *err)
{
	uint64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	/* Per-call PRNG state: no global state, and callers differ. */
	unsigned seed = (unsigned)(getpid() ^ now_ms());
	long backoff = 1;
	size_t n = strlen(target);

	l->fd = -1;
	l->dirfd = dirfd;
	l->path = malloc(n + 6);
	if (!l->path)
		return rt_err_oom(err);
	memcpy(l->path, target, n);
	memcpy(l->path + n, ".lock", 6);

	for (;;) {
		struct rt_err local = { 0 };

		/* `mode` is set below, once the file is ours. */
		l->fd = rt_file_open_at(dirfd, rt_file_at_name(dirfd, l->path),
					l->path, O_RDWR | O_CREAT | O_EXCL, 0,
					&local);
		if (l->fd >= 0)
			break;
		if (errno != EEXIST) {
			if (err && !err->code)
				*err = local;
			free(l->path);
			l->path = NULL;
			return local.code;
		}
		if (timeout_ms == 0 ||
		    (timeout_ms > 0 && now_ms() >= deadline)) {
			int ret = rt_err_set(err, RT_ERR_LOCK,
					     "%s: lock is held by another "
					     "process",
					     l->path);

			free(l->path);
			l->path = NULL;
			return ret;
		}
		/* Randomised exponential backoff, as Git's lockfile does. */
		rt_sleep_ns(
			(uint64_t)(backoff + rand_r(&seed) % (backoff + 1)) *
			1000000);
		if (backoff < 64)
			backoff *= 2;
	}
	l->acquired_ns = rt_now_ns();
	l->held_ns = 0;
	l->committed = false;
	{
		struct stat st;

		if (fstat(l->fd, &st) == 0) {
			l->dev = st.st_dev;
			l->ino = st.st_ino;
		}
	}
	if (mode && fchmod(l->fd, mode) < 0) {
		int ret = rt_err_errno(err, RT_ERR_IO, "cannot chmod %s",
				       l->path);

		rt_lock_release(l);
		return ret;
	}
	return 0;
}

int rt_lock_write(struct rt_lock *l, const void *data, size_t len,
		  struct rt_err *err)
{
	if (l->fd < 0 || rt_write_all(l->fd, data, len) < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot write %s",
				    l->path ? l->path : "(lock)");
	return 0;
}

int rt_lock_commit(struct rt_lock *l, struct rt_err *err)
{
	char *target;
	int ret = 0;

	if (!l->path || l->fd < 0)
		return rt_err_set(err, RT_ERR_API,
				  "committing a lock not held");
	ret = fsync(l->fd);
	/* Close whatever fsync said, or the descriptor would leak. */
	if (close(l->fd) < 0)
		ret = -1;
	l->fd = -1;
	if (ret < 0) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot fsync %s", l->path);
		rt_lock_release(l);
		return ret;
	}
	target = strndup(l->path, strlen(l->path) - 5);
	if (!target) {
		rt_lock_release(l);
		return rt_err_oom(err);
	}
	if (renameat(l->dirfd, rt_file_at_name(l->dirfd, l->path), l->dirfd,
		     rt_file_at_name(l->dirfd, target)) < 0) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot rename %s to %s",
				   l->path, target);
		rt_lock_release(l);
	} else {
		/* The rename released the lock; the directory sync need not
		 * keep others waiting. */
		l->held_ns = rt_now_ns() - l->acquired_ns;
		l->committed = true;
		free(l->path);
		l->path = NULL;
		ret = fsync_dir(l->dirfd, target, err);
	}
	free(target);
	return ret;
}

void rt_lock_close_fd(struct rt_lock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void rt_lock_release(struct rt_lock *l)
{
	struct stat st;

	rt_lock_close_fd(l);
	if (l->path) {
		const char *name = rt_file_at_name(l->dirfd, l->path);

		if (fstatat(l->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_dev == l->dev && st.st_ino == l->ino)
			unlinkat(l->dirfd, name, 0);
		l->held_ns = rt_now_ns() - l->acquired_ns;
		l->committed = true;
		free(l->path);
		l->path = NULL;
	}
}

/*
 * Turn the trailing XXXXXX of `path` into random characters and create
 * that file with O_EXCL (so never through a symlink), retrying names
 * taken: exactly `mode`, or 0666 less the umask for 0. A descriptor or -1
 * with errno set.
 */
static int create_unique(int dirfd, char *path, mode_t mode)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t n = strlen(path);

	if (n < 6 || strcmp(path + n - 6, "XXXXXX")) {
		errno = EINVAL;
		return -1;
	}
	for (int attempt = 0; attempt < 100; attempt++) {
		uint64_t r = (uint64_t)rt_random_u32() << 32 | rt_random_u32();
		int fd;

		for (size_t i = n - 6; i < n; i++, r /= sizeof(chars) - 1)
			path[i] = chars[r % (sizeof(chars) - 1)];
		fd = rt_file_open_at(dirfd, rt_file_at_name(dirfd, path), path,
				     O_RDWR | O_CREAT | O_EXCL, mode, NULL);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/*
 * A temp file created `create_mode` (0: 0666 less the umask); then, unless
 * `mode` is 0, set to exactly `mode`.
 */
static int tmpfile_open(struct rt_tmpfile *t, int dirfd, const char *pattern,
			mode_t create_mode, mode_t mode, struct rt_err *err)
{
	t->dirfd = dirfd;
	t->path = strdup(pattern);
	if (!t->path)
		return rt_err_oom(err);
	t->fd = create_unique(dirfd, t->path, create_mode);
	if (t->fd < 0) {
		int ret = rt_err_errno(err, RT_ERR_IO, "cannot create %s",
				       pattern);

		free(t->path);
		t->path = NULL;
		return ret;
	}
	if (mode && fchmod(t->fd, mode) < 0) {
		int ret = rt_err_errno(err, RT_ERR_IO, "cannot chmod %s",
				       t->path);

		rt_tmpfile_delete(t);
		return ret;
	}
	return 0;
}

int rt_tmpfile_create(struct rt_tmpfile *t, int dirfd, const char *pattern,
		      mode_t mode, struct rt_err *err)
{
	/* 0600 as mkstemp makes it; the caller knows the repository's mode. */
	return tmpfile_open(t, dirfd, pattern, 0600, mode, err);
}

#define TMPFILE_BUF (64 * 1024)

static int tmpfile_flush(struct rt_tmpfile *t)
{
	int ret = t->len ? rt_write_all(t->fd, t->buf, t->len) : 0;

	t->len = 0;
	return ret < 0 ? RT_ERR_IO : 0;
}

int rt_tmpfile_write(void *tmpfile, const void *data, size_t len)
{
	struct rt_tmpfile *t = tmpfile;

	if (!t->buf && !(t->buf = malloc(TMPFILE_BUF)))
		return RT_ERR_NOMEM;
	if (t->len + len > TMPFILE_BUF && tmpfile_flush(t))
		return RT_ERR_IO;
	if (len >= TMPFILE_BUF)
		return rt_write_all(t->fd, data, len) < 0 ? RT_ERR_IO : 0;
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	return 0;
}

int rt_tmpfile_sync(struct rt_tmpfile *t, struct rt_err *err)
{
	if (!t->path || t->fd < 0)
		return rt_err_set(err, RT_ERR_API,
				  "syncing a closed temp file");
	if (tmpfile_flush(t))
		return rt_err_errno(err, RT_ERR_IO, "cannot write %s", t->path);
	free(t->buf);
	t->buf = NULL;
	if (fsync(t->fd) < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot fsync %s", t->path);
	if (close(t->fd) < 0) {
		t->fd = -1;
		return rt_err_errno(err, RT_ERR_IO, "cannot close %s", t->path);
	}
	t->fd = -1;
	return 0;
}

int rt_tmpfile_rename(struct rt_tmpfile *t, const char *dest,
		      struct rt_err *err)
{
	if (!t->path || t->fd >= 0)
		return rt_err_set(err, RT_ERR_API,
				  "renaming a temp file not synced");
	if (renameat(t->dirfd, rt_file_at_name(t->dirfd, t->path), t->dirfd,
		     rt_file_at_name(t->dirfd, dest)) < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot rename %s to %s",
				    t->path, dest);
	free(t->path);
	t->path = NULL;
	return 0;
}

void rt_tmpfile_delete(struct rt_tmpfile *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->path) {
		unlinkat(t->dirfd, rt_file_at_name(t->dirfd, t->path), 0);
		free(t->path);
		t->path = NULL;
	}
}

int rt_file_replace_at(int dirfd, const char *path, const void *data,
		       size_t len, mode_t mode, struct rt_err *err)
{
	struct rt_tmpfile t = RT_TMPFILE_INIT;
	size_t n = strlen(path);
	char *pattern = malloc(n + 8);
	int ret;

	if (!pattern)
		return rt_err_oom(err);
	memcpy(pattern, path, n);
	memcpy(pattern + n, ".XXXXXX", 8);
	/* Not umask(2), which is per process: 0 (0666) lets the kernel apply
	 * it. */
	ret = tmpfile_open(&t, dirfd, pattern, 0, mode, err);
	free(pattern);
	if (ret)
		return ret;
	if (rt_write_all(t.fd, data, len) < 0)
		ret = rt_err_errno(err, RT_ERR_IO, "cannot write %s", t.path);
	if (!ret)
		ret = rt_tmpfile_sync(&t, err);
	if (!ret)
		ret = rt_tmpfile_rename(&t, path, err);
	if (ret) {
		rt_tmpfile_delete(&t);
		return ret;
	}
	return fsync_dir(dirfd, path, err);
}

int rt_file_replace(const char *path, const void *data, size_t len, mode_t mode,
		    struct rt_err *err)
{
	return rt_file_replace_at(AT_FDCWD, path, data, len, mode, err);
}

int rt_tmpfile_unnamed(struct rt_tmpfile *t, int dirfd, const char *pattern,
		       struct rt_err *err)
{
	int ret;

	*t = (struct rt_tmpfile)RT_TMPFILE_INIT;
	t->dirfd = dirfd;
	t->fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t->fd >= 0)
		return 0;
	/* A file system without O_TMPFILE: a named one, unlinked at once. */
	if ((ret = rt_tmpfile_create(t, dirfd, pattern, 0, err)))
		return ret;
	if (unlinkat(dirfd, rt_file_at_name(dirfd, t->path), 0) < 0) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot remove %s", t->path);
		rt_tmpfile_delete(t);
		return ret;
	}
	free(t->path);
	t->path = NULL;
	return 0;
}

int rt_tmpfile_append_range(struct rt_tmpfile *dst, int src_fd, uint64_t off,
			    uint64_t len)
{
	uint8_t buf[64 * 1024];
	loff_t in = (loff_t)off;

	if (tmpfile_flush(dst))
		return RT_ERR_IO;
	/* In the kernel where it can; by hand where it cannot. */
	while (len) {
		ssize_t n = copy_file_range(src_fd, &in, dst->fd, NULL, len, 0);

		if (n <= 0)
			break;
		len -= (uint64_t)n;
	}
	while (len) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t n = pread(src_fd, buf, want, in);

		if (n <= 0 || rt_write_all(dst->fd, buf, (size_t)n) < 0)
			return RT_ERR_IO;
		in += n;
		len -= (uint64_t)n;
	}
	return 0;
}

int rt_tmpfile_append(struct rt_tmpfile *dst, struct rt_tmpfile *src,
		      uint64_t off, uint64_t len)
{
	if (tmpfile_flush(src))
		return RT_ERR_IO;
	return rt_tmpfile_append_range(dst, src->fd, off, len);
}

int rt_tmpfile_sync_data(struct rt_tmpfile *t, struct rt_err *err)
{
	const char *name = t->path ? t->path : "a temp file";

	if (t->fd < 0)
		return rt_err_set(err, RT_ERR_API,
				  "syncing a closed temp file");
	if (tmpfile_flush(t))
		return rt_err_errno(err, RT_ERR_IO, "cannot write %s", name);
	if (fdatasync(t->fd) < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot fsync %s", name);
	return 0;
}
