/*
 * stats.c: `git reftable stats`: per stack, every table with its size,
 * update-index range and record counts, the totals, and whether Git's
 * geometric rule, with the policy's factor, asks for a compaction (and
 * of which tables).
 */
#include "lib/include/rt-clean.h"
#include "lib/include/rt-table.h"
#include "plugin/cli/cli.h"
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
	uint64_t bytes;
	struct rt_segment seg;
	unsigned factor; /* of the geometric rule */
	struct rt_list_lock_check lock; /* tables.list.lock, looked at only */
};

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
	return ret;
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
	printf("  total: refs %llu, logs %llu, tombstones %llu "
	       "(refs %llu, logs %llu)\n",
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

static void print_prometheus(const struct stack_report *r, const char *gitdir)
{
	const char *label = maint_stack_label(r->where);
	struct {
		const char *name;
		unsigned long long v;
	} m[] = {
		{ "git_reftable_tables", rt_stack_table_count(r->st) },
		{ "git_reftable_bytes", r->bytes },
		{ "git_reftable_refs", r->total.refs },
		{ "git_reftable_logs", r->total.logs },
		{ "git_reftable_tombstones",
		  r->total.ref_tombstones + r->total.log_tombstones },
		{ "git_reftable_compaction_due", r->seg.end ? 1 : 0 },
		{ "git_reftable_list_lock_age_seconds", r->lock.age_seconds },
		{ "git_reftable_list_lock_held", r->lock.holder_pid > 0 },
		{ "git_reftable_list_lock_dead",
		  r->lock.state == RT_LIST_LOCK_DEAD },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		/* Label values are quoted and escaped as JSON strings are. */
		printf("%s{repo=", m[i].name);
		json_quote(stdout, gitdir, strlen(gitdir));
		printf(",stack=");
		json_quote(stdout, label, strlen(label));
		printf("} %llu\n", m[i].v);
	}
}

static void print_prometheus_help(void)
{
	static const char *const help[][2] = {
		{ "git_reftable_tables", "Tables in the stack." },
		{ "git_reftable_bytes", "Bytes of all tables in the stack." },
		{ "git_reftable_refs", "Ref records (not deletions)." },
		{ "git_reftable_logs", "Log records (not deletions)." },
		{ "git_reftable_tombstones", "Ref and log deletion records." },
		{ "git_reftable_compaction_due",
		  "1 when the geometric rule asks for compaction." },
		{ "git_reftable_list_lock_age_seconds",
		  "Age of tables.list.lock, 0 when there is none (Git holds "
		  "it for milliseconds)." },
		{ "git_reftable_list_lock_held",
		  "1 when a live process holds tables.list.lock open (looked "
		  "for once it is 5 s old)." },
		{ "git_reftable_list_lock_dead",
		  "1 when tables.list.lock was left by a dead process (run and "
		  "the hook clear it)." },
	};

	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		printf("# HELP %s %s\n# TYPE %s gauge\n", help[i][0],
		       help[i][1], help[i][0]);
}

int cmd_stats(struct command *cmd, int argc, char **argv)
{
	struct rt_stack_options opts;
	enum format fmt = TEXT;
	struct rt_err err = { 0 };
	struct repo repo;
	struct json j;
	int ret = 0;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") && fmt == TEXT)
			fmt = JSON;
		else if (!strcmp(argv[i], "--prometheus") && fmt == TEXT)
			fmt = PROMETHEUS;
		else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}
	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	if (maint_stack_options(&repo, &opts, &err)) {
		repo_release(&repo);
		return error_rt(&err);
	}
	/* The rule `run`, the hook and `compact` follow. */
	opts.geometric_factor = geometric_factor_of(&repo);

	json_init(&j, stdout);
	if (fmt == JSON) {
		json_object_begin(&j, NULL);
		json_str(&j, "git_dir", repo.git_dir);
		json_u64(&j, "geometric_factor", opts.geometric_factor);
		json_array_begin(&j, "stacks");
	}
	if (fmt == PROMETHEUS)
		print_prometheus_help();
	for (size_t i = 0; !ret && i < repo.nstacks; i++) {
		struct stack_report r = { .where = &repo.stacks[i],
					  .factor = opts.geometric_factor };

		if (rt_stack_open(&r.st, r.where->dir, &opts, &err)) {
			ret = error_rt(&err);
			break;
		}
		if (gather(&r, &err)) {
			error("%s", err.msg);
			ret = EXIT_ERROR;
		} else if (fmt == TEXT) {
			print_text(&r);
		} else if (fmt == JSON) {
			print_json(&j, &r);
		} else {
			print_prometheus(&r, repo.git_dir);
		}
		free(r.counts);
		rt_stack_close(r.st);
	}
	if (fmt == JSON && !ret) {
		json_array_end(&j);
		json_object_end(&j);
		putchar('\n');
	}
	repo_release(&repo);
	return ret;
}
