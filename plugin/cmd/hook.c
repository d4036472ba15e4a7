/*
 * hook.c: `git reftable hook <event> [<args>]`, what Git's hooks run
 * (plugin/hooks/hooks.h does the work and never fails).
 */
#include "plugin/cli/cli.h"
#include "plugin/hooks/hooks.h"

#include <string.h>

int cmd_hook(struct command *cmd, int argc, char **argv)
{
	struct rt_buf unlogged = RT_BUF_INIT;
	char *line, *eol;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "which hook event?");
	if (hook_handle(policy_option, argc - 1, argv + 1, &unlogged))
		return usage_error(cmd, "unknown hook event '%s'", argv[1]);
	/* Git shows a hook's stderr; a warning fails nothing. */
	for (line = unlogged.buf; line && *line; line = eol + 1) {
		eol = strchr(line, '\n');
		*eol = '\0';
		warning("git-reftable: %s", line);
	}
	rt_buf_release(&unlogged);
	return EXIT_OK;
}
