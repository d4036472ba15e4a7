/*
 * config.h: the Git configuration the plugin needs, and the stack options
 * derived from it (reftable.*, core.sharedRepository).
 *
 * Values come from `git config --list` run against the repository, so
 * includes, global and system files and GIT_CONFIG_* apply exactly as for
 * Git. A git older than the reftable extension skips the repository's
 * config (warning only): then that file is parsed here and layered on top.
 *
 * Neither way sees the settings `git reftable install` writes for Git
 * (CONFIG_TAKEOVER_FILE): they switch Git's own ref maintenance off, and
 * the policy's fallback to Git's settings must keep reading the user's.
 */
#ifndef PLUGIN_CONFIG_H
#define PLUGIN_CONFIG_H

#include "lib/include/rt-error.h"
#include "lib/include/rt-stack.h"

#include <stdbool.h>

struct repo;

/*
 * The file in the common dir holding what install sets for Git, included
 * from the repository's config (plugin/hooks/takeover.h).
 */
#define CONFIG_TAKEOVER_FILE "reftable-takeover.config"

struct config_entry {
	char *key; /* section[.subsection].name, section and name lowercased */
	char *value;
};

struct config {
	struct config_entry *entries;
	size_t n;
	/* false: the repository's file came from the plain parser */
	bool from_git;
	/*
	 * The plain parser met a line it may read otherwise than Git: a
	 * continuation line, an escape other than \n \t \" \\, an unclosed
	 * quote or section header.
	 */
	bool unsure;
};

/*
 * Fill `cfg` (which need not be initialised; release it even on error)
 * from `git config --list` in the repository, with the fallback above,
 * less the entries whose origin is the repository's CONFIG_TAKEOVER_FILE.
 * A git that cannot be run counts as one that lists nothing. When the
 * environment names Git's system file (GIT_CONFIG_SYSTEM, or
 * GIT_CONFIG_NOSYSTEM true; no GIT_CONFIG) and config_load_files() finds
 * config_plain_complete(), that is the answer and no git starts. 0, or
 * RT_ERR_NOMEM.
 */
int config_load(struct config *cfg, const struct repo *repo,
		struct rt_err *err);
/*
 * Without starting git: Git's system, global and the repository's own
 * config files, in that order, through the plain parser below (includes
 * are not followed), then config_parse_env(). For hooks, which must stay
 * cheap. As config_load() otherwise.
 */
int config_load_files(struct config *cfg, const char *common_dir,
		      struct rt_err *err);
/*
 * Git's "protected" configuration: system, global and command line
 * (config_parse_env()), never the repository's own files, which whoever
 * owns the repository writes. What Git reads safe.directory from. As
 * config_load_files() otherwise.
 */
int config_load_protected(struct config *cfg, struct rt_err *err);
/*
 * Where Git's global config is, by Git's rules: `env`, the file
 * GIT_CONFIG_GLOBAL names, which is then the only one; otherwise `xdg`
 * ($XDG_CONFIG_HOME/git/config, or ~/.config/git/config when that is
 * unset or empty) and `user` (~/.gitconfig), read in that order, both
 * NULL when HOME is unset (`xdg` not, with XDG_CONFIG_HOME set). The
 * files need not exist. 0, or RT_ERR_NOMEM; release with
 * config_global_release().
 */
struct config_global {
	char *env, *xdg, *user;
};
int config_global_files(struct config_global *g, struct rt_err *err);
void config_global_release(struct config_global *g);
/*
 * Whether the plain parser's `cfg` holds all that Git's would: no
 * include (but CONFIG_TAKEOVER_FILE, whose entries are left out anyway),
 * no includeIf, no per-worktree config, nothing the parser was unsure of.
 */
bool config_plain_complete(const struct config *cfg);
/*
 * The path of Git's system config file (`git var GIT_CONFIG_SYSTEM`,
 * Git 2.42 and later), for children to be given as GIT_CONFIG_SYSTEM;
 * NULL when git cannot tell. The caller frees it.
 */
char *config_system_path(void);
/*
 * The plain parser: add the entries of one config file to `cfg`, enough
 * for the files Git writes itself: sections and "subsections", comments,
 * quotes and escapes in values, a bare key meaning true; no includes, no
 * continuation lines. A file that cannot be opened adds nothing. 0, or
 * RT_ERR_NOMEM.
 */
int config_parse_file(struct config *cfg, const char *path, struct rt_err *err);
/*
 * Add the `git -c` settings Git hands to the programs it starts, in
 * Git's order: GIT_CONFIG_COUNT pairs of GIT_CONFIG_KEY_<n> and
 * GIT_CONFIG_VALUE_<n>, then GIT_CONFIG_PARAMETERS (single-quoted words:
 * 'key'='value', 'key'= for a bare key, or the older 'key=value'). Keys
 * are canonicalized as Git does; what Git would refuse to start with is
 * not read. 0, or RT_ERR_NOMEM.
 */
int config_parse_env(struct config *cfg, struct rt_err *err);
/*
 * Append `key` (its first `keylen` bytes) = `value` to `cfg`; a NULL
 * value is a bare key, stored as "true". Both are copied. 0, or
 * RT_ERR_NOMEM.
 */
int config_add(struct config *cfg, const char *key, size_t keylen,
	       const char *value, struct rt_err *err);
void config_release(struct config *cfg);
/* Last value of `key` (compared case-insensitively), or NULL. */
const char *config_get(const struct config *cfg, const char *key);
/* Parse a Git integer with k/m/g suffix; -1 on error. */
int config_int(const char *value, long long *out);
/* Git's boolean spellings; -1 when not a boolean. */
int config_bool(const char *value);

/*
 * Fill stack options from the configuration; a bad value is an
 * RT_ERR_API whose message names the key.
 */
int config_stack_options(const struct config *cfg,
			 struct rt_stack_options *opts, struct rt_err *err);

#endif
