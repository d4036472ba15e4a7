/*
 * stats.c: `git reftable stats`: per stack, every table with its size,
 * update-index range and record counts, the totals, and whether Git's
 * geometric rule, with the policy's factor, asks for a compaction (and
 * of which tables).
 */
#include "lib/include/rt-clean.h"
#include "lib/include/rt-iter.h"
#include "lib/include/rt-table.h"
#include "plugin/cli/cli.h"
#include "plugin/maint/metrics.h"
#include "plugin/maint/metrics_keep.h"
#include "plugin/maint/open.h"
#include "plugin/maint/snapshot.h"
#include "plugin/util/json.h"

#include <stdlib.h>
#include <string.h>

enum format {
	TEXT,
	JSON,
	PROMETHEUS
};

struct stack_report {
	const struct repo_stack *where;
	struct rt_stack *st;
	struct sched_table *counts;
	struct sched_table total;
	uint64_t live_refs; /* in the merged view */
	uint64_t bytes;
	struct rt_segment seg;
	unsigned factor; /* of the geometric rule */
	struct rt_list_lock_check lock; /* tables.list.lock, looked at only */
};

/* One merged pass over the refs: what Git would list. */
static int count_live_refs(struct stack_report *r, struct rt_err *err)
{
	struct rt_ref_record rec = { 0 };
	struct rt_iter *it;
	int ret = rt_stack_refs(r->st, &it, err);

	if (!ret)
		rt_iter_drop_behind(it);
	while (!ret && !(ret = rt_iter_next_ref(it, &rec, err)))
		r->live_refs++;
	rt_ref_record_release(&rec);
	rt_iter_free(it);
	return ret < 0 ? ret : 0;
}

static int gather(struct stack_report *r, struct rt_err *err)
{
	int ret = snapshot_tables(r->st, &r->counts, err);

	for (size_t i = 0; !ret && i < rt_stack_table_count(r->st); i++) {
		const struct sched_table *c = &r->counts[i];

		r->total.refs += c->refs;
		r->total.logs += c->logs;
		r->total.ref_tombstones += c->ref_tombstones;
		r->total.log_tombstones += c->log_tombstones;
		r->bytes += rt_table_size(rt_stack_table(r->st, i));
	}
	r->seg = rt_stack_suggest_segment(r->st);
	if (!ret) {
		/* Judged for its holder only: never removed, never stuck. */
		struct rt_clean_options look = { .stale_lock_seconds =
							 UINT64_MAX };

		ret = rt_stack_check_list_lock(r->st, &look, false, &r->lock,
					       err);
	}
	return ret ? ret : count_live_refs(r, err);
}

static void print_text(const struct stack_report *r)
{
	const struct rt_stack *st = r->st;

	printf("stack %s: %s\n", maint_stack_label(r->where), r->where->dir);
	printf("  hash %s, %zu tables, %llu bytes\n",
	       rt_hash_name(rt_stack_hash_id(st)), rt_stack_table_count(st),
	       (unsigned long long)r->bytes);
	for (size_t i = 0; i < rt_stack_table_count(st); i++) {
		const struct rt_table *t = rt_stack_table(st, i);
		const struct sched_table *c = &r->counts[i];

		printf("  %s  %10llu bytes  update %llu-%llu  refs %llu  "
		       "logs %llu  tombstones %llu\n",
		       rt_table_name(t), (unsigned long long)rt_table_size(t),
		       (unsigned long long)rt_table_min_update_index(t),
		       (unsigned long long)rt_table_max_update_index(t),
		       (unsigned long long)c->refs, (unsigned long long)c->logs,
		       (unsigned long long)(c->ref_tombstones +
					    c->log_tombstones));
	}
	printf("  total: live refs %llu; records: refs %llu, logs %llu, "
	       "tombstones %llu (refs %llu, logs %llu)\n",
	       (unsigned long long)r->live_refs,
	       (unsigned long long)r->total.refs,
	       (unsigned long long)r->total.logs,
	       (unsigned long long)(r->total.ref_tombstones +
				    r->total.log_tombstones),
	       (unsigned long long)r->total.ref_tombstones,
	       (unsigned long long)r->total.log_tombstones);
	if (r->seg.end)
		printf("  compaction: due: tables %zu-%zu (%zu tables, %llu "
		       "bytes) break the geometric sequence (factor %u)\n",
		       r->seg.start + 1, r->seg.end, r->seg.end - r->seg.start,
		       (unsigned long long)r->seg.bytes, r->factor);
	else
		printf("  compaction: not due (geometric factor %u)\n",
		       r->factor);
}

static void print_json(struct json *j, const struct stack_report *r)
{
	const struct rt_stack *st = r->st;

	json_object_begin(j, NULL);
	json_str(j, "name", maint_stack_label(r->where));
	json_str(j, "path", r->where->dir);
	json_str(j, "hash", rt_hash_name(rt_stack_hash_id(st)));
	json_u64(j, "bytes", r->bytes);
	json_array_begin(j, "tables");
	for (size_t i = 0; i < rt_stack_table_count(st); i++) {
		const struct rt_table *t = rt_stack_table(st, i);
		const struct sched_table *c = &r->counts[i];

		json_object_begin(j, NULL);
		json_str(j, "name", rt_table_name(t));
		json_u64(j, "bytes", rt_table_size(t));
		json_u64(j, "min_update_index", rt_table_min_update_index(t));
		json_u64(j, "max_update_index", rt_table_max_update_index(t));
		json_u64(j, "refs", c->refs);
		json_u64(j, "logs", c->logs);
		json_u64(j, "ref_tombstones", c->ref_tombstones);
		json_u64(j, "log_tombstones", c->log_tombstones);
		json_object_end(j);
	}
	json_array_end(j);
	/* Beside the totals, which count records: refs as Git lists them. */
	json_u64(j, "live_refs", r->live_refs);
	json_object_begin(j, "totals");
	json_u64(j, "refs", r->total.refs);
	json_u64(j, "logs", r->total.logs);
	json_u64(j, "ref_tombstones", r->total.ref_tombstones);
	json_u64(j, "log_tombstones", r->total.log_tombstones);
	json_object_end(j);
	json_object_begin(j, "list_lock");
	json_str(j, "state", rt_list_lock_state_name(r->lock.state));
	json_u64(j, "age_seconds", r->lock.age_seconds);
	json_u64(j, "holder_pid", (uint64_t)r->lock.holder_pid);
	json_object_end(j);
	json_object_begin(j, "compaction");
	json_bool(j, "due", r->seg.end);
	if (r->seg.end) {
		json_object_begin(j, "segment");
		json_u64(j, "start", r->seg.start);
		json_u64(j, "end", r->seg.end);
		json_u64(j, "bytes", r->seg.bytes);
		json_object_end(j);
	}
	json_object_end(j);
	json_object_end(j);
}

static int add_prometheus(struct metrics *ms, const struct stack_report *r,
			  const char *gitdir)
{
	const char *l[] = { "repo", gitdir, "stack",
			    maint_stack_label(r->where), NULL };
	const struct {
		enum metric m;
		uint64_t v;
	} g[] = {
		{ METRIC_STACK_READABLE, 1 },
		{ METRIC_TABLES, rt_stack_table_count(r->st) },
		{ METRIC_BYTES, r->bytes },
		{ METRIC_REFS, r->live_refs },
		{ METRIC_REF_RECORDS, r->total.refs },
		{ METRIC_LOG_ENTRIES, r->total.logs },
		{ METRIC_TOMBSTONES,
		  r->total.ref_tombstones + r->total.log_tombstones },
		{ METRIC_COMPACTION_DUE, r->seg.end ? 1 : 0 },
		{ METRIC_LIST_LOCK_AGE, r->lock.age_seconds },
		{ METRIC_LIST_LOCK_HELD, r->lock.holder_pid > 0 },
		{ METRIC_LIST_LOCK_DEAD, r->lock.state == RT_LIST_LOCK_DEAD },
	};
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(g) / sizeof(g[0]); i++)
		ret = metrics_add(ms, g[i].m, l, (double)g[i].v);
	return ret;
}

/*
 * A stack that could not be read is still there for every format: an
 * object with its error in JSON, stack_readable 0 for Prometheus, so a
 * broken repository never vanishes from monitoring.
 */
static int report_broken(enum format fmt, struct json *j, struct metrics *ms,
			 const struct repo *repo, const struct repo_stack *s,
			 const struct rt_err *err)
{
	const char *l[] = { "repo", repo->git_dir, "stack",
			    maint_stack_label(s), NULL };
	error("%s", err->msg);
	if (fmt == JSON) {
		json_object_begin(j, NULL);
		json_str(j, "name", maint_stack_label(s));
		json_str(j, "path", s->dir);
		json_str(j, "error", err->msg);
		json_object_end(j);
	} else if (fmt == PROMETHEUS &&
		   metrics_add(ms, METRIC_STACK_READABLE, l, 0)) {
		return EXIT_ERROR;
	}
	return 0;
}

/*
 * What --keep needs: the identity before the stacks were read, and
 * whether every gauge stays true while it holds (metrics_keep.h).
 */
struct keep {
	bool want, ok;
	struct rt_buf id;
	mode_t mode;
};

/* Keep `out` when nothing changed while it was gathered; best effort. */
static void keep_metrics(struct keep *k, const struct repo *repo,
			 unsigned factor, const struct rt_buf *out)
{
	struct rt_buf now = RT_BUF_INIT;
	struct rt_err err = { 0 };

	if (k->ok && !metrics_keep_identity(repo, factor, &now) &&
	    !rt_buf_cmp(&now, &k->id) &&
	    metrics_keep_write(repo, &k->id, out->buf, out->len, k->mode, &err))
		warning("cannot keep the metrics for later fleet runs: %s",
			err.msg);
	rt_buf_release(&now);
}

static int print_prometheus(struct metrics *ms, const struct repo *repo,
			    struct keep *k, unsigned factor)
{
	struct rt_buf out = RT_BUF_INIT;
	struct rt_err err = { 0 };
	int ret = metrics_add_repo(ms, repo, &err);

	if (ret)
		error("%s", err.msg);
	if (metrics_format(ms, &out)) {
		error("out of memory");
		ret = -1;
	} else if (out.len) {
		fwrite(out.buf, 1, out.len, stdout);
	}
	if (!ret && k->want)
		keep_metrics(k, repo, factor, &out);
	rt_buf_release(&out);
	return ret ? EXIT_ERROR : EXIT_OK;
}

int cmd_stats(struct command *cmd, int argc, char **argv)
{
	struct rt_stack_options opts;
	enum format fmt = TEXT;
	struct keep keep = { 0 };
	struct rt_err err = { 0 };
	struct repo repo;
	struct metrics ms;
	struct json j;
	bool oom = false;
	int ret = 0;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && fmt == TEXT)
			fmt = JSON;
		else if (!strcmp(argv[i], "--prometheus") && fmt == TEXT)
			fmt = PROMETHEUS;
		else if (!strcmp(argv[i], "--keep"))
			keep.want = true;
		else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}
	if (maint_open_repo(&repo, &err))
		return fmt == JSON ? error_json(NULL, NULL, &err) :
				     error_rt(&err);
	if (maint_stack_options(&repo, &opts, &err)) {
		ret = fmt == JSON ? error_json(repo.git_dir, NULL, &err) :
				    error_rt(&err);
		repo_release(&repo);
		return ret;
	}
	/* The rule `run`, the hook and `compact` follow. */
	opts.geometric_factor = geometric_factor_of(&repo);
	if (keep.want && fmt != PROMETHEUS) {
		repo_release(&repo);
		return usage_error(cmd, "--keep goes with --prometheus");
	}
	/* Before any table is read: a change meanwhile shows after. */
	keep.ok = keep.want && !metrics_keep_identity(
				       &repo, opts.geometric_factor, &keep.id);
	keep.mode = opts.default_permissions;

	json_init(&j, stdout);
	if (fmt == JSON) {
		json_object_begin(&j, NULL);
		json_str(&j, "git_dir", repo.git_dir);
		json_u64(&j, "geometric_factor", opts.geometric_factor);
		json_array_begin(&j, "stacks");
	}
	metrics_init(&ms);
	for (size_t i = 0; i < repo.nstacks; i++) {
		struct stack_report r = { .where = &repo.stacks[i],
					  .factor = opts.geometric_factor };

		rt_err_clear(&err);
		if (rt_stack_open(&r.st, r.where->dir, &opts, &err) ||
		    gather(&r, &err)) {
			ret = EXIT_ERROR;
			if (report_broken(fmt, &j, &ms, &repo, r.where, &err))
				oom = true;
		} else if (fmt == TEXT) {
			print_text(&r);
		} else if (fmt == JSON) {
			print_json(&j, &r);
		} else if (add_prometheus(&ms, &r, repo.git_dir)) {
			oom = true;
		}
		/* A broken stack, or a lock whose age grows, is not kept. */
		if (ret || r.lock.state != RT_LIST_LOCK_NONE)
			keep.ok = false;
		free(r.counts);
		rt_stack_close(r.st);
	}
	if (fmt == JSON) {
		json_array_end(&j);
		json_object_end(&j);
		putchar('\n');
	}
	if (fmt == PROMETHEUS && !oom &&
	    print_prometheus(&ms, &repo, &keep, opts.geometric_factor))
		ret = EXIT_ERROR;
	if (oom) {
		error("out of memory");
		ret = EXIT_ERROR;
	}
	metrics_release(&ms);
	rt_buf_release(&keep.id);
	repo_release(&repo);
	return ret;
}
