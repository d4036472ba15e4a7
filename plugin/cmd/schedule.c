/*
 * schedule.c: `git reftable schedule start|stop|list`, and the
 * `run-registered` step that the schedule entries call.
 *
 * The repositories to maintain are the values of the multi-valued key
 * reftable-maintenance.repo in the global Git config (as Git keeps
 * maintenance.repo), each the absolute path of a worktree's top or of a
 * bare repository. One set of hourly, daily and weekly entries serves
 * them all; it is installed by the first `start` and removed by the
 * `stop` that unregisters the last repository.
 *
 * Each entry runs `<git-reftable> schedule run-registered --schedule=<f>`
 * with our own absolute path and an explicit PATH, rather than
 * `git for-each-repo ... reftable run`: cron starts jobs with a minimal
 * PATH (often /usr/bin:/bin), where neither a git nor a git-reftable
 * installed elsewhere would be found, and for-each-repo stops at the
 * first failing repository unless the Git is recent enough for
 * --keep-going. run-registered keeps going, skips repositories that no
 * longer exist, and finds git (which `run` needs to read configuration)
 * through the PATH recorded when the schedule was started.
 */
#define _GNU_SOURCE
#include "plugin/cli/cli.h"
#include "plugin/maint/open.h"
#include "plugin/schedule/backend.h"
#include "plugin/util/spawn.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPO_KEY "reftable-maintenance.repo"

struct strlist {
	char **v;
	size_t n;
};

static void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

/* Run git; 0 when it exits 0 or `ok_status`, else -1 after an error. */
static int run_git(const char *const *argv, int ok_status,
		   struct spawn_result *r, int *status)
{
	const char *why;
	int st = spawn_run(argv, NULL, 0, r, &why);

	if (st < 0) {
		error("cannot run git: %s", why);
		return -1;
	}
	*status = st;
	if (st && st != ok_status) {
		spawn_report_failure(argv, st, r);
		spawn_result_release(r);
		return -1;
	}
	return 0;
}

/* The registered repositories, in the order of the global config. */
static int registered_repos(struct strlist *l)
{
	const char *argv[] = { "git",	    "config", "--global", "-z",
			       "--get-all", REPO_KEY, NULL };
	struct spawn_result r;
	int st;

	memset(l, 0, sizeof(*l));
	/* Exit 1: the key is not set. */
	if (run_git(argv, 1, &r, &st))
		return -1;
	for (size_t pos = 0; !st && pos < r.outlen;) {
		char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
		size_t len = strlen(r.out + pos);

		if (!v || !(v[l->n] = strdup(r.out + pos))) {
			l->v = v ? v : l->v;
			error("out of memory");
			strlist_release(l);
			spawn_result_release(&r);
			return -1;
		}
		l->v = v;
		if (*l->v[l->n])
			l->n++;
		else
			free(l->v[l->n]);
		pos += len + 1;
	}
	spawn_result_release(&r);
	return 0;
}

static int config_change(const char *op, const char *path)
{
	const char *add[] = { "git",	"config", "--global", "--add",
			      REPO_KEY, path,	  NULL };
	const char *unset[] = { "git",	       "config",
				"--global",    "--fixed-value",
				"--unset-all", REPO_KEY,
				path,	       NULL };
	struct spawn_result r;
	int st;

	if (run_git(!strcmp(op, "add") ? add : unset, -1, &r, &st))
		return -1;
	spawn_result_release(&r);
	return 0;
}

/*
 * The path that stands for this repository: the top of its worktree, or
 * the git dir of a bare repository, with symlinks resolved (as `git
 * maintenance register` does), so one repository has one spelling.
 */
static char *repo_path(const struct repo *repo)
{
	const char *argv[] = { "git", "rev-parse", "--show-toplevel", NULL };
	struct spawn_result r;
	char *res = NULL;
	int st = spawn_run(argv, NULL, 0, &r, NULL);

	if (st == 0 && r.outlen > 1 && r.out[r.outlen - 1] == '\n') {
		r.out[r.outlen - 1] = '\0';
		res = realpath(r.out, NULL);
	}
	if (st >= 0)
		spawn_result_release(&r);
	if (!res)
		res = realpath(repo->git_dir, NULL);
	if (!res)
		error("cannot resolve the path of '%s': %s", repo->git_dir,
		      strerror(errno));
	return res;
}

/*
 * A minute of the hour that stays the same for a user on a host (so that
 * `start` run again changes nothing) but differs between hosts (so that
 * a fleet of servers does not start maintenance all at once).
 */
static int schedule_minute(void)
{
	char host[256] = "", key[300];
	uint32_t h = 2166136261u; /* FNV-1a */

	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	snprintf(key, sizeof(key), "%s:%u", host, (unsigned)getuid());
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return (int)(h % 60);
}

static int path_add_dir(char **path, const char *dir)
{
	size_t n = strlen(dir);
	char *p = *path, *s;

	for (const char *q = p; q && *q;) {
		if (!strncmp(q, dir, n) && (q[n] == ':' || !q[n]))
			return 0;
		q = strchr(q, ':');
		q = q ? q + 1 : NULL;
	}
	if (asprintf(&s, "%s%s%s", p ? p : "", p ? ":" : "", dir) < 0)
		return -1;
	free(p);
	*path = s;
	return 0;
}

/*
 * What the entries run: ourselves by absolute path, with a PATH that has
 * the git found now, then the usual system directories.
 */
static int make_job(struct schedule_job *job, char **program, char **path)
{
	static const char *const sys[] = { "/usr/local/bin", "/usr/bin",
					   "/bin" };
	char *git = spawn_find("git"), *self_dir;
	int ret = 0;

	*path = NULL;
	*program = spawn_self();
	if (!*program || !git) {
		error(!git ? "git not found on PATH" :
			     "cannot find the path of the git-reftable program");
		free(git);
		return -1;
	}
	self_dir = strdup(*program);
	ret = !self_dir || path_add_dir(path, dirname(git)) ||
	      path_add_dir(path, dirname(self_dir));
	for (size_t i = 0; !ret && i < 3; i++)
		ret = path_add_dir(path, sys[i]);
	free(self_dir);
	free(git);
	if (ret) {
		error("out of memory");
		return -1;
	}
	job->program = *program;
	job->path_env = *path;
	job->minute = schedule_minute();
	return 0;
}

static int schedule_start(struct command *cmd, int argc, char **argv)
{
	const struct schedule_backend *be = NULL, *other;
	struct schedule_job job;
	char *program = NULL, *path_env = NULL, *path = NULL;
	struct strlist repos;
	struct rt_err err = { 0 };
	struct repo repo;
	int ret = EXIT_ERROR;
	size_t n;

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
	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	if (!be)
		be = schedule_systemd.usable() ? &schedule_systemd :
		     schedule_crontab.usable() ? &schedule_crontab :
						 NULL;
	if (!be) {
		error("neither systemd user timers ('systemctl --user') nor "
		      "crontab can be used; nothing scheduled");
		goto out;
	}
	other = be == &schedule_crontab ? &schedule_systemd : &schedule_crontab;
	path = repo_path(&repo);
	if (!path || make_job(&job, &program, &path_env) || be->install(&job))
		goto out;
	if (registered_repos(&repos))
		goto out;
	if (strlist_has(&repos, path))
		fprintf(stderr, "%s is already registered\n", path);
	else if (config_change("add", path))
		goto out_repos;
	/* One backend at a time, or every repository is maintained twice. */
	if (other->remove())
		goto out_repos;
	n = repos.n + !strlist_has(&repos, path);
	fprintf(stderr,
		"%s: hourly, daily and weekly maintenance at minute %d of "
		"the hour, for %zu registered repositor%s\n",
		be->name, job.minute, n, n == 1 ? "y" : "ies");
	ret = EXIT_OK;
out_repos:
	strlist_release(&repos);
out:
	free(path);
	free(path_env);
	free(program);
	repo_release(&repo);
	return ret;
}

static int schedule_stop(struct command *cmd, int argc, char **argv)
{
	struct strlist repos;
	struct repo repo;
	char msg[512], *path;
	int ret = EXIT_ERROR;

	if (argc > 2)
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	/* Any repository may be unregistered, reftable or not any more. */
	if (repo_discover(&repo, msg, sizeof(msg))) {
		error("%s", msg);
		repo_release(&repo);
		return EXIT_ERROR;
	}
	path = repo_path(&repo);
	repo_release(&repo);
	if (!path || registered_repos(&repos))
		goto out;
	if (!strlist_has(&repos, path))
		fprintf(stderr, "%s was not registered\n", path);
	else if (config_change("unset", path))
		goto out_repos;
	strlist_release(&repos);
	if (registered_repos(&repos))
		goto out;
	if (repos.n) {
		fprintf(stderr,
			"schedule kept for %zu registered "
			"repositor%s\n",
			repos.n, repos.n == 1 ? "y" : "ies");
		ret = EXIT_OK;
		goto out_repos;
	}
	/* Both, so that a backend switched to by hand is cleaned up too. */
	if (schedule_crontab.remove() | schedule_systemd.remove())
		goto out_repos;
	fprintf(stderr, "no repository registered; schedule removed\n");
	ret = EXIT_OK;
out_repos:
	strlist_release(&repos);
out:
	free(path);
	return ret;
}

static int schedule_list(struct command *cmd, int argc, char **argv)
{
	const struct schedule_backend *backends[] = { &schedule_crontab,
						      &schedule_systemd };
	struct strlist repos;
	int ret = EXIT_OK;

	if (argc > 2)
		return usage_error(cmd, "unexpected argument '%s'", argv[2]);
	if (registered_repos(&repos))
		return EXIT_ERROR;
	printf("repositories: %zu\n", repos.n);
	for (size_t i = 0; i < repos.n; i++)
		printf("  %s\n", repos.v[i]);
	strlist_release(&repos);
	for (size_t b = 0; b < 2; b++) {
		bool have[SCHEDULE_NFREQ] = { false };
		const char *why = NULL;
		int st = backends[b]->status(have, &why), n = 0;

		if (st < 0) {
			ret = EXIT_ERROR;
			continue;
		}
		printf("%s:", backends[b]->name);
		if (!st)
			printf(" not available (%s)", why);
		for (int f = 0; st && f < SCHEDULE_NFREQ; f++)
			if (have[f] && ++n)
				printf(" %s", schedule_freq_name(f));
		printf("%s\n", st && !n ? " not installed" : "");
	}
	return ret;
}

static int schedule_run_registered(struct command *cmd, int argc, char **argv)
{
	const char *freq = NULL, *why;
	struct strlist repos;
	char *program, *opt;
	int failed = 0;

	for (int i = 2; i < argc; i++) {
		const char *v = skip_prefix(argv[i], "--schedule=");

		if (!v)
			return usage_error(cmd, "unknown option '%s'", argv[i]);
		freq = NULL;
		for (int f = 0; f < SCHEDULE_NFREQ; f++)
			if (!strcmp(v, schedule_freq_name(f)))
				freq = schedule_freq_name(f);
		if (!freq)
			return usage_error(cmd,
					   "unknown schedule '%s' (expected "
					   "hourly, daily or weekly)",
					   v);
	}
	if (!freq)
		return usage_error(cmd, "run-registered needs --schedule");
	program = spawn_self();
	if (!program || asprintf(&opt, "--schedule=%s", freq) < 0) {
		error("cannot find the path of the git-reftable program");
		free(program);
		return EXIT_ERROR;
	}
	if (registered_repos(&repos)) {
		free(opt);
		free(program);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < repos.n; i++) {
		const char *child[] = { program, "-C", repos.v[i],
					"run",	 opt,  NULL };
		struct stat st;
		int status;

		/* A deleted repository must not fail the others' upkeep. */
		if (stat(repos.v[i], &st) || !S_ISDIR(st.st_mode)) {
			warning("skipping %s: no such directory; to forget it: "
				"git config --global --fixed-value "
				"--unset-all %s '%s'",
				repos.v[i], REPO_KEY, repos.v[i]);
			continue;
		}
		status = spawn_run(child, NULL, 0, NULL, &why);
		if (status) {
			if (status < 0)
				error("cannot run %s: %s", program, why);
			else
				error("maintenance of %s failed (exit %d)",
				      repos.v[i], status);
			failed++;
		}
	}
	strlist_release(&repos);
	free(opt);
	free(program);
	return failed ? EXIT_ERROR : EXIT_OK;
}

int cmd_schedule(struct command *cmd, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct command *, int, char **);
	} subs[] = {
		{ "start", schedule_start },
		{ "stop", schedule_stop },
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
