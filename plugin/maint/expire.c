/*
 * expire.c: `git reflog expire` semantics as a log filter for lib/expire.c
 * (one added table) and lib/compact.c (a whole-stack compaction).
 *
 * For each reflog, Git's rules (builtin/reflog.c and reflog.c of Git, whose
 * behaviour, not code, is followed here):
 *  - an entry older than the expire cut-off goes;
 *  - an entry older than the expire-unreachable cut-off goes when its old
 *    or new commit is not reachable from the ref's current tip; for HEAD,
 *    from any ref under refs/; when the ref has no commit tip (a symref,
 *    a deleted ref, a tag of a tree), every such entry goes;
 *  - ids that name no commit (missing objects, trees, blobs) and null ids
 *    count as reachable: Git keeps those entries;
 *  - replace refs apply to what the walk reads, as in Git (unless
 *    core.useReplaceRefs=false or GIT_NO_REPLACE_OBJECTS is set), so a
 *    history joined by `git replace --graft` is reachable;
 *  - existence placeholders are left alone, and a reflog that loses every
 *    entry keeps one placeholder, so it still exists.
 * Beyond Git: `protect` keeps a reflog whole, `max-entries` keeps only the
 * newest N entries that survive the rules above.
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin/maint/expire.h"
#include "lib/include/rt-expire.h"
#include "lib/include/rt-iter.h"
#include "plugin/git/reach.h"
#include "plugin/maint/open.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum unreachable_kind {
	UE_UNKNOWN, /* not needed yet */
	UE_ALWAYS, /* no tip to be reachable from */
	UE_NORMAL, /* from the ref's tip */
	UE_HEAD, /* from every ref */
};

struct expire_ctx {
	const struct expire_request *rq;
	const struct expire_overrides *ov; /* NULL: none */
	const struct repo_stack *where;
	struct rt_stack *st;
	struct expire_stats *stats;
	int hash_size;

	/* Opened on the first entry that needs the object graph. */
	struct odb *odb;
	struct reach *reach;
	struct reach_set *head_set;

	/* The reflog being walked. */
	bool in_reflog;
	struct rt_buf ref; /* as matched and reported ("worktrees/<id>/..") */
	bool skip;
	uint64_t total_cutoff, unreach_cutoff; /* 0: never */
	uint64_t max_entries;
	bool protect;
	enum unreachable_kind kind;
	uint32_t tip;
	uint64_t entries, kept, expired;
	bool has_placeholder;
	uint64_t seen; /* records of the whole walk, for progress */
};

/* Set up the rules for the reflog of `log`. */
static void start_reflog(struct expire_ctx *c, const struct rt_log_record *log)
{
	struct policy_resolved r;

	rt_buf_reset(&c->ref);
	/* Git names a linked worktree's refs so when it expires them. */
	if (c->where->worktree) {
		rt_buf_addstr(&c->ref, "worktrees/");
		rt_buf_addstr(&c->ref, c->where->worktree);
		rt_buf_addch(&c->ref, '/');
	}
	rt_buf_add(&c->ref, log->refname.buf, log->refname.len);
	c->skip = c->ov && c->ov->ref_pattern &&
		  !policy_pattern_match(c->ov->ref_pattern, c->ref.buf);
	policy_resolve(c->rq->policy, c->ref.buf, &r);
	if (c->ov && c->ov->has_expire)
		r.expire = c->ov->expire;
	if (c->ov && c->ov->has_unreachable)
		r.expire_unreachable = c->ov->expire_unreachable;
	if (c->ov && c->ov->has_max_entries)
		r.max_entries = c->ov->max_entries;
	c->total_cutoff = policy_duration_cutoff(&r.expire, c->rq->now);
	c->unreach_cutoff =
		policy_duration_cutoff(&r.expire_unreachable, c->rq->now);
	c->max_entries = r.max_entries;
	c->protect = r.protect;
	c->kind = UE_UNKNOWN;
	c->tip = REACH_NONE;
	c->entries = c->kept = c->expired = 0;
	c->has_placeholder = false;
}

/*
 * The main stack, which holds the refs every worktree shares (HEAD's
 * tips, replace refs): the one being expired, or opened for the purpose.
 */
static int open_main_stack(struct expire_ctx *c, struct rt_stack **main_st,
			   struct rt_err *err)
{
	struct rt_stack_options opts = *rt_stack_get_options(c->st);

	*main_st = c->st;
	if (!c->where->worktree)
		return 0;
	return rt_stack_open(main_st, c->rq->repo->stacks[0].dir, &opts, err);
}

static void close_main_stack(struct expire_ctx *c, struct rt_stack *main_st)
{
	if (main_st && main_st != c->st)
		rt_stack_close(main_st);
}

/* Whether Git reads objects through replace refs (its default: yes). */
static bool use_replace_refs(const struct expire_ctx *c)
{
	const char *v = config_get(&c->rq->repo->cfg, "core.usereplacerefs");

	return !getenv("GIT_NO_REPLACE_OBJECTS") && (!v || config_bool(v));
}

/*
 * Give the walk Git's replace refs: every ref under GIT_REPLACE_REF_BASE
 * (refs/replace/) whose last path component starts with a full object id
 * replaces that object; other names are ignored, as Git ignores them.
 */
static int load_replacements(struct expire_ctx *c, struct rt_err *err)
{
	const char *base = getenv("GIT_REPLACE_REF_BASE");
	struct rt_ref_record rec = { 0 };
	struct rt_stack *main_st;
	struct rt_iter *it = NULL;
	size_t hexlen = 2 * c->hash_size, blen;
	int ret;

	if (!use_replace_refs(c))
		return 0;
	if (!base || !*base)
		base = "refs/replace/";
	blen = strlen(base);
	if ((ret = open_main_stack(c, &main_st, err)))
		return ret;
	if (!(ret = rt_stack_refs(main_st, &it, err)))
		ret = rt_iter_seek_ref(it, base, err);
	while (!ret && !(ret = rt_iter_next_ref(it, &rec, err))) {
		const char *name = rec.refname.buf, *slash;
		char hex[2 * RT_MAX_HASH_SIZE + 1];
		uint8_t from[RT_MAX_HASH_SIZE];

		if (strncmp(name, base, blen))
			break;
		if (rec.value_type != RT_REF_VAL1 &&
		    rec.value_type != RT_REF_VAL2)
			continue;
		slash = strrchr(name, '/');
		name = slash ? slash + 1 : name;
		if (strlen(name) < hexlen)
			continue;
		memcpy(hex, name, hexlen);
		hex[hexlen] = '\0';
		if (rt_unhex(from, hex, c->hash_size))
			continue;
		if (reach_replace(c->reach, from, rec.value))
			ret = rt_err_oom(err);
	}
	rt_ref_record_release(&rec);
	rt_iter_free(it);
	close_main_stack(c, main_st);
	return ret < 0 ? ret : 0;
}

static int object_graph(struct expire_ctx *c, struct rt_err *err)
{
	char *objects;
	int ret;

	if (c->reach)
		return 0;
	if (asprintf(&objects, "%s/objects", c->rq->repo->common_dir) < 0)
		return rt_err_oom(err);
	ret = odb_open(&c->odb, c->rq->repo->git_dir, objects, c->hash_size,
		       err);
	free(objects);
	if (ret) {
		rt_err_prefix(err, "cannot read objects for the unreachable "
				   "rule: ");
		return ret;
	}
	if (reach_new(&c->reach, c->odb, c->hash_size))
		return rt_err_oom(err);
	return load_replacements(c, err);
}

/* The ref's value in the stack: false for symrefs and absent refs. */
static int ref_value(struct rt_stack *st, const char *name, uint8_t *oid,
		     bool *found, struct rt_err *err)
{
	struct rt_ref_record ref = { 0 };
	int ret;

	*found = false;
	ret = rt_stack_read_ref(st, name, &ref, err);
	if (!ret &&
	    (ref.value_type == RT_REF_VAL1 || ref.value_type == RT_REF_VAL2)) {
		memcpy(oid, ref.value, sizeof(ref.value));
		*found = true;
	}
	rt_ref_record_release(&ref);
	return ret < 0 ? ret : 0;
}

static int peel(struct expire_ctx *c, const uint8_t *oid, uint32_t *node,
		struct rt_err *err)
{
	return reach_peel(c->reach, oid, node, err);
}

/* Every commit a ref under refs/ of the main stack points at. */
static int head_tips(struct expire_ctx *c, struct rt_stack *main_st,
		     uint32_t **tips, size_t *n, struct rt_err *err)
{
	struct rt_iter *it;
	struct rt_ref_record rec = { 0 };
	size_t cap = 0;
	int ret;

	*tips = NULL;
	*n = 0;
	ret = rt_stack_refs(main_st, &it, err);
	if (ret)
		return ret;
	ret = rt_iter_seek_ref(it, "refs/", err);
	while (!ret && !(ret = rt_iter_next_ref(it, &rec, err))) {
		const struct rt_ref_record *ref = &rec;
		uint32_t node;

		if (strncmp(ref->refname.buf, "refs/", 5))
			break;
		if (ref->value_type != RT_REF_VAL1 &&
		    ref->value_type != RT_REF_VAL2)
			continue;
		if ((ret = peel(c, ref->value, &node, err)))
			break;
		if (node == REACH_NONE)
			continue;
		if (*n == cap) {
			uint32_t *t = realloc(*tips, (cap = cap * 2 + 64) *
							     sizeof(*t));

			if (!t) {
				ret = rt_err_oom(err);
				break;
			}
			*tips = t;
		}
		(*tips)[(*n)++] = node;
	}
	rt_ref_record_release(&rec);
	rt_iter_free(it);
	return ret < 0 ? ret : 0;
}

static int prepare_head_set(struct expire_ctx *c, struct rt_err *err)
{
	struct rt_stack *main_st;
	uint32_t *tips = NULL;
	size_t n = 0;
	int ret;

	if (c->head_set)
		return 0;
	if ((ret = open_main_stack(c, &main_st, err)))
		return ret;
	ret = head_tips(c, main_st, &tips, &n, err);
	if (!ret)
		ret = reach_from_all(c->reach, tips, n, &c->head_set, err);
	free(tips);
	close_main_stack(c, main_st);
	return ret;
}

/* Git's choice of what "reachable" means for this reflog. */
static int prepare_kind(struct expire_ctx *c, const struct rt_log_record *log,
			struct rt_err *err)
{
	uint8_t oid[RT_MAX_HASH_SIZE];
	bool found;
	int ret;

	if ((ret = object_graph(c, err)))
		return ret;
	if (!strcmp(log->refname.buf, "HEAD")) {
		c->kind = UE_HEAD;
		ret = prepare_head_set(c, err);
	} else {
		ret = ref_value(c->st, log->refname.buf, oid, &found, err);
		if (!ret && found)
			ret = peel(c, oid, &c->tip, err);
		c->kind = c->tip == REACH_NONE ? UE_ALWAYS : UE_NORMAL;
	}
	if (c->unreach_cutoff <= c->total_cutoff)
		c->kind = UE_ALWAYS;
	return ret;
}

static int unreachable(struct expire_ctx *c, const uint8_t *oid, bool *out,
		       struct rt_err *err)
{
	static const uint8_t null_id[RT_MAX_HASH_SIZE];
	const struct reach_set *set = c->head_set;
	uint32_t node;
	int ret;

	*out = false;
	if (!memcmp(oid, null_id, c->hash_size))
		return 0;
	if ((ret = peel(c, oid, &node, err)) || node == REACH_NONE)
		return ret;
	if (c->kind == UE_NORMAL &&
	    (ret = reach_from(c->reach, c->tip, &set, err)))
		return ret;
	*out = !reach_set_has(set, node);
	return 0;
}

/* Whether Git's rules expire this entry. */
static int git_rules_expire(struct expire_ctx *c,
			    const struct rt_log_record *log, bool *out,
			    struct rt_err *err)
{
	bool old_gone, new_gone;
	int ret;

	*out = true;
	if (c->total_cutoff && log->time < c->total_cutoff)
		return 0;
	*out = false;
	if (!c->unreach_cutoff || log->time >= c->unreach_cutoff)
		return 0;
	if (c->kind == UE_UNKNOWN && (ret = prepare_kind(c, log, err)))
		return ret;
	if (c->kind == UE_ALWAYS) {
		*out = true;
		return 0;
	}
	if ((ret = unreachable(c, log->old_id, &old_gone, err)) ||
	    (ret = unreachable(c, log->new_id, &new_gone, err)))
		return ret;
	*out = old_gone || new_gone;
	return 0;
}

static void finish_reflog(struct expire_ctx *c)
{
	const struct expire_report *rep = c->rq->report;
	struct expire_stats *s = c->stats;

	s->reflogs++;
	s->entries += c->entries;
	s->expired += c->expired;
	if (c->expired && c->expired == c->entries && !c->has_placeholder)
		s->emptied++;
	if (rep && rep->reflog && c->expired)
		rep->reflog(rep->arg, c->ref.buf, c->expired, c->entries);
}

static int filter(void *arg, const struct rt_log_record *log, bool last,
		  struct rt_err *err)
{
	struct expire_ctx *c = arg;
	int verdict = RT_LOG_KEEP;
	bool expire = false;
	int ret;

	if (c->rq->progress)
		c->rq->progress(c->rq->progress_arg, MAINT_PROGRESS_EXPIRE,
				++c->seen, 0);
	/* The walk says where each reflog ends, so the next one begins. */
	if (!c->in_reflog) {
		start_reflog(c, log);
		c->in_reflog = true;
	}
	if (c->skip)
		goto done;
	if (rt_log_is_placeholder(log)) {
		c->has_placeholder = true;
		goto done;
	}
	c->entries++;
	if (!c->protect && (ret = git_rules_expire(c, log, &expire, err)))
		return ret;
	if (!c->protect && !expire && c->max_entries &&
	    c->kept >= c->max_entries)
		expire = true;
	if (!expire) {
		c->kept++;
		goto done;
	}
	c->expired++;
	verdict = RT_LOG_DROP;
	if (c->rq->report && c->rq->report->entry)
		c->rq->report->entry(c->rq->report->arg, c->ref.buf, log,
				     c->hash_size);
	/* Git keeps an emptied reflog in existence with a placeholder. */
	if (last && !c->kept && !c->has_placeholder)
		verdict = RT_LOG_PLACEHOLDER;
done:
	if (last) {
		if (!c->skip)
			finish_reflog(c);
		c->in_reflog = false;
	}
	return verdict;
}

/* Open the stack and fill the context. */
static int ctx_init(struct expire_ctx *c, const struct expire_request *rq,
		    const struct repo_stack *where, struct expire_stats *stats,
		    struct rt_err *err)
{
	struct rt_stack_options opts;
	int ret;

	memset(c, 0, sizeof(*c));
	memset(stats, 0, sizeof(*stats));
	c->rq = rq;
	c->ov = rq->ov;
	c->where = where;
	c->stats = stats;
	if ((ret = maint_stack_options(rq->repo, &opts, err)) ||
	    (ret = rt_stack_open(&c->st, where->dir, &opts, err)))
		return ret;
	c->hash_size = rt_hash_size(rt_stack_hash_id(c->st));
	return 0;
}

static void ctx_release(struct expire_ctx *c)
{
	reach_set_free(c->head_set);
	reach_free(c->reach);
	odb_close(c->odb);
	rt_buf_release(&c->ref);
	if (c->st)
		rt_stack_close(c->st);
}

bool expire_busy(int ret)
{
	return ret == RT_ERR_LOCK || ret == RT_ERR_OUTDATED;
}

int expire_stack(const struct expire_request *rq,
		 const struct repo_stack *where, struct expire_stats *stats,
		 struct rt_err *err)
{
	struct rt_expire_result res;
	struct expire_ctx c;
	int ret;

	if (!(ret = ctx_init(&c, rq, where, stats, err)))
		ret = rt_stack_expire_logs(c.st, filter, &c, rq->dry_run, &res,
					   err);
	if (!ret) {
		/* Git deleted (or wrote to) those meanwhile: not emptied. */
		stats->emptied -= res.placeholders_dropped < stats->emptied ?
					  res.placeholders_dropped :
					  stats->emptied;
		stats->bytes_added = res.bytes_added;
		stats->lock_ms = rt_stack_get_lock_stats(c.st)->max_ns / 1e6;
	}
	ctx_release(&c);
	return ret;
}

int expire_compact_all(const struct expire_request *rq,
		       const struct repo_stack *where,
		       struct expire_stats *stats,
		       struct rt_compact_result *res, struct rt_err *err)
{
	struct rt_compact_options o = { .filter = filter };
	struct expire_ctx c;
	int ret;

	if (rq->dry_run)
		return expire_stack(rq, where, stats, err);
	if (!(ret = ctx_init(&c, rq, where, stats, err))) {
		o.filter_arg = &c;
		/* Every table: only then are dropped entries really gone. */
		ret = rt_stack_compact_all(c.st, &o, res, err);
	}
	ctx_release(&c);
	return ret;
}
