/*
 * cli.h: what every command implementation shares: the command table's
 * entries, exit codes, messages on stderr (the command layer is the only
 * one that prints), option parsing helpers.
 */
#ifndef PLUGIN_CLI_H
#define PLUGIN_CLI_H

#include "lib/include/rt-error.h"
#include "lib/include/rt-stack.h"
#include "plugin/git/repo.h"
#include "policy/policy.h"

#include <stdio.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	/*
	 * A repository Git's ownership rule refuses (RT_ERR_UNSAFE): Git's
	 * own status for it (its die()), so scripts treat both alike.
	 */
	EXIT_UNSAFE = 128,
};

struct command {
	const char *name;
	int (*run)(struct command *cmd, int argc, char **argv);
	const char *usage; /* "dump refs [--peeled]" */
	const char *help; /* the rest of --help */
};

void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * error() and warning() for callbacks such as struct maint_sink's, which
 * pass an argument first (ignored here).
 */
void say_error(void *arg, const char *msg);
void say_warning(void *arg, const char *msg);
/* Print the one-line usage hint to stderr and return EXIT_USAGE. */
int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* When argv[i] is -h/--help, print the command's help and return 1. */
int wants_help(const struct command *cmd, int argc, char **argv);

/*
 * Print `err`'s message (or its code's name) as an error; returns
 * EXIT_UNSAFE for RT_ERR_UNSAFE, else EXIT_ERROR. The commands' way of
 * reporting what lower layers return.
 */
int error_rt(const struct rt_err *err);
/*
 * error_rt() for a command whose stdout is JSON: also prints the one
 * document {"git_dir":..., "status":..., "error":...} (git_dir and status
 * left out when NULL), so that stdout is never empty nor partial.
 */
int error_json(const char *git_dir, const char *status,
	       const struct rt_err *err);

/*
 * A log record's tz_offset (a signed decimal hhmm, see record.h) as Git
 * prints it: sign and at least four digits, "+0100", "-0030", "+32767".
 */
#define TZ_BUF 8
void format_tz(char out[TZ_BUF], int16_t tz);

/* The rest of `arg` after `prefix`, or NULL when it does not start so. */
const char *skip_prefix(const char *arg, const char *prefix);
/*
 * An age option: a duration as the policy takes it ("12h", "90 days",
 * "2.weeks.ago", "never", "now") or a plain number of seconds; never is
 * UINT64_MAX. -1 with `why` saying what is accepted.
 */
int parse_age(const char *s, uint64_t *seconds, const char **why);

/*
 * The global option --policy <file>, or NULL. Commands pass it down
 * (policy_file_find()); nothing below them reads it.
 */
extern const char *policy_option;
/*
 * The policy of `repo` (may be NULL): the file policy_file_find() finds
 * (--policy first), then Git's config. Prints every error. `*path` is the
 * file used, or NULL for none; the caller frees it and releases `p`
 * (also after an error). Returns the number of errors in the policy, or
 * -1 when the file cannot be read or memory runs out.
 */
int open_policy(struct policy *p, const struct repo *repo, char **path);

/*
 * The geometric rule's factor for `repo`, one for every command: the
 * policy's geometric-factor (Git's reftable.geometricFactor where the
 * policy is silent, else 2). A policy with errors is reported with
 * open_policy(), and the factor it has despite them is used.
 */
unsigned geometric_factor_of(const struct repo *repo);

/* The command of main.c's table called `name`, or NULL. */
struct command *find_command(const char *name);

int cmd_clean(struct command *cmd, int argc, char **argv);
int cmd_policy(struct command *cmd, int argc, char **argv);
int cmd_compact(struct command *cmd, int argc, char **argv);
int cmd_dump(struct command *cmd, int argc, char **argv);
int cmd_expire(struct command *cmd, int argc, char **argv);
int cmd_hook(struct command *cmd, int argc, char **argv);
int cmd_install(struct command *cmd, int argc, char **argv);
int cmd_uninstall(struct command *cmd, int argc, char **argv);
int cmd_stats(struct command *cmd, int argc, char **argv);
int cmd_schedule(struct command *cmd, int argc, char **argv);
int cmd_verify(struct command *cmd, int argc, char **argv);
int cmd_run(struct command *cmd, int argc, char **argv);
int cmd_fleet(struct command *cmd, int argc, char **argv);

#endif
