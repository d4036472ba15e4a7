/*
 * file.c: opening and creating files without following symlinks or
 * blocking on FIFOs, reading them with a size cap, and the modes of
 * core.sharedRepository. See rt-file.h for the rules.
 */
#define _GNU_SOURCE
#include "lib/include/rt-file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a non-regular file is, for messages. */
static const char *kind_of(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link, not followed";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISSOCK(m))
		return "a socket";
	return "of an unknown kind";
}

/*
 * The error for an open that failed with `e`: looked up with lstat so the
 * message says what is there (a symlink to a FIFO is a symlink). errno is
 * `e` again on return, for callers that retry on EEXIST.
 */
static int refuse(int dirfd, const char *name, const char *shown, int e,
		  struct rt_err *err)
{
	struct stat st;
	int ret;

	errno = e;
	if (e == ENOENT)
		ret = rt_err_errno(err, RT_ERR_NOT_EXIST, "cannot open %s",
				   shown);
	else if ((e == ELOOP || e == ENXIO || e == EISDIR || e == ENOTDIR) &&
		 fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		 !S_ISREG(st.st_mode))
		ret = rt_err_set(err, RT_ERR_IO,
				 "%s is not a regular file (it is %s)", shown,
				 kind_of(st.st_mode));
	else
		ret = rt_err_errno(err, RT_ERR_IO, "cannot open %s", shown);
	errno = e;
	return ret;
}

int rt_dir_open(const char *path, struct rt_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return rt_err_errno(err, RT_ERR_NOT_EXIST, "cannot open %s",
				    path);
	if ((errno == ELOOP || errno == ENOTDIR) && lstat(path, &st) == 0)
		return rt_err_set(err, RT_ERR_IO,
				  "%s is not a directory (it is %s)", path,
				  S_ISREG(st.st_mode) ? "a file" :
							kind_of(st.st_mode));
	return rt_err_errno(err, RT_ERR_IO, "cannot open directory %s", path);
}

/*
 * openat() that says whether it created the file: O_CREAT without O_EXCL
 * is tried as O_EXCL first, then as a plain open (again if the file
 * vanished in between).
 */
static int open_noting(int dirfd, const char *name, int flags, mode_t mode,
		       bool *created)
{
	int fd = -1;

	*created = false;
	if (!(flags & O_CREAT) || (flags & O_EXCL)) {
		fd = openat(dirfd, name, flags, mode);
		*created = fd >= 0 && (flags & O_CREAT);
		return fd;
	}
	for (int i = 0; fd < 0 && i < 16; i++) {
		fd = openat(dirfd, name, flags | O_EXCL, mode);
		if (fd >= 0) {
			*created = true;
			break;
		}
		if (errno != EEXIST)
			break;
		fd = openat(dirfd, name, flags & ~O_CREAT, mode);
		if (fd < 0 && errno != ENOENT)
			break;
	}
	return fd;
}

/*
 * The directory `name` is in, relative to `dirfd`: `dirfd` itself, or,
 * with AT_FDCWD, the directory part of `name` (the working directory
 * when it has none). Only looked at, so a symlink on the way is
 * followed: the file was reached the same way.
 */
static int dir_stat(int dirfd, const char *name, struct stat *st)
{
	const char *slash = strrchr(name, '/');
	char dir[4096];
	size_t n;

	if (dirfd != AT_FDCWD || !slash)
		return dirfd != AT_FDCWD ? fstat(dirfd, st) : stat(".", st);
	n = slash == name ? 1 : (size_t)(slash - name);
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, name, n);
	dir[n] = '\0';
	return stat(dir, st);
}

/*
 * Run as root in a directory another user owns (a repository
 * safe.directory allows), whether what `st` describes, which is at `name`
 * relative to `dirfd`, goes to that user and the directory's group
 * (`*dir`): a root-owned lock, log, state file, hook or config would lock
 * the owner out of their own later runs, hooks and config changes. What
 * we just created goes; what was there before only if root owns it and
 * it is not also elsewhere (more than one link: a hard link to a file of
 * root's is not ours to give away). 1 when due, 0 when not, -1 on error.
 */
static int dir_owner_due(const struct stat *st, int dirfd, const char *name,
			 bool created, struct stat *dir)
{
	if (geteuid() != 0 || (!created && st->st_uid != 0) ||
	    (!S_ISDIR(st->st_mode) && st->st_nlink != 1))
		return 0;
	if (dir_stat(dirfd, name, dir) < 0)
		return -1;
	return dir->st_uid != 0 &&
	       (st->st_uid != dir->st_uid || st->st_gid != dir->st_gid);
}

/* dir_owner_due() carried out, through the descriptor, never a path. */
static int give_to_dir_owner(int fd, const struct stat *st, int dirfd,
			     const char *name, bool created)
{
	struct stat dir;
	int due = dir_owner_due(st, dirfd, name, created, &dir);

	return due <= 0 ? due : fchown(fd, dir.st_uid, dir.st_gid);
}

int rt_file_give_to_dir_owner(int dirfd, const char *name, const char *shown,
			      struct rt_err *err)
{
	struct stat st, dir;
	int fd, due;

	if (geteuid() != 0)
		return 0;
	/*
	 * O_PATH|O_NOFOLLOW: the symlink itself when there is one, and no
	 * open of a FIFO or device; the checks and the chown are then of
	 * one inode, whatever is put at `name` in between.
	 */
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot open %s", shown);
	if (fstat(fd, &st) < 0)
		due = -1;
	else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ||
		 S_ISLNK(st.st_mode))
		due = dir_owner_due(&st, dirfd, name, false, &dir);
	else
		due = 0; /* a FIFO, device or socket is none of ours */
	if (due > 0)
		due = fchownat(fd, "", dir.st_uid, dir.st_gid,
			       AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	close(fd);
	if (due < 0)
		return rt_err_errno(err, RT_ERR_IO,
				    "cannot give %s to the owner of its "
				    "directory",
				    shown);
	return 0;
}

/* rt_file_open_at(), following a symlink when `follow` (reading only). */
static int open_checked(int dirfd, const char *name, const char *shown,
			int flags, mode_t mode, bool follow, struct rt_err *err)
{
	struct stat st;
	bool created;
	mode_t want;
	int fd, e;

	fd = open_noting(dirfd, name,
			 flags | (follow ? 0 : O_NOFOLLOW) | O_NONBLOCK |
				 O_NOCTTY | O_CLOEXEC,
			 mode ? mode : 0666, &created);
	if (fd < 0)
		return refuse(dirfd, name, shown, errno, err);
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return rt_err_errno(err, RT_ERR_IO, "cannot stat %s", shown);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return rt_err_set(err, RT_ERR_IO,
				  "%s is not a regular file (it is %s)", shown,
				  kind_of(st.st_mode));
	}
	/*
	 * The files we write in place (logs, the hook's lock) are ours alone:
	 * one with another name is a file elsewhere (someone's link to a file
	 * of root's, a `cp -al` snapshot), which writing would change too.
	 * Files we replace go by rename and never come here for writing.
	 */
	if ((flags & O_ACCMODE) != O_RDONLY && st.st_nlink > 1) {
		close(fd);
		errno = EMLINK;
		return rt_err_set(err, RT_ERR_IO,
				  "%s has %ju names (hard links); not writing "
				  "through it",
				  shown, (uintmax_t)st.st_nlink);
	}
	/*
	 * A new file gets exactly `mode` (the umask took bits away); one of
	 * ours that was there gets the bits it lacks, so files an older
	 * version made 0644 become writable for the group it is shared with.
	 */
	want = created ? mode : (st.st_mode & 07777) | mode;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0 ||
	    ((flags & O_CREAT) && mode && st.st_uid == geteuid() &&
	     (st.st_mode & 07777) != want && fchmod(fd, want) < 0) ||
	    ((flags & O_CREAT) &&
	     give_to_dir_owner(fd, &st, dirfd, name, created) < 0)) {
		e = errno;
		close(fd);
		/* Ours alone (O_EXCL): no lock or temp file left behind. */
		if (created)
			unlinkat(dirfd, name, 0);
		errno = e;
		return rt_err_errno(err, RT_ERR_IO, "cannot set up %s", shown);
	}
	return fd;
}

int rt_file_open_at(int dirfd, const char *name, const char *shown, int flags,
		    mode_t mode, struct rt_err *err)
{
	return open_checked(dirfd, name, shown, flags, mode, false, err);
}

int rt_file_read_at(int dirfd, const char *name, const char *shown, size_t cap,
		    int how, struct rt_buf *out, struct rt_err *err)
{
	struct stat st;
	int fd = open_checked(dirfd, name, shown, O_RDONLY, 0,
			      how & RT_FILE_FOLLOW, err);
	int ret = 0;

	rt_buf_reset(out);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > cap)
		ret = rt_err_set(err, RT_ERR_TOO_BIG,
				 "%s is too large (%lld bytes; at most %zu)",
				 shown, (long long)st.st_size, cap);
	while (!ret) {
		ssize_t n;

		if (rt_buf_grow(out, 8192)) {
			ret = rt_err_oom(err);
			break;
		}
		n = read(fd, out->buf + out->len, out->cap - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = rt_err_errno(err, RT_ERR_IO, "cannot read %s",
					   shown);
		else if (n == 0)
			break;
		else if (out->len + n > cap)
			ret = rt_err_set(
				err, RT_ERR_TOO_BIG,
				"%s is too large (more than %zu bytes)", shown,
				cap);
		else
			out->buf[out->len += n] = '\0';
	}
	close(fd);
	if (ret)
		rt_buf_reset(out);
	else
		out->buf[out->len] = '\0';
	return ret;
}

mode_t rt_shared_perm(int shared, mode_t mode)
{
	int tweak = shared < 0 ? -shared : shared;

	if (!shared)
		return mode;
	if (!(mode & S_IWUSR))
		tweak &= ~0222;
	if (mode & S_IXUSR)
		tweak |= (tweak & 0444) >> 2;
	return shared < 0 ? (mode & ~0777) | tweak : mode | tweak;
}
