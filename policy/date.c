/*
 * date.c: expiry dates and ages as Git writes them (the common forms of
 * approxidate, as `git reflog expire --expire=<date>` and gc.reflogExpire
 * take them): the one parser for every age or date option and policy value.
 *
 * Forms: "never"/"false" (keep all), "now"/"all" (expire all, even entries
 * dated in the future, as Git's TIME_MAX), "<n> <unit>" pairs optionally
 * followed by "ago" ("90 days", "2.weeks.ago", "1 week 2 days"),
 * "yesterday", and dates: "2026-01-01", "2026-01-01 12:00[:SS]",
 * "2026-01-01T12:00:00", with an optional "+hhmm"/"-hhmm"/"Z"/"UTC" after a
 * time. Months and years are calendar months and years counted back from
 * now in local time, and a date without a time takes the current time of
 * day, both exactly as Git's approxidate computes them, so that the same
 * value expires the same entries here and in Git. Besides Git's unit names
 * the short units of policy files are accepted ("12h", "30m", "1d").
 */
#include "policy/value.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char duration_forms[] =
	"an age or date as Git writes it, such as '90 days', '2.weeks.ago', "
	"'12h', '3 months', 'yesterday', '2026-01-01', '2026-01-01 12:00', "
	"'never' or 'now'";

/* Units in seconds; 0 marks months, counted on the calendar. */
static const struct {
	const char *name;
	uint64_t seconds;
	uint32_t months;
} units[] = {
	{ "s", 1, 0 },		{ "sec", 1, 0 },     { "secs", 1, 0 },
	{ "second", 1, 0 },	{ "seconds", 1, 0 }, { "m", 60, 0 },
	{ "min", 60, 0 },	{ "mins", 60, 0 },   { "minute", 60, 0 },
	{ "minutes", 60, 0 },	{ "h", 3600, 0 },    { "hour", 3600, 0 },
	{ "hours", 3600, 0 },	{ "d", 86400, 0 },   { "day", 86400, 0 },
	{ "days", 86400, 0 },	{ "w", 604800, 0 },  { "week", 604800, 0 },
	{ "weeks", 604800, 0 }, { "month", 0, 1 },   { "months", 0, 1 },
	{ "y", 0, 12 },		{ "year", 0, 12 },   { "years", 0, 12 },
};

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '.' || c == ',';
}

/* A whole number of exactly `width` digits (any width > 0 with 0). */
static bool digits(const char **p, int width, int *out)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	while (isdigit((unsigned char)*s) && n < 9)
		v = v * 10 + (*s++ - '0'), n++;
	if (!n || (width && n != width) || isdigit((unsigned char)*s))
		return false;
	*out = (int)v;
	*p = s;
	return true;
}

/*
 * "YYYY-MM-DD" (also with '/' or '.'), then optionally "[ T]HH:MM[:SS]"
 * and a zone. Sets `out` and returns 0, or -1 when `s` is no such date.
 */
static int parse_date(const char *s, struct policy_duration *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, zone = 0;
	bool have_time = false, have_zone = false;
	char sep;
	time_t t;

	if (!digits(&s, 4, &y) || !strchr("-/.", *s))
		return -1;
	sep = *s++;
	if (!digits(&s, 0, &mo) || *s++ != sep || !digits(&s, 0, &d))
		return -1;
	if (y < 1970 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if ((*s == ' ' || *s == 'T' || *s == 't') &&
	    isdigit((unsigned char)s[1])) {
		s++;
		if (!digits(&s, 0, &h) || *s++ != ':' || !digits(&s, 2, &mi))
			return -1;
		if (*s == ':' && (s++, !digits(&s, 2, &sec)))
			return -1;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		have_time = true;
		while (*s == ' ')
			s++;
		if (*s == '+' || *s == '-') {
			int hhmm;
			char sign = *s++;

			if (!digits(&s, 4, &hhmm) || hhmm % 100 > 59)
				return -1;
			zone = (hhmm / 100 * 60 + hhmm % 100) * 60;
			zone = sign == '-' ? -zone : zone;
			have_zone = true;
		} else if (!strcasecmp(s, "z") || !strcasecmp(s, "utc") ||
			   !strcasecmp(s, "gmt")) {
			s += strlen(s);
			have_zone = true;
		}
	}
	if (*s)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	/* A bare date is kept as its midnight UTC: only y/m/d matter. */
	if (!have_time || have_zone) {
		t = timegm(&tm);
		if (have_zone)
			t -= zone;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t < 0)
		return -1;
	*out = (struct policy_duration){ .absolute = true,
					 .date_only = !have_time,
					 .seconds = (uint64_t)t };
	return 0;
}

/* One or more "<n> <unit>" pairs or "yesterday", then maybe "ago". */
static int parse_relative(const char *p, struct policy_duration *out)
{
	uint64_t total = 0;
	uint32_t months = 0;
	bool any = false;

	while (*p) {
		uint64_t n, mult = 0;
		uint32_t mmult = 0;
		char word[16];
		size_t len = 0;
		char *end;

		if (!strncasecmp(p, "ago", 3) && !p[3] && any)
			break;
		if (!strncasecmp(p, "yesterday", 9) &&
		    (!p[9] || is_sep(p[9]))) {
			n = 1, mult = 86400, p += 9;
		} else {
			if (!isdigit((unsigned char)*p))
				return -1;
			errno = 0;
			n = strtoull(p, &end, 10);
			if (errno)
				return -1;
			p = end;
			while (is_sep(*p))
				p++;
			while (isalpha((unsigned char)*p) &&
			       len < sizeof(word) - 1)
				word[len++] =
					(char)tolower((unsigned char)*p++);
			word[len] = '\0';
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]);
			     i++)
				if (!strcmp(word, units[i].name)) {
					mult = units[i].seconds;
					mmult = units[i].months;
				}
		}
		if (mmult) {
			if (n > 12 * 200 || months + n * mmult > 12 * 200)
				return -1;
			months += (uint32_t)(n * mmult);
		} else if (!mult || (n && mult > UINT64_MAX / n) ||
			   total > UINT64_MAX - n * mult) {
			return -1;
		} else {
			total += n * mult;
		}
		any = true;
		while (is_sep(*p))
			p++;
	}
	if (!any)
		return -1;
	*out = (struct policy_duration){ .seconds = total, .months = months };
	return 0;
}

int policy_parse_duration(const char *s, struct policy_duration *out,
			  const char **why)
{
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!strcasecmp(p, "never") || !strcasecmp(p, "false")) {
		*out = (struct policy_duration){ .never = true };
		return 0;
	}
	if (!strcasecmp(p, "now") || !strcasecmp(p, "all")) {
		*out = (struct policy_duration){ 0 };
		return 0;
	}
	if (!parse_date(p, out) || !parse_relative(p, out))
		return 0;
	if (why)
		*why = duration_forms;
	return -1;
}

static uint64_t from_time(time_t t)
{
	return t > 0 ? (uint64_t)t : 0;
}

uint64_t policy_duration_cutoff(const struct policy_duration *d, uint64_t now)
{
	time_t t;
	struct tm tm, day;

	if (d->never)
		return 0;
	if (d->absolute && !d->date_only)
		return d->seconds;
	if (d->absolute) {
		/* Git's approxidate: that day at the current time of day. */
		t = (time_t)d->seconds;
		gmtime_r(&t, &day);
		t = (time_t)now;
		localtime_r(&t, &tm);
		tm.tm_year = day.tm_year;
		tm.tm_mon = day.tm_mon;
		tm.tm_mday = day.tm_mday;
		return from_time(mktime(&tm));
	}
	/* "now" and "all": everything, as Git's TIME_MAX. */
	if (!d->seconds && !d->months)
		return UINT64_MAX;
	if (d->seconds >= now)
		return 0;
	t = (time_t)(now - d->seconds);
	if (d->months) {
		/* Calendar months back; mktime() folds day 31 over. */
		localtime_r(&t, &tm);
		tm.tm_year -= (int)(d->months / 12);
		tm.tm_mon -= (int)(d->months % 12);
		if (tm.tm_mon < 0)
			tm.tm_mon += 12, tm.tm_year--;
		t = mktime(&tm);
	}
	return from_time(t);
}

uint64_t policy_duration_age(const struct policy_duration *d, uint64_t now)
{
	uint64_t cut;

	if (d->never)
		return UINT64_MAX;
	if (!d->absolute && !d->months)
		return d->seconds;
	cut = policy_duration_cutoff(d, now);
	return cut < now ? now - cut : 0;
}

void policy_format_duration(const struct policy_duration *d, char *buf, int len)
{
	static const struct {
		uint64_t seconds;
		const char *one, *many;
	} big[] = {
		{ 604800, "week", "weeks" }, { 86400, "day", "days" },
		{ 3600, "hour", "hours" },   { 60, "minute", "minutes" },
		{ 1, "second", "seconds" },
	};
	time_t t = (time_t)d->seconds;
	struct tm tm;
	int n = 0;

	if (d->never) {
		snprintf(buf, len, "never");
		return;
	}
	if (d->absolute) {
		/* Local time with its offset, which parses back the same. */
		if (d->date_only)
			gmtime_r(&t, &tm);
		else
			localtime_r(&t, &tm);
		strftime(buf, len,
			 d->date_only ? "%Y-%m-%d" : "%Y-%m-%d %H:%M:%S %z",
			 &tm);
		return;
	}
	if (!d->seconds && !d->months) {
		snprintf(buf, len, "now");
		return;
	}
	buf[0] = '\0';
	if (d->months)
		n = snprintf(buf, len, "%u %s", (unsigned)d->months,
			     d->months == 1 ? "month" : "months");
	if (!d->seconds || n < 0 || n >= len)
		return;
	/* Days read better than weeks unless the count is whole weeks. */
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		uint64_t k = d->seconds / big[i].seconds;

		if (d->seconds % big[i].seconds)
			continue;
		snprintf(buf + n, len - n, "%s%llu %s", n ? " " : "",
			 (unsigned long long)k,
			 k == 1 ? big[i].one : big[i].many);
		return;
	}
}
