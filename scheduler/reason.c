/*
 * reason.c: the words of a plan: appending to reasons, and the sizes and
 * ages they quote.
 */
#include "scheduler/reason.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sched_addf(struct sched_item *it, const char *fmt, ...)
{
	size_t used = strlen(it->reason), len = sizeof(it->reason);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(it->reason + used, len - used, fmt, ap);
	va_end(ap);
}

const char *sched_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/*
 * Exact bytes, the one unit style of every output (stats, compaction
 * results, expiry, JSON and metrics count bytes too), so that a size in a
 * reason can be compared with the others.
 */
void sched_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%llu byte%s", (unsigned long long)bytes,
		 bytes == 1 ? "" : "s");
}

void sched_format_age(uint64_t s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%llu s", (unsigned long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%llu min", (unsigned long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%llu h", (unsigned long long)(s / 3600));
	else
		snprintf(buf, len, "%llu d", (unsigned long long)(s / 86400));
}
