/*
 * backend.h: the hourly, daily and weekly entries of `git reftable
 * schedule`, kept in the user's crontab or as systemd user timers.
 *
 * Each backend owns a well-defined set of things and touches nothing else:
 * crontab, the lines between our BEGIN and END markers; systemd, the unit
 * files git-reftable@.service and git-reftable@{hourly,daily,weekly}.timer
 * in ${XDG_CONFIG_HOME:-~/.config}/systemd/user. Errors are printed here.
 *
 * At a given time only one entry fires: hourly at hours 1-23, daily at
 * hour 0 on Monday to Saturday, weekly at hour 0 on Sunday (as Git's
 * maintenance schedule does), all at the same minute. So two runs of one
 * schedule never compete for a repository's run lock, and the wider
 * schedule is expected to cover the narrower ones' work.
 */
#ifndef PLUGIN_SCHEDULE_BACKEND_H
#define PLUGIN_SCHEDULE_BACKEND_H

#include <stdbool.h>

enum schedule_freq {
	SCHEDULE_HOURLY,
	SCHEDULE_DAILY,
	SCHEDULE_WEEKLY,
	SCHEDULE_NFREQ,
};

/* "hourly", "daily", "weekly"; NULL for anything else. */
const char *schedule_freq_name(enum schedule_freq f);

/* What every entry runs: `<program> schedule run-registered --schedule=<f>`. */
struct schedule_job {
	const char *program; /* absolute path of git-reftable */
	const char *path_env; /* PATH the job runs with (cron's is minimal) */
	int minute; /* 0..59 */
};

struct schedule_backend {
	const char *name;
	/* Can entries be installed here now? (for --scheduler=auto) */
	bool (*usable)(void);
	/* Install or refresh all three entries; 0, or -1 after an error. */
	int (*install)(const struct schedule_job *job);
	/*
	 * Remove our entries if there are any; 0, or -1 after an error. A
	 * backend whose command is missing and that has nothing of ours in
	 * files we can see counts as having nothing to remove.
	 */
	int (*remove)(void);
	/*
	 * Which entries are installed: 1 and `have` filled; 0 when the
	 * backend cannot be asked (`why` says so); -1 after an error.
	 */
	int (*status)(bool have[SCHEDULE_NFREQ], const char **why);
};

extern const struct schedule_backend schedule_crontab;
extern const struct schedule_backend schedule_systemd;

#endif
