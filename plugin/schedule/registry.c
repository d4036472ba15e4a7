/*
 * registry.c: the registered repositories in the global Git config.
 */
#include "plugin/schedule/registry.h"
#include "plugin/git/config.h"
#include "plugin/util/spawn.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void schedule_repos_release(struct schedule_repos *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

bool schedule_repos_has(const struct schedule_repos *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], path))
			return true;
	return false;
}

/* Add the non-empty values of NUL-separated `text` to `l`. */
static int add_values(struct schedule_repos *l, const char *text, size_t len)
{
	for (size_t pos = 0; pos < len; pos += strlen(text + pos) + 1) {
		char **v;

		if (!text[pos])
			continue;
		v = realloc(l->v, (l->n + 1) * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		if (!(v[l->n] = strdup(text + pos)))
			return -1;
		l->n++;
	}
	return 0;
}

int schedule_repos_read(struct schedule_repos *l, struct rt_err *err)
{
	const char *argv[] = { "git",	    "config",	       "--global", "-z",
			       "--get-all", SCHEDULE_REPO_KEY, NULL };
	struct spawn_result r;
	/* Exit 1: the key is not set. */
	int ret = spawn_run_ok(argv, NULL, 0, 1, &r, err);

	memset(l, 0, sizeof(*l));
	if (ret < 0)
		return ret;
	if (!ret && add_values(l, r.out, r.outlen)) {
		schedule_repos_release(l);
		ret = rt_err_oom(err);
	}
	spawn_result_release(&r);
	return ret < 0 ? ret : 0;
}

int schedule_repos_add(const char *path, struct rt_err *err)
{
	const char *argv[] = { "git",	"config",	   "--global",
			       "--add", SCHEDULE_REPO_KEY, path,
			       NULL };
	int ret = spawn_run_ok(argv, NULL, 0, -1, NULL, err);

	return ret < 0 ? ret : 0;
}

int schedule_repos_remove(const char *path, struct rt_err *err)
{
	const char *argv[] = { "git",	      "config",
			       "--global",    "--fixed-value",
			       "--unset-all", SCHEDULE_REPO_KEY,
			       path,	      NULL };
	int ret = spawn_run_ok(argv, NULL, 0, -1, NULL, err);

	return ret < 0 ? ret : 0;
}

int schedule_repos_file(char **path, struct rt_err *err)
{
	struct config_global g;
	int ret = config_global_files(&g, err);

	*path = NULL;
	if (ret)
		return ret;
	/* What `git config --global` writes: ~/.gitconfig unless only the
	 * XDG file exists. */
	if (g.env) {
		*path = g.env;
		g.env = NULL;
	} else if (!g.user) {
		ret = rt_err_set(err, RT_ERR_NOT_EXIST,
				 "HOME is not set: no global git config");
	} else if (access(g.user, R_OK) && g.xdg && !access(g.xdg, R_OK)) {
		*path = g.xdg;
		g.xdg = NULL;
	} else {
		*path = g.user;
		g.user = NULL;
	}
	config_global_release(&g);
	return ret;
}

int schedule_repo_path(const struct repo *repo, char **path, struct rt_err *err)
{
	const char *argv[] = { "git", "rev-parse", "--show-toplevel", NULL };
	struct spawn_result r;
	char *res = NULL;

	/* A bare repository has no top: its git dir stands for it. */
	if (!spawn_run(argv, NULL, 0, &r, NULL) && r.outlen > 1 &&
	    r.out[r.outlen - 1] == '\n') {
		r.out[r.outlen - 1] = '\0';
		res = realpath(r.out, NULL);
	}
	spawn_result_release(&r);
	if (!res)
		res = realpath(repo->git_dir, NULL);
	*path = res;
	if (!res)
		return rt_err_errno(err, RT_ERR_IO,
				    "cannot resolve the path of '%s'",
				    repo->git_dir);
	return 0;
}
