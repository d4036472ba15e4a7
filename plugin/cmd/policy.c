/*
 * policy.c: `git reftable policy check|show`, and finding the policy
 * file in the order of DESIGN.md §5: --policy, git config reftable.policy,
 * $GIT_COMMON_DIR/reftable-policy.ini, $XDG_CONFIG_HOME/git-reftable/
 * policy.ini, /etc/git-reftable/policy.ini, then built-in defaults.
 */
#define _GNU_SOURCE
#include "plugin/cli/cli.h"
#include "policy/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Set by the global option --policy (main.c). */
const char *policy_option;

static bool readable_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* The policy file to use, or NULL for the built-in defaults. */
char *policy_find(const struct repo *repo)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *v;
	char *path = NULL;

	if (policy_option)
		return strdup(policy_option);
	if (repo && (v = config_get(&repo->cfg, "reftable.policy")))
		return strdup(v);
	if (repo &&
	    asprintf(&path, "%s/reftable-policy.ini", repo->common_dir) >= 0) {
		if (readable_file(path))
			return path;
		free(path);
		path = NULL;
	}
	if (xdg && *xdg) {
		if (asprintf(&path, "%s/git-reftable/policy.ini", xdg) < 0)
			path = NULL;
	} else if (home && asprintf(&path, "%s/.config/git-reftable/policy.ini",
				    home) < 0) {
		path = NULL;
	}
	if (path && readable_file(path))
		return path;
	free(path);
	if (readable_file("/etc/git-reftable/policy.ini"))
		return strdup("/etc/git-reftable/policy.ini");
	return NULL;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (*len + 4096 > cap) {
			char *p = realloc(buf, cap = cap * 2 + 8192);

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		n = fread(buf + *len, 1, cap - *len - 1, f);
		*len += n;
		if (n == 0)
			break;
	}
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

int policy_load_errs(struct policy *p, const struct repo *repo,
		     const char *path, struct policy_errors *errs)
{
	int nerr = 0;

	policy_init(p);
	if (path) {
		size_t len;
		char *text = read_file(path, &len);

		if (!text)
			return -1;
		nerr = policy_parse(p, text, len, path, errs);
		free(text);
	}
	if (repo) {
		struct policy_kv *kv = calloc(repo->cfg.n + 1, sizeof(*kv));

		for (size_t i = 0; kv && i < repo->cfg.n; i++) {
			kv[i].key = repo->cfg.entries[i].key;
			kv[i].value = repo->cfg.entries[i].value;
		}
		if (kv)
			nerr += policy_apply_git_config(p, kv, repo->cfg.n,
							errs);
		free(kv);
	}
	return nerr;
}

int policy_load(struct policy *p, const struct repo *repo, const char *path)
{
	struct policy_errors errs = { 0 };
	int nerr = policy_load_errs(p, repo, path, &errs);

	if (nerr < 0)
		error("cannot read policy file %s: %s", path, strerror(errno));
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	policy_errors_release(&errs);
	return nerr;
}

static int check(struct command *cmd, const char *file)
{
	struct policy_errors errs = { 0 };
	struct policy p;
	struct repo repo;
	bool have_repo = false;
	char *path = NULL, *text;
	size_t len;
	int nerr;

	(void)cmd;
	if (file) {
		path = strdup(file);
	} else {
		struct rt_err err = { 0 };

		have_repo = !repo_discover(&repo, &err);
		path = policy_find(have_repo ? &repo : NULL);
		if (have_repo)
			repo_release(&repo);
		if (!path) {
			printf("no policy file; built-in defaults apply\n");
			return EXIT_OK;
		}
	}
	text = read_file(path, &len);
	if (!text) {
		error("cannot read policy file %s: %s", path, strerror(errno));
		free(path);
		return EXIT_ERROR;
	}
	policy_init(&p);
	nerr = policy_parse(&p, text, len, path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (!nerr)
		printf("%s: valid (%zu rule section%s, %zu protect "
		       "pattern%s)\n",
		       path, p.nrules, p.nrules == 1 ? "" : "s", p.nprotect,
		       p.nprotect == 1 ? "" : "s");
	policy_errors_release(&errs);
	policy_release(&p);
	free(text);
	free(path);
	return nerr ? EXIT_ERROR : EXIT_OK;
}

static void line_dur(const char *key, const struct policy_duration *d,
		     const char *src)
{
	char buf[64];

	policy_format_duration(d, buf, sizeof(buf));
	printf("%s = %s\t; %s\n", key, buf, src);
}

static void line_u(const char *key, unsigned long long v, const char *src)
{
	printf("%s = %llu\t; %s\n", key, v, src);
}

static void line_s(const char *key, const char *v, const char *src)
{
	printf("%s = %s\t; %s\n", key, v, src);
}

static void show_rule(const char *kind, const struct policy_rule *r)
{
	printf("[%s \"%s\"]\n", kind, r->pattern);
	if (r->has_expire)
		line_dur("expire", &r->expire, r->src_expire.text);
	if (r->has_unreachable)
		line_dur("expire-unreachable", &r->expire_unreachable,
			 r->src_unreachable.text);
	if (r->has_max_entries)
		line_u("max-entries", r->max_entries, r->src_max_entries.text);
	if (r->has_protect)
		line_s("protect", r->protect ? "true" : "false",
		       r->src_protect.text);
}

static void show_all(const struct policy *p)
{
	char ratio[32];

	printf("[compaction]\n");
	line_u("geometric-factor", p->geometric_factor,
	       p->src_geometric_factor.text);
	line_u("max-tables", p->max_tables, p->src_max_tables.text);
	snprintf(ratio, sizeof(ratio), "%g", p->tombstone_ratio);
	line_s("tombstone-ratio", ratio, p->src_tombstone_ratio.text);
	line_s("background", p->background ? "true" : "false",
	       p->src_background.text);
	line_u("max-bytes-per-run", p->max_bytes_per_run,
	       p->src_max_bytes_per_run.text);
	printf("[reflog]\n");
	line_dur("expire", &p->expire, p->src_expire.text);
	line_dur("expire-unreachable", &p->expire_unreachable,
		 p->src_expire_unreachable.text);
	line_u("max-entries", p->max_entries, p->src_max_entries.text);
	for (size_t i = 0; i < p->nprotect; i++)
		line_s("protect", p->protect[i], p->src_protect[i].text);
	for (size_t i = 0; i < p->nrules; i++)
		show_rule("reflog", &p->rules[i]);
	for (size_t i = 0; i < p->ngit_rules; i++)
		show_rule("git", &p->git_rules[i]);
	printf("[orphans]\n");
	line_dur("grace", &p->grace, p->src_grace.text);
	line_dur("stale-lock", &p->stale_lock, p->src_stale_lock.text);
	line_s("remove-stale-locks", p->remove_stale_locks ? "true" : "false",
	       p->src_remove_stale_locks.text);
	printf("[schedule]\n");
	line_s("compact", policy_freq_name(p->sched_compact),
	       p->src_sched_compact.text);
	line_s("expire", policy_freq_name(p->sched_expire),
	       p->src_sched_expire.text);
	line_s("clean", policy_freq_name(p->sched_clean),
	       p->src_sched_clean.text);
}

static int show(const char *ref)
{
	struct policy p;
	struct repo repo;
	struct rt_err err = { 0 };
	char *path;
	bool have_repo;
	int nerr;

	have_repo = !repo_discover(&repo, &err);
	path = policy_find(have_repo ? &repo : NULL);
	nerr = policy_load(&p, have_repo ? &repo : NULL, path);
	if (nerr) {
		if (nerr > 0)
			error("the policy has %d error%s (listed above); fix "
			      "them first",
			      nerr, nerr == 1 ? "" : "s");
		policy_release(&p);
		free(path);
		if (have_repo)
			repo_release(&repo);
		return EXIT_ERROR;
	}
	printf("# policy: %s\n", path ? path : "none (built-in defaults)");
	if (ref) {
		struct policy_resolved r;

		policy_resolve(&p, ref, &r);
		printf("# ref %s\n", ref);
		line_dur("expire", &r.expire, r.src_expire);
		line_dur("expire-unreachable", &r.expire_unreachable,
			 r.src_expire_unreachable);
		line_u("max-entries", r.max_entries, r.src_max_entries);
		line_s("protect", r.protect ? "true" : "false", r.src_protect);
	} else {
		show_all(&p);
	}
	policy_release(&p);
	free(path);
	if (have_repo)
		repo_release(&repo);
	return EXIT_OK;
}

int cmd_policy(struct command *cmd, int argc, char **argv)
{
	const char *v;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "say 'check' or 'show'");
	if (!strcmp(argv[1], "check")) {
		if (argc > 3)
			return usage_error(cmd, "check takes at most one file");
		return check(cmd, argc == 3 ? argv[2] : NULL);
	}
	if (!strcmp(argv[1], "show")) {
		if (argc == 2)
			return show(NULL);
		if (argc == 3 && (v = skip_prefix(argv[2], "--ref=")) && *v)
			return show(v);
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	}
	return usage_error(cmd, "unknown policy command '%s'", argv[1]);
}
