/*
 * main.c: `git reftable [-C <path>] <command> [options]`: global options and
 * dispatch to the commands.
 */
#include "plugin/cli/cli.h"
#include "plugin/hooks/hooks.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#ifndef GIT_REFTABLE_VERSION
#define GIT_REFTABLE_VERSION "0.1.0"
#endif

static int cmd_version(struct command *cmd, int argc, char **argv);
static int cmd_help(struct command *cmd, int argc, char **argv);

static struct command commands[] = {
	{ "dump", cmd_dump, "dump (refs [--peeled] | logs [<refname>])",
	  "Print the merged view of the repository's reftable stack.\n\n"
	  "  refs        one line per ref, sorted: '<oid> <refname>', or\n"
	  "              'ref:<target> <refname>' for a symbolic ref\n"
	  "  --peeled    append ' ^<oid>' to refs with a peeled value\n"
	  "  logs        reflog entries, newest first per ref, TAB-separated:\n"
	  "              refname, update index, old oid, new oid, name,\n"
	  "              email, time, tz, message (final newline removed,\n"
	  "              '\\' and newlines escaped as '\\\\' and '\\n')\n" },
	{ "stats", cmd_stats, "stats [--json | --prometheus [--keep]]",
	  "Show every stack of the repository (the main one and each linked\n"
	  "worktree's): its tables with size, update-index range and counts\n"
	  "of refs, logs and deletion records; the totals; and whether Git's\n"
	  "geometric rule asks for a compaction, with the factor every\n"
	  "command uses: the policy's geometric-factor (where the policy is\n"
	  "silent, reftable.geometricFactor; else 2).\n\n"
	  "  --json        one JSON document on stdout\n"
	  "  --prometheus  gauges in the Prometheus text format\n"
	  "  --keep        also keep them in $GIT_DIR/reftable-metrics.prom\n"
	  "                while no gauge depends on the time (no\n"
	  "                tables.list.lock), for 'fleet run --metrics' to\n"
	  "                reuse until a table, tables.list or the state\n"
	  "                file changes\n" },
	{ "verify", cmd_verify, "verify [--json] [--[no-]progress]",
	  "Check every table of every stack (the main one and each linked\n"
	  "worktree's) without changing anything: tables.list names, each\n"
	  "listed table's header, footer and CRC, every ref, log, obj and\n"
	  "index block, keys in order, ref update indexes within their\n"
	  "table's range, ranges increasing along the stack, one hash.\n"
	  "Each problem names the file and the offset (or line). Orphan\n"
	  "tables, temp files and locks are listed as notes.\n"
	  "Exit status: 0 when no problem was found, 1 otherwise.\n\n"
	  "  --json           one JSON document on stdout: per stack, per\n"
	  "                   table\n"
	  "  --[no-]progress  progress on stderr (default: on a terminal)\n" },
	{ "compact", cmd_compact,
	  "compact [--auto | --all] [--dry-run] [-q | --quiet] "
	  "[--[no-]progress] [--no-reuse]",
	  "Compact the reftable stacks (the main one and each worktree's)\n"
	  "under Git's locking protocol; Git may keep writing meanwhile.\n\n"
	  "  --auto     only the segment Git's geometric rule asks for,\n"
	  "             with the policy's geometric-factor (where the\n"
	  "             policy is silent, reftable.geometricFactor); the\n"
	  "             default\n"
	  "  --all      the whole stack into one table; deletion records\n"
	  "             are dropped\n"
	  "  --dry-run  say what would be compacted, change nothing\n"
	  "  --quiet    print only errors, no progress\n"
	  "  --[no-]progress\n"
	  "             progress on stderr (default: on a terminal)\n"
	  "  --no-reuse encode every block again instead of copying the\n"
	  "             blocks the merge leaves unchanged (to compare)\n" },
	{ "expire", cmd_expire,
	  "expire [--dry-run] [--verbose] [-q | --quiet] [--compact] "
	  "[--expire=<date>] "
	  "[--expire-unreachable=<date>] [--max-entries=<n>] [--ref=<pattern>] "
	  "[--[no-]progress]",
	  "Expire reflog entries as the policy says, with the semantics of\n"
	  "'git reflog expire --all', in ONE new table per stack (Git adds\n"
	  "one table per reflog). Where the policy is silent, Git's\n"
	  "gc.reflogExpire, gc.reflogExpireUnreachable and\n"
	  "gc.<pattern>.reflogExpire* apply. An emptied reflog keeps an\n"
	  "existence marker, as with Git. The unreachable rule reads objects\n"
	  "with libgit2 (SHA-1) or 'git cat-file' (SHA-256).\n\n"
	  "  --dry-run, -n              per stack, how many entries would go;\n"
	  "                             change nothing\n"
	  "  --verbose, -v              per reflog, how many entries go, and\n"
	  "                             every expired entry\n"
	  "  --quiet, -q                no summary line, no progress: errors\n"
	  "                             only\n"
	  "  --compact                  compact the whole stack into one\n"
	  "                             table, leaving expired entries out\n"
	  "                             (no deletion records are written)\n"
	  "  --expire=<date>            entries older than <date> go\n"
	  "  --expire-unreachable=<date> entries older than <date> go when\n"
	  "                             not reachable from the ref's tip\n"
	  "  --max-entries=<n>          keep at most the newest <n> (0: no cap)\n"
	  "  --ref=<pattern>            only reflogs matching <pattern>\n"
	  "  --[no-]progress            progress on stderr (default: on a\n"
	  "                             terminal)\n\n"
	  "Dates as Git takes them: 'never', 'now' or 'all', an age such as\n"
	  "'90 days', '2.weeks.ago', '3 months', '12h', 'yesterday', or a\n"
	  "date: '2026-01-01', '2026-01-01 12:00' (local time).\n"
	  "Options replace the policy's values for this run; refs matching\n"
	  "a [reflog] protect pattern are never expired.\n" },
	{ "clean", cmd_clean,
	  "clean [--dry-run] [-q | --quiet] [--grace=<age>] "
	  "[--stale-lock-age=<age>] [--remove-stale-locks]",
	  "Remove what interrupted writers left in the stack directories:\n"
	  "tables not named in tables.list, temp files, and (only with\n"
	  "--remove-stale-locks) stale lock files. Orphans are removed only\n"
	  "when older than the grace period, not locked, and not newer than\n"
	  "the stack. Ages: as for expire ('12h', '90 days', '2.weeks.ago',\n"
	  "'never', 'now') or a number of seconds; by default the policy's\n"
	  "[orphans] grace and stale-lock (1 hour each), and the policy's\n"
	  "remove-stale-locks = true acts as --remove-stale-locks.\n\n"
	  "  --dry-run  report, change nothing\n"
	  "  --quiet    print only errors\n" },
	{ "run", cmd_run,
	  "run [--auto | --schedule=<hourly|daily|weekly>] "
	  "[--task=<task>]... [--dry-run] [--detach] [--json] [-q | --quiet] "
	  "[--[no-]progress]",
	  "Plan the maintenance of every stack and carry it out. The plan\n"
	  "runs clean, expire and compact, in that order, each due or\n"
	  "skipped with the reason. Without --auto or --schedule, every task\n"
	  "runs (compaction only where the rules below ask for it).\n\n"
	  "Compaction is due when Git's geometric rule, with the policy's\n"
	  "geometric-factor, is broken (that segment), when there are more\n"
	  "than [compaction] max-tables tables or deletion records exceed\n"
	  "tombstone-ratio of all records (the whole stack); [compaction]\n"
	  "max-bytes-per-run caps the table bytes one run compacts, so a\n"
	  "large repository is compacted in steps. When expiry is due too\n"
	  "and the compaction rewrites the whole stack, the expired entries\n"
	  "are dropped in that rewrite.\n\n"
	  "  --auto            do what the stacks need: compaction as above,\n"
	  "                    expiry when enough reflog entries are past\n"
	  "                    their age (estimated, no object access), clean\n"
	  "                    when old leftovers are present\n"
	  "  --schedule=<f>    a run from cron or a timer: the tasks whose\n"
	  "                    [schedule] is at least as frequent as <f> and\n"
	  "                    whose interval has passed since they last ran\n"
	  "  --task=<task>     only clean, expire or compact; may repeat\n"
	  "  --dry-run         print the plan with the reasons; change no file\n"
	  "  --detach          return at once; work in the background, output\n"
	  "                    to $GIT_COMMON_DIR/reftable-maintenance.log\n"
	  "  --json            one JSON document: per stack and task, status\n"
	  "                    (done, skipped, failed, busy; due in a dry run),\n"
	  "                    reason, result, duration, bytes rewritten, tables\n"
	  "                    before and after\n"
	  "  --quiet           print only the tasks that failed or were busy\n"
	  "                    (and errors); no progress\n"
	  "  --[no-]progress   progress on stderr (default: on a terminal)\n\n"
	  "One run at a time: while another holds $GIT_COMMON_DIR/\n"
	  "reftable-run.lock, run says so and exits 0. When Git holds a lock,\n"
	  "the task is 'busy' (exit 0; try later). When each task last ran is\n"
	  "kept in $GIT_COMMON_DIR/reftable-maintenance.state.\n" },
	{ "policy", cmd_policy,
	  "policy (check [<file>] | show [--ref=<refname>] | keys)",
	  "Check a policy file, show the effective policy, or list its\n"
	  "keys.\n\n"
	  "  check [<file>]       list every error as <file>:<line>: <what is\n"
	  "                       wrong>; <what is accepted> (exit 1), or say\n"
	  "                       the file is valid; without <file>, the file\n"
	  "                       this repository would use\n"
	  "  show                 every setting with where it came from: the\n"
	  "                       file and line, a git config key, or default\n"
	  "  show --ref=<ref>     the rule that applies to one ref\n"
	  "  keys                 every key a policy file may set, as a\n"
	  "                       Markdown table: value, default, Git\n"
	  "                       fallback, what it does\n\n"
	  "The policy file is the first of: --policy <file>, git config\n"
	  "reftable.policy, $GIT_COMMON_DIR/reftable-policy.ini,\n"
	  "$XDG_CONFIG_HOME/git-reftable/policy.ini,\n"
	  "/etc/git-reftable/policy.ini; else built-in defaults.\n" },
	{ "schedule", cmd_schedule,
	  "schedule (start [--scheduler=auto|crontab|systemd] | stop | list)",
	  "Maintain repositories on a schedule, as 'git maintenance start'\n"
	  "does: hourly, daily and weekly entries run 'git reftable run\n"
	  "--schedule=<hourly|daily|weekly>' in every registered repository.\n"
	  "Registered repositories are the values of reftable-maintenance.repo\n"
	  "in the global Git config (worktree tops, or bare git dirs).\n\n"
	  "  start            register this repository; install or refresh\n"
	  "                   the entries (and remove the other scheduler's)\n"
	  "  stop             unregister this repository; when none remains,\n"
	  "                   remove the entries\n"
	  "  list             the registered repositories and the entries\n"
	  "                   installed with each scheduler\n"
	  "  --scheduler=<s>  where start installs the entries:\n"
	  "    crontab        a block between marker lines in the user's\n"
	  "                   crontab; other lines are left alone\n"
	  "    systemd        git-reftable@.service and git-reftable@{hourly,\n"
	  "                   daily,weekly}.timer, user units in\n"
	  "                   ${XDG_CONFIG_HOME:-~/.config}/systemd/user\n"
	  "    auto           systemd when 'systemctl --user list-timers'\n"
	  "                   succeeds, else crontab when it is on PATH (the\n"
	  "                   default)\n\n"
	  "Each entry runs '<git-reftable> fleet run --registered --quiet\n"
	  "--schedule=<f>' by absolute path, with PATH set to the directory of\n"
	  "the git found by start and the system directories: cron's PATH is\n"
	  "minimal (see 'fleet'). 'schedule run-registered --schedule=<f>',\n"
	  "which older entries call, is an alias of 'fleet run --registered\n"
	  "--schedule=<f>'. Entries fire at one minute of the hour, fixed per\n"
	  "user and host: hourly at 1:00 to 23:00, daily at 0:00 Monday to\n"
	  "Saturday, weekly at 0:00 on Sunday, so that they never overlap.\n" },
	{ "fleet", cmd_fleet,
	  "fleet run [--registered | --repos-from=<file|-> | --scan=<dir>]... "
	  "[--jobs=<n>] [--timeout=<duration>] [-q | --quiet] [--json] "
	  "[--metrics=<file>] [--auto | --schedule=<f>] [--task=<task>]... "
	  "[--dry-run]",
	  "Run 'git reftable run' in many repositories, each in a process of\n"
	  "its own: a repository that fails, hangs or crashes never stops the\n"
	  "others. Repositories with the most tables (then the most bytes),\n"
	  "seen from file sizes alone, go first; repositories whose refs are\n"
	  "not in reftable, and paths with no repository, are skipped.\n"
	  "Every line names its repository; a summary ends the output.\n"
	  "Exit status: 1 if any repository failed or timed out, else 0.\n\n"
	  "  --registered        the registered repositories (the default;\n"
	  "                      see 'schedule')\n"
	  "  --repos-from=<file> the paths in <file>, one a line ('-': stdin;\n"
	  "                      empty lines and '#' lines skipped)\n"
	  "  --scan=<dir>        bare repositories (and worktree tops) under\n"
	  "                      <dir>; symlinks are not followed\n"
	  "  --jobs=<n>          repositories at once (default: the CPUs)\n"
	  "  --timeout=<d>       per repository, e.g. '30 minutes' (default 1\n"
	  "                      hour; 'never' for none): past it the run's\n"
	  "                      process group is killed and it counts as\n"
	  "                      failed\n"
	  "  -q, --quiet         print only problems: failures and their\n"
	  "                      messages, paths with no repository; no summary\n"
	  "  --json              one JSON object per repository per line:\n"
	  "                      repo, outcome (done, due, nothing_due, busy,\n"
	  "                      failed, timeout, skipped), exit, duration_ms,\n"
	  "                      run (the repository's 'run --json' document),\n"
	  "                      error\n"
	  "  --metrics=<file>    write a Prometheus textfile (node_exporter's\n"
	  "                      textfile collector) atomically: every\n"
	  "                      repository's 'stats --prometheus' gauges and\n"
	  "                      the fleet run's outcome and duration, each\n"
	  "                      labelled repo=\"<git dir>\"\n"
	  "  --auto, --schedule=<f>, --task=<t>, --dry-run\n"
	  "                      passed to each repository's 'run'\n" },
	{ "hook", cmd_hook,
	  "hook (<post-event> | reference-transaction <state> | pre-auto-gc)",
	  "What Git's hooks run (see 'git reftable install'). Always exits\n"
	  "0 so Git is never failed; problems are appended to\n"
	  "$GIT_COMMON_DIR/reftable-hook.log, with one line per compaction.\n\n"
	  "  post-receive, post-commit, post-merge, post-rewrite\n"
	  "        as reference-transaction's 'committed' below (Git runs\n"
	  "        these once its updates are done, its locks released)\n"
	  "  reference-transaction <state>\n"
	  "        reads the updates on stdin; on 'committed', checks from\n"
	  "        file sizes alone whether a compaction is due by the rules\n"
	  "        'run' follows (geometric-factor, max-tables,\n"
	  "        max-bytes-per-run; deletion records are not counted) and\n"
	  "        if so compacts, in a detached process unless\n"
	  "        [compaction] background = false; and when clean or\n"
	  "        expire is due for a look ([schedule] and the state\n"
	  "        file, or the policy changed since the last look), starts\n"
	  "        one detached 'run --auto' (none while a run is at work),\n"
	  "        its report in $GIT_COMMON_DIR/reftable-maintenance.log\n"
	  "  pre-auto-gc\n"
	  "        the maintenance 'run --auto' does, before Git's own gc\n\n"
	  "A repository using the files backend, or none: exit 0, no output.\n" },
	{ "install", cmd_install,
	  "install [--schedule] [--hooks=<how>] [--trigger=<when>] "
	  "[--dry-run] [-q | --quiet]",
	  "Make Git run 'git reftable hook' from its hooks in this\n"
	  "repository (which hooks: --trigger), and take its ref maintenance\n"
	  "over: $GIT_COMMON_DIR/reftable-takeover.config, included from the\n"
	  "end of the repository config, turns Git's reflog-expire and\n"
	  "pack-refs maintenance tasks off, sets gc.reflogExpire and\n"
	  "gc.reflogExpireUnreachable to never (git gc then expires no\n"
	  "reflog) and reftable.geometricFactor to the policy's factor. Our\n"
	  "commands read the user's own values, not these. Prints what it\n"
	  "changed; installing again changes nothing; 'git reftable\n"
	  "uninstall' restores what was there.\n\n"
	  "  --trigger=after-write\n"
	  "                   post-receive, post-commit, post-merge,\n"
	  "                   post-rewrite and pre-auto-gc (default): hooks\n"
	  "                   Git runs with its locks released, so no Git\n"
	  "                   writer waits on us; other updates (fetch,\n"
	  "                   update-ref, branch) are left to Git's\n"
	  "                   auto-compaction and scheduled runs\n"
	  "  --trigger=transaction\n"
	  "                   reference-transaction and pre-auto-gc: every\n"
	  "                   ref update, but Git starts the hook while it\n"
	  "                   holds tables.list.lock, and its other writers\n"
	  "                   then time out more often under load\n"
	  "  --hooks=config   hook.git-reftable-<name>.* in the repository\n"
	  "                   config (Git 2.54 and later run these)\n"
	  "  --hooks=scripts  scripts in the hooks directory (core.hooksPath\n"
	  "                   honoured); a hook already there is moved to\n"
	  "                   <event>.git-reftable-orig and runs first, with\n"
	  "                   the same arguments and stdin, and its exit\n"
	  "                   status is the hook's; refused where the hooks\n"
	  "                   directory lies outside the repository or is a\n"
	  "                   symlink (often one other repositories share)\n"
	  "  --hooks=auto     symlinks to git-reftable in the hooks\n"
	  "                   directory when no hook needs chaining and it\n"
	  "                   is the repository's own, else config with Git\n"
	  "                   >= 2.54, else scripts (default)\n"
	  "  --hooks=none     no hook: Git starts nothing of ours (none in\n"
	  "                   its locked path); its own auto-compaction, by\n"
	  "                   the policy's factor, keeps the stack geometric,\n"
	  "                   and the rest is left to scheduled runs (use\n"
	  "                   with --schedule; for busy servers)\n"
	  "  --schedule       also 'git reftable schedule start'\n"
	  "  --dry-run        print what would change, change nothing\n"
	  "  --quiet, -q      print only errors and warnings\n\n"
	  "Either way a hook whose git-reftable is gone is skipped: Git goes\n"
	  "on.\n" },
	{ "uninstall", cmd_uninstall, "uninstall [-q | --quiet]",
	  "Take out what 'git reftable install' put in: the hook.* config\n"
	  "sections and our hook scripts, putting back any hook they\n"
	  "replaced, the include and reftable-takeover.config, and what\n"
	  "'install --schedule' registered, so that config, hooks directory,\n"
	  "global config and schedule are as before.\n\n"
	  "  --quiet, -q  print only errors and warnings\n" },
	{ "version", cmd_version, "version", "Print the version.\n" },
	{ "help", cmd_help, "help [<command>]",
	  "Show the commands, or one command's help.\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_overview(FILE *out)
{
	fprintf(out,
		"usage: git reftable [-C <path>] [--policy <file>] <command> "
		"[<options>]\n\n"
		"Maintenance of Git repositories that store refs in reftables.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %s\n", commands[i].usage);
	fprintf(out, "\nRun 'git reftable <command> --help' for details.\n");
}

struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_version(struct command *cmd, int argc, char **argv)
{
	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc > 1)
		return usage_error(cmd, "unexpected argument '%s'", argv[1]);
	printf("git-reftable version %s\n", GIT_REFTABLE_VERSION);
	return EXIT_OK;
}

static int cmd_help(struct command *cmd, int argc, char **argv)
{
	struct command *target;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2) {
		print_overview(stdout);
		return EXIT_OK;
	}
	target = find_command(argv[1]);
	if (!target || argc > 2)
		return usage_error(cmd, "unknown command '%s'", argv[1]);
	printf("usage: git reftable %s\n\n%s", target->usage, target->help);
	return EXIT_OK;
}

/*
 * Git starts some hooks without our `hook` subcommand: a symlink in the
 * hooks directory runs as `.../hooks/<event> <args>`, and a configured
 * reference-transaction command that is a plain path as `<path> <state>`
 * (what older versions configured; plugin/hooks/install.c now writes a
 * guarded command). Run those as `hook <event> <args>`; -1 otherwise.
 */
static int hook_entry(int argc, char **argv)
{
	static const char *const states[] = { "preparing", "prepared",
					      "committed", "aborted" };
	const char *base = strrchr(argv[0], '/');
	char *args[4] = { "hook", NULL, NULL, NULL };

	base = base ? base + 1 : argv[0];
	if (hooks_is_event(base)) {
		args[1] = (char *)base;
	} else {
		for (size_t i = 0; argc >= 2 && i < 4; i++)
			if (!strcmp(argv[1], states[i]))
				args[1] = "reference-transaction";
		if (!args[1])
			return -1;
	}
	args[2] = argc > 1 ? argv[1] : NULL;
	return cmd_hook(find_command("hook"), argc > 1 ? 3 : 2, args);
}

int main(int argc, char **argv)
{
	struct command *cmd;
	int i = 1, ret;

	if ((ret = hook_entry(argc, argv)) >= 0)
		return ret;
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--policy")) {
			if (i + 1 >= argc) {
				error("--policy needs a file");
				return EXIT_USAGE;
			}
			policy_option = argv[i + 1];
			i += 2;
		} else if (skip_prefix(argv[i], "--policy=")) {
			policy_option = skip_prefix(argv[i], "--policy=");
			i++;
		} else if (!strcmp(argv[i], "-C")) {
			if (i + 1 >= argc) {
				error("-C needs a path");
				return EXIT_USAGE;
			}
			if (chdir(argv[i + 1])) {
				error("cannot change to '%s': %s", argv[i + 1],
				      strerror(errno));
				return EXIT_ERROR;
			}
			i += 2;
		} else if (!strcmp(argv[i], "-h") ||
			   !strcmp(argv[i], "--help")) {
			print_overview(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			return cmd_version(find_command("version"), 1, argv);
		} else {
			error("unknown option '%s'", argv[i]);
			fprintf(stderr, "usage: git reftable [-C <path>] "
					"[--policy <file>] <command> "
					"[<options>] (see 'git reftable "
					"--help')\n");
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		error("'%s' is not a git reftable command; see 'git reftable "
		      "--help'",
		      argv[i]);
		return EXIT_USAGE;
	}
	return cmd->run(cmd, argc - i, argv + i);
}
