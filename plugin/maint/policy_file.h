/*
 * policy_file.h: which policy a repository uses, and loading it: the
 * policy file in the lookup order, then Git's configuration over the
 * built-in defaults. Prints nothing: errors come back to the caller.
 */
#ifndef PLUGIN_POLICY_FILE_H
#define PLUGIN_POLICY_FILE_H

#include "lib/include/rt-error.h"
#include "plugin/git/repo.h"
#include "policy/policy.h"

/* A policy is a few lines; more is a mistake (or /dev/zero's endless). */
#define POLICY_FILE_MAX (1024 * 1024)

/*
 * The policy file to use, the first of: `option` (the --policy option,
 * may be NULL), git config reftable.policy, $GIT_COMMON_DIR/
 * reftable-policy.ini, $XDG_CONFIG_HOME/git-reftable/policy.ini (else
 * $HOME/.config/git-reftable/policy.ini), /etc/git-reftable/policy.ini.
 * The first two are taken as they are; the others only when they are
 * regular files. `repo` may be NULL (outside a repository).
 *
 * Sets `*path` to a copy the caller frees, or to NULL when there is none
 * (the built-in defaults apply). Returns 0, or RT_ERR_NOMEM.
 */
int policy_file_find(const struct repo *repo, const char *option, char **path,
		     struct rt_err *err);

/*
 * policy_init(), then the file at `path` (NULL: none), then Git's
 * configuration of `repo` (NULL: none). Returns the number of errors in
 * the policy, each appended to `errs` as "<file>:<line>: ..." or "git
 * config <key>: ..." (quoting none of the file's text when the file was
 * reached through `repo`, by its reftable.policy or its common dir, and
 * the repository or the file is not the caller's); or a negative rt_error with `err` set: RT_ERR_IO
 * when the file cannot be read ("cannot read policy file <path>: <why>"),
 * RT_ERR_NOMEM. `p` is initialized in every case; the caller releases it
 * and must not act on a policy with errors.
 */
int policy_file_load(struct policy *p, const struct repo *repo,
		     const char *path, struct policy_errors *errs,
		     struct rt_err *err);

/*
 * policy_init(), then the file at `path` alone, as policy_file_load()
 * without Git's configuration; `via` is the repository it was found
 * through (NULL: none), which only decides whether errors quote it.
 */
int policy_file_check(struct policy *p, const struct repo *via,
		      const char *path, struct policy_errors *errs,
		      struct rt_err *err);

#endif
