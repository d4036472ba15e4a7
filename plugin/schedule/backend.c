/*
 * backend.c: the crontab and systemd user timer backends of
 * `git reftable schedule`.
 */
#define _GNU_SOURCE
#include "plugin/schedule/backend.h"
#include "lib/include/rt-basics.h"
#include "plugin/cli/cli.h"
#include "plugin/util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * When each frequency fires, for cron (the fields after the minute) and
 * for systemd (OnCalendar= up to the minute). Sunday is day 0 for cron.
 */
static const struct {
	const char *name;
	const char *cron;
	const char *calendar;
} freqs[SCHEDULE_NFREQ] = {
	[SCHEDULE_HOURLY] = { "hourly", "1-23 * * *", "*-*-* 1..23:" },
	[SCHEDULE_DAILY] = { "daily", "0 * * 1-6", "Mon..Sat *-*-* 0:" },
	[SCHEDULE_WEEKLY] = { "weekly", "0 * * 0", "Sun *-*-* 0:" },
};

const char *schedule_freq_name(enum schedule_freq f)
{
	return (unsigned)f < SCHEDULE_NFREQ ? freqs[f].name : NULL;
}

/* The entries name paths verbatim; control characters cannot be quoted. */
static int check_job_text(const char *what, const char *s, const char *also)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = *p;

		if (c < 0x20 || c == 0x7f) {
			error("cannot schedule with %s '%s': it contains a "
			      "control character",
			      what, s);
			return -1;
		}
		if (also && strchr(also, c)) {
			error("cannot schedule with %s '%s': it contains '%c'",
			      what, s, c);
			return -1;
		}
	}
	return 0;
}

static int check_job(const struct schedule_job *job, const char *also)
{
	return check_job_text("the program path", job->program, also) ||
	       check_job_text("PATH", job->path_env, also);
}

/*
 * Run `argv` with `in` on stdin, discarding its output; print an error
 * when it fails.
 */
static int run_checked(const char *const *argv, const char *in, size_t len)
{
	struct spawn_result r;
	const char *why;
	int st = spawn_run(argv, in, len, &r, &why);

	if (st < 0) {
		error("cannot run %s: %s", argv[0], why);
		return -1;
	}
	if (st)
		spawn_report_failure(argv, st, &r);
	spawn_result_release(&r);
	return st ? -1 : 0;
}

/* crontab */

#define CRON_BEGIN "# BEGIN GIT-REFTABLE SCHEDULE"
#define CRON_END "# END GIT-REFTABLE SCHEDULE"
#define NOWHERE ((size_t)-1)

/*
 * The user's table, in `tab`: 1 read (`*exists` false when the user has
 * none), 0 no crontab on PATH, -1 error printed.
 */
static int crontab_read(struct rt_buf *tab, bool *exists)
{
	const char *argv[] = { "crontab", "-l", NULL }, *why;
	struct spawn_result r;
	int st, ret = -1;

	if (!spawn_have("crontab"))
		return 0;
	st = spawn_run(argv, NULL, 0, &r, &why);
	if (st < 0) {
		error("cannot run crontab: %s", why);
		return -1;
	}
	/*
	 * Having no table is an error exit too. Any other error must stop
	 * us: writing back what we failed to read would wipe the table.
	 */
	if (!st) {
		*exists = true;
		ret = rt_buf_set(tab, r.out, r.outlen) ? -1 : 1;
	} else if (!r.outlen && (strstr(r.err, "no crontab for") ||
				 strstr(r.err, "No such file or directory"))) {
		*exists = false;
		rt_buf_reset(tab);
		ret = 1;
	} else {
		spawn_report_failure(argv, st, &r);
	}
	spawn_result_release(&r);
	return ret;
}

static int crontab_write(const struct rt_buf *tab, bool existed)
{
	const char *install[] = { "crontab", "-", NULL };
	const char *drop[] = { "crontab", "-r", NULL };

	/* No table is left as no table, rather than as an empty one. */
	if (!tab->len)
		return existed ? run_checked(drop, NULL, 0) : 0;
	return run_checked(install, tab->buf, tab->len);
}

static bool is_line(const char *line, size_t len, const char *text)
{
	return len == strlen(text) && !memcmp(line, text, len);
}

/*
 * Copy `tab` into `out` without our blocks, byte for byte otherwise. `*at`
 * is where the first block was in `out` (NOWHERE: none); `have` (may be
 * NULL) tells which frequencies the blocks ran. -1 when a BEGIN marker
 * has no END: then we cannot tell where our lines end and the user's
 * begin.
 */
static int strip_blocks(const struct rt_buf *tab, struct rt_buf *out,
			size_t *at, bool have[SCHEDULE_NFREQ])
{
	size_t pos = 0;
	bool inside = false;

	*at = NOWHERE;
	rt_buf_reset(out);
	/* Also makes out->buf non-NULL, even for an empty result. */
	if (rt_buf_grow(out, tab->len))
		return -1;
	while (pos < tab->len) {
		const char *line = tab->buf + pos;
		const char *nl = memchr(line, '\n', tab->len - pos);
		size_t len = nl ? (size_t)(nl - line) : tab->len - pos;
		size_t next = pos + len + (nl ? 1 : 0);

		if (!inside && is_line(line, len, CRON_BEGIN)) {
			inside = true;
			if (*at == NOWHERE)
				*at = out->len;
		} else if (inside && is_line(line, len, CRON_END)) {
			inside = false;
		} else if (inside) {
			for (int f = 0; have && f < SCHEDULE_NFREQ; f++) {
				char suffix[32];
				size_t n = (size_t)snprintf(suffix,
							    sizeof(suffix),
							    " --schedule=%s",
							    freqs[f].name);

				if (line[0] != '#' && len >= n &&
				    !memcmp(line + len - n, suffix, n))
					have[f] = true;
			}
		} else if (rt_buf_add(out, line, next - pos)) {
			return -1;
		}
		pos = next;
	}
	if (inside) {
		error("the crontab has a '%s' line without '%s' after it; fix "
		      "it with 'crontab -e'; crontab left as it was",
		      CRON_BEGIN, CRON_END);
		return -1;
	}
	return 0;
}

/* `s` as one word for sh, in single quotes. */
static void sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

static char *crontab_block(const struct schedule_job *job, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	fprintf(f,
		"%s\n"
		"# Installed by 'git reftable schedule start' and removed by\n"
		"# 'git reftable schedule stop'; edits in this block are lost.\n",
		CRON_BEGIN);
	for (int i = 0; i < SCHEDULE_NFREQ; i++) {
		fprintf(f, "%d %s PATH=", job->minute, freqs[i].cron);
		sh_quote(f, job->path_env);
		fputc(' ', f);
		sh_quote(f, job->program);
		fprintf(f, " schedule run-registered --schedule=%s\n",
			freqs[i].name);
	}
	fprintf(f, "%s\n", CRON_END);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static bool crontab_usable(void)
{
	return spawn_have("crontab");
}

static int crontab_install(const struct schedule_job *job)
{
	struct rt_buf old = RT_BUF_INIT, rest = RT_BUF_INIT, tab = RT_BUF_INIT;
	bool exists = false;
	size_t at, blen = 0;
	char *block = NULL;
	int ret = -1, r;

	/* cron reads '%' in a command as a line break. */
	if (check_job(job, "%"))
		return -1;
	r = crontab_read(&old, &exists);
	if (!r)
		error("crontab not found on PATH");
	if (r <= 0 || strip_blocks(&old, &rest, &at, NULL))
		goto out;
	if (at == NOWHERE) {
		/* Appended; a last line without its newline gets one. */
		if (rest.len && rest.buf[rest.len - 1] != '\n' &&
		    rt_buf_addch(&rest, '\n'))
			goto out;
		at = rest.len;
	}
	block = crontab_block(job, &blen);
	if (!block || rt_buf_add(&tab, rest.buf, at) ||
	    rt_buf_add(&tab, block, blen) ||
	    rt_buf_add(&tab, rest.buf + at, rest.len - at))
		goto out;
	ret = exists && !rt_buf_cmp(&tab, &old) ? 0 :
						  crontab_write(&tab, exists);
out:
	free(block);
	rt_buf_release(&old);
	rt_buf_release(&rest);
	rt_buf_release(&tab);
	return ret;
}

static int crontab_remove(void)
{
	struct rt_buf old = RT_BUF_INIT, rest = RT_BUF_INIT;
	bool exists = false;
	size_t at = NOWHERE;
	int ret = crontab_read(&old, &exists);

	if (ret > 0)
		ret = strip_blocks(&old, &rest, &at, NULL);
	if (ret >= 0 && at != NOWHERE)
		ret = crontab_write(&rest, exists);
	rt_buf_release(&old);
	rt_buf_release(&rest);
	return ret < 0 ? -1 : 0;
}

static int crontab_status(bool have[SCHEDULE_NFREQ], const char **why)
{
	struct rt_buf old = RT_BUF_INIT, rest = RT_BUF_INIT;
	bool exists = false;
	size_t at;
	int ret = crontab_read(&old, &exists);

	if (!ret)
		*why = "crontab not found on PATH";
	if (ret > 0 && strip_blocks(&old, &rest, &at, have))
		ret = -1;
	rt_buf_release(&old);
	rt_buf_release(&rest);
	return ret;
}

const struct schedule_backend schedule_crontab = {
	.name = "crontab",
	.usable = crontab_usable,
	.install = crontab_install,
	.remove = crontab_remove,
	.status = crontab_status,
};

/* systemd user timers */

#define SERVICE_NAME "git-reftable@.service"
#define UNIT_HEADER                                                     \
	"# Installed by 'git reftable schedule start' and removed by\n" \
	"# 'git reftable schedule stop'; edits to this file are lost.\n\n"

static const char *const timer_names[SCHEDULE_NFREQ] = {
	[SCHEDULE_HOURLY] = "git-reftable@hourly.timer",
	[SCHEDULE_DAILY] = "git-reftable@daily.timer",
	[SCHEDULE_WEEKLY] = "git-reftable@weekly.timer",
};

/* ${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user[/<name>], or NULL. */
static char *unit_path(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	const char *sep = name ? "/" : "";
	char *path = NULL;
	int n = -1;

	name = name ? name : "";
	/* The XDG spec says to ignore a relative XDG_CONFIG_HOME. */
	if (xdg && xdg[0] == '/')
		n = asprintf(&path, "%s/systemd/user%s%s", xdg, sep, name);
	else if (home && home[0])
		n = asprintf(&path, "%s/.config/systemd/user%s%s", home, sep,
			     name);
	if (n < 0) {
		error("cannot locate the systemd user unit directory: neither "
		      "XDG_CONFIG_HOME nor HOME is set");
		return NULL;
	}
	return path;
}

static bool unit_exists(const char *name)
{
	char *path = unit_path(name);
	struct stat st;
	bool ret = path && !lstat(path, &st);

	free(path);
	return ret;
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c)
			continue;
		*p = '\0';
		if (mkdir(path, 0777) && errno != EEXIST) {
			error("cannot create '%s': %s", path, strerror(errno));
			*p = c;
			return -1;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

/* Replace the unit file `name` with `text` (temp file, then rename). */
static int write_unit(const char *name, const char *text, size_t len)
{
	char *path = unit_path(name), *tmp = NULL;
	mode_t mask = umask(0);
	int fd = -1, ret = -1;

	umask(mask);
	if (!path || asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		goto out;
	}
	/* Not a unit name until renamed: systemd ignores the temp file. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		error("cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644 & ~mask) || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) || close(fd)) {
		error("cannot write '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path)) {
		error("cannot rename '%s' to '%s': %s", tmp, path,
		      strerror(errno));
		goto out_unlink;
	}
	ret = 0;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(path);
	return ret;
}

/*
 * `s` in double quotes for a unit file: C escapes, '%%' for '%', and with
 * `dollar` (ExecStart= expands variables) '$$' for '$'.
 */
static void unit_quote(FILE *f, const char *s, bool dollar)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		else if (*s == '%' || (dollar && *s == '$'))
			fputc(*s, f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static char *service_text(const struct schedule_job *job, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	char *env = NULL;

	if (!f)
		return NULL;
	fputs(UNIT_HEADER "[Unit]\n"
			  "Description=git-reftable %i maintenance of the "
			  "registered repositories\n\n"
			  "[Service]\n"
			  "Type=oneshot\n"
			  "Environment=",
	      f);
	if (asprintf(&env, "PATH=%s", job->path_env) < 0)
		env = NULL;
	unit_quote(f, env ? env : "", false);
	free(env);
	fputs("\nExecStart=", f);
	unit_quote(f, job->program, true);
	fputs(" schedule run-registered --schedule=%i\n"
	      "NoNewPrivileges=yes\n",
	      f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static char *timer_text(enum schedule_freq fr, int minute, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	fprintf(f,
		UNIT_HEADER "[Unit]\n"
			    "Description=git-reftable %s maintenance\n\n"
			    "[Timer]\n"
			    "OnCalendar=%s%02d:00\n"
			    "Persistent=true\n\n"
			    "[Install]\n"
			    "WantedBy=timers.target\n",
		freqs[fr].name, freqs[fr].calendar, minute);
	if (fclose(f)) {
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

	if (st >= 0)
		spawn_result_release(&r);
	return st == 0;
}

static int systemd_write_units(const struct schedule_job *job)
{
	char *dir = unit_path(NULL), *text;
	size_t len;
	int ret = !dir || mkdir_p(dir) ? -1 : 0;

	free(dir);
	if (ret)
		return -1;
	text = service_text(job, &len);
	ret = !text || write_unit(SERVICE_NAME, text, len);
	free(text);
	for (int i = 0; !ret && i < SCHEDULE_NFREQ; i++) {
		text = timer_text(i, job->minute, &len);
		ret = !text || write_unit(timer_names[i], text, len);
		free(text);
	}
	return ret ? -1 : 0;
}

static int systemd_install(const struct schedule_job *job)
{
	const char *reload[] = { "systemctl", "--user", "daemon-reload", NULL };
	const char *enable[] = { "systemctl",
				 "--user",
				 "enable",
				 "--now",
				 timer_names[SCHEDULE_HOURLY],
				 timer_names[SCHEDULE_DAILY],
				 timer_names[SCHEDULE_WEEKLY],
				 NULL };

	if (!spawn_have("systemctl")) {
		error("systemctl not found on PATH");
		return -1;
	}
	if (check_job(job, NULL) || systemd_write_units(job))
		return -1;
	/* A reload first, so that a changed unit is not run as it was. */
	if (run_checked(reload, NULL, 0) || run_checked(enable, NULL, 0)) {
		char *dir = unit_path(NULL);

		error("the unit files stay in '%s'; 'git reftable schedule "
		      "stop' removes them",
		      dir ? dir : "");
		free(dir);
		return -1;
	}
	return 0;
}

static int systemd_remove(void)
{
	const char *reload[] = { "systemctl", "--user", "daemon-reload", NULL };
	const char *disable[4 + SCHEDULE_NFREQ + 1] = { "systemctl", "--user",
							"disable", "--now" };
	const char *names[SCHEDULE_NFREQ + 1];
	size_t ndisable = 4, nnames = 0;
	char *path;
	int ret = 0;

	for (int i = 0; i < SCHEDULE_NFREQ; i++)
		if (unit_exists(timer_names[i]))
			disable[ndisable++] = names[nnames++] = timer_names[i];
	if (unit_exists(SERVICE_NAME))
		names[nnames++] = SERVICE_NAME;
	if (!nnames)
		return 0;
	if (!spawn_have("systemctl")) {
		error("systemctl not found on PATH; the git-reftable units "
		      "cannot be disabled and stay installed");
		return -1;
	}
	/*
	 * Removing the files of still enabled timers would leave them
	 * running until the next reload, and dangling links behind.
	 */
	if (ndisable > 4 && run_checked(disable, NULL, 0))
		return -1;
	for (size_t i = 0; i < nnames; i++) {
		path = unit_path(names[i]);
		if (!path || (unlink(path) && errno != ENOENT)) {
			if (path)
				error("cannot remove '%s': %s", path,
				      strerror(errno));
			ret = -1;
		}
		free(path);
	}
	return run_checked(reload, NULL, 0) || ret ? -1 : 0;
}

static int systemd_status(bool have[SCHEDULE_NFREQ], const char **why)
{
	(void)why;
	for (int i = 0; i < SCHEDULE_NFREQ; i++)
		have[i] = unit_exists(timer_names[i]);
	return 1;
}

const struct schedule_backend schedule_systemd = {
	.name = "systemd",
	.usable = systemd_usable,
	.install = systemd_install,
	.remove = systemd_remove,
	.status = systemd_status,
};
