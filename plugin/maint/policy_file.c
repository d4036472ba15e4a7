/*
 * policy_file.c: finding the policy file and loading it with Git's
 * configuration.
 */
#define _GNU_SOURCE
#include "plugin/maint/policy_file.h"
#include "lib/include/rt-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool regular_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* Keep `*path` if it names a regular file; else free it. */
static bool take_if_file(char **path, char *candidate)
{
	if (regular_file(candidate)) {
		*path = candidate;
		return true;
	}
	free(candidate);
	return false;
}

int policy_file_find(const struct repo *repo, const char *option, char **path,
		     struct rt_err *err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *v;
	char *candidate;

	*path = NULL;
	if (!option && repo)
		option = config_get(&repo->cfg, "reftable.policy");
	if (option)
		return (*path = strdup(option)) ? 0 : rt_err_oom(err);
	if (repo) {
		if (asprintf(&candidate, "%s/reftable-policy.ini",
			     repo->common_dir) < 0)
			return rt_err_oom(err);
		if (take_if_file(path, candidate))
			return 0;
	}
	if (xdg && *xdg) {
		if (asprintf(&candidate, "%s/git-reftable/policy.ini", xdg) < 0)
			return rt_err_oom(err);
		if (take_if_file(path, candidate))
			return 0;
	} else if (home) {
		if (asprintf(&candidate, "%s/.config/git-reftable/policy.ini",
			     home) < 0)
			return rt_err_oom(err);
		if (take_if_file(path, candidate))
			return 0;
	}
	v = "/etc/git-reftable/policy.ini";
	if (regular_file(v) && !(*path = strdup(v)))
		return rt_err_oom(err);
	return 0;
}

/*
 * The whole file, NUL-terminated; the caller frees it. A symlink is
 * followed (the file is only read), but a FIFO, device or directory is
 * refused before reading and the size is capped: either would otherwise
 * hang the hook or fill memory.
 */
static int read_whole(const char *path, char **out, size_t *len,
		      struct rt_err *err)
{
	struct rt_buf buf = RT_BUF_INIT;
	int ret = rt_file_read_at(AT_FDCWD, path, path, POLICY_FILE_MAX,
				  RT_FILE_FOLLOW, &buf, err);

	if (ret) {
		rt_err_prefix(err, "policy file: ");
		rt_buf_release(&buf);
		return ret;
	}
	*len = buf.len;
	*out = buf.buf ? buf.buf : strdup("");
	return *out ? 0 : rt_err_oom(err);
}

/*
 * Whether errors in the policy file `path` must not quote it: it was
 * reached through the repository (its config's reftable.policy, or the
 * file in its common dir, both in the hands of the repository's owner),
 * and the repository or the file is not the caller's. Root running over
 * a user's repository whose config names /etc/shadow would otherwise
 * copy a line of it into an error, and so into the repository's logs.
 */
static bool hide_text(const struct repo *repo, const char *path)
{
	const char *named = config_get(&repo->cfg, "reftable.policy");
	char *own = NULL;
	struct stat st;
	bool via_repo;

	if (asprintf(&own, "%s/reftable-policy.ini", repo->common_dir) < 0)
		own = NULL;
	via_repo = (named && !strcmp(named, path)) ||
		   (own && !strcmp(own, path));
	free(own);
	if (!via_repo)
		return false;
	/* Unknown owners count as another user's. */
	return stat(repo->common_dir, &st) || st.st_uid != geteuid() ||
	       stat(path, &st) || st.st_uid != geteuid();
}

int policy_file_check(struct policy *p, const struct repo *via,
		      const char *path, struct policy_errors *errs,
		      struct rt_err *err)
{
	size_t len;
	char *text = NULL;
	int nerr, ret;

	policy_init(p);
	if (!path)
		return 0;
	if ((ret = read_whole(path, &text, &len, err)))
		return ret;
	nerr = via && hide_text(via, path) ?
		       policy_parse_unquoted(p, text, len, path, errs) :
		       policy_parse(p, text, len, path, errs);
	free(text);
	return nerr;
}

int policy_file_load(struct policy *p, const struct repo *repo,
		     const char *path, struct policy_errors *errs,
		     struct rt_err *err)
{
	struct policy_kv *kv;
	int nerr = policy_file_check(p, repo, path, errs, err);

	if (!repo || nerr < 0)
		return nerr;
	/* Git's own settings must not be skipped: they may keep reflogs. */
	if (!(kv = calloc(repo->cfg.n + 1, sizeof(*kv))))
		return rt_err_oom(err);
	for (size_t i = 0; i < repo->cfg.n; i++) {
		kv[i].key = repo->cfg.entries[i].key;
		kv[i].value = repo->cfg.entries[i].value;
	}
	nerr += policy_apply_git_config(p, kv, repo->cfg.n, errs);
	free(kv);
	return nerr;
}
