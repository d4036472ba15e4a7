/*
 * owner.h: Git's ownership rule for repositories found by discovery.
 *
 * Since CVE-2022-24765 Git uses a repository it discovered only when the
 * current user owns it (its .git file when there is one, its worktree
 * top, its git dir), or when `safe.directory` allows it. We apply the
 * same rule, so that root running us from cron over other users'
 * repositories neither trusts a repository Git would refuse nor leaves
 * root-owned files that lock the owner out. As in Git (setup.c):
 *
 * - a path is the user's when lstat() says the effective uid owns it;
 *   for root, a root-owned path is always fine, and otherwise the uid in
 *   SUDO_UID (when set and numeric) stands in for root's;
 * - GIT_TEST_ASSUME_DIFFERENT_OWNER=true makes every path someone else's;
 * - `safe.directory` is read from the protected configuration only
 *   (system, global, command line; never the repository's own files):
 *   each value in order, an empty one resetting the list, `*` allowing
 *   every repository, a directory followed by `/` and `*` every
 *   repository below it, `.` the current directory, any other absolute
 *   path (`~` expanded) that one repository, compared after resolving
 *   symlinks. Other relative values are ignored (Git warns about them).
 *
 * A repository named by GIT_DIR is not checked: Git does not check it
 * either (the user chose it explicitly).
 */
#ifndef PLUGIN_OWNER_H
#define PLUGIN_OWNER_H

#include "lib/include/rt-error.h"

#include <stdbool.h>

/* Whether the current user owns `path` by the rule above. */
bool owner_is_current_user(const char *path);

/*
 * Git's ensure_valid_ownership(): `gitfile` (the .git file, or NULL),
 * `worktree` (the directory holding .git; NULL for a bare repository)
 * and `git_dir` must all be the user's, or safe.directory must allow the
 * repository (its worktree, else its git dir). 0 when the repository may
 * be used; RT_ERR_UNSAFE with Git's message ("detected dubious ownership
 * in repository at '...'" and the `git config --global --add
 * safe.directory` hint); RT_ERR_NOMEM.
 */
int owner_check(const char *gitfile, const char *worktree, const char *git_dir,
		struct rt_err *err);

#endif
