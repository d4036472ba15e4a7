/*
 * takeover.h: handing a repository's ref maintenance over from Git to
 * git-reftable (install), and back (uninstall).
 *
 * Git's own tasks would expire reflogs by gc.reflogExpire* and compact
 * by its own factor, whatever the policy says. install switches them off
 * with settings written to CONFIG_TAKEOVER_FILE in the common dir (see
 * takeover_settings()), included from the repository's config by one
 * section appended at its end:
 *
 *	[include]
 *		path = reftable-takeover.config
 *
 * Last, so that its values win over the user's own local ones; the
 * user's values stay where they are, and config_load() skips the file,
 * so the policy's fallback to Git's settings still reads them. uninstall
 * cuts exactly those lines (and a newline install had to add before
 * them) and removes the file, leaving the config byte for byte as before.
 *
 * The file also keeps, as comment lines, what uninstall must undo beyond
 * it (enum takeover_mark). The config is changed under Git's own lock,
 * <config>.lock, and never through a symlink. Nothing here prints.
 */
#ifndef PLUGIN_HOOKS_TAKEOVER_H
#define PLUGIN_HOOKS_TAKEOVER_H

#include "lib/include/rt-error.h"

#include <stdbool.h>

/* Git dies on a larger reftable.geometricFactor. */
#define TAKEOVER_MAX_FACTOR 255

#define TAKEOVER_NSETTINGS 5

/* One setting for Git: section.subsection.name = value, and why. */
struct takeover_setting {
	const char *section;
	const char *subsection; /* NULL for none */
	const char *name;
	char value[24];
	const char *why; /* what it stops or makes Git do, for reports */
};

/*
 * The settings install writes, in the file's order:
 * maintenance.reflog-expire.enabled and maintenance.pack-refs.enabled
 * false (Git's maintenance tasks that expire reflogs and compact the
 * stack), gc.reflogExpire and gc.reflogExpireUnreachable never (with both
 * never, gc and gc --auto skip reflog expiry), and
 * reftable.geometricFactor = `factor` (the policy's, so that Git's inline
 * auto-compaction after each write follows the same rule as ours).
 */
void takeover_settings(unsigned factor,
		       struct takeover_setting out[TAKEOVER_NSETTINGS]);

/* What install must undo beyond the file and the include, kept in it. */
enum takeover_mark {
	/* The config did not end with a newline: install added one. */
	TAKEOVER_NEWLINE = 1 << 0,
	/* install --schedule registered the repository (schedule.h). */
	TAKEOVER_SCHEDULED = 1 << 1,
	/* ... and so created the global config file, which was missing. */
	TAKEOVER_GLOBAL_CREATED = 1 << 2,
};

enum takeover_change {
	TAKEOVER_KEPT, /* already as wanted (uninstall: was not there) */
	TAKEOVER_ADDED,
	TAKEOVER_REPLACED, /* the file: rewritten; the include: moved last */
	TAKEOVER_REMOVED,
};

/* What a call did, or with dry_run would do. */
struct takeover_report {
	char *file; /* CONFIG_TAKEOVER_FILE's path */
	char *config; /* the repository's config file */
	enum takeover_change file_change;
	enum takeover_change include_change;
	unsigned marks; /* the marks the file holds (uninstall: held) */
};

/* Free what `r` holds; harmless on a zeroed or released report. */
void takeover_report_release(struct takeover_report *r);

/*
 * Whether the config of `common_dir` ends without a newline: the hooks'
 * `git config` adds one, which uninstall must take out again, so the
 * caller asks before installing them and passes the answer on.
 */
int takeover_config_bare_end(const char *common_dir, bool *bare,
			     struct rt_err *err);

/*
 * Write the file for `factor` (at most TAKEOVER_MAX_FACTOR) in
 * `common_dir` and include it last from its config; with `dry_run`,
 * only find out what would change. Marks already in the file are kept;
 * `bare_end` is takeover_config_bare_end()'s answer from before the
 * config was changed. `r` need not be initialised; release it whatever
 * this returns. RT_ERR_LOCK when Git holds the config's lock, RT_ERR_API
 * for a config that is a symlink (we would replace it by a file) or
 * missing, RT_ERR_IO.
 */
int takeover_install(const char *common_dir, unsigned factor, bool bare_end,
		     bool dry_run, struct takeover_report *r,
		     struct rt_err *err);

/*
 * Where install wrote the file in `common_dir`, rewrite it for `factor`
 * when it says another (the policy's geometric-factor changed since):
 * Git's inline compaction then follows the policy again without a new
 * install. The config is not touched; without a file, or for a factor
 * Git would refuse, nothing is done. `*changed` says whether the file was
 * rewritten. The file is read and written in the directory open at
 * `dirfd` (repo_common_dirfd()), `common_dir` naming it in messages.
 */
int takeover_refresh(const char *common_dir, int dirfd, unsigned factor,
		     bool *changed, struct rt_err *err);

/* The marks the file in `common_dir` holds; 0 without a file. */
int takeover_marks(const char *common_dir, unsigned *marks, struct rt_err *err);

/* Add `marks` to the file in `common_dir` (which install wrote). */
int takeover_mark(const char *common_dir, unsigned marks, struct rt_err *err);

/*
 * Take the include out of the config and remove the file. The include is
 * cut as install wrote it, wherever it is now; lines changed since are
 * left to `git config --unset`. `r->marks` tells the caller what else to
 * undo. As takeover_install() for `r` and errors.
 */
int takeover_uninstall(const char *common_dir, struct takeover_report *r,
		       struct rt_err *err);

#endif
