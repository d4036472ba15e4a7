/*
 * reach.h: which commits are reachable from which tips, as reflog expiry's
 * "unreachable" rule needs it.
 *
 * Objects are read on demand through odb.h and remembered: each id maps
 * to what it peels to (through annotated tags) and, for commits, their
 * parents. A walk marks everything reachable from its tips in a bitset;
 * the sets of recent single-tip walks are kept, so refs that share a tip,
 * and the many entries of one reflog, cost one walk.
 *
 * As in Git's walk for `reflog expire`, a commit that cannot be read is
 * not reachable, and neither is what only it leads to. Replace refs apply
 * as in Git: an object with a replacement keeps its id, but what it says
 * (type, parents, a tag's target) is read from the replacement.
 */
#ifndef PLUGIN_REACH_H
#define PLUGIN_REACH_H

#include "plugin/git/odb.h"

#include <stdbool.h>

#define REACH_NONE UINT32_MAX

struct reach;
struct reach_set;

int reach_new(struct reach **out, struct odb *odb, int hash_size);
void reach_free(struct reach *r);

/*
 * Read `original` as `replacement` from now on (a replace ref); call
 * before the first read. Chains are followed, five deep at most as in
 * Git: reading through a longer one is an error.
 */
int reach_replace(struct reach *r, const uint8_t *original,
		  const uint8_t *replacement);

/*
 * The commit `oid` names, through any tags, as a node: *node is
 * REACH_NONE when the object is missing or no commit. -1 on a read error
 * (`err` says which).
 */
int reach_peel(struct reach *r, const uint8_t *oid, uint32_t *node,
	       struct rt_err *err);

/*
 * The commits reachable from one tip, from the cache when it has them;
 * `*out` is valid until the next call of reach_from().
 */
int reach_from(struct reach *r, uint32_t tip, const struct reach_set **out,
	       struct rt_err *err);
/* The same for several tips at once; the caller frees it. */
int reach_from_all(struct reach *r, const uint32_t *tips, size_t n,
		   struct reach_set **out, struct rt_err *err);
void reach_set_free(struct reach_set *s);

bool reach_set_has(const struct reach_set *s, uint32_t node);

/* Commits read so far, and walks done (for reports). */
void reach_counts(const struct reach *r, uint64_t *objects, uint64_t *walks);

#endif
