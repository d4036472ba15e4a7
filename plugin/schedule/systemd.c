/*
 * systemd.c: the systemd user timer backend of `git reftable schedule`:
 * one template service, git-reftable@.service, and a timer per frequency
 * that starts it with the frequency as its instance name.
 */
#define _GNU_SOURCE
#include "lib/include/rt-basics.h"
#include "lib/include/rt-file.h"
#include "plugin/schedule/backend.h"
#include "plugin/util/path.h"
#include "plugin/util/quote.h"
#include "plugin/util/spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERVICE_NAME "git-reftable@.service"
#define UNIT_HEADER SCHEDULE_HEADER_START "edits to this file are lost.\n\n"

static const char *const timer_names[SCHEDULE_FREQS] = {
	[POLICY_HOURLY] = "git-reftable@hourly.timer",
	[POLICY_DAILY] = "git-reftable@daily.timer",
	[POLICY_WEEKLY] = "git-reftable@weekly.timer",
};

/* When each frequency fires: OnCalendar= up to the minute. */
static const char *const calendars[SCHEDULE_FREQS] = {
	[POLICY_HOURLY] = "*-*-* 1..23:",
	[POLICY_DAILY] = "Mon..Sat *-*-* 0:",
	[POLICY_WEEKLY] = "Sun *-*-* 0:",
};

/*
 * ${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user[/<name>], into `*path`
 * (NULL on error). A `name` of NULL ends path_join()'s list early: the
 * directory itself.
 */
static int unit_path(const char *name, char **path, struct rt_err *err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	/* The XDG spec says to ignore a relative XDG_CONFIG_HOME. */
	if (xdg && xdg[0] == '/')
		*path = path_join(xdg, "systemd/user", name, NULL);
	else if (home && home[0])
		*path = path_join(home, ".config/systemd/user", name, NULL);
	else {
		*path = NULL;
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "cannot locate the systemd user unit "
				  "directory: neither XDG_CONFIG_HOME nor HOME "
				  "is set");
	}
	return *path ? 0 : rt_err_oom(err);
}

static bool unit_exists(const char *name)
{
	char *path;
	struct stat st;
	bool ret = !unit_path(name, &path, NULL) && !lstat(path, &st);

	free(path);
	return ret;
}

/* Replace the unit file `name` with `len` bytes of `text`, mode 0644. */
static int write_unit(const char *name, const char *text, size_t len,
		      struct rt_err *err)
{
	mode_t mask = umask(0);
	char *path;
	int ret;

	umask(mask);
	if ((ret = unit_path(name, &path, err)))
		return ret;
	/* The temp file is no unit name: systemd ignores it until renamed. */
	ret = rt_file_replace(path, text, len, 0644 & ~mask, err);
	free(path);
	return ret;
}

static int service_text(const struct schedule_job *job, struct rt_buf *out)
{
	int ret = rt_buf_addstr(out, UNIT_HEADER
				"[Unit]\n"
				"Description=git-reftable %i maintenance of "
				"the registered repositories\n\n"
				"[Service]\n"
				"Type=oneshot\n"
				"Environment=");
	struct rt_buf env = RT_BUF_INIT;

	if (!ret && !(ret = rt_buf_addstr(&env, "PATH=")) &&
	    !(ret = rt_buf_addstr(&env, job->path_env)) &&
	    !(ret = quote_unit(out, env.buf, false)) &&
	    !(ret = rt_buf_addstr(out, "\nExecStart=")) &&
	    !(ret = quote_unit(out, job->program, true)))
		ret = rt_buf_addstr(out, " " SCHEDULE_JOB_ARGS "%i\n"
					 "NoNewPrivileges=yes\n");
	rt_buf_release(&env);
	return ret;
}

static char *timer_text(enum policy_freq f, int minute, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	if (!out)
		return NULL;
	fprintf(out,
		UNIT_HEADER "[Unit]\n"
			    "Description=git-reftable %s maintenance\n\n"
			    "[Timer]\n"
			    "OnCalendar=%s%02d:00\n"
			    "Persistent=true\n\n"
			    "[Install]\n"
			    "WantedBy=timers.target\n",
		policy_freq_name(f), calendars[f], minute);
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

static bool systemd_usable(void)
{
	const char *argv[] = { "systemctl", "--user", "list-timers", NULL };
	struct spawn_result r;
	int st = spawn_run(argv, NULL, 0, &r, NULL);

	spawn_result_release(&r);
	return st == 0;
}

static int write_units(const struct schedule_job *job, struct rt_err *err)
{
	struct rt_buf service = RT_BUF_INIT;
	char *dir, *text;
	size_t len;
	int ret = unit_path(NULL, &dir, err);

	if (!ret)
		ret = path_mkdirs(dir, 0777, err);
	free(dir);
	if (!ret)
		ret = service_text(job, &service) ?
			      rt_err_oom(err) :
			      write_unit(SERVICE_NAME, service.buf, service.len,
					 err);
	rt_buf_release(&service);
	for (int f = POLICY_HOURLY; !ret && f <= POLICY_WEEKLY; f++) {
		text = timer_text(f, job->minute, &len);
		ret = text ? write_unit(timer_names[f], text, len, err) :
			     rt_err_oom(err);
		free(text);
	}
	return ret;
}

static int systemd_install(const struct schedule_job *job, struct rt_err *err)
{
	const char *reload[] = { "systemctl", "--user", "daemon-reload", NULL };
	const char *enable[] = { "systemctl",
				 "--user",
				 "enable",
				 "--now",
				 timer_names[POLICY_HOURLY],
				 timer_names[POLICY_DAILY],
				 timer_names[POLICY_WEEKLY],
				 NULL };
	char *dir;
	int ret;

	if (!spawn_have("systemctl"))
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "systemctl not found on PATH");
	if ((ret = schedule_job_check(job, NULL, err)) ||
	    (ret = write_units(job, err)))
		return ret;
	/* A reload first, so that a changed unit is not run as it was. */
	ret = spawn_run_ok(reload, NULL, 0, -1, NULL, err);
	if (ret >= 0)
		ret = spawn_run_ok(enable, NULL, 0, -1, NULL, err);
	if (ret >= 0)
		return 0;
	unit_path(NULL, &dir, NULL);
	rt_err_prefix(err,
		      "the unit files stay in '%s' ('git reftable schedule "
		      "stop' removes them): ",
		      dir ? dir : "");
	free(dir);
	return ret;
}

static int systemd_remove(struct rt_err *err)
{
	const char *reload[] = { "systemctl", "--user", "daemon-reload", NULL };
	const char *disable[4 + SCHEDULE_FREQS] = { "systemctl", "--user",
						    "disable", "--now" };
	const char *names[SCHEDULE_FREQS];
	size_t ndisable = 4, nnames = 0;
	int ret, st;

	for (int f = POLICY_HOURLY; f <= POLICY_WEEKLY; f++)
		if (unit_exists(timer_names[f]))
			disable[ndisable++] = names[nnames++] = timer_names[f];
	if (unit_exists(SERVICE_NAME))
		names[nnames++] = SERVICE_NAME;
	if (!nnames)
		return 0;
	if (!spawn_have("systemctl"))
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "systemctl not found on PATH; the "
				  "git-reftable units cannot be disabled and "
				  "stay installed");
	/*
	 * Removing the files of still enabled timers would leave them
	 * running until the next reload, and dangling links behind.
	 */
	if (ndisable > 4 &&
	    (st = spawn_run_ok(disable, NULL, 0, -1, NULL, err)) < 0)
		return st;
	ret = 0;
	for (size_t i = 0; i < nnames; i++) {
		char *path;
		int r = unit_path(names[i], &path, err);

		if (r)
			ret = r;
		else if (unlink(path) && errno != ENOENT)
			ret = rt_err_errno(err, RT_ERR_IO, "cannot remove '%s'",
					   path);
		free(path);
	}
	st = spawn_run_ok(reload, NULL, 0, -1, NULL, err);
	return ret ? ret : st < 0 ? st : 0;
}

static int systemd_status(bool have[SCHEDULE_FREQS], const char **why,
			  struct rt_err *err)
{
	(void)why;
	(void)err;
	for (int f = POLICY_HOURLY; f <= POLICY_WEEKLY; f++)
		have[f] = unit_exists(timer_names[f]);
	return 1;
}

const struct schedule_backend schedule_systemd = {
	.name = "systemd",
	.usable = systemd_usable,
	.install = systemd_install,
	.remove = systemd_remove,
	.status = systemd_status,
};
