/*
 * progress.h: Git's progress display on stderr for long operations:
 * "Compacting records: 123456" or "Verifying tables:  50% (1/2)", redrawn
 * in place with '\r', closed by ", done.". As in Git it shows only on a
 * terminal (unless --progress), never with --no-progress or --quiet, and
 * only once an operation has lasted GIT_PROGRESS_DELAY seconds (Git's
 * variable; 2 by default), so that quick runs print nothing.
 */
#ifndef PLUGIN_CMD_PROGRESS_H
#define PLUGIN_CMD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* --progress (1), --no-progress (0), or neither (-1: when a terminal). */
struct progress_opt {
	int want;
};

/*
 * Whether argv's `arg` is --progress or --no-progress (then taken into
 * `o`). Commands with -q/--quiet set o->want = 0 for it.
 */
bool progress_option(struct progress_opt *o, const char *arg);

struct progress {
	bool enabled;
	const char *title; /* static strings: compared by address */
	uint64_t done, total; /* total 0: unknown, a count is shown */
	uint64_t checked; /* `done` when the clock was last read */
	double start, drawn; /* seconds on the monotonic clock */
	double delay;
	bool shown;
	unsigned percent;
};

/* Ready to show progress when `o` and stderr say so. */
void progress_init(struct progress *p, const struct progress_opt *o);
/*
 * `done` of `total` (0: unknown) of the operation `title`; a new title
 * closes the line of the one before.
 */
void progress_update(struct progress *p, const char *title, uint64_t done,
		     uint64_t total);
/* Close the line (", done."), when one was shown or is due. */
void progress_stop(struct progress *p);

/*
 * progress_update() as the callback of struct maint_sink and the like:
 * `arg` is the struct progress.
 */
void progress_callback(void *arg, const char *title, uint64_t done,
		       uint64_t total);

#endif
