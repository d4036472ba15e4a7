/*
 * state.c: reading, parsing and formatting the maintenance state file.
 */
#include "scheduler/state.h"
#include "lib/include/rt-file.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file is a few hundred bytes; anything larger is not ours. */
#define STATE_MAX 65536

struct parse_ctx {
	struct sched_state *st;
	const char *name;
	struct rt_err *err;
	unsigned line; /* counted by the reader */
	const char *pos;
	bool bad;
};

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Exactly 16 hex digits: a sched_policy_digest(). */
static int parse_hex64(const char *v, uint64_t *out)
{
	char *end;

	if (strlen(v) != 16 || strspn(v, "0123456789abcdef") != 16)
		return -1;
	*out = strtoull(v, &end, 16);
	return 0;
}

static int parse_outcome(const char *v, enum sched_outcome *out)
{
	static const enum sched_outcome all[] = { SCHED_OUTCOME_NONE,
						  SCHED_OUTCOME_DONE,
						  SCHED_OUTCOME_FAILED,
						  SCHED_OUTCOME_BUSY };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(v, sched_outcome_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return -1;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct parse_ctx *c = user;
	struct sched_task_state *ts;
	enum sched_task t;
	int bad = 0;

	if (c->bad || sched_task_parse(section, &t))
		return 1;
	ts = &c->st->task[t];
	if (!strcmp(key, "last-run"))
		bad = parse_u64(value, &ts->last_run);
	else if (!strcmp(key, "duration-ms"))
		bad = parse_u64(value, &ts->duration_ms);
	else if (!strcmp(key, "outcome"))
		bad = parse_outcome(value, &ts->outcome);
	else if (!strcmp(key, "last-check"))
		bad = parse_u64(value, &ts->last_check);
	else if (!strcmp(key, "policy"))
		bad = parse_hex64(value, &ts->policy);
	if (bad) {
		rt_err_set(c->err, RT_ERR_FORMAT,
			   "%s:%u: bad value '%s' for %s.%s", c->name, c->line,
			   value, section, key);
		c->bad = true;
	}
	return 1;
}

/* inih's reader, one line per call, so that errors can name the line. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	size_t len;

	if (!*c->pos)
		return NULL;
	len = strcspn(c->pos, "\n");
	c->line++;
	if (len + 2 > (size_t)num)
		len = (size_t)num - 2; /* handler sees a cut value: bad */
	memcpy(str, c->pos, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	c->pos += strcspn(c->pos, "\n");
	if (*c->pos)
		c->pos++;
	return str;
}

int sched_state_parse(struct sched_state *st, const char *text,
		      const char *name, struct rt_err *err)
{
	struct parse_ctx c = {
		.st = st,
		.name = name,
		.err = err,
		.pos = text,
	};
	int ret;

	memset(st, 0, sizeof(*st));
	ret = ini_parse_stream(reader, &c, handler, &c);
	if (ret > 0 && !c.bad) {
		rt_err_set(err, RT_ERR_FORMAT, "%s:%d: cannot parse this line",
			   name, ret);
		c.bad = true;
	}
	if (c.bad || ret < 0) {
		if (ret < 0 && !c.bad)
			rt_err_set(err, RT_ERR_FORMAT, "%s: cannot parse",
				   name);
		memset(st, 0, sizeof(*st));
		return RT_ERR_FORMAT;
	}
	return 0;
}

int sched_state_read(struct sched_state *st, const char *path,
		     struct rt_err *err)
{
	struct rt_buf buf = RT_BUF_INIT;
	struct rt_err local = { 0 };
	int ret;

	memset(st, 0, sizeof(*st));
	/* Never through a symlink or from a FIFO; the size is capped. */
	ret = rt_file_read_at(AT_FDCWD, path, path, STATE_MAX - 1, 0, &buf,
			      &local);
	if (ret == RT_ERR_NOT_EXIST)
		return 0;
	if (ret == RT_ERR_TOO_BIG || (!ret && strlen(buf.buf) != buf.len)) {
		rt_buf_release(&buf);
		return rt_err_set(err, RT_ERR_FORMAT,
				  "%s: not a state file (too large or binary)",
				  path);
	}
	if (ret) {
		if (err && !err->code)
			*err = local;
		rt_buf_release(&buf);
		return ret;
	}
	ret = sched_state_parse(st, buf.buf, path, err);
	rt_buf_release(&buf);
	return ret;
}

int sched_state_format(const struct sched_state *st, char *buf, size_t len)
{
	char check[48], digest[40];
	size_t used;
	int n;

	n = snprintf(buf, len,
		     "# git-reftable maintenance state, written by `git "
		     "reftable run` and the runs its hook starts.\n# Safe to "
		     "delete: every task then counts as never run.\n");
	for (int t = 0; n >= 0 && (size_t)n < len && t < SCHED_NTASKS; t++) {
		const struct sched_task_state *ts = &st->task[t];
		int k;

		if (!ts->last_run && ts->outcome == SCHED_OUTCOME_NONE &&
		    !ts->last_check && !ts->policy)
			continue;
		check[0] = digest[0] = '\0';
		if (ts->last_check)
			snprintf(check, sizeof(check), "last-check = %llu\n",
				 (unsigned long long)ts->last_check);
		if (ts->policy)
			snprintf(digest, sizeof(digest), "policy = %016llx\n",
				 (unsigned long long)ts->policy);
		used = (size_t)n;
		k = snprintf(buf + used, len - used,
			     "[%s]\nlast-run = %llu\noutcome = %s\n"
			     "duration-ms = %llu\n%s%s",
			     sched_task_name((enum sched_task)t),
			     (unsigned long long)ts->last_run,
			     sched_outcome_name(ts->outcome),
			     (unsigned long long)ts->duration_ms, check,
			     digest);
		n = k < 0 ? k : n + k;
	}
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int sched_state_write_at(const struct sched_state *st, int dirfd,
			 const char *path, mode_t mode, struct rt_err *err)
{
	char text[2048];
	int len = sched_state_format(st, text, sizeof(text));

	if (len < 0)
		return rt_err_set(err, RT_ERR_TOO_BIG,
				  "the state for %s does not fit in %zu bytes",
				  path, sizeof(text));
	return rt_file_replace_at(dirfd, path, text, (size_t)len,
				  mode ? mode : 0600, err);
}
