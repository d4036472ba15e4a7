/*
 * schedule.c: `git reftable schedule start|stop|list`, and the
 * `run-registered` step that the schedule entries call (see
 * plugin/schedule/schedule.h for what they do).
 */
#include "plugin/cmd/schedule.h"
#include "plugin/cli/cli.h"
#include "plugin/schedule/registry.h"
#include "plugin/schedule/schedule.h"
#include "plugin/maint/open.h"

#include <stdlib.h>
#include <string.h>

static const char *repositories(size_t n)
{
	return n == 1 ? "repository" : "repositories";
}

int cmd_schedule_start(const struct schedule_backend *be, bool quiet)
{
	struct rt_err err = { 0 };
	struct schedule_outcome o;
	struct repo repo;
	int ret;

	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	ret = schedule_start(&repo, be, &o, &err);
	repo_release(&repo);
	if (o.was_registered && !quiet)
		fprintf(stderr, "%s is already registered\n", o.path);
	if (ret)
		error("%s", err.msg);
	else if (!quiet)
		fprintf(stderr,
			"%s: hourly, daily and weekly maintenance at minute "
			"%d of the hour, for %zu registered %s\n",
			o.backend->name, o.minute, o.nrepos,
			repositories(o.nrepos));
	schedule_outcome_release(&o);
	return ret ? EXIT_ERROR : EXIT_OK;
}

static int schedule_start_args(struct command *cmd, int argc, char **argv)
{
	const struct schedule_backend *be = NULL;

	for (int i = 2; i < argc; i++) {
		const char *v = skip_prefix(argv[i], "--scheduler=");

		if (!v)
			return usage_error(cmd, "unknown option '%s'", argv[i]);
		if (!strcmp(v, "auto"))
			be = NULL;
		else if (!strcmp(v, "crontab"))
			be = &schedule_crontab;
		else if (!strcmp(v, "systemd"))
			be = &schedule_systemd;
		else
			return usage_error(cmd,
					   "unknown scheduler '%s' (expected "
					   "auto, crontab or systemd)",
					   v);
	}
	return cmd_schedule_start(be, false);
}

static int schedule_stop_args(struct command *cmd, int argc, char **argv)
{
	struct rt_err err = { 0 };
	struct schedule_outcome o;
	struct repo repo;
	int ret;

	if (argc > 2)
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	/* Any repository may be unregistered, reftable or not any more. */
	if (repo_discover(&repo, &err)) {
		repo_release(&repo);
		return error_rt(&err);
	}
	ret = schedule_stop(&repo, &o, &err);
	repo_release(&repo);
	if (o.path && !o.was_registered)
		fprintf(stderr, "%s was not registered\n", o.path);
	if (ret)
		error("%s", err.msg);
	else if (o.nrepos)
		fprintf(stderr, "schedule kept for %zu registered %s\n",
			o.nrepos, repositories(o.nrepos));
	else
		fprintf(stderr, "no repository registered; schedule removed\n");
	schedule_outcome_release(&o);
	return ret ? EXIT_ERROR : EXIT_OK;
}

static int schedule_list(struct command *cmd, int argc, char **argv)
{
	const struct schedule_backend *backends[] = { &schedule_crontab,
						      &schedule_systemd };
	struct schedule_repos repos;
	struct rt_err err = { 0 };
	int ret = EXIT_OK;

	if (argc > 2)
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	if (schedule_repos_read(&repos, &err)) {
		error("%s", err.msg);
		return EXIT_ERROR;
	}
	printf("repositories: %zu\n", repos.n);
	for (size_t i = 0; i < repos.n; i++)
		printf("  %s\n", repos.v[i]);
	schedule_repos_release(&repos);
	for (size_t b = 0; b < 2; b++) {
		bool have[SCHEDULE_FREQS] = { false };
		const char *why = NULL;
		int st, n = 0;

		rt_err_clear(&err);
		st = backends[b]->status(have, &why, &err);
		if (st < 0) {
			error("%s", err.msg);
			ret = EXIT_ERROR;
			continue;
		}
		printf("%s:", backends[b]->name);
		if (!st)
			printf(" not available (%s)", why);
		for (int f = POLICY_HOURLY; st && f <= POLICY_WEEKLY; f++)
			if (have[f] && ++n)
				printf(" %s", policy_freq_name(f));
		printf("%s\n", st && !n ? " not installed" : "");
	}
	return ret;
}

/*
 * What schedule entries written before `fleet run` existed call: now an
 * alias of `fleet run --registered --schedule=<f>`.
 */
static int schedule_run_registered(struct command *cmd, int argc, char **argv)
{
	char *args[] = { "fleet", "run", "--registered", NULL, NULL };
	bool have = false;

	for (int i = 2; i < argc; i++) {
		const char *v = skip_prefix(argv[i], "--schedule=");
		enum policy_freq f;

		if (!v)
			return usage_error(cmd, "unknown option '%s'", argv[i]);
		if (policy_freq_parse(v, &f) || f == POLICY_NEVER)
			return usage_error(cmd,
					   "unknown schedule '%s' (expected "
					   "hourly, daily or weekly)",
					   v);
		args[3] = argv[i];
		have = true;
	}
	if (!have)
		return usage_error(cmd, "run-registered needs --schedule");
	return cmd_fleet(find_command("fleet"), 4, args);
}

int cmd_schedule(struct command *cmd, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct command *, int, char **);
	} subs[] = {
		{ "start", schedule_start_args },
		{ "stop", schedule_stop_args },
		{ "list", schedule_list },
		{ "run-registered", schedule_run_registered },
	};

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "which one: start, stop or list?");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(cmd, argc, argv);
	return usage_error(cmd, "unknown subcommand '%s'", argv[1]);
}
