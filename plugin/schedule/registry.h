/*
 * registry.h: the repositories that the schedule maintains.
 *
 * They are the values of the multi-valued key reftable-maintenance.repo
 * in the global Git config (as Git keeps maintenance.repo), each the
 * absolute path of a worktree's top or of a bare repository, read and
 * changed through `git config --global`.
 */
#ifndef PLUGIN_SCHEDULE_REGISTRY_H
#define PLUGIN_SCHEDULE_REGISTRY_H

#include "lib/include/rt-error.h"
#include "plugin/git/repo.h"

#include <stdbool.h>
#include <stddef.h>

#define SCHEDULE_REPO_KEY "reftable-maintenance.repo"

struct schedule_repos {
	char **v; /* absolute paths, in the order of the config */
	size_t n;
};

/* Read the registered repositories into `l` (need not be initialised;
 * empty on error). */
int schedule_repos_read(struct schedule_repos *l, struct rt_err *err);
void schedule_repos_release(struct schedule_repos *l);
bool schedule_repos_has(const struct schedule_repos *l, const char *path);

/* Add `path` to the registered repositories (no check for a duplicate). */
int schedule_repos_add(const char *path, struct rt_err *err);
/* Remove every registration of `path`. */
int schedule_repos_remove(const char *path, struct rt_err *err);

/*
 * The file `git config --global` writes the registry into, by Git's rule
 * (`*path` allocated, the caller frees it): $GIT_CONFIG_GLOBAL, else
 * ~/.gitconfig unless only the XDG one ($XDG_CONFIG_HOME/git/config, or
 * ~/.config/git/config) is there. RT_ERR_NOT_EXIST without HOME.
 */
int schedule_repos_file(char **path, struct rt_err *err);

/*
 * The path that stands for `repo` in the registry, into `*path` (the
 * caller frees it; NULL on error): the top of its worktree, or the git dir
 * of a bare repository, with symlinks resolved (as `git maintenance
 * register` does), so one repository has one spelling.
 */
int schedule_repo_path(const struct repo *repo, char **path,
		       struct rt_err *err);

#endif
