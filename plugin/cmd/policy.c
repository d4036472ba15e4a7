/*
 * policy.c: `git reftable policy check|show|keys`, and loading the policy
 * for the other commands with every error printed.
 */
#include "plugin/cli/cli.h"
#include "plugin/maint/policy_file.h"
#include "policy/schema.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Set by the global option --policy (main.c). */
const char *policy_option;

static void print_errors(struct policy_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	policy_errors_release(errs);
}

int open_policy(struct policy *p, const struct repo *repo, char **path)
{
	struct policy_errors errs = { 0 };
	struct rt_err err = { 0 };
	int nerr;

	if (policy_file_find(repo, policy_option, path, &err)) {
		policy_init(p);
		error("%s", err.msg);
		return -1;
	}
	nerr = policy_file_load(p, repo, *path, &errs, &err);
	if (nerr < 0)
		error("%s", err.msg);
	print_errors(&errs);
	return nerr < 0 ? -1 : nerr;
}

static int check(const char *file)
{
	struct policy_errors errs = { 0 };
	struct rt_err err = { 0 };
	struct policy p;
	struct repo repo;
	bool have_repo = false;
	char *path = NULL;
	int nerr;

	if (file) {
		nerr = policy_file_find(NULL, file, &path, &err);
	} else {
		struct rt_err derr = { 0 };

		have_repo = !repo_discover(&repo, &derr);
		if (!have_repo)
			repo_release(&repo);
		nerr = policy_file_find(have_repo ? &repo : NULL, policy_option,
					&path, &err);
		if (!nerr && !path) {
			if (have_repo)
				repo_release(&repo);
			printf("no policy file; built-in defaults apply\n");
			return EXIT_OK;
		}
	}
	/* The file alone: Git's configuration is not part of it. */
	if (!nerr)
		nerr = policy_file_check(&p, have_repo ? &repo : NULL, path,
					 &errs, &err);
	else
		policy_init(&p);
	if (have_repo)
		repo_release(&repo);
	if (nerr < 0)
		error("%s", err.msg);
	print_errors(&errs);
	if (!nerr)
		printf("%s: valid (%zu rule section%s, %zu protect "
		       "pattern%s)\n",
		       path, p.nrules, p.nrules == 1 ? "" : "s", p.protect.n,
		       p.protect.n == 1 ? "" : "s");
	policy_release(&p);
	free(path);
	return nerr ? EXIT_ERROR : EXIT_OK;
}

/* One setting: "<key> = <value><TAB>; <source>". */
static void line(const char *key, const char *value,
		 const struct policy_src *src)
{
	char where[PATH_MAX + 64];

	policy_src_format(src, where, sizeof(where));
	printf("%s = %s\t; %s\n", key, value, where);
}

static void line_key(const struct policy_key *k, const void *base,
		     const struct policy_src *src)
{
	char value[64];

	policy_key_format(k, base, value, sizeof(value));
	line(k->name, value, src);
}

/* A rule as a section of its own: the values it sets. */
static void show_rule(const char *kind, const struct policy_rule *r)
{
	printf("[%s \"%s\"]\n", kind, r->pattern);
	for (size_t i = 0; i < policy_nkeys; i++)
		if (policy_keys[i].rule && r->src[i].where)
			line_key(&policy_keys[i], r, &r->src[i]);
}

/*
 * Every section in the schema's order; the rules (the policy's, then
 * Git's gc.<pattern> entries as [git "<pattern>"]) where the schema has
 * the rule section.
 */
static void show_all(const struct policy *p)
{
	const struct policy_key *prev = NULL;

	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];
		bool first = !prev || prev->rule != k->rule ||
			     strcmp(prev->section, k->section);

		prev = k;
		if (k->rule) {
			for (size_t j = 0; first && j < p->nrules; j++)
				show_rule(k->section, &p->rules[j]);
			for (size_t j = 0; first && j < p->ngit_rules; j++)
				show_rule("git", &p->git_rules[j]);
			continue;
		}
		if (first)
			printf("[%s]\n", k->section);
		if (k->type == POLICY_T_PATTERNS) {
			const struct policy_patterns *l =
				(const void *)((const char *)p + k->offset);

			for (size_t j = 0; j < l->n; j++)
				line(k->name, l->v[j].pattern, &l->v[j].src);
		} else {
			line_key(k, p, &p->src[i]);
		}
	}
}

static void show_ref(const struct policy *p, const char *ref)
{
	struct policy_resolved r;
	char buf[64];

	policy_resolve(p, ref, &r);
	printf("# ref %s\n", ref);
	policy_format_duration(&r.expire, buf, sizeof(buf));
	line("expire", buf, &r.src_expire);
	policy_format_duration(&r.expire_unreachable, buf, sizeof(buf));
	line("expire-unreachable", buf, &r.src_expire_unreachable);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r.max_entries);
	line("max-entries", buf, &r.src_max_entries);
	line("protect", r.protect ? "true" : "false", &r.src_protect);
}

static int show(const char *ref)
{
	struct policy p;
	struct repo repo;
	struct rt_err err = { 0 };
	char *path;
	bool have_repo;
	int nerr, ret = EXIT_OK;

	have_repo = !repo_discover(&repo, &err);
	if (!have_repo)
		repo_release(&repo);
	nerr = open_policy(&p, have_repo ? &repo : NULL, &path);
	if (nerr) {
		if (nerr > 0)
			error("the policy has %d error%s (listed above); fix "
			      "them first",
			      nerr, nerr == 1 ? "" : "s");
		ret = EXIT_ERROR;
	} else {
		printf("# policy: %s\n",
		       path ? path : "none (built-in defaults)");
		if (ref)
			show_ref(&p, ref);
		else
			show_all(&p);
	}
	policy_release(&p);
	free(path);
	if (have_repo)
		repo_release(&repo);
	return ret;
}

/* What a value of `k` may be, for the table of keys. */
static void describe(const struct policy_key *k, char *buf, size_t size)
{
	static const char *const types[] = {
		[POLICY_T_SIZE] = "size (`64k`, `256MB`, `1GiB`)",
		[POLICY_T_RATIO] = "number, 0 to 1",
		[POLICY_T_BOOL] = "boolean",
		[POLICY_T_DURATION] = "duration",
		[POLICY_T_FREQ] = "`hourly`, `daily`, `weekly` or `never`",
		[POLICY_T_PATTERNS] = "ref pattern; may repeat",
	};
	int n;

	if (k->type == POLICY_T_UINT)
		n = snprintf(buf, size, "whole number, %llu to %llu",
			     (unsigned long long)k->min,
			     (unsigned long long)k->max);
	else if (k->type == POLICY_T_DURATION && k->min)
		n = snprintf(buf, size,
			     "duration, at least %llu seconds; not a date",
			     (unsigned long long)k->min);
	else
		n = snprintf(buf, size, "%s", types[k->type]);
	if (k->zero && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - n, "; 0: %s", k->zero);
}

/* One cell of a Markdown table row, after its '|'. */
static void cell(const char *fmt, const char *s)
{
	if (*s) {
		putchar(' ');
		printf(fmt, s);
	}
	printf(" |");
}

/* Every key as a Markdown table, as README.md's "Policy" section has it. */
static int keys(void)
{
	const struct policy_key *prev = NULL;

	printf("| section | key | value | default | if unset, from Git | "
	       "what it does |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < policy_nkeys; i++) {
		const struct policy_key *k = &policy_keys[i];
		bool first = !prev || prev->rule != k->rule ||
			     strcmp(prev->section, k->section);
		char value[128], section[64] = "";

		if (first)
			snprintf(section, sizeof(section), "[%s%s]", k->section,
				 k->rule ? " \"<pattern>\"" : "");
		describe(k, value, sizeof(value));
		putchar('|');
		cell("`%s`", section);
		cell("`%s`", k->name);
		cell("%s", value);
		cell("%s", k->def			? k->def :
			   k->type == POLICY_T_PATTERNS ? "none" :
							  "");
		cell("`%s`", k->git ? k->git : "");
		cell("%s", k->about);
		putchar('\n');
		prev = k;
	}
	return EXIT_OK;
}

int cmd_policy(struct command *cmd, int argc, char **argv)
{
	const char *v;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "say 'check', 'show' or 'keys'");
	if (!strcmp(argv[1], "check")) {
		if (argc > 3)
			return usage_error(cmd, "check takes at most one file");
		return check(argc == 3 ? argv[2] : NULL);
	}
	if (!strcmp(argv[1], "show")) {
		if (argc == 2)
			return show(NULL);
		if (argc == 3 && (v = skip_prefix(argv[2], "--ref=")) && *v)
			return show(v);
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	}
	if (!strcmp(argv[1], "keys")) {
		if (argc > 2)
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[2]);
		return keys();
	}
	return usage_error(cmd, "unknown policy command '%s'", argv[1]);
}
