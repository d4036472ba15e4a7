/*
 * backend.h: where the hourly, daily and weekly entries of `git reftable
 * schedule` are kept: the user's crontab, or systemd user timers.
 *
 * Each backend owns a well-defined set of things and touches nothing else:
 * crontab, the lines between our BEGIN and END markers; systemd, the unit
 * files git-reftable@.service and git-reftable@{hourly,daily,weekly}.timer
 * in ${XDG_CONFIG_HOME:-~/.config}/systemd/user. Nothing here prints:
 * errors come back in a struct rt_err.
 *
 * At a given time only one entry fires: hourly at hours 1-23, daily at
 * hour 0 on Monday to Saturday, weekly at hour 0 on Sunday (as Git's
 * maintenance schedule does), all at the same minute. So two runs of one
 * schedule never compete for a repository's run lock, and the wider
 * schedule is expected to cover the narrower ones' work.
 */
#ifndef PLUGIN_SCHEDULE_BACKEND_H
#define PLUGIN_SCHEDULE_BACKEND_H

#include "lib/include/rt-error.h"
#include "plugin/schedule/job.h"

#include <stdbool.h>

/* The comment that heads what a backend writes. */
#define SCHEDULE_HEADER_START                                           \
	"# Installed by 'git reftable schedule start' and removed by\n" \
	"# 'git reftable schedule stop'; "

struct schedule_backend {
	const char *name;
	/* Can entries be installed here now? (for --scheduler=auto) */
	bool (*usable)(void);
	/* Install or refresh all three entries. */
	int (*install)(const struct schedule_job *job, struct rt_err *err);
	/*
	 * Remove our entries if there are any. A backend whose command is
	 * missing and that has nothing of ours in files we can see counts
	 * as having nothing to remove.
	 */
	int (*remove)(struct rt_err *err);
	/*
	 * Which entries are installed: 1 and `have` filled; 0 when the
	 * backend cannot be asked (`*why` says so, a constant); < 0 on error.
	 */
	int (*status)(bool have[SCHEDULE_FREQS], const char **why,
		      struct rt_err *err);
};

extern const struct schedule_backend schedule_crontab;
extern const struct schedule_backend schedule_systemd;

#endif
