/*
 * config.c: reading Git configuration for the plugin.
 */
#define _GNU_SOURCE
#include "plugin/git/config.h"
#include "lib/include/rt-file.h"
#include "plugin/git/repo.h"
#include "plugin/util/path.h"
#include "plugin/util/spawn.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int config_add(struct config *cfg, const char *key, size_t keylen,
	       const char *value, struct rt_err *err)
{
	struct config_entry *e =
		realloc(cfg->entries, (cfg->n + 1) * sizeof(*e));

	if (!e)
		return rt_err_oom(err);
	cfg->entries = e;
	e[cfg->n].key = strndup(key, keylen);
	e[cfg->n].value = strdup(value ? value : "true");
	if (!e[cfg->n].key || !e[cfg->n].value) {
		free(e[cfg->n].key);
		free(e[cfg->n].value);
		return rt_err_oom(err);
	}
	cfg->n++;
	return 0;
}

/*
 * `git --git-dir=<dir> config --list -z --show-scope --show-origin`; NULL
 * when it cannot be run or fails (its stderr is dropped).
 */
static char *run_git_config(const char *git_dir, size_t *len)
{
	const char *argv[] = { "git", "--git-dir",    "config",	       "--list",
			       "-z",  "--show-scope", "--show-origin", NULL };
	struct spawn_result r;
	char *arg, *out = NULL;

	if (asprintf(&arg, "--git-dir=%s", git_dir) < 0)
		return NULL;
	argv[1] = arg;
	if (!spawn_run(argv, NULL, 0, &r, NULL)) {
		out = r.out;
		*len = r.outlen;
		r.out = NULL;
	}
	spawn_result_release(&r);
	free(arg);
	return out;
}

/*
 * Whether `origin`, as --show-origin names a file, is the take-over file
 * of the repository whose common dir is `common_dir`. `*ours` caches its
 * resolved path (NULL until first needed; the caller frees it).
 */
static bool is_takeover(const char *origin, const char *common_dir, char **ours)
{
	const char *path = !strncmp(origin, "file:", 5) ? origin + 5 : NULL;
	const char *base = path ? strrchr(path, '/') : NULL;
	char *real;
	bool same;

	/* Cheap first: only a file of that name can be it. */
	if (!base || strcmp(base + 1, CONFIG_TAKEOVER_FILE))
		return false;
	if (!*ours) {
		char *p = path_join(common_dir, CONFIG_TAKEOVER_FILE, NULL);

		*ours = p ? realpath(p, NULL) : NULL;
		free(p);
		if (!*ours)
			return false;
	}
	real = realpath(path, NULL);
	same = real && !strcmp(real, *ours);
	free(real);
	return same;
}

/*
 * Also the fallback of config_load(), and what hooks read: it must stay
 * cheap and start no process.
 */
int config_parse_file(struct config *cfg, const char *path, struct rt_err *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, section[256] = "";
	size_t cap = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) >= 0) {
		char *p = line, *eq, *end, key[512], *v;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '[') {
			char *close = strchr(p, ']'), *q, *sub;
			size_t n = 0;

			if (!close) {
				cfg->unsure = true;
				continue;
			}
			*close = '\0';
			sub = strchr(p + 1, '"');
			for (q = p + 1;
			     *q && q != sub && !isspace((unsigned char)*q) &&
			     n < sizeof(section) - 2;
			     q++)
				section[n++] = tolower((unsigned char)*q);
			if (sub) {
				char *subend = strrchr(sub + 1, '"');

				section[n++] = '.';
				for (q = sub + 1; q != subend && *q &&
						  n < sizeof(section) - 1;
				     q++)
					section[n++] = *q;
			}
			section[n] = '\0';
			p = close + 1;
			while (isspace((unsigned char)*p))
				p++;
			if (!*p)
				continue;
		}
		if (!*section || !*p || *p == '#' || *p == ';')
			continue;
		eq = strchr(p, '=');
		end = eq ? eq : p + strcspn(p, "\r\n");
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		snprintf(key, sizeof(key), "%s.%.*s", section, (int)(end - p),
			 p);
		for (char *k = key + strlen(section) + 1; *k; k++)
			*k = tolower((unsigned char)*k);
		v = NULL;
		if (eq) {
			char *w, *r;
			bool quoted = false;

			v = eq + 1;
			while (isspace((unsigned char)*v))
				v++;
			for (w = r = v; *r && *r != '\n' && *r != '\r'; r++) {
				if (*r == '"') {
					quoted = !quoted;
					continue;
				}
				if (!quoted && (*r == '#' || *r == ';'))
					break;
				/* A continuation line, an escape Git reads
				 * otherwise or refuses: not for this parser. */
				if (*r == '\\' &&
				    (!r[1] || !strchr("nt\"\\", r[1])))
					cfg->unsure = true;
				if (*r == '\\' && r[1]) {
					r++;
					*w++ = *r == 'n' ? '\n' :
					       *r == 't' ? '\t' :
							   *r;
					continue;
				}
				*w++ = *r;
			}
			if (quoted)
				cfg->unsure = true;
			while (w > v && isspace((unsigned char)w[-1]))
				w--;
			*w = '\0';
		}
		if (config_add(cfg, key, strlen(key), v, err)) {
			free(line);
			fclose(f);
			return RT_ERR_NOMEM;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

bool config_plain_complete(const struct config *cfg)
{
	if (cfg->unsure)
		return false;
	for (size_t i = 0; i < cfg->n; i++) {
		const char *k = cfg->entries[i].key, *v = cfg->entries[i].value;

		if (!strncasecmp(k, "includeif.", 10))
			return false;
		if (!strcasecmp(k, "include.path") &&
		    (!v || strcmp(v, CONFIG_TAKEOVER_FILE)))
			return false;
		if (!strcasecmp(k, "extensions.worktreeconfig") &&
		    config_bool(v) != 0)
			return false;
	}
	return true;
}

/*
 * Whether the files config_load_files() reads are the ones Git reads:
 * Git's system file is known only when the environment names it (or
 * says there is none), as `fleet run` does for its children; and
 * GIT_CONFIG makes `git config` read that file alone.
 */
static bool files_as_git(void)
{
	const char *nosys = getenv("GIT_CONFIG_NOSYSTEM");
	const char *sys = getenv("GIT_CONFIG_SYSTEM");

	return !getenv("GIT_CONFIG") &&
	       ((nosys && config_bool(nosys) == 1) || (sys && *sys));
}

int config_load(struct config *cfg, const struct repo *repo, struct rt_err *err)
{
	bool have_local = false;
	size_t len = 0;
	char *out, *p, *path, *ours = NULL;
	int ret = 0;

	/*
	 * Without starting git when the files say all it would: a
	 * repository's run then costs one process, not two. Install's own
	 * include is not followed, as its entries are left out below.
	 */
	if (files_as_git()) {
		ret = config_load_files(cfg, repo->common_dir, err);
		if (ret || config_plain_complete(cfg))
			return ret;
		config_release(cfg);
	}
	memset(cfg, 0, sizeof(*cfg));
	out = run_git_config(repo->git_dir, &len);
	/*
	 * Entries are "scope\0origin\0key\nvalue\0", or "scope\0origin\0key\0"
	 * for a bare key.
	 */
	for (p = out; out && !ret && p < out + len;) {
		const char *scope = p, *origin;
		char *entry, *nl;

		p += strlen(p) + 1;
		origin = p;
		if (p >= out + len || (p += strlen(p) + 1) >= out + len)
			break;
		entry = p;
		p += strlen(p) + 1;
		if (!strcmp(scope, "local") || !strcmp(scope, "worktree"))
			have_local = true;
		/* What install wrote for Git is no setting of the user's. */
		if (is_takeover(origin, repo->common_dir, &ours))
			continue;
		nl = strchr(entry, '\n');
		ret = nl ? config_add(cfg, entry, nl - entry, nl + 1, err) :
			   config_add(cfg, entry, strlen(entry), NULL, err);
	}
	free(ours);
	free(out);
	cfg->from_git = have_local;
	if (ret || have_local)
		return ret;
	/*
	 * A git too old for the reftable extension exits 0 but skips the
	 * repository's config (with only a warning): read that file here.
	 */
	path = path_join(repo->common_dir, "config", NULL);
	if (!path)
		return rt_err_oom(err);
	ret = config_parse_file(cfg, path, err);
	free(path);
	return ret;
}

/* Parse <dir>/<name>, or `dir` itself when `name` is NULL; nothing when
 * `dir` is unset or empty. */
static int parse_in(struct config *cfg, const char *dir, const char *name,
		    struct rt_err *err)
{
	char *path;
	int ret;

	if (!dir || !*dir)
		return 0;
	if (!name)
		return config_parse_file(cfg, dir, err);
	path = path_join(dir, name, NULL);
	if (!path)
		return rt_err_oom(err);
	ret = config_parse_file(cfg, path, err);
	free(path);
	return ret;
}

int config_global_files(struct config_global *g, struct rt_err *err)
{
	const char *env = getenv("GIT_CONFIG_GLOBAL"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CONFIG_HOME");

	memset(g, 0, sizeof(*g));
	if (env) {
		if (!(g->env = strdup(env)))
			return rt_err_oom(err);
		return 0;
	}
	if (xdg && *xdg)
		g->xdg = path_join(xdg, "git", "config", NULL);
	else if (home)
		g->xdg = path_join(home, ".config", "git", "config", NULL);
	if (home)
		g->user = path_join(home, ".gitconfig", NULL);
	if ((((xdg && *xdg) || home) && !g->xdg) || (home && !g->user)) {
		config_global_release(g);
		return rt_err_oom(err);
	}
	return 0;
}

void config_global_release(struct config_global *g)
{
	free(g->env);
	free(g->xdg);
	free(g->user);
	memset(g, 0, sizeof(*g));
}

/* Git's system and global files, in Git's order, added to `cfg`. */
static int parse_system_global(struct config *cfg, struct rt_err *err)
{
	const char *sys = getenv("GIT_CONFIG_SYSTEM");
	const char *nosys = getenv("GIT_CONFIG_NOSYSTEM");
	struct config_global g;
	int ret = 0;

	/* A missing file is skipped, as Git does. */
	if (!nosys || config_bool(nosys) != 1)
		ret = parse_in(cfg, sys ? sys : "/etc/gitconfig", NULL, err);
	if (!ret)
		ret = config_global_files(&g, err);
	if (ret)
		return ret;
	ret = parse_in(cfg, g.env, NULL, err);
	if (!ret)
		ret = parse_in(cfg, g.xdg, NULL, err);
	if (!ret)
		ret = parse_in(cfg, g.user, NULL, err);
	config_global_release(&g);
	return ret;
}

int config_load_files(struct config *cfg, const char *common_dir,
		      struct rt_err *err)
{
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = parse_system_global(cfg, err);
	if (!ret)
		ret = parse_in(cfg, common_dir, "config", err);
	return ret ? ret : config_parse_env(cfg, err);
}

char *config_system_path(void)
{
	const char *argv[] = { "git", "var", "GIT_CONFIG_SYSTEM", NULL };
	struct spawn_result r;
	char *path = NULL;

	if (!spawn_run(argv, NULL, 0, &r, NULL) && r.out && r.out[0] == '/' &&
	    r.outlen && r.out[r.outlen - 1] == '\n' &&
	    !memchr(r.out, '\n', r.outlen - 1)) {
		r.out[r.outlen - 1] = '\0';
		path = r.out;
		r.out = NULL;
	}
	spawn_result_release(&r);
	return path;
}

int config_load_protected(struct config *cfg, struct rt_err *err)
{
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = parse_system_global(cfg, err);
	return ret ? ret : config_parse_env(cfg, err);
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
	}
	free(cfg->entries);
	memset(cfg, 0, sizeof(*cfg));
}

const char *config_get(const struct config *cfg, const char *key)
{
	for (size_t i = cfg->n; i > 0; i--)
		if (!strcasecmp(cfg->entries[i - 1].key, key))
			return cfg->entries[i - 1].value;
	return NULL;
}

int config_int(const char *value, long long *out)
{
	char *end;
	long long v;

	if (!value || !*value)
		return -1;
	v = strtoll(value, &end, 0);
	switch (tolower((unsigned char)*end)) {
	case 'k':
		v *= 1024;
		end++;
		break;
	case 'm':
		v *= 1024 * 1024;
		end++;
		break;
	case 'g':
		v *= 1024 * 1024 * 1024;
		end++;
		break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int config_bool(const char *v)
{
	if (!v || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		return 1;
	if (!*v || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0"))
		return 0;
	return -1;
}

/*
 * core.sharedRepository read as Git's setup.c reads it (git_config_perm):
 * the keywords are case-sensitive; a value that parses whole as octal is
 * a number, where 0, 1 and 2 are the old umask, group and everybody and
 * anything else a file mode that must leave the owner read and write
 * (only its 0666 bits count); any other value is a boolean (group or
 * umask). *out gets the setting rt_shared_perm() takes. -1: Git refuses
 * the value.
 */
static int shared_setting(const char *v, int *out)
{
	char *end;
	long m;
	int b;

	if (!v || !strcmp(v, "umask")) {
		*out = 0; /* absent, or Git's default */
		return 0;
	}
	if (!strcmp(v, "group")) {
		*out = 0660;
		return 0;
	}
	if (!strcmp(v, "all") || !strcmp(v, "world") ||
	    !strcmp(v, "everybody")) {
		*out = 0664;
		return 0;
	}
	errno = 0;
	m = strtol(v, &end, 8);
	if (*end) {
		b = config_bool(v);
		*out = b == 1 ? 0660 : 0;
		return b < 0 ? -1 : 0;
	}
	if (errno || m < 0)
		return -1;
	if (m <= 2) {
		*out = m == 0 ? 0 : m == 1 ? 0660 : 0664;
		return 0;
	}
	if ((m & 0600) != 0600)
		return -1;
	*out = -(int)(m & 0666);
	return 0;
}

int config_stack_options(const struct config *cfg,
			 struct rt_stack_options *opts, struct rt_err *err)
{
	static const struct {
		const char *key;
		long long min, max;
	} ints[] = {
		{ "reftable.blocksize", 0, 16777215 },
		{ "reftable.restartinterval", 0, 65535 },
		{ "reftable.geometricfactor", 0, 256 },
		{ "reftable.locktimeout", -1, 86400000 },
	};
	long long val[4];
	const char *v;
	mode_t mask = umask(0);
	int b, shared;

	umask(mask);
	rt_stack_options_init(opts);
	for (size_t i = 0; i < 4; i++) {
		v = config_get(cfg, ints[i].key);
		val[i] = -2;
		if (!v)
			continue;
		if (config_int(v, &val[i]) || val[i] < ints[i].min ||
		    val[i] > ints[i].max) {
			return rt_err_set(
				err, RT_ERR_API,
				"bad config value '%s' for %s (expected "
				"%lld to %lld)",
				v, ints[i].key, ints[i].min, ints[i].max);
		}
	}
	if (val[0] >= 0)
		opts->write.block_size = (uint32_t)val[0];
	if (val[1] >= 0)
		opts->write.restart_interval = (uint16_t)val[1];
	if (val[2] >= 0)
		opts->geometric_factor = (unsigned)val[2];
	if (val[3] != -2)
		opts->lock_timeout_ms = (long)val[3];
	v = config_get(cfg, "reftable.indexobjects");
	if (v) {
		b = config_bool(v);
		if (b < 0) {
			return rt_err_set(err, RT_ERR_API,
					  "bad boolean '%s' for "
					  "reftable.indexObjects",
					  v);
		}
		opts->write.skip_index_objects = !b;
	}
	/* A second CPU deflates log blocks while the first merges. */
	opts->write.deflate_thread = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	if (config_get(cfg, "extensions.objectformat") &&
	    !strcasecmp(config_get(cfg, "extensions.objectformat"), "sha256"))
		opts->write.hash_id = RT_HASH_SHA256;
	if (shared_setting(config_get(cfg, "core.sharedrepository"), &shared)) {
		return rt_err_set(err, RT_ERR_API,
				  "bad value '%s' for core.sharedRepository "
				  "(Git takes umask, group, all, world, "
				  "everybody, a boolean, 0, 1, 2 or an octal "
				  "mode giving the owner read and write)",
				  config_get(cfg, "core.sharedrepository"));
	}
	/* As Git's reftable backend: every new file gets this mode. */
	opts->default_permissions = rt_shared_perm(shared, 0666 & ~mask);
	return 0;
}
