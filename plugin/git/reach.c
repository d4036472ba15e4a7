/*
 * reach.c: an object cache and reachability walks over it.
 */
#include "plugin/git/reach.h"
#include "lib/include/rt-basics.h"
#include "lib/include/rt-error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Recent single-tip walks kept; a reflog's entries all ask about one. */
#define CACHED_SETS 8
/* Tags pointing at tags: Git gives up at some depth too. */
#define MAX_TAG_DEPTH 64
/* Replacements of replacements followed; Git's limit, beyond which it dies. */
#define MAX_REPLACE_DEPTH 5

enum node_state {
	NODE_UNREAD,
	NODE_COMMIT,
	NODE_TAG,
	NODE_OTHER, /* tree or blob */
	NODE_MISSING,
};

struct node {
	uint8_t oid[32];
	uint32_t peeled; /* valid once read: the commit, or REACH_NONE */
	uint32_t parents; /* index into reach.parents */
	uint32_t nparents;
	uint8_t state;
};

/* One replace ref: `from` is read as `to`. */
struct replacement {
	uint8_t from[32], to[32];
};

struct reach_set {
	uint32_t tip;
	size_t nbits;
	uint64_t *bits;
};

struct reach {
	struct odb *odb;
	int hash_size;
	struct node *nodes;
	uint32_t nnodes, cap;
	uint32_t *slots; /* open addressing: node index + 1, 0 empty */
	uint32_t nslots;
	uint32_t *parents;
	size_t nparents, parents_cap;
	uint32_t *stack;
	size_t stack_cap;
	struct replacement *repl; /* sorted by `from` before the first read */
	size_t nrepl, repl_cap;
	bool repl_sorted;
	struct reach_set *cache[CACHED_SETS];
	unsigned next_victim;
	uint64_t walks;
};

int reach_new(struct reach **out, struct odb *odb, int hash_size)
{
	struct reach *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->odb = odb;
	r->hash_size = hash_size;
	r->nslots = 1024;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void reach_set_free(struct reach_set *s)
{
	if (s) {
		free(s->bits);
		free(s);
	}
}

void reach_free(struct reach *r)
{
	if (!r)
		return;
	for (int i = 0; i < CACHED_SETS; i++)
		reach_set_free(r->cache[i]);
	free(r->nodes);
	free(r->slots);
	free(r->parents);
	free(r->stack);
	free(r->repl);
	free(r);
}

int reach_replace(struct reach *r, const uint8_t *original,
		  const uint8_t *replacement)
{
	struct replacement *e;

	if (r->nrepl == r->repl_cap) {
		size_t cap = r->repl_cap ? r->repl_cap * 2 : 16;

		e = realloc(r->repl, cap * sizeof(*e));
		if (!e)
			return -1;
		r->repl = e;
		r->repl_cap = cap;
	}
	e = &r->repl[r->nrepl++];
	memset(e, 0, sizeof(*e));
	memcpy(e->from, original, r->hash_size);
	memcpy(e->to, replacement, r->hash_size);
	r->repl_sorted = false;
	return 0;
}

static int cmp_repl(const void *a, const void *b)
{
	const struct replacement *x = a, *y = b;

	return memcmp(x->from, y->from, sizeof(x->from));
}

/*
 * The id whose object `oid` is read as: `oid` itself, or where its chain
 * of replacements ends. Writes into `out` (which may be `oid`).
 */
static int replaced(struct reach *r, const uint8_t *oid, uint8_t *out,
		    struct rt_err *err)
{
	struct replacement key = { 0 };

	memcpy(out, oid, r->hash_size);
	if (!r->nrepl)
		return 0;
	if (!r->repl_sorted) {
		qsort(r->repl, r->nrepl, sizeof(*r->repl), cmp_repl);
		r->repl_sorted = true;
	}
	for (int depth = 0; depth <= MAX_REPLACE_DEPTH; depth++) {
		const struct replacement *e;

		memcpy(key.from, out, r->hash_size);
		e = bsearch(&key, r->repl, r->nrepl, sizeof(*r->repl),
			    cmp_repl);
		if (!e)
			return 0;
		if (depth == MAX_REPLACE_DEPTH)
			break;
		memcpy(out, e->to, r->hash_size);
	}
	char hex[2 * 32 + 1];

	rt_hex(hex, oid, r->hash_size);
	return rt_err_set(err, RT_ERR_FORMAT,
			  "replace depth too high for object %s", hex);
}

/* Room for one more element after `len` in a doubling array. */
static int grow_u32(uint32_t **arr, size_t *cap, size_t len)
{
	size_t n = *cap ? *cap * 2 : 1024;
	uint32_t *p;

	if (len < *cap)
		return 0;
	p = realloc(*arr, n * sizeof(*p));
	if (!p)
		return -1;
	*arr = p;
	*cap = n;
	return 0;
}

/* Object ids are uniformly distributed: their first bytes are a hash. */
static uint32_t slot_of(const struct reach *r, const uint8_t *oid)
{
	uint64_t h;

	memcpy(&h, oid, sizeof(h));
	return (uint32_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (r->nslots - 1);
}

static int grow_slots(struct reach *r)
{
	uint32_t n = r->nslots * 2, *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	free(r->slots);
	r->slots = slots;
	r->nslots = n;
	for (uint32_t i = 0; i < r->nnodes; i++) {
		uint32_t s = slot_of(r, r->nodes[i].oid);

		while (r->slots[s])
			s = (s + 1) & (n - 1);
		r->slots[s] = i + 1;
	}
	return 0;
}

/* The node for `oid`, created unread if new; REACH_NONE when out of memory. */
static uint32_t lookup(struct reach *r, const uint8_t *oid)
{
	uint32_t s = slot_of(r, oid);
	struct node *n;

	for (; r->slots[s]; s = (s + 1) & (r->nslots - 1))
		if (!memcmp(r->nodes[r->slots[s] - 1].oid, oid, r->hash_size))
			return r->slots[s] - 1;
	if (r->nnodes == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 1024;
		struct node *nodes = realloc(r->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return REACH_NONE;
		r->nodes = nodes;
		r->cap = cap;
	}
	n = &r->nodes[r->nnodes];
	memset(n, 0, sizeof(*n));
	memcpy(n->oid, oid, r->hash_size);
	n->peeled = REACH_NONE;
	r->slots[s] = ++r->nnodes;
	if (r->nnodes * 2 > r->nslots && grow_slots(r))
		return REACH_NONE;
	return r->nnodes - 1;
}

/* The value of header `field` ("parent ", "object ") at `p` as an id. */
static bool header_id(struct reach *r, const char *p, const char *end,
		      const char *field, uint8_t *oid)
{
	size_t flen = strlen(field), hlen = 2 * r->hash_size;
	char hex[2 * 32 + 1];

	if ((size_t)(end - p) <= flen + hlen || memcmp(p, field, flen) ||
	    p[flen + hlen] != '\n')
		return false;
	memcpy(hex, p + flen, hlen);
	hex[hlen] = '\0';
	return !rt_unhex(oid, hex, r->hash_size);
}

static int add_parent(struct reach *r, uint32_t node, const uint8_t *oid)
{
	uint32_t parent = lookup(r, oid);

	if (parent == REACH_NONE)
		return -1;
	if (grow_u32(&r->parents, &r->parents_cap, r->nparents))
		return -1;
	r->parents[r->nparents++] = parent;
	r->nodes[node].nparents++;
	return 0;
}

/* Read `node` from the object database and record what it is. */
static int read_node(struct reach *r, uint32_t node, struct rt_err *err)
{
	enum odb_type type;
	const char *data, *p, *end;
	uint8_t oid[32];
	size_t size;
	int ret;

	if ((ret = replaced(r, r->nodes[node].oid, oid, err)))
		return ret;
	ret = odb_read(r->odb, oid, &type, &data, &size, err);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		r->nodes[node].state = NODE_MISSING;
		return 0;
	}
	p = data;
	end = data + size;
	if (type == ODB_COMMIT) {
		r->nodes[node].state = NODE_COMMIT;
		r->nodes[node].peeled = node;
		r->nodes[node].parents = (uint32_t)r->nparents;
		/* "tree <id>\n", then one "parent <id>\n" per parent. */
		p = memchr(p, '\n', size);
		while (p && ++p < end && header_id(r, p, end, "parent ", oid)) {
			if (add_parent(r, node, oid))
				return rt_err_oom(err);
			p += 8 + 2 * r->hash_size - 1;
		}
	} else if (type == ODB_TAG) {
		/* Peeled by the caller; remember the target in `parents`. */
		r->nodes[node].state = NODE_TAG;
		r->nodes[node].parents = (uint32_t)r->nparents;
		if (header_id(r, p, end, "object ", oid) &&
		    add_parent(r, node, oid))
			return rt_err_oom(err);
	} else {
		r->nodes[node].state = NODE_OTHER;
	}
	return 0;
}

static int peel_node(struct reach *r, uint32_t node, int depth,
		     struct rt_err *err)
{
	int ret;

	if (r->nodes[node].state == NODE_UNREAD &&
	    (ret = read_node(r, node, err)))
		return ret;
	if (r->nodes[node].state == NODE_TAG &&
	    r->nodes[node].peeled == REACH_NONE && r->nodes[node].nparents &&
	    depth < MAX_TAG_DEPTH) {
		uint32_t target = r->parents[r->nodes[node].parents];

		if ((ret = peel_node(r, target, depth + 1, err)))
			return ret;
		r->nodes[node].peeled = r->nodes[target].peeled;
	}
	return 0;
}

int reach_peel(struct reach *r, const uint8_t *oid, uint32_t *node,
	       struct rt_err *err)
{
	uint32_t n = lookup(r, oid);
	int ret;

	if (n == REACH_NONE)
		return rt_err_oom(err);
	if ((ret = peel_node(r, n, 0, err)))
		return ret;
	*node = r->nodes[n].peeled;
	return 0;
}

static int push(struct reach *r, size_t *top, uint32_t node)
{
	if (grow_u32(&r->stack, &r->stack_cap, *top))
		return -1;
	r->stack[(*top)++] = node;
	return 0;
}

static bool bit(const uint64_t *bits, uint32_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

/* Mark what is reachable from `tips` into a new set. */
static int walk(struct reach *r, const uint32_t *tips, size_t ntips,
		struct reach_set **out, struct rt_err *err)
{
	struct reach_set *s = calloc(1, sizeof(*s));
	size_t top = 0, words = 0;
	int ret = 0;

	if (!s)
		return rt_err_oom(err);
	r->walks++;
	for (size_t i = 0; i < ntips; i++)
		if (push(r, &top, tips[i]))
			ret = rt_err_oom(err);
	while (!ret && top) {
		uint32_t n = r->stack[--top];

		/* Nodes appear as parents are read: grow with them. */
		if (n / 64 >= words) {
			size_t w = (r->cap + 63) / 64;
			uint64_t *bits = realloc(s->bits, w * sizeof(*bits));

			if (!bits) {
				ret = rt_err_oom(err);
				break;
			}
			memset(bits + words, 0, (w - words) * sizeof(*bits));
			s->bits = bits;
			words = w;
		}
		if (bit(s->bits, n))
			continue;
		if (r->nodes[n].state == NODE_UNREAD &&
		    (ret = read_node(r, n, err)))
			break;
		/* Unreadable commits stop the walk, unmarked, as in Git. */
		if (r->nodes[n].state != NODE_COMMIT)
			continue;
		s->bits[n / 64] |= 1ull << (n % 64);
		for (uint32_t k = 0; k < r->nodes[n].nparents; k++) {
			uint32_t p = r->parents[r->nodes[n].parents + k];

			if ((p / 64 >= words || !bit(s->bits, p)) &&
			    push(r, &top, p)) {
				ret = rt_err_oom(err);
				break;
			}
		}
	}
	if (ret) {
		reach_set_free(s);
		return ret;
	}
	s->nbits = words * 64;
	*out = s;
	return 0;
}

int reach_from(struct reach *r, uint32_t tip, const struct reach_set **out,
	       struct rt_err *err)
{
	struct reach_set *s;
	unsigned v;

	for (int i = 0; i < CACHED_SETS; i++)
		if (r->cache[i] && r->cache[i]->tip == tip) {
			*out = r->cache[i];
			return 0;
		}
	int ret = walk(r, &tip, 1, &s, err);

	if (ret)
		return ret;
	s->tip = tip;
	v = r->next_victim++ % CACHED_SETS;
	reach_set_free(r->cache[v]);
	r->cache[v] = s;
	*out = s;
	return 0;
}

int reach_from_all(struct reach *r, const uint32_t *tips, size_t n,
		   struct reach_set **out, struct rt_err *err)
{
	int ret = walk(r, tips, n, out, err);

	if (ret)
		return ret;
	(*out)->tip = REACH_NONE;
	return 0;
}

bool reach_set_has(const struct reach_set *s, uint32_t node)
{
	return node != REACH_NONE && node < s->nbits && bit(s->bits, node);
}

void reach_counts(const struct reach *r, uint64_t *objects, uint64_t *walks)
{
	*objects = r->nnodes;
	*walks = r->walks;
}
