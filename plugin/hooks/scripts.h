/*
 * scripts.h: the hooks as files in a hooks directory, for Git before
 * 2.54 (install.h).
 *
 * A hook of someone else's is moved aside to <event>.git-reftable-orig
 * and chained by a script of ours that runs it first; with nothing to
 * chain, a symlink to git-reftable, which Git starts without a shell.
 * Neither blocks Git once git-reftable is gone: the script then skips it
 * (`test -x`), and Git takes a dangling symlink for no hook at all.
 * Uninstalling puts back what was moved aside. A hooks directory that
 * install had to create is marked so, and uninstall removes it when
 * nothing else has been put there.
 */
#ifndef PLUGIN_HOOKS_SCRIPTS_H
#define PLUGIN_HOOKS_SCRIPTS_H

#include "lib/include/rt-error.h"
#include "plugin/hooks/install.h"

#define HOOKS_ORIG_SUFFIX ".git-reftable-orig"
/* The first comment line of every script we write: how we know our own. */
#define HOOKS_SCRIPT_MARKER "# git-reftable hook script"

/*
 * The script for `event` that chains <event>.git-reftable-orig and then
 * runs `self`. The chained hook's exit status is the script's, since Git
 * acts on it. Allocated; NULL when out of memory.
 */
char *hooks_script_text(const char *self, const char *event);

/*
 * Whether installing in `dir` takes only symlinks: no hook of someone
 * else's to chain (nor one chained already) for any event `trigger`
 * wants.
 */
bool hooks_scripts_links_only(const char *dir, enum hooks_trigger trigger);

/*
 * Install the hooks `trigger` wants in the directory `dir` (created when
 * missing), and take out our others as hooks_scripts_uninstall() does.
 * Before changing anything, RT_ERR_API when both a hook of someone else's
 * and its <event>.git-reftable-orig exist. Sets `r->changed`; with
 * `dry_run` only that, nothing is changed.
 */
int hooks_scripts_install(const char *dir, const char *self,
			  enum hooks_trigger trigger, bool dry_run,
			  struct hooks_report *r, struct rt_err *err);

/*
 * Remove our hooks from `dir` and put back those they chained; a hook
 * that is not ours stays, with a note in `r`. `dry_run` as above.
 */
int hooks_scripts_uninstall(const char *dir, bool dry_run,
			    struct hooks_report *r, struct rt_err *err);

/*
 * For a hooks directory we do not write in (`why`: "a symbolic link",
 * "outside the repository"): a note in `r` when hooks of ours are there,
 * put by an older install, which are left (other repositories may run
 * them). Reads only. 0 or RT_ERR_NOMEM.
 */
int hooks_scripts_note_left(const char *dir, const char *why,
			    struct hooks_report *r, struct rt_err *err);

#endif
