/*
 * cli.c: messages, usage errors and small option helpers of the commands.
 */
#include "plugin/cli/cli.h"
#include "plugin/util/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void say_error(void *arg, const char *msg)
{
	(void)arg;
	error("%s", msg);
}

void say_warning(void *arg, const char *msg)
{
	(void)arg;
	warning("%s", msg);
}

int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"usage: git reftable %s (see 'git reftable %s --help')\n",
		cmd->usage, cmd->name);
	return EXIT_USAGE;
}

int wants_help(const struct command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: git reftable %s\n\n%s", cmd->usage,
			       cmd->help);
			return 1;
		}
	}
	return 0;
}

int error_rt(const struct rt_err *err)
{
	error("%s", err->msg[0] ? err->msg : rt_error_name(err->code));
	return err->code == RT_ERR_UNSAFE ? EXIT_UNSAFE : EXIT_ERROR;
}

int error_json(const char *git_dir, const char *status,
	       const struct rt_err *err)
{
	const char *msg = err->msg[0] ? err->msg : rt_error_name(err->code);
	struct json j;

	error("%s", msg);
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	if (git_dir)
		json_str(&j, "git_dir", git_dir);
	if (status)
		json_str(&j, "status", status);
	json_str(&j, "error", msg);
	json_object_end(&j);
	putchar('\n');
	fflush(stdout);
	return EXIT_ERROR;
}

void format_tz(char out[TZ_BUF], int16_t tz)
{
	snprintf(out, TZ_BUF, "%+05d", tz);
}

unsigned geometric_factor_of(const struct repo *repo)
{
	struct policy p;
	unsigned factor;
	char *path;

	if (open_policy(&p, repo, &path))
		warning("the policy %s has errors; geometric-factor %u applies",
			path ? path : "configuration",
			(unsigned)p.geometric_factor);
	factor = (unsigned)p.geometric_factor;
	policy_release(&p);
	free(path);
	return factor ? factor : 2;
}

const char *skip_prefix(const char *arg, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(arg, prefix, n) ? NULL : arg + n;
}

int parse_age(const char *s, uint64_t *seconds, const char **why)
{
	struct policy_duration d;
	char *end;

	/* A plain number is seconds here (the policy wants a unit). */
	if (*s >= '0' && *s <= '9') {
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, 10);
		if (!errno && !*end) {
			*seconds = v;
			return 0;
		}
	}
	if (policy_parse_duration(s, &d, why))
		return -1;
	*seconds = policy_duration_age(&d, (uint64_t)time(NULL));
	return 0;
}
