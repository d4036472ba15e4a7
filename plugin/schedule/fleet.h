/*
 * fleet.h: maintaining many repositories from one command (`git reftable
 * fleet run`, and the schedule entries through it): which repositories,
 * in which order, and running a few commands of ours in each.
 *
 * Each repository is maintained by child processes of this same program
 * (`<program> -C <repo> run ...`), never inside this process: a
 * repository that crashes, hangs or exhausts memory costs only its own
 * child, and the per-repository timeout kills the child's whole process
 * group (the git processes it started too). Nothing here prints: the
 * caller's callback gets each repository's outcome with what its
 * children printed.
 */
#ifndef PLUGIN_SCHEDULE_FLEET_H
#define PLUGIN_SCHEDULE_FLEET_H

#include "lib/include/rt-basics.h"
#include "lib/include/rt-error.h"
#include "plugin/util/spawn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the stat-only look (fleet_look()) found at a listed path. */
enum fleet_kind {
	FLEET_REFTABLE, /* a git dir with a reftable/ directory */
	FLEET_OTHER_BACKEND, /* a repository whose refs are not reftable */
	FLEET_MISSING, /* no directory, or no repository in it */
};

struct fleet_repo {
	char *path; /* as listed; what children get as -C */
	enum fleet_kind kind;
	/* Its git dir with symlinks resolved, as `stats` labels it; NULL
	 * when FLEET_MISSING (or out of memory). */
	char *git_dir;
	/* The need for work, from stat(2) alone: more tables come first. */
	size_t tables;
	uint64_t bytes;
};

struct fleet_list {
	struct fleet_repo *v;
	size_t n;
};

void fleet_list_release(struct fleet_list *l);

/* The registered repositories (registry.h), appended to `l`. */
int fleet_list_registered(struct fleet_list *l, struct rt_err *err);
/*
 * The paths in `text` (one a line; empty lines and lines starting with
 * '#' skipped), appended to `l`. `name` names the list in messages.
 */
int fleet_list_text(struct fleet_list *l, const char *text, size_t len,
		    const char *name, struct rt_err *err);
/*
 * The repositories under directory `dir`, appended to `l` sorted by path:
 * bare repositories, and worktree tops with a .git directory; the search
 * does not go into a repository found, nor follow symlinks.
 */
int fleet_list_scan(struct fleet_list *l, const char *dir, struct rt_err *err);

/*
 * Look at every repository of `l` with stat(2) and readdir(3) only (no
 * table is opened: cheap for thousands), set kind, tables and bytes, and
 * sort the list: reftable repositories with the most tables first (then
 * the most bytes), then the others in list order.
 */
void fleet_order(struct fleet_list *l);

/*
 * Whether `r` certainly has nothing due for `run --auto`, by a look that
 * starts no process: the reference-transaction hook's rules (file sizes
 * for compaction, the state file and the schedule for clean and expire;
 * plugin/maint/due.h), the repository's policy from its config files
 * read directly, and no file beside the listed tables. False whenever
 * the look is unsure (then the child decides).
 */
bool fleet_nothing_due(const struct fleet_repo *r);
/*
 * fleet_nothing_due(), and the repository's kept metrics
 * (plugin/maint/metrics_keep.h) still true: into `kept`. False (and
 * `kept` empty) when something is due, or no kept block holds.
 */
bool fleet_nothing_due_kept(const struct fleet_repo *r, struct rt_buf *kept);

/* Steps run in each repository, one after the other. */
#define FLEET_MAX_STEPS 2

struct fleet_step {
	int status; /* exit status (128 + signal); < 0: not run */
	struct spawn_result res; /* what it printed */
};

struct fleet_outcome {
	const struct fleet_repo *repo;
	/*
	 * Not run: fleet_nothing_due() said so (skip_not_due); no step ran,
	 * but with metrics_kept the last step's output is the kept metrics
	 * (status 0).
	 */
	bool not_due;
	bool timed_out; /* killed at the timeout; later steps not run */
	uint64_t ms; /* wall time of all its steps */
	struct fleet_step step[FLEET_MAX_STEPS];
	struct rt_err err; /* a step that could not start says why here */
};

struct fleet_options {
	const char *program; /* absolute path of git-reftable */
	/* Per step: the arguments after `<program> -C <repo>`, NULL-ended. */
	const char *const *steps[FLEET_MAX_STEPS];
	size_t nsteps;
	unsigned jobs; /* repositories at once, >= 1 */
	uint64_t timeout_ms; /* per repository; 0: none */
	/*
	 * Start no child for a repository fleet_nothing_due() leaves alone:
	 * it is reported at once with `not_due` set. For `run --auto` only.
	 */
	bool skip_not_due;
	/*
	 * With skip_not_due: the last step is `stats --prometheus --keep`,
	 * and a repository is left alone only with its kept metrics, which
	 * stand in for that step's output.
	 */
	bool metrics_kept;
	/*
	 * Called for each reftable repository of the list, in the order
	 * they finish; the outcome's outputs are freed when it returns.
	 * Repositories of another kind are not run.
	 */
	void (*done)(void *arg, const struct fleet_outcome *o);
	void *arg;
};

/*
 * Run the steps in every FLEET_REFTABLE repository of `l`, up to
 * o->jobs at once, in the list's order. A repository that fails never
 * stops the others. 0, or a negative rt_error when waiting for the
 * children failed or SIGINT, SIGTERM or SIGHUP came (those still running
 * are then killed, reaped and reported as timed out first).
 */
int fleet_run(const struct fleet_list *l, const struct fleet_options *o,
	      struct rt_err *err);

#endif
