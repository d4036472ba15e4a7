/*
 * fleet_list.c: the repositories of a fleet run, and the stat-only look
 * that orders them by need.
 */
#define _GNU_SOURCE
#include "plugin/schedule/fleet.h"
#include "plugin/schedule/registry.h"
#include "plugin/util/path.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Scans go no deeper than this below --scan's directory. */
#define SCAN_MAX_DEPTH 16

void fleet_list_release(struct fleet_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].git_dir);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Append `path` (taken over) to `l`; frees it on error. */
static int add_owned(struct fleet_list *l, char *path, struct rt_err *err)
{
	struct fleet_repo *v;

	if (!path || !(v = realloc(l->v, (l->n + 1) * sizeof(*v)))) {
		free(path);
		return rt_err_oom(err);
	}
	l->v = v;
	memset(&v[l->n], 0, sizeof(v[l->n]));
	v[l->n++].path = path;
	return 0;
}

int fleet_list_registered(struct fleet_list *l, struct rt_err *err)
{
	struct schedule_repos repos;
	int ret = schedule_repos_read(&repos, err);

	for (size_t i = 0; !ret && i < repos.n; i++) {
		ret = add_owned(l, repos.v[i], err);
		repos.v[i] = NULL;
	}
	schedule_repos_release(&repos);
	return ret;
}

int fleet_list_text(struct fleet_list *l, const char *text, size_t len,
		    const char *name, struct rt_err *err)
{
	size_t lineno = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
		int ret;

		lineno++;
		if (n && text[end - 1] == '\r')
			n--;
		if (memchr(text + pos, '\0', n))
			return rt_err_set(err, RT_ERR_FORMAT,
					  "%s:%zu: a NUL byte in a path", name,
					  lineno);
		if (n && text[pos] != '#' &&
		    (ret = add_owned(l, strndup(text + pos, n), err)))
			return ret;
		pos = end + 1;
	}
	return 0;
}

static bool is_dir_at(int dfd, const char *name)
{
	struct stat st;

	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISDIR(st.st_mode);
}

/* A bare repository's git dir: HEAD, objects/ and refs/ or reftable/. */
static bool is_git_dir_at(int dfd)
{
	struct stat st;

	return !fstatat(dfd, "HEAD", &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISREG(st.st_mode) && is_dir_at(dfd, "objects") &&
	       (is_dir_at(dfd, "refs") || is_dir_at(dfd, "reftable"));
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct fleet_repo *)a)->path,
		      ((const struct fleet_repo *)b)->path);
}

/*
 * Directories below `dir` are opened with O_NOFOLLOW: a scan never leaves
 * it. `dir` itself is the operator's, and may be a symlink (/srv/git to
 * the volume that holds the repositories).
 */
static int scan(struct fleet_list *l, const char *dir, int depth,
		struct rt_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
				   (depth ? O_NOFOLLOW : 0));
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (fd < 0 && !depth)
		return rt_err_errno(err, RT_ERR_IO, "cannot scan '%s'", dir);
	if (fd < 0)
		return 0; /* unreadable or gone: nothing to find there */
	if (is_git_dir_at(fd) || is_dir_at(fd, ".git")) {
		close(fd);
		return add_owned(l, strdup(dir), err);
	}
	if (depth >= SCAN_MAX_DEPTH || !(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while (!ret && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (is_dir_at(dirfd(d), de->d_name)) {
			char *sub = path_join(dir, de->d_name, NULL);

			ret = sub ? scan(l, sub, depth + 1, err) :
				    rt_err_oom(err);
			free(sub);
		}
	}
	closedir(d);
	return ret;
}

int fleet_list_scan(struct fleet_list *l, const char *dir, struct rt_err *err)
{
	size_t first = l->n;
	struct stat st;
	int ret;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return rt_err_errno(err, RT_ERR_NOT_EXIST, "cannot scan '%s'",
				    dir);
	ret = scan(l, dir, 0, err);
	qsort(l->v + first, l->n - first, sizeof(*l->v), cmp_path);
	return ret;
}

/* Count the tables of the reftable/ directory `dfd` and their bytes. */
static void count_tables(struct fleet_repo *r, int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		struct stat st;

		if (n > 4 && !strcmp(de->d_name + n - 4, ".ref") &&
		    !fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode)) {
			r->tables++;
			r->bytes += (uint64_t)st.st_size;
		}
	}
	closedir(d);
}

static void look(struct fleet_repo *r)
{
	int fd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), gd, rd;
	bool bare;
	char *top;

	r->kind = FLEET_MISSING;
	if (fd < 0)
		return;
	/* A bare git dir, else a worktree top with its .git directory. */
	bare = is_git_dir_at(fd);
	gd = bare ? dup(fd) :
		    openat(fd, ".git", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (gd < 0)
		return;
	if ((top = realpath(r->path, NULL)))
		r->git_dir = bare ? top : path_join(top, ".git", NULL);
	if (!bare)
		free(top);
	r->kind = FLEET_OTHER_BACKEND;
	rd = openat(gd, "reftable",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(gd);
	if (rd >= 0) {
		r->kind = FLEET_REFTABLE;
		count_tables(r, rd);
	}
}

/* Need first; ties keep list order (index in `pos`). */
struct ranked {
	struct fleet_repo r;
	size_t pos;
};

static int by_need(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if ((x->r.kind == FLEET_REFTABLE) != (y->r.kind == FLEET_REFTABLE))
		return x->r.kind == FLEET_REFTABLE ? -1 : 1;
	if (x->r.tables != y->r.tables)
		return x->r.tables > y->r.tables ? -1 : 1;
	if (x->r.bytes != y->r.bytes)
		return x->r.bytes > y->r.bytes ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void fleet_order(struct fleet_list *l)
{
	struct ranked *v = calloc(l->n ? l->n : 1, sizeof(*v));

	for (size_t i = 0; i < l->n; i++)
		look(&l->v[i]);
	if (!v)
		return; /* unordered is still correct, only less useful */
	for (size_t i = 0; i < l->n; i++)
		v[i] = (struct ranked){ l->v[i], i };
	qsort(v, l->n, sizeof(*v), by_need);
	for (size_t i = 0; i < l->n; i++)
		l->v[i] = v[i].r;
	free(v);
}
