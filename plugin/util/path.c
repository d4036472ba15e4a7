/*
 * path.c: joining file names, resolving them, and creating directories.
 */
#define _GNU_SOURCE /* O_PATH, strchrnul */
#include "plugin/util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *path_join(const char *first, ...)
{
	size_t len = strlen(first) + 1;
	const char *part;
	char *res, *w;
	va_list ap;

	va_start(ap, first);
	while ((part = va_arg(ap, const char *)))
		len += strlen(part) + 1;
	va_end(ap);
	res = malloc(len);
	if (!res)
		return NULL;
	w = stpcpy(res, first);
	va_start(ap, first);
	while ((part = va_arg(ap, const char *))) {
		*w++ = '/';
		w = stpcpy(w, part);
	}
	va_end(ap);
	return res;
}

char *path_absolute_from(const char *base, const char *path)
{
	return path[0] == '/' ? strdup(path) : path_join(base, path, NULL);
}

char *path_absolute(const char *path)
{
	char *cwd, *res;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	res = cwd ? path_join(cwd, path, NULL) : NULL;
	free(cwd);
	return res;
}

/*
 * realpath() of `path`, or of its parent with the last component added
 * when only that one is missing; trailing slashes do not count.
 */
static char *resolve(const char *path)
{
	size_t n = strlen(path);
	char *p, *slash, *res, *real = NULL;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (!(p = strndup(path, n)))
		return NULL;
	res = realpath(p, NULL);
	slash = strrchr(p, '/');
	if (!res && errno == ENOENT && slash && strcmp(slash + 1, ".") &&
	    strcmp(slash + 1, "..")) {
		*slash = '\0';
		real = realpath(slash == p ? "/" : p, NULL);
		if (real)
			res = path_join(strcmp(real, "/") ? real : "",
					slash + 1, NULL);
	}
	free(real);
	free(p);
	return res;
}

int path_within(const char *path, const char *top)
{
	char *p = resolve(path), *t = realpath(top, NULL);
	size_t n = t ? strlen(t) : 0;
	int in = !p || !t ? -1 :
			    !strncmp(p, t, n) && (p[n] == '\0' || p[n] == '/' ||
						  !strcmp(t, "/"));

	free(p);
	free(t);
	return in;
}

int path_dir_open_nofollow(const char *path)
{
	const char *p = path, *end;
	char part[NAME_MAX + 1];
	int fd, next;

	if (*path != '/') {
		errno = EINVAL;
		return -1;
	}
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	while (fd >= 0 && *p) {
		size_t n;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (!n)
			break;
		if (n > NAME_MAX || (n <= 2 && !strncmp(p, "..", n))) {
			/* Too long, or "." or "..": not a resolved path. */
			close(fd);
			errno = n > NAME_MAX ? ENAMETOOLONG : EINVAL;
			return -1;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		next = openat(fd, part,
			      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p = end;
	}
	if (fd < 0)
		return -1;
	/* Readable, and so good for fsync too (an O_PATH one is not). */
	next = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (next >= 0 && next < 3) {
		/* Started without stdio: keep clear of 0-2, which get dup2()ed. */
		fd = fcntl(next, F_DUPFD_CLOEXEC, 3);
		close(next);
		next = fd;
	}
	return next;
}

int path_mkdirs(const char *dir, mode_t mode, struct rt_err *err)
{
	char *path = strdup(dir);
	int ret = 0;

	if (!path)
		return rt_err_oom(err);
	/* Each prefix that ends before a '/', then the whole path. */
	for (char *p = path + 1; !ret; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) && errno != EEXIST)
			ret = rt_err_errno(err, RT_ERR_IO, "cannot create '%s'",
					   path);
		*p = c;
		if (!c)
			break;
	}
	free(path);
	return ret;
}
