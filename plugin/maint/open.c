/*
 * open.c: the repository and its stack options, for maintenance.
 */
#include "plugin/maint/open.h"
#include "lib/include/rt-file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

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

/*
 * One line per hold, appended in one write(2) so lines never mix. Opened
 * as every file of ours is (rt-file.h): not through a symlink, and a
 * FIFO or device there is refused rather than waited on.
 */
static void trace_lock_hold(void *arg, uint64_t held_ns)
{
	char line[96];
	int n = snprintf(line, sizeof(line),
			 "tables.list.lock %llu us pid %ld\n",
			 (unsigned long long)(held_ns / 1000), (long)getpid());
	int fd = rt_file_open_at(AT_FDCWD, arg, arg,
				 O_WRONLY | O_APPEND | O_CREAT, 0, NULL);

	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* A trace line lost is no reason to disturb the caller. */
	}
	close(fd);
}

int maint_stack_options(const struct repo *repo, struct rt_stack_options *opts,
			struct rt_err *err)
{
	const char *trace = getenv("GIT_REFTABLE_TRACE_LOCKS");
	int ret = config_stack_options(&repo->cfg, opts, err);

	/*
	 * Root maintaining another user's repository changes no stack of a
	 * third user's: extensions.refStorage may name any directory, a
	 * linked worktree's entry may be a symlink, and a path may be
	 * swapped for one after discovery. Git would follow all three.
	 */
	if (!ret && geteuid() == 0) {
		/* Discovery fails for root without it: have_owner is set. */
		opts->require_owner = true;
		opts->owner = repo->owner;
	}
	if (!ret && trace && *trace) {
		opts->on_lock_hold = trace_lock_hold;
		/* The environment outlives every stack. */
		opts->on_lock_hold_arg = (void *)trace;
	}
	return ret;
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
