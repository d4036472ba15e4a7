/*
 * quote.h: quoting text as one word for the programs that read what we
 * write: sh (hook scripts, crontab lines) and systemd (unit files).
 *
 * Each function appends to `out` and returns 0, or RT_ERR_NOMEM (then
 * `out` holds a part of the quoted text).
 */
#ifndef PLUGIN_UTIL_QUOTE_H
#define PLUGIN_UTIL_QUOTE_H

#include "lib/include/rt-basics.h"

#include <stdbool.h>

/*
 * `s` in single quotes for sh, each ' written as '\'' (sh has no escape
 * inside single quotes). Any byte but NUL is safe this way.
 */
int quote_sh(struct rt_buf *out, const char *s);

/*
 * `s` in double quotes for a systemd unit file: '"' and '\' escaped with
 * '\', '%' written '%%' (specifiers), and with `dollar` (for ExecStart=,
 * which expands variables) '$' written '$$'.
 */
int quote_unit(struct rt_buf *out, const char *s, bool dollar);

#endif
