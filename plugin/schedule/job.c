/*
 * job.c: the command, PATH and minute of the schedule entries.
 */
#define _GNU_SOURCE
#include "plugin/schedule/job.h"
#include "plugin/util/spawn.h"

#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FNV-1a of host name and uid, so that it is stable and spread. */
static int job_minute(void)
{
	char host[256] = "", key[300];
	uint32_t h = 2166136261u;

	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	snprintf(key, sizeof(key), "%s:%u", host, (unsigned)getuid());
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (int)(h % 60);
}

/* Append `dir` to the PATH list `*path` unless it is in it already. */
static int path_add_dir(char **path, const char *dir)
{
	size_t n = strlen(dir);
	char *p = *path, *s;

	for (const char *q = p; q && *q;) {
		if (!strncmp(q, dir, n) && (q[n] == ':' || !q[n]))
			return 0;
		q = strchr(q, ':');
		q = q ? q + 1 : NULL;
	}
	if (asprintf(&s, "%s%s%s", p ? p : "", p ? ":" : "", dir) < 0)
		return -1;
	free(p);
	*path = s;
	return 0;
}

int schedule_job_make(struct schedule_job *job, struct rt_err *err)
{
	static const char *const sys[] = { "/usr/local/bin", "/usr/bin",
					   "/bin" };
	char *git = spawn_find("git"), *self_dir = NULL;
	int ret = 0;

	job->path_env = NULL;
	job->program = spawn_self();
	job->minute = job_minute();
	if (!git)
		ret = rt_err_set(err, RT_ERR_NOT_EXIST,
				 "git not found on PATH");
	else if (!job->program)
		ret = rt_err_set(err, RT_ERR_NOT_EXIST,
				 "cannot find the path of the git-reftable "
				 "program");
	else if (!(self_dir = strdup(job->program)) ||
		 path_add_dir(&job->path_env, dirname(git)) ||
		 path_add_dir(&job->path_env, dirname(self_dir)))
		ret = rt_err_oom(err);
	for (size_t i = 0; !ret && i < sizeof(sys) / sizeof(sys[0]); i++)
		if (path_add_dir(&job->path_env, sys[i]))
			ret = rt_err_oom(err);
	free(self_dir);
	free(git);
	return ret;
}

void schedule_job_release(struct schedule_job *job)
{
	free(job->program);
	free(job->path_env);
	job->program = job->path_env = NULL;
}

static int check_text(const char *what, const char *s, const char *also,
		      struct rt_err *err)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = *p;

		if (c < 0x20 || c == 0x7f)
			return rt_err_set(err, RT_ERR_API,
					  "cannot schedule with %s '%s': it "
					  "contains a control character",
					  what, s);
		if (also && strchr(also, c))
			return rt_err_set(err, RT_ERR_API,
					  "cannot schedule with %s '%s': it "
					  "contains '%c'",
					  what, s, c);
	}
	return 0;
}

int schedule_job_check(const struct schedule_job *job, const char *also,
		       struct rt_err *err)
{
	int ret = check_text("the program path", job->program, also, err);

	return ret ? ret : check_text("PATH", job->path_env, also, err);
}
