/*
 * open.c: the repository and its stack options, for maintenance.
 */
#include "plugin/maint/open.h"

#include <strings.h>

int maint_open_repo(struct repo *repo, struct rt_err *err)
{
	int ret = repo_discover(repo, err);

	if (ret)
		ret = ret < 0 ? ret : RT_ERR_NOT_EXIST;
	else if (!repo->reftable)
		ret = rt_err_set(
			err, RT_ERR_API,
			"%s does not use the reftable ref backend (ref "
			"storage: %s); nothing to do",
			repo->git_dir, repo->ref_storage);
	if (ret)
		repo_release(repo);
	return ret;
}

int maint_stack_options(const struct repo *repo, struct rt_stack_options *opts,
			struct rt_err *err)
{
	return config_stack_options(&repo->cfg, opts, err);
}

int maint_table_version(const struct repo *repo)
{
	const char *fmt = config_get(&repo->cfg, "extensions.objectformat");

	return fmt && !strcasecmp(fmt, "sha256") ? 2 : 1;
}

const char *maint_stack_label(const struct repo_stack *s)
{
	return s->worktree ? s->worktree : "main";
}
