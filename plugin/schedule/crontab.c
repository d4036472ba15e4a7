/*
 * crontab.c: the crontab backend of `git reftable schedule`, and the
 * editing of our block in the table.
 */
#include "plugin/schedule/crontab.h"
#include "plugin/schedule/backend.h"
#include "plugin/util/quote.h"
#include "plugin/util/spawn.h"

#include <stdio.h>
#include <string.h>

/* When each frequency fires: the fields after the minute (Sunday is 0). */
static const char *const cron_fields[SCHEDULE_FREQS] = {
	[POLICY_HOURLY] = "1-23 * * *",
	[POLICY_DAILY] = "0 * * 1-6",
	[POLICY_WEEKLY] = "0 * * 0",
};

static bool is_line(const char *line, size_t len, const char *text)
{
	return len == strlen(text) && !memcmp(line, text, len);
}

/* Mark in `have` the frequency an entry line of ours runs, if any. */
static void note_entry(const char *line, size_t len, bool have[])
{
	for (int f = POLICY_HOURLY; f <= POLICY_WEEKLY; f++) {
		char suffix[32];
		size_t n = (size_t)snprintf(suffix, sizeof(suffix),
					    " --schedule=%s",
					    policy_freq_name(f));

		if (line[0] != '#' && len >= n &&
		    !memcmp(line + len - n, suffix, n))
			have[f] = true;
	}
}

int crontab_strip(const struct rt_buf *tab, struct rt_buf *out, size_t *at,
		  bool have[SCHEDULE_FREQS], struct rt_err *err)
{
	size_t pos = 0;
	bool inside = false;

	*at = CRONTAB_NOWHERE;
	rt_buf_reset(out);
	/* Also makes out->buf non-NULL, even for an empty result. */
	if (rt_buf_grow(out, tab->len))
		return rt_err_oom(err);
	while (pos < tab->len) {
		const char *line = tab->buf + pos;
		const char *nl = memchr(line, '\n', tab->len - pos);
		size_t len = nl ? (size_t)(nl - line) : tab->len - pos;
		size_t next = pos + len + (nl ? 1 : 0);

		if (!inside && is_line(line, len, CRONTAB_BEGIN)) {
			inside = true;
			if (*at == CRONTAB_NOWHERE)
				*at = out->len;
		} else if (inside && is_line(line, len, CRONTAB_END)) {
			inside = false;
		} else if (inside) {
			if (have)
				note_entry(line, len, have);
		} else if (rt_buf_add(out, line, next - pos)) {
			return rt_err_oom(err);
		}
		pos = next;
	}
	if (inside)
		return rt_err_set(err, RT_ERR_FORMAT,
				  "the crontab has a '%s' line without '%s' "
				  "after it; fix it with 'crontab -e'; crontab "
				  "left as it was",
				  CRONTAB_BEGIN, CRONTAB_END);
	return 0;
}

/* Our block: the markers, a note, and one line per frequency. */
static int add_block(struct rt_buf *out, const struct schedule_job *job)
{
	int ret = rt_buf_addstr(out, CRONTAB_BEGIN
				"\n" SCHEDULE_HEADER_START
				"edits in this block are lost.\n");

	for (int f = POLICY_HOURLY; !ret && f <= POLICY_WEEKLY; f++) {
		char head[64];

		snprintf(head, sizeof(head), "%d %s PATH=", job->minute,
			 cron_fields[f]);
		if ((ret = rt_buf_addstr(out, head)) ||
		    (ret = quote_sh(out, job->path_env)) ||
		    (ret = rt_buf_addch(out, ' ')) ||
		    (ret = quote_sh(out, job->program)) ||
		    (ret = rt_buf_addstr(out, " " SCHEDULE_JOB_ARGS)) ||
		    (ret = rt_buf_addstr(out, policy_freq_name(f))))
			break;
		ret = rt_buf_addch(out, '\n');
	}
	return ret ? ret : rt_buf_addstr(out, CRONTAB_END "\n");
}

int crontab_edit(const struct rt_buf *tab, const struct schedule_job *job,
		 struct rt_buf *out, struct rt_err *err)
{
	struct rt_buf rest = RT_BUF_INIT;
	size_t at;
	int ret = crontab_strip(tab, &rest, &at, NULL, err);

	if (ret)
		goto out;
	if (at == CRONTAB_NOWHERE) {
		/* Appended; a last line without its newline gets one. */
		if (rest.len && rest.buf[rest.len - 1] != '\n' &&
		    rt_buf_addch(&rest, '\n'))
			goto nomem;
		at = rest.len;
	}
	rt_buf_reset(out);
	if (rt_buf_add(out, rest.buf, at) || add_block(out, job) ||
	    rt_buf_add(out, rest.buf + at, rest.len - at))
		goto nomem;
	goto out;
nomem:
	ret = rt_err_oom(err);
out:
	rt_buf_release(&rest);
	return ret;
}

/*
 * The user's table, in `tab`: 1 read (`*exists` false when the user has
 * none), 0 no crontab on PATH, < 0 error.
 */
static int crontab_read(struct rt_buf *tab, bool *exists, struct rt_err *err)
{
	const char *argv[] = { "crontab", "-l", NULL };
	struct spawn_result r;
	int st;

	if (!spawn_have("crontab"))
		return 0;
	st = spawn_run(argv, NULL, 0, &r, err);
	if (st < 0)
		return st;
	/*
	 * Having no table is an error exit too. Any other error must stop
	 * us: writing back what we failed to read would wipe the table.
	 */
	if (!st) {
		*exists = true;
		st = rt_buf_set(tab, r.out, r.outlen) ? rt_err_oom(err) : 1;
	} else if (!r.outlen && (strstr(r.err, "no crontab for") ||
				 strstr(r.err, "No such file or directory"))) {
		*exists = false;
		rt_buf_reset(tab);
		st = 1;
	} else {
		st = spawn_failed(err, argv, st, &r);
	}
	spawn_result_release(&r);
	return st;
}

static int crontab_write(const struct rt_buf *tab, bool existed,
			 struct rt_err *err)
{
	const char *install[] = { "crontab", "-", NULL };
	const char *drop[] = { "crontab", "-r", NULL };
	int ret = 0;

	/* No table is left as no table, rather than as an empty one. */
	if (tab->len)
		ret = spawn_run_ok(install, tab->buf, tab->len, -1, NULL, err);
	else if (existed)
		ret = spawn_run_ok(drop, NULL, 0, -1, NULL, err);
	return ret < 0 ? ret : 0;
}

static bool crontab_usable(void)
{
	return spawn_have("crontab");
}

static int crontab_install(const struct schedule_job *job, struct rt_err *err)
{
	struct rt_buf old = RT_BUF_INIT, tab = RT_BUF_INIT;
	bool exists = false;
	int ret;

	/* cron reads '%' in a command as a line break. */
	if ((ret = schedule_job_check(job, "%", err)))
		return ret;
	ret = crontab_read(&old, &exists, err);
	if (!ret)
		ret = rt_err_set(err, RT_ERR_NOT_EXIST,
				 "crontab not found on PATH");
	if (ret > 0)
		ret = crontab_edit(&old, job, &tab, err);
	if (!ret && !(exists && !rt_buf_cmp(&tab, &old)))
		ret = crontab_write(&tab, exists, err);
	rt_buf_release(&old);
	rt_buf_release(&tab);
	return ret;
}

static int crontab_remove(struct rt_err *err)
{
	struct rt_buf old = RT_BUF_INIT, rest = RT_BUF_INIT;
	bool exists = false;
	size_t at = CRONTAB_NOWHERE;
	int ret = crontab_read(&old, &exists, err);

	if (ret > 0)
		ret = crontab_strip(&old, &rest, &at, NULL, err);
	if (!ret && at != CRONTAB_NOWHERE)
		ret = crontab_write(&rest, exists, err);
	rt_buf_release(&old);
	rt_buf_release(&rest);
	return ret < 0 ? ret : 0;
}

static int crontab_status(bool have[SCHEDULE_FREQS], const char **why,
			  struct rt_err *err)
{
	struct rt_buf old = RT_BUF_INIT, rest = RT_BUF_INIT;
	bool exists = false;
	size_t at;
	int ret = crontab_read(&old, &exists, err);

	if (!ret)
		*why = "crontab not found on PATH";
	if (ret > 0) {
		int st = crontab_strip(&old, &rest, &at, have, err);

		ret = st ? st : 1;
	}
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
