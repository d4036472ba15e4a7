/*
 * repo.h: finding the repository and its reftable stacks.
 *
 * Discovery mirrors Git's: -C, GIT_DIR and GIT_COMMON_DIR, `.git` files of
 * linked worktrees, bare repositories. The ref storage comes from
 * GIT_REFERENCE_BACKEND or extensions.refStorage (`reftable` or
 * `reftable://<path>`, relative paths against $GIT_DIR).
 */
#ifndef PLUGIN_REPO_H
#define PLUGIN_REPO_H

#include "plugin/config.h"

#include <stdbool.h>
#include <stddef.h>

struct repo_stack {
	char *dir;
	/* NULL for the main stack, else the linked worktree's id. */
	char *worktree;
};

struct repo {
	char *git_dir;
	char *common_dir;
	bool reftable;
	char *ref_storage; /* as configured, for messages */
	/* The main stack, then linked worktrees' stacks sorted by id. */
	struct repo_stack *stacks;
	size_t nstacks;
	struct config cfg;
};

/* 0 on success; otherwise prints nothing and fills `msg`. */
int repo_discover(struct repo *repo, char *msg, size_t msglen);
void repo_release(struct repo *repo);

#endif
