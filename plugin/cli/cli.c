/*
 * cli.c: messages, usage errors and small shared helpers of the commands.
 */
#include "plugin/cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

int open_repo(struct repo *repo)
{
	struct rt_err err = { 0 };

	if (repo_discover(repo, &err)) {
		error("%s", err.msg);
		repo_release(repo);
		return EXIT_ERROR;
	}
	if (!repo->reftable) {
		error("%s does not use the reftable ref backend (ref storage: "
		      "%s); nothing to do",
		      repo->git_dir, repo->ref_storage);
		repo_release(repo);
		return EXIT_ERROR;
	}
	return 0;
}

int stack_options(const struct repo *repo, struct rt_stack_options *opts)
{
	struct rt_err err = { 0 };

	if (config_stack_options(&repo->cfg, opts, &err)) {
		error("%s", err.msg);
		return EXIT_ERROR;
	}
	return 0;
}

int open_stack(struct rt_stack **st, const char *dir,
	       const struct rt_stack_options *opts)
{
	struct rt_err err = { 0 };

	if (rt_stack_open(st, dir, opts, &err)) {
		error("%s", err.msg);
		return EXIT_ERROR;
	}
	return 0;
}

void json_string(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void format_tz(char out[6], int16_t tz)
{
	int v = tz < 0 ? -tz : tz;

	snprintf(out, 6, "%c%04d", tz < 0 ? '-' : '+', v % 10000);
}

const char *skip_prefix(const char *arg, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(arg, prefix, n) ? NULL : arg + n;
}

int parse_age(const char *s, uint64_t *seconds)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 's', 1 },
		      { 'm', 60 },
		      { 'h', 3600 },
		      { 'd', 86400 },
		      { 'w', 604800 } };
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (!*end) {
		*seconds = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].unit && !end[1] &&
		    v <= UINT64_MAX / units[i].mult) {
			*seconds = v * units[i].mult;
			return 0;
		}
	return -1;
}

const char *stack_label(const struct repo_stack *s)
{
	return s->worktree ? s->worktree : "main";
}
