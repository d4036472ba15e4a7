/*
 * detach.c: a run that goes on in the background, its output in a log.
 */
#define _GNU_SOURCE /* asprintf, closefrom */
#include "plugin/maint/open.h"
#include "plugin/maint/run.h"
#include "plugin/util/path.h"
#include "plugin/util/logfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int maint_detach(const struct repo *repo, pid_t *child, char **log_path,
		 struct rt_err *err)
{
	struct rt_stack_options opts;
	pid_t pid, relay;
	int fd, null, pipe_fd, keep;

	*child = 0;
	if (!(*log_path = path_join(repo->common_dir, MAINT_LOG_FILE, NULL)))
		return rt_err_oom(err);
	/*
	 * Opened before the fork, so that a log we refuse (a symlink, a
	 * FIFO) is reported to whoever started the run; made with the
	 * repository's mode (core.sharedRepository).
	 */
	fd = maint_stack_options(repo, &opts, err);
	if (!fd)
		fd = logfile_open_at(repo_common_dirfd(repo), *log_path,
				     opts.default_permissions, err);
	if (fd < 0)
		return fd;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fd);
		return rt_err_errno(err, RT_ERR_IO, "cannot fork");
	}
	if (pid > 0) {
		close(fd);
		*child = pid;
		return 1;
	}
	setsid();
	/*
	 * Every line the run prints gets its time, through a relay (made
	 * after setsid(), so that nothing aimed at the caller's terminal
	 * stops it); without one (no pipe, no process left) the lines go
	 * to the log as they are.
	 */
	pipe_fd = logfile_relay(fd, &relay, err);
	if (pipe_fd < 0)
		pipe_fd = fd;
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(pipe_fd, 1) < 0 ||
	    dup2(pipe_fd, 2) < 0)
		_exit(1);
	/*
	 * Nothing of the caller's (pipes above all) stays open, but the
	 * common dir that the run's own files are opened at (repo.h).
	 */
	keep = repo_common_dirfd(repo);
	for (int i = 3; i < keep; i++)
		close(i);
	closefrom(keep >= 3 ? keep + 1 : 3);
	return 0;
}
