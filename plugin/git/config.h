/*
 * config.h: the Git configuration the plugin needs, and the stack options
 * derived from it (reftable.*, core.sharedRepository).
 *
 * Values come from `git config --list` run against the repository, so
 * includes, global and system files and GIT_CONFIG_* apply exactly as for
 * Git. A git older than the reftable extension skips the repository's
 * config (warning only): then that file is parsed here and layered on top.
 */
#ifndef PLUGIN_CONFIG_H
#define PLUGIN_CONFIG_H

#include "lib/include/rt-error.h"
#include "lib/include/rt-stack.h"

#include <stdbool.h>

struct repo;

struct config_entry {
	char *key; /* section[.subsection].name, section and name lowercased */
	char *value;
};

struct config {
	struct config_entry *entries;
	size_t n;
	/* false: the repository's file came from the fallback parser */
	bool from_git;
};

/*
 * Fill `cfg` (which need not be initialised; release it even on error)
 * from `git config --list` in the repository, with the fallback above.
 * A git that cannot be run counts as one that lists nothing. 0, or
 * RT_ERR_NOMEM.
 */
int config_load(struct config *cfg, const struct repo *repo,
		struct rt_err *err);
/*
 * Without starting git: Git's system, global and the repository's own
 * config files, in that order, through the plain parser below (includes
 * and `git -c` are not seen). For hooks, which must stay cheap. As
 * config_load() otherwise.
 */
int config_load_files(struct config *cfg, const char *common_dir,
		      struct rt_err *err);
/*
 * The plain parser: add the entries of one config file to `cfg`, enough
 * for the files Git writes itself: sections and "subsections", comments,
 * quotes and escapes in values, a bare key meaning true; no includes, no
 * continuation lines. A file that cannot be opened adds nothing. 0, or
 * RT_ERR_NOMEM.
 */
int config_parse_file(struct config *cfg, const char *path, struct rt_err *err);
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
