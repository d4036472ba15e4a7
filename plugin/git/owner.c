/*
 * owner.c: Git's ownership rule (see owner.h).
 */
#define _GNU_SOURCE
#include "plugin/git/owner.h"
#include "plugin/git/config.h"
#include "plugin/util/quote.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* SUDO_UID as a uid, when it is set and a plain number that fits. */
static bool sudo_uid(uid_t *uid)
{
	const char *v = getenv("SUDO_UID");
	unsigned long n;
	char *end;

	if (!v || !*v || !isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || (unsigned long)(uid_t)n != n)
		return false;
	*uid = (uid_t)n;
	return true;
}

bool owner_is_current_user(const char *path)
{
	const char *assume = getenv("GIT_TEST_ASSUME_DIFFERENT_OWNER");
	struct stat st;
	uid_t euid = geteuid();

	if (assume && config_bool(assume) == 1)
		return false;
	if (lstat(path, &st))
		return false;
	if (euid == 0) {
		if (st.st_uid == 0)
			return true;
		sudo_uid(&euid);
	}
	return st.st_uid == euid;
}

/*
 * A safe.directory value as Git's git_config_pathname() reads it: `~/`
 * and `~user/` expanded. NULL when it cannot be (no such user, or the
 * runtime prefix `%(prefix)/`, which we cannot know: such an entry then
 * allows nothing, the safe side) or when out of memory.
 */
static char *expand_path(const char *v)
{
	const char *rest, *home;
	char *user, *res;
	struct passwd *pw;

	if (!strncmp(v, "%(prefix)/", 10))
		return NULL;
	if (v[0] != '~')
		return strdup(v);
	rest = v + 1 + strcspn(v + 1, "/");
	if (rest == v + 1) {
		home = getenv("HOME");
	} else {
		if (!(user = strndup(v + 1, (size_t)(rest - v - 1))))
			return NULL;
		pw = getpwnam(user);
		free(user);
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || asprintf(&res, "%s%s", home, rest) < 0)
		return NULL;
	return res;
}

/* Whether one safe.directory path (not "" nor "*") names `repo_path`. */
static bool allows(const char *value, const char *repo_path)
{
	char *allowed = expand_path(value), *real = NULL;
	size_t n = allowed ? strlen(allowed) : 0;
	bool ok = false;

	if (!allowed || (allowed[0] != '/' && strcmp(allowed, ".")))
		goto out;
	if (n >= 2 && !strcmp(allowed + n - 2, "/*")) {
		/* Every repository below the directory (resolved). */
		allowed[n - 2] = '\0';
		real = realpath(*allowed ? allowed : "/", NULL);
		if (real) {
			size_t rn = strlen(real);

			ok = !strncmp(real, repo_path, rn) &&
			     (rn == 1 || repo_path[rn] == '/');
		}
	} else {
		real = realpath(allowed, NULL);
		ok = real && !strcmp(real, repo_path);
	}
out:
	free(real);
	free(allowed);
	return ok;
}

/* Git's sq_quote_buf_pretty(): plain when nothing needs quoting. */
static int quote_pretty(struct rt_buf *out, const char *s)
{
	static const char ok_punct[] = "+,-./:=@_^";
	const char *p = s;

	while (*p && (isalnum((unsigned char)*p) || strchr(ok_punct, *p)))
		p++;
	return *s && !*p ? rt_buf_addstr(out, s) : quote_sh(out, s);
}

static int dubious(const char *dir, struct rt_err *err)
{
	struct rt_buf q = RT_BUF_INIT;

	if (quote_pretty(&q, dir))
		return rt_err_oom(err);
	rt_err_set(err, RT_ERR_UNSAFE,
		   "detected dubious ownership in repository at '%s'\n"
		   "To add an exception for this directory, call:\n\n"
		   "\tgit config --global --add safe.directory %s",
		   dir, q.buf);
	rt_buf_release(&q);
	return RT_ERR_UNSAFE;
}

int owner_check(const char *gitfile, const char *worktree, const char *git_dir,
		struct rt_err *err)
{
	const char *dir = worktree ? worktree : git_dir;
	struct config cfg;
	bool safe = false;
	char *path;
	int ret;

	if ((!gitfile || owner_is_current_user(gitfile)) &&
	    (!worktree || owner_is_current_user(worktree)) &&
	    owner_is_current_user(git_dir))
		return 0;
	/* Compared resolved, as Git does; unresolvable means unsafe. */
	if (!(path = realpath(dir, NULL)))
		return dubious(dir, err);
	if ((ret = config_load_protected(&cfg, err))) {
		config_release(&cfg);
		free(path);
		return ret;
	}
	for (size_t i = 0; i < cfg.n; i++) {
		const char *v = cfg.entries[i].value;

		if (strcasecmp(cfg.entries[i].key, "safe.directory"))
			continue;
		if (!*v)
			safe = false;
		else if (!strcmp(v, "*") || allows(v, path))
			safe = true;
	}
	config_release(&cfg);
	free(path);
	return safe ? 0 : dubious(dir, err);
}
