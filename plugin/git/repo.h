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

#include "plugin/git/config.h"

#include <stdbool.h>
#include <stddef.h>

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
};

/* 0 on success; otherwise prints nothing and fills `msg`. */
int repo_discover(struct repo *repo, char *msg, size_t msglen);

enum repo_flags {
	/*
	 * Start no process: read the config files directly (see
	 * config_load_files()) and list only the main stack and the stack
	 * of the linked worktree we are in. For hooks.
	 */
	REPO_NO_GIT = 1 << 0,
};
int repo_discover_opts(struct repo *repo, unsigned flags, char *msg,
		       size_t msglen);
void repo_release(struct repo *repo);

#endif
