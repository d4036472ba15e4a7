/*
 * value.h: the typed values of a policy file, parsed from the forms people
 * write: durations and dates ("90 days", "2.weeks.ago", "2026-01-01",
 * "never", "now"; policy/date.c), sizes
 * ("256MB"), booleans, ratios, frequencies ("hourly"), and ref patterns
 * matched as Git matches gc.<pattern>.reflogExpire.
 *
 * Each parser returns 0, or -1 with `why` set to a message that says what
 * is accepted, for the caller to put after "<file>:<line>: ".
 */
#ifndef POLICY_VALUE_H
#define POLICY_VALUE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * An age limit or a date, as Git writes them (policy/date.c): entries
 * older than the age, or dated before the date, go; `never` keeps all.
 * Zero seconds and months (written "now" or "all") expire everything.
 */
struct policy_duration {
	bool never;
	bool absolute; /* `seconds` is a time since the epoch, not an age */
	bool date_only; /* absolute, day only: Git adds now's time of day */
	uint64_t seconds; /* the age, or with `absolute` the time */
	uint32_t months; /* calendar months more (a year is 12) */
};

int policy_parse_duration(const char *s, struct policy_duration *out,
			  const char **why);
/*
 * The time before which an entry is expired by `d` at `now`, as
 * `git reflog expire` compares it (expired when time < cut-off): 0 for
 * never (and for an age reaching back before the epoch), UINT64_MAX for
 * "now"/"all" (every entry, as Git's TIME_MAX).
 */
uint64_t policy_duration_cutoff(const struct policy_duration *d, uint64_t now);
/*
 * `d` as an age at `now` in seconds (a date: how long ago it was, 0 when
 * in the future); UINT64_MAX for never.
 */
uint64_t policy_duration_age(const struct policy_duration *d, uint64_t now);
/* "90 days", "3 months", "2026-01-01", "never", "now": for `policy show`;
 * parses back to the same value. */
void policy_format_duration(const struct policy_duration *d, char *buf,
			    int len);

/* Bytes: a number with an optional k/M/G (powers of 1024), B or iB. */
int policy_parse_size(const char *s, uint64_t *out, const char **why);
/* true/false, yes/no, on/off, 1/0 (any case). */
int policy_parse_bool(const char *s, bool *out, const char **why);
/* A whole number within [min, max]. */
int policy_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		      const char **why);
/* A number within [0, 1]. */
int policy_parse_ratio(const char *s, double *out, const char **why);

/*
 * A ref pattern: a glob as in gc.<pattern>.reflogExpire, where `*` also
 * matches '/'. Must be non-empty and contain no whitespace or control
 * characters.
 */
int policy_check_pattern(const char *s, const char **why);
bool policy_pattern_match(const char *pattern, const char *refname);

/* How often a scheduled task runs. */
enum policy_freq {
	POLICY_NEVER,
	POLICY_HOURLY,
	POLICY_DAILY,
	POLICY_WEEKLY,
};

/* "never", "hourly", "daily", "weekly": a static string. */
const char *policy_freq_name(enum policy_freq f);
/*
 * One of the names policy_freq_name() gives, in any case; 0, or -1 (and
 * `out` untouched) for anything else.
 */
int policy_freq_parse(const char *s, enum policy_freq *out);

#endif
