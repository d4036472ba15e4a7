/*
 * fleet_due.c: whether `fleet run --auto` can leave a repository alone:
 * the questions the reference-transaction hook asks before it starts
 * anything (plugin/maint/due.h), asked without starting a process.
 *
 * Only a sure "nothing" skips a repository; whatever this look cannot
 * see as `run --auto` would (config includes, worktree config, the
 * environment pointing elsewhere, a policy with errors, a stack that
 * cannot be read, any file beside the listed tables) lets the child run
 * and decide.
 */
#define _GNU_SOURCE
#include "plugin/schedule/fleet.h"
#include "plugin/maint/due.h"
#include "plugin/maint/metrics_keep.h"
#include "plugin/maint/policy_file.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* Settings of the environment that the parent's look does not follow. */
static const char *const env_elsewhere[] = { "GIT_DIR", "GIT_COMMON_DIR",
					     "GIT_REFERENCE_BACKEND", NULL };

/*
 * Whether `dir` holds tables.list and the `ntables` tables it lists and
 * nothing else: any other file is for clean to judge (an orphan, a
 * temporary file, a lock).
 */
static bool only_listed(const char *dir, size_t ntables)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == ntables + 1;
}

static bool policy_nothing_due(const struct repo *repo, const struct policy *p)
{
	struct sched_item items[SCHED_NTASKS];
	struct maint_size_plan hp;
	bool nothing;

	/* A failure is run again until it is gone (and reported). */
	if (maint_look_due(repo, p, items) || maint_last_run_failed(repo))
		return false;
	if (maint_size_plan(repo, p, 0, NULL, &hp))
		return false;
	nothing = !hp.due && !hp.unreadable;
	for (size_t i = 0; nothing && i < hp.n; i++)
		nothing = only_listed(repo->stacks[i].dir, hp.stacks[i].n);
	maint_size_plan_release(&hp);
	return nothing;
}

/* The look; with `kept`, the kept metrics must hold too. */
static bool nothing_due(const struct fleet_repo *r, struct rt_buf *kept)
{
	struct policy_errors errs = { 0 };
	struct rt_err err = { 0 };
	struct repo repo;
	struct policy p;
	char *path = NULL;
	bool nothing = false;

	for (const char *const *e = env_elsewhere; *e; e++)
		if (getenv(*e))
			return false;
	if (r->kind != FLEET_REFTABLE)
		return false;
	if (repo_discover_at(&repo, r->path, REPO_NO_GIT | REPO_EVERY_STACK,
			     &err) ||
	    !repo.reftable || !config_plain_complete(&repo.cfg) ||
	    policy_file_find(&repo, NULL, &path, &err)) {
		repo_release(&repo);
		return false;
	}
	/* A relative reftable.policy is the child's, from its directory. */
	if (!policy_file_load(&p, &repo, path, &errs, &err) &&
	    (!path || path[0] == '/'))
		nothing = policy_nothing_due(&repo, &p);
	/* The factor as `stats` takes it (compaction_due). */
	if (nothing && kept)
		nothing = !metrics_keep_read(
			&repo,
			p.geometric_factor ? (unsigned)p.geometric_factor : 2,
			kept);
	policy_release(&p);
	policy_errors_release(&errs);
	free(path);
	repo_release(&repo);
	return nothing;
}

bool fleet_nothing_due(const struct fleet_repo *r)
{
	return nothing_due(r, NULL);
}

bool fleet_nothing_due_kept(const struct fleet_repo *r, struct rt_buf *kept)
{
	return nothing_due(r, kept);
}
