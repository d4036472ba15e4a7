/*
 * stats.c: `git reftable stats`: per stack, every table with its size,
 * update-index range and record counts, the totals, and whether Git's
 * geometric rule asks for a compaction (and of which tables).
 */
#include "lib/include/rt-table.h"
#include "plugin/cli/cli.h"
#include "plugin/maint/snapshot.h"

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
	return ret;
}

static void print_text(const struct stack_report *r)
{
	const struct rt_stack *st = r->st;

	printf("stack %s: %s\n", stack_label(r->where), r->where->dir);
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
		       "bytes) break the geometric sequence\n",
		       r->seg.start + 1, r->seg.end, r->seg.end - r->seg.start,
		       (unsigned long long)r->seg.bytes);
	else
		printf("  compaction: not due\n");
}

static void print_json(const struct stack_report *r, bool first)
{
	const struct rt_stack *st = r->st;

	printf("%s{\"name\":", first ? "" : ",");
	json_string(stdout, stack_label(r->where),
		    strlen(stack_label(r->where)));
	printf(",\"path\":");
	json_string(stdout, r->where->dir, strlen(r->where->dir));
	printf(",\"hash\":\"%s\",\"bytes\":%llu,\"tables\":[",
	       rt_hash_name(rt_stack_hash_id(st)),
	       (unsigned long long)r->bytes);
	for (size_t i = 0; i < rt_stack_table_count(st); i++) {
		const struct rt_table *t = rt_stack_table(st, i);
		const struct sched_table *c = &r->counts[i];

		printf("%s{\"name\":\"%s\",\"bytes\":%llu,"
		       "\"min_update_index\":%llu,\"max_update_index\":%llu,"
		       "\"refs\":%llu,\"logs\":%llu,\"ref_tombstones\":%llu,"
		       "\"log_tombstones\":%llu}",
		       i ? "," : "", rt_table_name(t),
		       (unsigned long long)rt_table_size(t),
		       (unsigned long long)rt_table_min_update_index(t),
		       (unsigned long long)rt_table_max_update_index(t),
		       (unsigned long long)c->refs, (unsigned long long)c->logs,
		       (unsigned long long)c->ref_tombstones,
		       (unsigned long long)c->log_tombstones);
	}
	printf("],\"totals\":{\"refs\":%llu,\"logs\":%llu,"
	       "\"ref_tombstones\":%llu,\"log_tombstones\":%llu},",
	       (unsigned long long)r->total.refs,
	       (unsigned long long)r->total.logs,
	       (unsigned long long)r->total.ref_tombstones,
	       (unsigned long long)r->total.log_tombstones);
	if (r->seg.end)
		printf("\"compaction\":{\"due\":true,\"segment\":{\"start\":%zu,"
		       "\"end\":%zu,\"bytes\":%llu}}}",
		       r->seg.start, r->seg.end,
		       (unsigned long long)r->seg.bytes);
	else
		printf("\"compaction\":{\"due\":false}}");
}

static void print_prometheus(const struct stack_report *r, const char *gitdir)
{
	const char *label = stack_label(r->where);
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
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		printf("%s{repo=", m[i].name);
		json_string(stdout, gitdir, strlen(gitdir));
		printf(",stack=");
		json_string(stdout, label, strlen(label));
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
	};

	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		printf("# HELP %s %s\n# TYPE %s gauge\n", help[i][0],
		       help[i][1], help[i][0]);
}

int cmd_stats(struct command *cmd, int argc, char **argv)
{
	struct rt_stack_options opts;
	enum format fmt = TEXT;
	struct repo repo;
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
	if ((ret = open_repo(&repo)))
		return ret;
	if ((ret = stack_options(&repo, &opts))) {
		repo_release(&repo);
		return ret;
	}

	if (fmt == JSON) {
		printf("{\"git_dir\":");
		json_string(stdout, repo.git_dir, strlen(repo.git_dir));
		printf(",\"geometric_factor\":%u,\"stacks\":[",
		       opts.geometric_factor ? opts.geometric_factor : 2);
	}
	if (fmt == PROMETHEUS)
		print_prometheus_help();
	for (size_t i = 0; !ret && i < repo.nstacks; i++) {
		struct stack_report r = { .where = &repo.stacks[i] };
		struct rt_err err = { 0 };

		if ((ret = open_stack(&r.st, r.where->dir, &opts)))
			break;
		if (gather(&r, &err)) {
			error("%s", err.msg);
			ret = EXIT_ERROR;
		} else if (fmt == TEXT) {
			print_text(&r);
		} else if (fmt == JSON) {
			print_json(&r, i == 0);
		} else {
			print_prometheus(&r, repo.git_dir);
		}
		free(r.counts);
		rt_stack_close(r.st);
	}
	if (fmt == JSON && !ret)
		printf("]}\n");
	repo_release(&repo);
	return ret;
}
