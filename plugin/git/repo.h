/*
 * repo.h: finding the repository and its reftable stacks.
 *
 * Discovery mirrors Git's (checked against Git 2.55 by t0420): -C,
 * GIT_DIR, `.git` files of linked worktrees, bare repositories. The ref
 * storage comes from GIT_REFERENCE_BACKEND (when set, even empty) or
 * extensions.refStorage: `reftable`, `files`, or `<format>://<path>`.
 * Like Git's ref backends, stacks are found from $GIT_DIR/commondir (not
 * GIT_COMMON_DIR): `<common>/reftable` and, per linked worktree,
 * `<common>/worktrees/<id>/reftable`; a `reftable://<path>` (relative to
 * the common dir, which is $GIT_DIR outside linked worktrees) takes the
 * place of `<common>` in both.
 */
#ifndef PLUGIN_REPO_H
#define PLUGIN_REPO_H

#include "lib/include/rt-error.h"
#include "plugin/git/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct repo_stack {
	char *dir;
	/* NULL for the main stack, else the linked worktree's id. */
	char *worktree;
};

struct repo {
	char *git_dir;
	char *common_dir; /* GIT_COMMON_DIR, else from $GIT_DIR/commondir */
	bool reftable;
	char *ref_storage; /* as configured, for messages */
	/* The main stack, then linked worktrees' stacks sorted by id. */
	struct repo_stack *stacks;
	size_t nstacks;
	struct config cfg;
	/*
	 * The common dir, opened before the config is read and through no
	 * symlink (path_dir_open_nofollow()), and its owner. Our files in
	 * it are opened relative to `common_fd` (repo_common_dirfd()), so a
	 * path swapped since cannot lead them elsewhere; maintenance as
	 * root changes only stacks of `owner` (maint_stack_options()).
	 * `have_owner` false: not opened (`common_fd` unset); never for
	 * root, whose discovery then fails.
	 */
	int common_fd;
	uid_t owner;
	bool have_owner;
};

/*
 * Find the repository we are in and, when its refs are in reftables, its
 * stacks. `repo` need not be initialised; release it with repo_release()
 * whatever this returns. A repository on another ref backend is found
 * too (`reftable` false, no stacks). 0; RT_ERR_NOT_EXIST outside a
 * repository; RT_ERR_API for a ref storage Git would refuse;
 * RT_ERR_NOMEM.
 */
int repo_discover(struct repo *repo, struct rt_err *err);

enum repo_flags {
	/*
	 * Start no process: read the config files directly (see
	 * config_load_files()) and list only the main stack and the stack
	 * of the linked worktree we are in. For hooks.
	 */
	REPO_NO_GIT = 1 << 0,
	/* With REPO_NO_GIT: list every linked worktree's stack all the same
	 * (readdir only), as repo_discover() does. */
	REPO_EVERY_STACK = 1 << 1,
};
/* repo_discover() with `enum repo_flags`. */
int repo_discover_opts(struct repo *repo, unsigned flags, struct rt_err *err);
/*
 * repo_discover_opts() from directory `dir` instead of the current one,
 * as `git -C <dir>` would find it (GIT_DIR, when set, relative to `dir`).
 */
int repo_discover_at(struct repo *repo, const char *dir, unsigned flags,
		     struct rt_err *err);
void repo_release(struct repo *repo);

/*
 * Where our files directly in the common dir are opened: `common_fd`,
 * or AT_FDCWD (by their paths) when discovery could not open it. Use
 * with rt_file_at_name().
 */
int repo_common_dirfd(const struct repo *repo);

/*
 * The git dir, for our files in it as repo_common_dirfd() is for the
 * common dir's: a new descriptor (close it) on the directory discovery
 * found, however its path changed since; AT_FDCWD when discovery could
 * not open the common dir (files then go by path, as there); -1 with
 * errno when it cannot be opened: reached through a symlink now (ELOOP,
 * ENOTDIR), gone, or, run as root, another user's than the common dir
 * (EPERM).
 */
int repo_git_dir_open(const struct repo *repo);

#endif
