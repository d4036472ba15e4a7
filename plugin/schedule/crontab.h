/*
 * crontab.h: editing our block in the text of a user's crontab; the
 * backend schedule_crontab (backend.h) reads and writes the table with
 * `crontab -l` and `crontab -`.
 *
 * Our lines sit between a CRONTAB_BEGIN and a CRONTAB_END line; every
 * other byte of the table is the user's and is kept as it is.
 */
#ifndef PLUGIN_SCHEDULE_CRONTAB_H
#define PLUGIN_SCHEDULE_CRONTAB_H

#include "lib/include/rt-basics.h"
#include "lib/include/rt-error.h"
#include "plugin/schedule/job.h"

#include <stdbool.h>
#include <stddef.h>

#define CRONTAB_BEGIN "# BEGIN GIT-REFTABLE SCHEDULE"
#define CRONTAB_END "# END GIT-REFTABLE SCHEDULE"
/* crontab_strip()'s `at` when the table has no block of ours. */
#define CRONTAB_NOWHERE ((size_t)-1)

/*
 * Copy `tab` into `out` (reset first) without our blocks, byte for byte
 * otherwise. `*at` is where the first block was in `out`; `have` (may be
 * NULL) tells which frequencies the blocks' entries run. RT_ERR_FORMAT
 * when a BEGIN line has no END line after it: then we cannot tell where
 * our lines end and the user's begin.
 */
int crontab_strip(const struct rt_buf *tab, struct rt_buf *out, size_t *at,
		  bool have[SCHEDULE_FREQS], struct rt_err *err);

/*
 * The table `tab` with our block for `job`, into `out` (reset first): in
 * the place of our first block, or appended (a last line without its
 * newline gets one). Errors as crontab_strip().
 */
int crontab_edit(const struct rt_buf *tab, const struct schedule_job *job,
		 struct rt_buf *out, struct rt_err *err);

#endif
