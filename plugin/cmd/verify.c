/*
 * verify.c: `git reftable verify`: every stack of the repository
 * checked by lib/verify, reported per table; exit 1 when anything is
 * wrong. Leftover files are notes and do not change the exit status.
 */
#include "lib/include/rt-verify.h"
#include "plugin/cli/cli.h"

#include <stdlib.h>
#include <string.h>

struct totals {
	size_t stacks, tables, problems, notes;
};

static void print_issue_text(const struct rt_verify_issue *is)
{
	printf("    %s: %s\n", is->kind == RT_VERIFY_NOTE ? "note" : "problem",
	       is->msg);
}

static void print_text(const struct repo_stack *s,
		       const struct rt_verify_result *r)
{
	printf("stack %s: %s\n", stack_label(s), s->dir);
	for (size_t i = 0; i < r->ntables; i++) {
		const struct rt_verify_table *t = &r->tables[i];

		if (t->opened)
			printf("  %-4s %s  %llu bytes  update %llu-%llu  refs "
			       "%llu  logs %llu  obj %llu  index %llu\n",
			       t->problems ? "BAD" : "ok", t->name,
			       (unsigned long long)t->bytes,
			       (unsigned long long)t->min_update_index,
			       (unsigned long long)t->max_update_index,
			       (unsigned long long)t->refs,
			       (unsigned long long)t->logs,
			       (unsigned long long)t->objs,
			       (unsigned long long)t->index_records);
		else
			printf("  BAD  %s  unreadable\n", t->name);
		for (size_t k = 0; k < r->nissues; k++)
			if (r->issues[k].table == i)
				print_issue_text(&r->issues[k]);
	}
	if (!r->ntables)
		printf("  (no tables)\n");
	for (size_t k = 0; k < r->nissues; k++)
		if (r->issues[k].table == RT_VERIFY_STACK)
			print_issue_text(&r->issues[k]);
}

/* The issues of one table (or of the stack) of one kind, as a JSON array. */
static void json_issues(const struct rt_verify_result *r, size_t table,
			enum rt_verify_kind kind)
{
	bool first = true;

	putchar('[');
	for (size_t k = 0; k < r->nissues; k++) {
		const struct rt_verify_issue *is = &r->issues[k];

		if (is->table != table || is->kind != kind)
			continue;
		printf("%s{\"file\":", first ? "" : ",");
		json_string(stdout, is->file, strlen(is->file));
		printf(",\"message\":");
		json_string(stdout, is->msg, strlen(is->msg));
		putchar('}');
		first = false;
	}
	putchar(']');
}

static void print_json(const struct repo_stack *s,
		       const struct rt_verify_result *r, bool first)
{
	printf("%s{\"name\":", first ? "" : ",");
	json_string(stdout, stack_label(s), strlen(stack_label(s)));
	printf(",\"path\":");
	json_string(stdout, s->dir, strlen(s->dir));
	printf(",\"ok\":%s,\"tables\":[", r->problems ? "false" : "true");
	for (size_t i = 0; i < r->ntables; i++) {
		const struct rt_verify_table *t = &r->tables[i];

		printf("%s{\"name\":", i ? "," : "");
		json_string(stdout, t->name, strlen(t->name));
		printf(",\"ok\":%s,\"opened\":%s",
		       t->problems ? "false" : "true",
		       t->opened ? "true" : "false");
		if (t->opened)
			printf(",\"bytes\":%llu,\"version\":%d,\"hash\":\"%s\","
			       "\"min_update_index\":%llu,"
			       "\"max_update_index\":%llu,\"refs\":%llu,"
			       "\"logs\":%llu,\"objs\":%llu,"
			       "\"index_records\":%llu",
			       (unsigned long long)t->bytes, t->version,
			       rt_hash_name(t->hash),
			       (unsigned long long)t->min_update_index,
			       (unsigned long long)t->max_update_index,
			       (unsigned long long)t->refs,
			       (unsigned long long)t->logs,
			       (unsigned long long)t->objs,
			       (unsigned long long)t->index_records);
		printf(",\"problems\":");
		json_issues(r, i, RT_VERIFY_PROBLEM);
		putchar('}');
	}
	printf("],\"problems\":");
	json_issues(r, RT_VERIFY_STACK, RT_VERIFY_PROBLEM);
	printf(",\"notes\":");
	json_issues(r, RT_VERIFY_STACK, RT_VERIFY_NOTE);
	putchar('}');
}

/* Locks older than the policy's stale-lock age are called stale. */
static uint64_t stale_lock_age(const struct repo *repo)
{
	struct policy p;
	uint64_t age = 3600;
	char *path;

	if (open_policy(&p, repo, &path))
		warning("the policy has errors; locks are called stale after "
			"1 hour");
	else
		age = p.stale_lock.never ? UINT64_MAX : p.stale_lock.seconds;
	policy_release(&p);
	free(path);
	return age ? age : 1;
}

int cmd_verify(struct command *cmd, int argc, char **argv)
{
	struct rt_verify_options vopts = { 0 };
	struct totals sum = { 0 };
	const char *format;
	bool json = false;
	struct repo repo;
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}
	if ((ret = open_repo(&repo)))
		return ret;
	format = config_get(&repo.cfg, "extensions.objectformat");
	vopts.expected_hash = format && !strcasecmp(format, "sha256") ?
				      RT_HASH_SHA256 :
				      RT_HASH_SHA1;
	vopts.stale_lock_seconds = stale_lock_age(&repo);

	if (json) {
		printf("{\"git_dir\":");
		json_string(stdout, repo.git_dir, strlen(repo.git_dir));
		printf(",\"stacks\":[");
	}
	for (size_t i = 0; !ret && i < repo.nstacks; i++) {
		struct rt_verify_result r;
		struct rt_err err = { 0 };

		if (rt_verify_stack(repo.stacks[i].dir, &vopts, &r, &err)) {
			error("%s", err.msg);
			ret = EXIT_ERROR;
		} else if (json) {
			print_json(&repo.stacks[i], &r, i == 0);
		} else {
			print_text(&repo.stacks[i], &r);
		}
		sum.stacks++;
		sum.tables += r.ntables;
		sum.problems += r.problems;
		sum.notes += r.notes;
		rt_verify_result_release(&r);
	}
	if (json && !ret)
		printf("],\"ok\":%s,\"tables\":%zu,\"problems\":%zu,"
		       "\"notes\":%zu}\n",
		       sum.problems ? "false" : "true", sum.tables,
		       sum.problems, sum.notes);
	else if (!ret)
		printf("verify: %zu stack%s, %zu table%s, %zu problem%s, %zu "
		       "note%s\n",
		       sum.stacks, sum.stacks == 1 ? "" : "s", sum.tables,
		       sum.tables == 1 ? "" : "s", sum.problems,
		       sum.problems == 1 ? "" : "s", sum.notes,
		       sum.notes == 1 ? "" : "s");
	if (!ret && sum.problems) {
		error("%zu problem%s found", sum.problems,
		      sum.problems == 1 ? "" : "s");
		ret = EXIT_ERROR;
	}
	repo_release(&repo);
	return ret;
}
