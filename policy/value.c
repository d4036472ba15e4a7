/*
 * value.c: parsing policy values.
 */
#include "policy/value.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int policy_parse_size(const char *s, uint64_t *out, const char **why)
{
	const char *forms = "a size such as '4096', '64k', '256MB' or '1GiB'";
	uint64_t n, mult = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	while (*end == ' ')
		end++;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		mult = 1024;
		end++;
		break;
	case 'm':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g':
		mult = 1024ull * 1024 * 1024;
		end++;
		break;
	}
	if (mult > 1 && tolower((unsigned char)*end) == 'i')
		end++;
	if (tolower((unsigned char)*end) == 'b')
		end++;
	if (*end || (n && mult > UINT64_MAX / n))
		goto bad;
	*out = n * mult;
	return 0;
bad:
	if (why)
		*why = forms;
	return -1;
}

int policy_parse_bool(const char *s, bool *out, const char **why)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	if (why)
		*why = "a boolean: true/false, yes/no, on/off or 1/0";
	return -1;
}

int policy_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
		      const char **why)
{
	uint64_t n;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		goto bad;
	n = strtoull(s, &end, 10);
	if (errno || *end || n < min || n > max)
		goto bad;
	*out = n;
	return 0;
bad:
	if (why)
		*why = "a whole number in the allowed range";
	return -1;
}

int policy_parse_ratio(const char *s, double *out, const char **why)
{
	double v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)*s) && *s != '.')
		goto bad;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.0 && v <= 1.0))
		goto bad;
	*out = v;
	return 0;
bad:
	if (why)
		*why = "a ratio between 0 and 1, such as '0.3'";
	return -1;
}

int policy_check_pattern(const char *s, const char **why)
{
	if (!*s)
		goto bad;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			goto bad;
	return 0;
bad:
	if (why)
		*why = "a ref pattern such as 'refs/remotes/*' (no spaces)";
	return -1;
}

bool policy_pattern_match(const char *pattern, const char *refname)
{
	/* Without FNM_PATHNAME '*' crosses '/', as Git's wildmatch(.., 0). */
	return fnmatch(pattern, refname, 0) == 0;
}

const char *policy_freq_name(enum policy_freq f)
{
	switch (f) {
	case POLICY_HOURLY:
		return "hourly";
	case POLICY_DAILY:
		return "daily";
	case POLICY_WEEKLY:
		return "weekly";
	case POLICY_NEVER:
		break;
	}
	return "never";
}

int policy_freq_parse(const char *s, enum policy_freq *out)
{
	static const enum policy_freq all[] = { POLICY_NEVER, POLICY_HOURLY,
						POLICY_DAILY, POLICY_WEEKLY };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcasecmp(s, policy_freq_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return -1;
}
