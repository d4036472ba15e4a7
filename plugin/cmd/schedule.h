/*
 * schedule.h: the step of `git reftable schedule` that `install
 * --schedule` takes too.
 */
#ifndef PLUGIN_CMD_SCHEDULE_H
#define PLUGIN_CMD_SCHEDULE_H

#include "plugin/schedule/backend.h"

#include <stdbool.h>

/*
 * `schedule start` in the repository we are in, with `be` (NULL: the
 * first usable): start its scheduled maintenance and report on stderr,
 * errors included (with `quiet`, errors only). EXIT_OK or EXIT_ERROR.
 */
int cmd_schedule_start(const struct schedule_backend *be, bool quiet);

#endif
