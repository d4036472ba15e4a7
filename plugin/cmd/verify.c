/*
 * verify.c: `git reftable verify`: every stack of the repository
 * checked by lib/verify, reported per table; exit 1 when anything is
 * wrong. Leftover files are notes and do not change the exit status.
 */
#include "lib/include/rt-verify.h"
#include "plugin/cli/cli.h"
#include "plugin/cmd/progress.h"
#include "plugin/maint/open.h"
#include "plugin/util/json.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	printf("stack %s: %s\n", maint_stack_label(s), s->dir);
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
static void json_issues(struct json *j, const char *key,
			const struct rt_verify_result *r, size_t table,
			enum rt_verify_kind kind)
{
	json_array_begin(j, key);
	for (size_t k = 0; k < r->nissues; k++) {
		const struct rt_verify_issue *is = &r->issues[k];

		if (is->table != table || is->kind != kind)
			continue;
		json_object_begin(j, NULL);
		json_str(j, "file", is->file);
		json_str(j, "message", is->msg);
		json_object_end(j);
	}
	json_array_end(j);
}

static void print_json(struct json *j, const struct repo_stack *s,
		       const struct rt_verify_result *r)
{
	json_object_begin(j, NULL);
	json_str(j, "name", maint_stack_label(s));
	json_str(j, "path", s->dir);
	json_bool(j, "ok", !r->problems);
	json_array_begin(j, "tables");
	for (size_t i = 0; i < r->ntables; i++) {
		const struct rt_verify_table *t = &r->tables[i];

		json_object_begin(j, NULL);
		json_str(j, "name", t->name);
		json_bool(j, "ok", !t->problems);
		json_bool(j, "opened", t->opened);
		if (t->opened) {
			json_u64(j, "bytes", t->bytes);
			json_int(j, "version", t->version);
			json_str(j, "hash", rt_hash_name(t->hash));
			json_u64(j, "min_update_index", t->min_update_index);
			json_u64(j, "max_update_index", t->max_update_index);
			json_u64(j, "refs", t->refs);
			json_u64(j, "logs", t->logs);
			json_u64(j, "objs", t->objs);
			json_u64(j, "index_records", t->index_records);
		}
		json_issues(j, "problems", r, i, RT_VERIFY_PROBLEM);
		json_object_end(j);
	}
	json_array_end(j);
	json_issues(j, "problems", r, RT_VERIFY_STACK, RT_VERIFY_PROBLEM);
	json_issues(j, "notes", r, RT_VERIFY_STACK, RT_VERIFY_NOTE);
	json_object_end(j);
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
		age = policy_duration_age(&p.stale_lock, (uint64_t)time(NULL));
	policy_release(&p);
	free(path);
	return age ? age : 1;
}

static void verify_progress(void *arg, size_t done, size_t total)
{
	progress_update(arg, "Verifying tables", done, total);
}

int cmd_verify(struct command *cmd, int argc, char **argv)
{
	struct rt_verify_options vopts = { .progress = verify_progress };
	struct progress_opt popt = { -1 };
	struct progress progress;
	struct totals sum = { 0 };
	struct rt_err err = { 0 };
	bool json = false;
	struct repo repo;
	struct json j;
	int ret = 0;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!progress_option(&popt, argv[i]))
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}
	if (maint_open_repo(&repo, &err))
		return json ? error_json(NULL, NULL, &err) : error_rt(&err);
	vopts.expected_hash = maint_table_version(&repo) == 2 ? RT_HASH_SHA256 :
								RT_HASH_SHA1;
	vopts.stale_lock_seconds = stale_lock_age(&repo);
	progress_init(&progress, &popt);
	vopts.progress_arg = &progress;

	json_init(&j, stdout);
	if (json) {
		json_object_begin(&j, NULL);
		json_str(&j, "git_dir", repo.git_dir);
		json_array_begin(&j, "stacks");
	}
	for (size_t i = 0; !ret && i < repo.nstacks; i++) {
		struct rt_verify_result r;

		ret = rt_verify_stack(repo.stacks[i].dir, &vopts, &r, &err);
		progress_stop(&progress);
		if (ret) {
			error("%s", err.msg);
			ret = EXIT_ERROR;
			/* The document stays whole: the stack with its error. */
			if (json) {
				json_object_begin(&j, NULL);
				json_str(&j, "name",
					 maint_stack_label(&repo.stacks[i]));
				json_str(&j, "error", err.msg);
				json_object_end(&j);
			}
		} else if (json) {
			print_json(&j, &repo.stacks[i], &r);
		} else {
			print_text(&repo.stacks[i], &r);
		}
		sum.stacks++;
		sum.tables += r.ntables;
		sum.problems += r.problems;
		sum.notes += r.notes;
		rt_verify_result_release(&r);
	}
	if (json) {
		json_array_end(&j);
		json_bool(&j, "ok", !ret && !sum.problems);
		json_u64(&j, "tables", sum.tables);
		json_u64(&j, "problems", sum.problems);
		json_u64(&j, "notes", sum.notes);
		json_object_end(&j);
		putchar('\n');
	} else if (!ret) {
		printf("verify: %zu stack%s, %zu table%s, %zu problem%s, %zu "
		       "note%s\n",
		       sum.stacks, sum.stacks == 1 ? "" : "s", sum.tables,
		       sum.tables == 1 ? "" : "s", sum.problems,
		       sum.problems == 1 ? "" : "s", sum.notes,
		       sum.notes == 1 ? "" : "s");
	}
	if (!ret && sum.problems) {
		error("%zu problem%s found", sum.problems,
		      sum.problems == 1 ? "" : "s");
		ret = EXIT_ERROR;
	}
	repo_release(&repo);
	return ret;
}
