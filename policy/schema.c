/*
 * schema.c: the table of policy keys, and the typed access to their values
 * and sources that parsing, the Git-config fallback and `policy show`
 * share.
 */
#include "policy/schema.h"
/* The minimum ages: only its constants, no library code. */
#include "lib/include/rt-liveness.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TOP(field) false, offsetof(struct policy, field)
#define RULE(field) true, offsetof(struct policy_rule, field)

/*
 * Section by section, in the order `policy show` prints them; the keys of
 * a section in the order a section's "keys there:" list names them.
 */
const struct policy_key policy_keys[] = {
	{ "compaction", "geometric-factor", POLICY_T_UINT,
	  TOP(geometric_factor), 2, 255, NULL, "2", "reftable.geometricFactor",
	  "geometric rule: a table is merged with the newer ones while it is "
	  "less than this many times their size" },
	{ "compaction", "max-tables", POLICY_T_UINT, TOP(max_tables), 1,
	  1000000, NULL, "64", NULL,
	  "beyond this many tables, compact regardless" },
	{ "compaction", "tombstone-ratio", POLICY_T_RATIO, TOP(tombstone_ratio),
	  0, 0, NULL, "0.3", NULL,
	  "compact the whole stack when deletion records exceed this share of "
	  "all records" },
	{ "compaction", "background", POLICY_T_BOOL, TOP(background), 0, 0,
	  NULL, "true", NULL, "from hooks, compact in a detached process" },
	{ "compaction", "max-bytes-per-run", POLICY_T_SIZE,
	  TOP(max_bytes_per_run), 0, 0, "no cap", "0", NULL,
	  "most table bytes one run compacts, so a large repository is "
	  "maintained in steps" },
	{ "reflog", "expire", POLICY_T_DURATION, TOP(expire), 0, 0, NULL,
	  "90 days", "gc.reflogExpire", "age at which reflog entries expire" },
	{ "reflog", "expire-unreachable", POLICY_T_DURATION,
	  TOP(expire_unreachable), 0, 0, NULL, "30 days",
	  "gc.reflogExpireUnreachable",
	  "age at which entries no longer reachable from the ref's tip "
	  "expire" },
	{ "reflog", "max-entries", POLICY_T_UINT, TOP(max_entries), 0,
	  UINT32_MAX, "no cap", "0", NULL,
	  "most entries kept per reflog, the newest" },
	{ "reflog", "protect", POLICY_T_PATTERNS, TOP(protect), 0, 0, NULL,
	  NULL, NULL,
	  "refs whose reflogs never expire, whatever any rule says" },
	{ "reflog", "expire", POLICY_T_DURATION, RULE(expire), 0, 0, NULL, NULL,
	  "gc.<pattern>.reflogExpire",
	  "as in [reflog], for refs matching the pattern" },
	{ "reflog", "expire-unreachable", POLICY_T_DURATION,
	  RULE(expire_unreachable), 0, 0, NULL, NULL,
	  "gc.<pattern>.reflogExpireUnreachable",
	  "as in [reflog], for refs matching the pattern" },
	{ "reflog", "max-entries", POLICY_T_UINT, RULE(max_entries), 0,
	  UINT32_MAX, "no cap", NULL, NULL,
	  "as in [reflog], for refs matching the pattern" },
	{ "reflog", "protect", POLICY_T_BOOL, RULE(protect), 0, 0, NULL, NULL,
	  NULL,
	  "whether the reflogs of refs matching the pattern never expire" },
	{ "orphans", "grace", POLICY_T_DURATION, TOP(grace),
	  RT_MIN_GRACE_SECONDS, 0, NULL, "1 hour", NULL,
	  "age a leftover table or temp file reaches before clean removes "
	  "it" },
	{ "orphans", "stale-lock", POLICY_T_DURATION, TOP(stale_lock),
	  RT_MIN_STALE_LOCK_SECONDS, 0, NULL, "1 hour", NULL,
	  "age at which a lock file no live process holds is stale" },
	{ "orphans", "remove-stale-locks", POLICY_T_BOOL,
	  TOP(remove_stale_locks), 0, 0, NULL, "false", NULL,
	  "remove stale locks, not only report them" },
	{ "schedule", "compact", POLICY_T_FREQ, TOP(sched_compact), 0, 0, NULL,
	  "hourly", NULL, "how often scheduled runs compact" },
	{ "schedule", "expire", POLICY_T_FREQ, TOP(sched_expire), 0, 0, NULL,
	  "daily", NULL, "how often scheduled runs expire reflog entries" },
	{ "schedule", "clean", POLICY_T_FREQ, TOP(sched_clean), 0, 0, NULL,
	  "weekly", NULL, "how often scheduled runs remove leftover files" },
};

const size_t policy_nkeys = sizeof(policy_keys) / sizeof(policy_keys[0]);

_Static_assert(sizeof(policy_keys) / sizeof(policy_keys[0]) <= POLICY_KEYS_MAX,
	       "more keys than POLICY_KEYS_MAX: raise it in policy.h");

const struct policy_key *policy_key_find(const char *section, bool rule,
					 const char *name)
{
	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];

		if (k->rule == rule && !strcasecmp(k->section, section) &&
		    !strcasecmp(k->name, name))
			return k;
	}
	return NULL;
}

size_t policy_key_index(const struct policy_key *k)
{
	return (size_t)(k - policy_keys);
}

static void *field(const struct policy_key *k, void *base)
{
	return (char *)base + k->offset;
}

int policy_key_set(const struct policy_key *k, void *base, const char *value,
		   char *why, size_t whylen)
{
	const char *msg = NULL;
	uint64_t n;

	switch (k->type) {
	case POLICY_T_UINT:
		if (!policy_parse_uint(value, k->min, k->max, &n, NULL)) {
			*(uint64_t *)field(k, base) = n;
			return 0;
		}
		snprintf(why, whylen, "a whole number from %llu%s%s%s to %llu",
			 (unsigned long long)k->min, k->zero ? " (" : "",
			 k->zero ? k->zero : "", k->zero ? ")" : "",
			 (unsigned long long)k->max);
		return -1;
	case POLICY_T_SIZE:
		if (!policy_parse_size(value, field(k, base), &msg))
			return 0;
		break;
	case POLICY_T_RATIO:
		if (!policy_parse_ratio(value, field(k, base), &msg))
			return 0;
		break;
	case POLICY_T_BOOL:
		if (!policy_parse_bool(value, field(k, base), &msg))
			return 0;
		break;
	case POLICY_T_DURATION: {
		struct policy_duration *d = field(k, base);

		if (policy_parse_duration(value, d, &msg))
			break;
		if (d->never || !k->min)
			return 0;
		/*
		 * With a minimum the value is an age: a date would make one
		 * that shrinks below the minimum, then goes negative. A month
		 * is at least 28 days.
		 */
		if (d->absolute) {
			snprintf(why, whylen,
				 "an age such as \"2 weeks\", not a date");
			return -1;
		}
		if ((uint64_t)d->months * 28 * 86400 + d->seconds >= k->min)
			return 0;
		snprintf(why, whylen,
			 "at least %llu seconds: a file a live writer is "
			 "using could be taken for a leftover",
			 (unsigned long long)k->min);
		return -1;
	}
	case POLICY_T_FREQ:
		if (!policy_freq_parse(value, field(k, base)))
			return 0;
		msg = "hourly, daily, weekly or never";
		break;
	case POLICY_T_PATTERNS:
		/* Checked only: storing one allocates (policy.c). */
		if (!policy_check_pattern(value, &msg))
			return 0;
		break;
	}
	snprintf(why, whylen, "%s", msg);
	return -1;
}

void policy_key_format(const struct policy_key *k, const void *base, char *buf,
		       size_t size)
{
	const void *f = (const char *)base + k->offset;

	switch (k->type) {
	case POLICY_T_UINT:
	case POLICY_T_SIZE:
		snprintf(buf, size, "%llu",
			 (unsigned long long)*(const uint64_t *)f);
		break;
	case POLICY_T_RATIO:
		snprintf(buf, size, "%g", *(const double *)f);
		break;
	case POLICY_T_BOOL:
		snprintf(buf, size, "%s", *(const bool *)f ? "true" : "false");
		break;
	case POLICY_T_DURATION:
		policy_format_duration(f, buf, (int)size);
		break;
	case POLICY_T_FREQ:
		snprintf(buf, size, "%s",
			 policy_freq_name(*(const enum policy_freq *)f));
		break;
	case POLICY_T_PATTERNS:
		if (size)
			buf[0] = '\0';
		break;
	}
}

/* The source slot of the field at `offset` of a policy or of a rule. */
static const struct policy_src *src_at(const struct policy_src *src, bool rule,
				       size_t offset)
{
	static const struct policy_src none;

	for (size_t i = 0; i < policy_nkeys; i++)
		if (policy_keys[i].rule == rule &&
		    policy_keys[i].offset == offset)
			return &src[i];
	return &none;
}

const struct policy_src *policy_src_of(const struct policy *p,
				       const void *field)
{
	return src_at(p->src, false,
		      (size_t)((const char *)field - (const char *)p));
}

const struct policy_src *policy_rule_src(const struct policy_rule *r,
					 const void *field)
{
	return src_at(r->src, true,
		      (size_t)((const char *)field - (const char *)r));
}

bool policy_rule_sets(const struct policy_rule *r, const void *field)
{
	return policy_rule_src(r, field)->where != NULL;
}

bool policy_src_is_file(const struct policy_src *s)
{
	return s->where && s->line;
}

void policy_src_format(const struct policy_src *s, char *buf, size_t size)
{
	if (!s->where)
		snprintf(buf, size, "default");
	else if (s->line)
		snprintf(buf, size, "%s:%u", s->where, s->line);
	else
		snprintf(buf, size, "git config %s", s->where);
}
