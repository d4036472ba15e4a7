/*
 * schedule.c: start and stop.
 */
#define _GNU_SOURCE
#include "plugin/schedule/schedule.h"
#include "plugin/schedule/registry.h"
#include "plugin/util/spawn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void schedule_outcome_release(struct schedule_outcome *o)
{
	free(o->path);
	memset(o, 0, sizeof(*o));
}

int schedule_start(const struct repo *repo, const struct schedule_backend *be,
		   struct schedule_outcome *out, struct rt_err *err)
{
	struct schedule_job job = { 0 };
	struct schedule_repos repos = { 0 };
	const struct schedule_backend *other;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!be)
		be = schedule_systemd.usable() ? &schedule_systemd :
		     schedule_crontab.usable() ? &schedule_crontab :
						 NULL;
	if (!be)
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "neither systemd user timers ('systemctl "
				  "--user') nor crontab can be used; nothing "
				  "scheduled");
	other = be == &schedule_crontab ? &schedule_systemd : &schedule_crontab;
	out->backend = be;
	if ((ret = schedule_repo_path(repo, &out->path, err)) ||
	    (ret = schedule_job_make(&job, err)) ||
	    (ret = be->install(&job, err)) ||
	    (ret = schedule_repos_read(&repos, err)))
		goto out;
	out->minute = job.minute;
	out->was_registered = schedule_repos_has(&repos, out->path);
	if (!out->was_registered && (ret = schedule_repos_add(out->path, err)))
		goto out;
	out->nrepos = repos.n + !out->was_registered;
	ret = other->remove(err);
out:
	schedule_repos_release(&repos);
	schedule_job_release(&job);
	return ret;
}

int schedule_stop(const struct repo *repo, struct schedule_outcome *out,
		  struct rt_err *err)
{
	struct schedule_repos repos = { 0 };
	struct rt_err second = { 0 };
	int ret, ret2;

	memset(out, 0, sizeof(*out));
	if ((ret = schedule_repo_path(repo, &out->path, err)) ||
	    (ret = schedule_repos_read(&repos, err)))
		return ret;
	out->was_registered = schedule_repos_has(&repos, out->path);
	schedule_repos_release(&repos);
	if (out->was_registered &&
	    (ret = schedule_repos_remove(out->path, err)))
		return ret;
	if ((ret = schedule_repos_read(&repos, err)))
		return ret;
	out->nrepos = repos.n;
	schedule_repos_release(&repos);
	if (out->nrepos)
		return 0;
	/* Both, even when the first fails: each removes its own entries. */
	ret = schedule_crontab.remove(err);
	ret2 = schedule_systemd.remove(ret ? &second : err);
	if (ret && ret2 && err) {
		size_t n = strlen(err->msg);

		snprintf(err->msg + n, sizeof(err->msg) - n, "; %s",
			 second.msg);
	}
	out->removed = !ret && !ret2;
	return ret ? ret : ret2;
}
