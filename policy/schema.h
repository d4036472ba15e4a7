/*
 * schema.h: every key of a policy file, in one table: its section, type,
 * where its value lives, its default, the Git setting it falls back to
 * and what it does. Parsing, validation, the keys a section accepts,
 * `git reftable policy show` and `policy keys` (the README's table) all
 * read it, so a new key is one row here plus its field in struct policy
 * or struct policy_rule.
 */
#ifndef POLICY_SCHEMA_H
#define POLICY_SCHEMA_H

#include "policy/policy.h"

enum policy_type {
	POLICY_T_UINT, /* uint64_t: a whole number within [min, max] */
	POLICY_T_SIZE, /* uint64_t: bytes ("256MB") */
	POLICY_T_RATIO, /* double within [0, 1] */
	POLICY_T_BOOL, /* bool */
	POLICY_T_DURATION, /* struct policy_duration */
	POLICY_T_FREQ, /* enum policy_freq */
	/* struct policy_patterns: ref patterns; the key may repeat. */
	POLICY_T_PATTERNS,
};

struct policy_key {
	/* "compaction", "reflog", ...: the section as written, lower case. */
	const char *section;
	const char *name; /* lower case; matched in any case */
	enum policy_type type;
	/*
	 * A key of [<section> "<pattern>"]: `offset` is into struct
	 * policy_rule, else into struct policy.
	 */
	bool rule;
	size_t offset;
	/* POLICY_T_UINT; min also POLICY_T_DURATION's (seconds, never ok) */
	uint64_t min, max;
	/* What 0 means when it is special ("no cap"), else NULL. */
	const char *zero;
	/* The default as a policy file writes it; NULL: none (unset). */
	const char *def;
	/*
	 * The Git config key filling the value when the file does not set
	 * it, as Git's documentation spells it; for a rule, with
	 * "<pattern>" where the pattern goes. NULL: none.
	 */
	const char *git;
	const char *about; /* what it does, one line */
};

/* The rows, sections in the order `policy show` prints them. */
extern const struct policy_key policy_keys[];
extern const size_t policy_nkeys;

/* The row of `name` in [section] (or a rule's), any case; NULL if none. */
const struct policy_key *policy_key_find(const char *section, bool rule,
					 const char *name);
/* The row index of `k`, which indexes struct policy{,_rule}.src. */
size_t policy_key_index(const struct policy_key *k);

/*
 * Parse `value` as `k`'s type and range into its field of `base` (a
 * struct policy or a struct policy_rule, as k->rule says). Not for
 * POLICY_T_PATTERNS, which allocates (see policy.c). Returns 0, or -1
 * with what is accepted written to `why` ("a whole number from 2 to
 * 256"), for the message "bad value ...; expected <why>".
 */
int policy_key_set(const struct policy_key *k, void *base, const char *value,
		   char *why, size_t whylen);
/*
 * The value of `k` in `base` as `policy show` prints it ("90 days"); not
 * for POLICY_T_PATTERNS, where each pattern is a value of its own.
 */
void policy_key_format(const struct policy_key *k, const void *base, char *buf,
		       size_t size);

#endif
