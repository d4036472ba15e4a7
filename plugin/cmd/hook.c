/*
 * hook.c: `git reftable hook <event> [<args>]`, what Git's hooks run
 * (plugin/hooks/hooks.h does the work and never fails).
 */
#include "plugin/cli/cli.h"
#include "plugin/hooks/hooks.h"

int cmd_hook(struct command *cmd, int argc, char **argv)
{
	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "which hook event?");
	if (hook_handle(policy_option, argc - 1, argv + 1))
		return usage_error(cmd, "unknown hook event '%s'", argv[1]);
	return EXIT_OK;
}
