/*
 * hooks.h: the hooks layer as the command layer sees it: what `git
 * reftable hook <event>` runs for Git's hooks. Installing and removing
 * the hooks is install.h's.
 */
#ifndef PLUGIN_HOOKS_HOOKS_H
#define PLUGIN_HOOKS_HOOKS_H

/*
 * Handle the hook event argv[0] with Git's arguments argv[1..argc-1]:
 * "reference-transaction" (only its "committed" state does anything) or
 * "pre-auto-gc". `policy` is the --policy file, or NULL to look it up as
 * every command does. Git's stdin is read to its end.
 *
 * Whatever happens is Git's business only through the log
 * ($GIT_COMMON_DIR/reftable-hook.log): nothing is printed and the hook
 * never fails, so the caller exits 0. Returns -1 only for an event it
 * does not know (nothing done), else 0.
 */
int hook_handle(const char *policy, int argc, char **argv);

#endif
