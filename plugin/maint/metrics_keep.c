/*
 * metrics_keep.c: the kept metrics block and its identity.
 */
#define _GNU_SOURCE
#include "plugin/maint/metrics_keep.h"
#include "lib/include/rt-file.h"
#include "plugin/util/path.h"
#include "scheduler/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds: a tables.list and a kept block are far smaller. */
#define LIST_MAX (1024 * 1024)
#define KEEP_MAX (4 * 1024 * 1024)
/* The first line of a kept block, then its identity. */
#define KEEP_HEAD "# git-reftable kept metrics: "

/* " <what>=<dev>:<ino>:<size>:<mtime ns>:<ctime ns>", or "=-" when
 * missing (a state file never written). */
static int add_stat(struct rt_buf *id, const char *what, const char *path,
		    bool may_be_missing)
{
	struct stat st;
	char num[160];

	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT || !may_be_missing)
			return RT_ERR_IO;
		snprintf(num, sizeof(num), "=-");
	} else {
		snprintf(num, sizeof(num),
			 "=%llu:%llu:%llu:%lld.%09ld:%lld.%09ld",
			 (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino,
			 (unsigned long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	}
	if (rt_buf_addch(id, ' ') || rt_buf_addstr(id, what) ||
	    rt_buf_addstr(id, num))
		return RT_ERR_NOMEM;
	return 0;
}

/* tables.list of the stack in `dir`, then each table it names. */
static int add_stack(struct rt_buf *id, const char *dir)
{
	struct rt_buf list = RT_BUF_INIT;
	struct rt_err err = { 0 };
	char *path = path_join(dir, "tables.list", NULL);
	int ret = path ? 0 : RT_ERR_NOMEM;

	if (!ret && (rt_buf_addstr(id, " stack=") || rt_buf_addstr(id, dir)))
		ret = RT_ERR_NOMEM;
	if (!ret)
		ret = add_stat(id, "tables.list", path, false);
	if (!ret)
		ret = rt_file_read_at(AT_FDCWD, path, path, LIST_MAX, 0, &list,
				      &err);
	for (char *p = list.buf; !ret && p && *p;) {
		size_t n = strcspn(p, "\n");
		char *table;

		if (n) {
			char end = p[n];

			/* The name alone; the list is ours to cut. */
			p[n] = '\0';
			table = path_join(dir, p, NULL);
			ret = table ? add_stat(id, p, table, false) :
				      RT_ERR_NOMEM;
			p[n] = end;
			free(table);
		}
		p += n + (p[n] == '\n');
	}
	rt_buf_release(&list);
	free(path);
	return ret;
}

int metrics_keep_identity(const struct repo *repo, unsigned factor,
			  struct rt_buf *id)
{
	char head[64];
	char *state = path_join(repo->common_dir, SCHED_STATE_FILE, NULL);
	int ret = state ? 0 : RT_ERR_NOMEM;

	rt_buf_reset(id);
	snprintf(head, sizeof(head), "v1 factor=%u git_dir=", factor);
	if (!ret &&
	    (rt_buf_addstr(id, head) || rt_buf_addstr(id, repo->git_dir)))
		ret = RT_ERR_NOMEM;
	if (!ret)
		ret = add_stat(id, "state", state, true);
	for (size_t i = 0; !ret && i < repo->nstacks; i++)
		ret = add_stack(id, repo->stacks[i].dir);
	free(state);
	/* One line: a name with a newline in it is not worth keeping. */
	if (!ret && (!id->buf || memchr(id->buf, '\n', id->len)))
		ret = RT_ERR_FORMAT;
	if (ret)
		rt_buf_reset(id);
	return ret;
}

/*
 * The git dir, where the kept file goes: the directory discovery found,
 * whatever its path leads to now (repo_git_dir_open()). A descriptor to
 * close when >= 0; AT_FDCWD to go by path.
 */
static int keep_dir_open(const struct repo *repo, int *fd, struct rt_err *err)
{
	*fd = repo_git_dir_open(repo);
	if (*fd != -1)
		return 0;
	if (errno == EPERM)
		return rt_err_set(err, RT_ERR_UNSAFE,
				  "%s is not the repository owner's",
				  repo->git_dir);
	return rt_err_errno(err, RT_ERR_UNSAFE,
			    "cannot open %s without following a symlink",
			    repo->git_dir);
}

int metrics_keep_write(const struct repo *repo, const struct rt_buf *id,
		       const char *text, size_t len, mode_t mode,
		       struct rt_err *err)
{
	struct rt_buf out = RT_BUF_INIT;
	char *path = path_join(repo->git_dir, METRICS_KEEP_FILE, NULL);
	int fd = AT_FDCWD, ret = 0;

	if (!path || rt_buf_addstr(&out, KEEP_HEAD) ||
	    rt_buf_add(&out, id->buf, id->len) || rt_buf_addch(&out, '\n') ||
	    rt_buf_add(&out, text, len))
		ret = rt_err_oom(err);
	if (!ret)
		ret = keep_dir_open(repo, &fd, err);
	if (!ret)
		ret = rt_file_replace_at(fd, path, out.buf, out.len,
					 mode ? mode : 0600, err);
	if (fd >= 0)
		close(fd);
	rt_buf_release(&out);
	free(path);
	return ret;
}

int metrics_keep_read(const struct repo *repo, unsigned factor,
		      struct rt_buf *text)
{
	struct rt_buf id = RT_BUF_INIT;
	struct rt_err err = { 0 };
	char *path = path_join(repo->git_dir, METRICS_KEEP_FILE, NULL);
	const char *nl;
	size_t head = strlen(KEEP_HEAD);
	int fd = AT_FDCWD, ret = path ? 0 : RT_ERR_NOMEM;

	rt_buf_reset(text);
	if (!ret)
		ret = keep_dir_open(repo, &fd, &err);
	if (!ret)
		ret = rt_file_read_at(fd, rt_file_at_name(fd, path), path,
				      KEEP_MAX, 0, text, &err);
	if (fd >= 0)
		close(fd);
	if (!ret)
		ret = metrics_keep_identity(repo, factor, &id);
	nl = !ret && text->buf ? memchr(text->buf, '\n', text->len) : NULL;
	if (!ret && (!nl || (size_t)(nl - text->buf) != head + id.len ||
		     memcmp(text->buf, KEEP_HEAD, head) ||
		     memcmp(text->buf + head, id.buf, id.len)))
		ret = RT_ERR_OUTDATED;
	if (!ret) {
		size_t skip = (size_t)(nl + 1 - text->buf);

		memmove(text->buf, nl + 1, text->len - skip + 1);
		rt_buf_setlen(text, text->len - skip);
	}
	if (ret)
		rt_buf_reset(text);
	rt_buf_release(&id);
	free(path);
	return ret;
}
