/*
 * fleet.c: `git reftable fleet run`: `run` in many repositories, each in
 * a child process of its own (plugin/schedule/fleet.h), with every line
 * naming its repository, a summary, JSON lines and a Prometheus textfile.
 */
#include "lib/include/rt-file.h"
#include "plugin/cli/cli.h"
#include "plugin/git/config.h"
#include "plugin/maint/metrics.h"
#include "plugin/maint/run.h"
#include "plugin/schedule/fleet.h"
#include "plugin/util/json.h"
#include "plugin/util/logfile.h"
#include "plugin/util/path.h"
#include "scheduler/plan.h"
#include "plugin/util/clock.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* With no --timeout: long enough for any honest run, not for a hang. */
#define FLEET_DEFAULT_TIMEOUT (3600 * 1000)
/* Arguments of `run` passed through, at most. */
#define FLEET_MAX_RUN_ARGS 16

/* How one repository's run ended; the order of the summary. */
enum outcome {
	DONE,
	DUE, /* a dry run found work */
	NOTHING_DUE,
	BUSY,
	FAILED,
	TIMEOUT,
	NOUTCOMES
};

static const char *const outcome_names[NOUTCOMES] = {
	[DONE] = "done", [DUE] = "due",	      [NOTHING_DUE] = "nothing_due",
	[BUSY] = "busy", [FAILED] = "failed", [TIMEOUT] = "timeout",
};

struct fleet_cmd {
	bool quiet, json;
	/* Scheduled runs (not dry) keep their report in each repository's
	 * log, tagged with this ("fleet run --schedule=daily"). */
	char log_tag[64];
	const char *metrics_path;
	struct metrics ms;
	bool metrics_oom;
	size_t count[NOUTCOMES];
	size_t skipped;
};

static bool has(const struct spawn_result *r, const char *needle)
{
	return (r->out && strstr(r->out, needle)) ||
	       (r->err && strstr(r->err, needle));
}

/*
 * Whether a line of the child's text report (stdout) gives `status` to a
 * task: "<stack>: <task>: <status>: ...", where the task is one of the
 * scheduler's and follows the first ": " of the line. A message quoting a
 * ref name cannot pass for one: Git refuses ':' in ref names.
 */
static bool task_line_says(const struct spawn_result *r, const char *status)
{
	const char *line = r->out;
	size_t slen = strlen(status);

	while (line && *line) {
		size_t n = strcspn(line, "\n");
		const char *p = line;

		while (p + 1 < line + n && (p[0] != ':' || p[1] != ' '))
			p++;
		if (p + 1 >= line + n)
			p = NULL;

		for (int t = 0; p && t < SCHED_NTASKS; t++) {
			const char *name = sched_task_name(t);
			size_t k = strlen(name);
			const char *q = p + 2 + k;

			if (q + 2 + slen <= line + n &&
			    !strncmp(p + 2, name, k) && !strncmp(q, ": ", 2) &&
			    !strncmp(q + 2, status, slen) &&
			    (q + 2 + slen == line + n || q[2 + slen] == ':'))
				return true;
		}
		line += n + (line[n] == '\n');
	}
	return false;
}

/*
 * The child's own words tell the outcome: its exit status, then the task
 * statuses of its report (JSON, or text lines "<stack>: <task>:
 * <status>: ..."): strings inside JSON are escaped, so `"status":"busy"`
 * unescaped is a member, never part of a message.
 */
static enum outcome classify(const struct fleet_outcome *o, bool json)
{
	const struct spawn_result *r = &o->step[0].res;

	if (o->not_due)
		return NOTHING_DUE;
	if (o->timed_out)
		return TIMEOUT;
	if (o->step[0].status)
		return FAILED;
	if (json ? has(r, "\"status\":\"busy\"") :
		   task_line_says(r, "busy") ||
			    has(r, "not running (try later)"))
		return BUSY;
	if (json ? has(r, "\"status\":\"done\"") : task_line_says(r, "done"))
		return DONE;
	if (json ? has(r, "\"status\":\"due\"") : task_line_says(r, "due"))
		return DUE;
	return NOTHING_DUE;
}

/*
 * Each line of `text` as "<repo>: <line>" on `out`; with `only`, only the
 * lines holding it.
 */
static void prefixed(FILE *out, const char *repo, const char *text,
		     const char *only)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		const char *hit = only ? strstr(text, only) : text;

		if (n && hit && hit < text + n)
			fprintf(out, "%s: %.*s\n", repo, (int)n, text);
		text += n + (text[n] == '\n');
	}
}

/* The child's JSON document when it is whole: one line, "{...}\n". */
static bool whole_document(const struct spawn_result *r)
{
	return r->out && r->outlen >= 3 && r->out[0] == '{' &&
	       r->out[r->outlen - 1] == '\n' && r->out[r->outlen - 2] == '}' &&
	       !memchr(r->out, '\n', r->outlen - 1);
}

static void print_json_line(const struct fleet_outcome *o, enum outcome oc)
{
	const struct spawn_result *r = &o->step[0].res;
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_str(&j, "repo", o->repo->path);
	json_str(&j, "outcome", outcome_names[oc]);
	if (o->step[0].status >= 0 && !o->timed_out)
		json_int(&j, "exit", o->step[0].status);
	json_u64(&j, "duration_ms", o->ms);
	if (whole_document(r))
		json_raw(&j, "run", r->out, r->outlen - 1);
	if (o->not_due)
		/* Looked at from here; no run started. */
		json_bool(&j, "ran", false);
	else if (o->timed_out)
		json_str(&j, "error", "timed out; killed");
	else if (o->step[0].status < 0)
		json_str(&j, "error", o->err.msg);
	else if (r->err && *r->err)
		json_str(&j, oc == FAILED ? "error" : "messages", r->err);
	else if (oc == FAILED)
		json_str(&j, "error", "the run printed no JSON document");
	json_object_end(&j);
	putchar('\n');
}

static void print_text(const struct fleet_cmd *c, const struct fleet_outcome *o,
		       enum outcome oc)
{
	const struct spawn_result *r = &o->step[0].res;
	const char *repo = o->repo->path;

	/* A repository with nothing due says nothing; --quiet keeps only
	 * the report's failed tasks. */
	if (!c->quiet && oc != NOTHING_DUE)
		prefixed(stdout, repo, r->out, NULL);
	else if (oc == FAILED)
		prefixed(stdout, repo, r->out, ": failed: ");
	/* What it said on stderr are problems (or, when busy, why). */
	if (!c->quiet || oc != BUSY)
		prefixed(stderr, repo, r->err, NULL);
	if (oc == TIMEOUT)
		fprintf(stderr, "%s: timed out after %llu ms; killed\n", repo,
			(unsigned long long)o->ms);
	else if (o->step[0].status < 0 && !o->not_due)
		fprintf(stderr, "%s: %s\n", repo, o->err.msg);
	else if (oc == FAILED)
		fprintf(stderr, "%s: failed (exit %d)\n", repo,
			o->step[0].status);
}

static void add_metrics(struct fleet_cmd *c, const struct fleet_outcome *o,
			enum outcome oc)
{
	const struct spawn_result *stats = &o->step[1].res;
	const char *l[] = { "repo",
			    o->repo->git_dir ? o->repo->git_dir : o->repo->path,
			    "outcome", NULL, NULL };
	int ret = 0;

	if (stats->out &&
	    metrics_add_text(&c->ms, stats->out, stats->outlen) == RT_ERR_NOMEM)
		ret = -1;
	for (int i = 0; !ret && i < NOUTCOMES; i++) {
		l[3] = outcome_names[i];
		ret = metrics_add(&c->ms, METRIC_FLEET_OUTCOME, l,
				  i == (int)oc);
	}
	l[2] = NULL;
	if (!ret)
		ret = metrics_add(&c->ms, METRIC_FLEET_DURATION, l,
				  (double)o->ms / 1000);
	if (ret)
		c->metrics_oom = true;
}

/*
 * Each line of `text` into the log at `path` (best effort, as the hooks
 * log: a full disk must not fail the maintenance). A new log gets the
 * umask's mode: the fleet does not read each repository's
 * core.sharedRepository.
 */
static void log_lines(int dirfd, const char *path, const char *tag,
		      const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		if (n)
			logfile_append_at(dirfd, path, 0, tag, text, n, NULL);
		text += n + (text[n] == '\n');
	}
}

/*
 * Into the git dir as listed (symlinks resolved then), reached now
 * through no symlink: a .git swapped for one since must not lead root's
 * lines into another user's directory. Where that fails, root logs
 * nothing there; anyone else writes by path, as Git would.
 */
static void log_outcome(const struct fleet_cmd *c,
			const struct fleet_outcome *o)
{
	char *path = o->repo->git_dir ?
			     path_join(o->repo->git_dir, MAINT_LOG_FILE, NULL) :
			     NULL;
	int fd = path ? path_dir_open_nofollow(o->repo->git_dir) : -1;
	int at = fd >= 0 ? fd : AT_FDCWD;

	if (path && (fd >= 0 || geteuid() != 0)) {
		log_lines(at, path, c->log_tag, o->step[0].res.out);
		log_lines(at, path, c->log_tag, o->step[0].res.err);
		if (o->timed_out)
			log_lines(at, path, c->log_tag, "timed out; killed");
	}
	if (fd >= 0)
		close(fd);
	free(path);
}

static void done(void *arg, const struct fleet_outcome *o)
{
	struct fleet_cmd *c = arg;
	enum outcome oc = classify(o, c->json);

	c->count[oc]++;
	if (c->json)
		print_json_line(o, oc);
	else
		print_text(c, o, oc);
	if (c->metrics_path)
		add_metrics(c, o, oc);
	if (c->log_tag[0])
		log_outcome(c, o);
	fflush(stdout);
}

/* Repositories not run: gone (a problem), or not ours (only noted). */
static void report_skipped(struct fleet_cmd *c, const struct fleet_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct fleet_repo *r = &l->v[i];
		const char *why = r->kind == FLEET_MISSING ?
					  "no repository there" :
					  "its refs are not in reftable";
		struct json j;

		if (r->kind == FLEET_REFTABLE)
			continue;
		c->skipped++;
		if (c->json) {
			json_init(&j, stdout);
			json_object_begin(&j, NULL);
			json_str(&j, "repo", r->path);
			json_str(&j, "outcome", "skipped");
			json_str(&j, "reason", why);
			json_object_end(&j);
			putchar('\n');
		} else if (r->kind == FLEET_MISSING || !c->quiet) {
			fprintf(stderr, "%s: skipped: %s\n", r->path, why);
		}
	}
}

static int write_metrics(struct fleet_cmd *c)
{
	const char *l[] = { NULL };
	struct rt_buf out = RT_BUF_INIT;
	struct rt_err err = { 0 };
	int ret = 0;

	if (c->metrics_oom ||
	    metrics_add(&c->ms, METRIC_FLEET_LAST_RUN, l, (double)time(NULL)) ||
	    metrics_format(&c->ms, &out))
		ret = rt_err_oom(&err);
	/* Atomic: node_exporter never reads half a file. */
	if (!ret)
		ret = rt_file_replace(c->metrics_path, out.buf, out.len, 0644,
				      &err);
	rt_buf_release(&out);
	return ret ? error_rt(&err) : 0;
}

static void summary(const struct fleet_cmd *c, uint64_t ms)
{
	size_t n = c->skipped;

	for (int i = 0; i < NOUTCOMES; i++)
		n += c->count[i];
	fprintf(stderr,
		"fleet: %zu %s in %.1f s: %zu done, %zu nothing due, "
		"%zu due (dry run), %zu busy, %zu failed, %zu timed out, %zu "
		"skipped\n",
		n, n == 1 ? "repository" : "repositories", (double)ms / 1000,
		c->count[DONE], c->count[NOTHING_DUE], c->count[DUE],
		c->count[BUSY], c->count[FAILED], c->count[TIMEOUT],
		c->skipped);
}

/* Append the repositories `arg` names (a source option) to `l`. */
static int add_source(struct command *cmd, const char *arg,
		      struct fleet_list *l, struct rt_err *err)
{
	const char *v;

	if (!strcmp(arg, "--registered"))
		return fleet_list_registered(l, err);
	if ((v = skip_prefix(arg, "--scan=")))
		return fleet_list_scan(l, v, err);
	if ((v = skip_prefix(arg, "--repos-from="))) {
		FILE *f = strcmp(v, "-") ? fopen(v, "r") : stdin;
		struct rt_buf text = RT_BUF_INIT;
		char buf[8192];
		size_t n;
		int ret = 0;

		if (!f)
			return rt_err_errno(err, RT_ERR_IO, "cannot open '%s'",
					    v);
		while (!ret && (n = fread(buf, 1, sizeof(buf), f)))
			ret = rt_buf_add(&text, buf, n) ? rt_err_oom(err) : 0;
		if (!ret && ferror(f))
			ret = rt_err_errno(err, RT_ERR_IO, "cannot read '%s'",
					   v);
		if (f != stdin)
			fclose(f);
		if (!ret)
			ret = fleet_list_text(l, text.buf ? text.buf : "",
					      text.len, v, err);
		rt_buf_release(&text);
		return ret;
	}
	return usage_error(cmd, "unexpected argument '%s'", arg);
}

/* `run`'s options that a fleet passes on; else 0 (not one of them). */
static int run_option(struct command *cmd, const char *arg)
{
	enum policy_freq f;
	enum sched_task t;
	const char *v;

	if (!strcmp(arg, "--auto") || !strcmp(arg, "--dry-run") ||
	    !strcmp(arg, "-n"))
		return 1;
	if ((v = skip_prefix(arg, "--schedule=")))
		return policy_freq_parse(v, &f) || f == POLICY_NEVER ?
			       -usage_error(cmd, "bad schedule '%s'", v) :
			       1;
	if ((v = skip_prefix(arg, "--task=")))
		return sched_task_parse(v, &t) ?
			       -usage_error(cmd, "unknown task '%s'", v) :
			       1;
	return 0;
}

static int parse_jobs(struct command *cmd, const char *v, unsigned *jobs)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (!*v || *end || n < 1 || n > 1024)
		return usage_error(cmd, "--jobs wants a number from 1 to 1024");
	*jobs = (unsigned)n;
	return 0;
}

/* --timeout=<duration> in ms; "never" is none (0). */
static int parse_timeout(struct command *cmd, const char *v, uint64_t *ms)
{
	const char *why;
	uint64_t secs;

	if (parse_age(v, &secs, &why))
		return usage_error(cmd, "bad --timeout '%s': %s", v, why);
	if (!secs)
		return usage_error(cmd, "--timeout must be above 0");
	*ms = secs >= UINT64_MAX / 1000 ? 0 : secs * 1000;
	return 0;
}

/*
 * Name Git's system config file for the children (the very file Git
 * reads, so nothing changes for the git they start): then each reads its
 * config files itself where they say all (config_load()), and a
 * repository's run starts no `git config`.
 */
static void name_system_config(void)
{
	const char *nosys = getenv("GIT_CONFIG_NOSYSTEM");
	char *path;

	if (getenv("GIT_CONFIG_SYSTEM") || (nosys && config_bool(nosys) == 1))
		return;
	path = config_system_path();
	if (path && setenv("GIT_CONFIG_SYSTEM", path, 1)) {
		/* Then each child asks git, as before. */
	}
	free(path);
}

static int fleet_run_cmd(struct command *cmd, int argc, char **argv)
{
	const char *run_args[FLEET_MAX_RUN_ARGS + 3] = { "run" };
	const char *stats_args[] = { "stats", "--prometheus", NULL, NULL };
	struct fleet_options fo = { .timeout_ms = FLEET_DEFAULT_TIMEOUT };
	struct fleet_cmd c = { 0 };
	struct fleet_list l = { 0 };
	struct rt_err err = { 0 };
	size_t nrun = 1;
	bool sources = false;
	uint64_t start = clock_ms();
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ret = 0;

	fo.jobs = ncpu > 0 ? (unsigned)ncpu : 1;
	for (int i = 2; !ret && i < argc; i++) {
		const char *v;
		int r;

		if ((r = run_option(cmd, argv[i])) < 0)
			ret = -r;
		else if (r && nrun < FLEET_MAX_RUN_ARGS)
			run_args[nrun++] = argv[i];
		else if (r)
			ret = usage_error(cmd, "too many options for run");
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			c.quiet = true;
		else if (!strcmp(argv[i], "--json"))
			c.json = true;
		else if ((v = skip_prefix(argv[i], "--metrics=")))
			c.metrics_path = v;
		else if ((v = skip_prefix(argv[i], "--jobs=")))
			ret = parse_jobs(cmd, v, &fo.jobs);
		else if ((v = skip_prefix(argv[i], "--timeout=")))
			ret = parse_timeout(cmd, v, &fo.timeout_ms);
		else if ((ret = add_source(cmd, argv[i], &l, &err)) > 0)
			; /* a usage error, printed */
		else if (ret < 0)
			ret = error_rt(&err);
		else
			sources = true;
	}
	if (!ret && !sources && fleet_list_registered(&l, &err))
		ret = error_rt(&err);
	if (ret)
		goto out;
	for (size_t i = 1; i < nrun; i++)
		if (skip_prefix(run_args[i], "--schedule="))
			snprintf(c.log_tag, sizeof(c.log_tag), "fleet run %s",
				 run_args[i]);
	for (size_t i = 1; i < nrun; i++)
		if (!strcmp(run_args[i], "--dry-run") ||
		    !strcmp(run_args[i], "-n"))
			c.log_tag[0] = '\0';
	/*
	 * Plain --auto (no task, schedule or dry run): repositories with
	 * nothing due by the hook's cheap rules get no child, and the runs
	 * started record their looks at clean and expire, as the hook's
	 * runs do, so that the next fleet run can tell from the state file.
	 * With --metrics, the stats children keep their output in each
	 * repository, and a repository is left alone only while what it
	 * kept is still true (plugin/maint/metrics_keep.h).
	 */
	if (nrun == 2 && !strcmp(run_args[1], "--auto")) {
		fo.skip_not_due = true;
		fo.metrics_kept = c.metrics_path != NULL;
		run_args[nrun++] = "--record-checks";
	}
	if (c.json)
		run_args[nrun++] = "--json";
	if (fo.metrics_kept)
		stats_args[2] = "--keep";
	fo.program = spawn_self();
	fo.steps[0] = run_args;
	fo.steps[1] = stats_args;
	fo.nsteps = c.metrics_path ? 2 : 1;
	fo.done = done;
	fo.arg = &c;
	metrics_init(&c.ms);
	if (!fo.program) {
		error("cannot find the path of the git-reftable program");
		ret = EXIT_ERROR;
		goto out;
	}
	name_system_config();
	fleet_order(&l);
	report_skipped(&c, &l);
	if (fleet_run(&l, &fo, &err))
		ret = error_rt(&err);
	if (c.metrics_path && write_metrics(&c))
		ret = EXIT_ERROR;
	if (!c.quiet)
		summary(&c, clock_ms() - start);
	if (c.count[FAILED] || c.count[TIMEOUT])
		ret = EXIT_ERROR;
out:
	metrics_release(&c.ms);
	free((char *)fo.program);
	fleet_list_release(&l);
	return ret;
}

int cmd_fleet(struct command *cmd, int argc, char **argv)
{
	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2 || strcmp(argv[1], "run"))
		return usage_error(cmd, "the fleet subcommand is 'run'");
	return fleet_run_cmd(cmd, argc, argv);
}
