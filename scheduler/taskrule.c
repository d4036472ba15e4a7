/*
 * taskrule.c: each task's schedule, whether expiry can drop anything, and
 * the digest of the settings each task depends on.
 */
#include "scheduler/taskrule.h"

#include <string.h>

enum policy_freq sched_task_freq(const struct policy *p, enum sched_task t)
{
	return t == SCHED_CLEAN	 ? p->sched_clean :
	       t == SCHED_EXPIRE ? p->sched_expire :
				   p->sched_compact;
}

uint64_t sched_interval(enum policy_freq f)
{
	switch (f) {
	case POLICY_HOURLY:
		return 3600;
	case POLICY_DAILY:
		return 86400;
	case POLICY_WEEKLY:
		return 7 * 86400;
	case POLICY_NEVER:
		break;
	}
	return 0;
}

bool sched_keeps_every_entry(const struct policy *p)
{
	const struct policy_rule *sets[2] = { p->rules, p->git_rules };
	size_t counts[2] = { p->nrules, p->ngit_rules };

	if (!p->expire.never || !p->expire_unreachable.never || p->max_entries)
		return false;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < counts[k]; i++) {
			const struct policy_rule *r = &sets[k][i];

			if ((policy_rule_sets(r, &r->expire) &&
			     !r->expire.never) ||
			    (policy_rule_sets(r, &r->expire_unreachable) &&
			     !r->expire_unreachable.never) ||
			    (policy_rule_sets(r, &r->max_entries) &&
			     r->max_entries))
				return false;
		}
	return true;
}

/* FNV-1a, 64 bits: a digest to compare, not to protect anything. */
static void mix(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *b = data;

	for (size_t i = 0; i < len; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ull;
	}
}

static void mix_u64(uint64_t *h, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	mix(h, b, sizeof(b));
}

/* Strings with their terminator: "ab","c" differs from "a","bc". */
static void mix_str(uint64_t *h, const char *s)
{
	mix(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void mix_duration(uint64_t *h, const struct policy_duration *d)
{
	mix_u64(h, d->never);
	mix_u64(h, d->never ? 0 : d->seconds);
	mix_u64(h, d->never ? 0 : d->months);
	mix_u64(h, !d->never && d->absolute);
	mix_u64(h, !d->never && d->date_only);
}

/* A rule: its pattern and each value it sets (unset ones count apart). */
static void mix_rule(uint64_t *h, const struct policy_rule *r)
{
	mix_str(h, r->pattern);
	mix_u64(h, policy_rule_sets(r, &r->expire));
	if (policy_rule_sets(r, &r->expire))
		mix_duration(h, &r->expire);
	mix_u64(h, policy_rule_sets(r, &r->expire_unreachable));
	if (policy_rule_sets(r, &r->expire_unreachable))
		mix_duration(h, &r->expire_unreachable);
	mix_u64(h, policy_rule_sets(r, &r->max_entries));
	if (policy_rule_sets(r, &r->max_entries))
		mix_u64(h, r->max_entries);
	mix_u64(h, policy_rule_sets(r, &r->protect));
	if (policy_rule_sets(r, &r->protect))
		mix_u64(h, r->protect);
}

static void mix_expiry(uint64_t *h, const struct policy *p)
{
	mix_duration(h, &p->expire);
	mix_duration(h, &p->expire_unreachable);
	mix_u64(h, p->max_entries);
	mix_u64(h, p->protect.n);
	for (size_t i = 0; i < p->protect.n; i++)
		mix_str(h, p->protect.v[i].pattern);
	mix_u64(h, p->nrules);
	for (size_t i = 0; i < p->nrules; i++)
		mix_rule(h, &p->rules[i]);
	mix_u64(h, p->ngit_rules);
	for (size_t i = 0; i < p->ngit_rules; i++)
		mix_rule(h, &p->git_rules[i]);
}

uint64_t sched_policy_digest(const struct policy *p, enum sched_task t)
{
	uint64_t h = 0xcbf29ce484222325ull;

	mix_u64(&h, (uint64_t)t);
	switch (t) {
	case SCHED_EXPIRE:
		mix_expiry(&h, p);
		break;
	case SCHED_CLEAN:
		mix_duration(&h, &p->grace);
		mix_duration(&h, &p->stale_lock);
		mix_u64(&h, p->remove_stale_locks);
		break;
	default:
		mix_u64(&h, p->geometric_factor);
		mix_u64(&h, p->max_tables);
		mix_u64(&h, (uint64_t)(p->tombstone_ratio * 1e9));
		mix_u64(&h, p->max_bytes_per_run);
		break;
	}
	return h ? h : 1;
}
