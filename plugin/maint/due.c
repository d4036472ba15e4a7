/*
 * due.c: whether anything is due, from stat(2) and the state file.
 */
#include "plugin/maint/due.h"
#include "plugin/maint/open.h"
#include "plugin/maint/snapshot.h"
#include "plugin/util/path.h"
#include "scheduler/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void maint_size_plan_release(struct maint_size_plan *hp)
{
	for (size_t i = 0; hp->tables && i < hp->n; i++)
		free(hp->tables[i]);
	free(hp->tables);
	free(hp->stacks);
	free(hp->plans);
	memset(hp, 0, sizeof(*hp));
}

int maint_size_plan(const struct repo *repo, const struct policy *p,
		    uint64_t spent, const struct maint_sink *sink,
		    struct maint_size_plan *hp)
{
	int version = maint_table_version(repo);
	struct rt_err oom = { 0 };

	memset(hp, 0, sizeof(*hp));
	hp->n = repo->nstacks;
	hp->stacks = calloc(hp->n + 1, sizeof(*hp->stacks));
	hp->tables = calloc(hp->n + 1, sizeof(*hp->tables));
	hp->plans = calloc(hp->n + 1, sizeof(*hp->plans));
	if (!hp->stacks || !hp->tables || !hp->plans) {
		maint_size_plan_release(hp);
		return rt_err_oom(&oom);
	}
	for (size_t i = 0; i < hp->n; i++) {
		const struct repo_stack *where = &repo->stacks[i];
		struct sched_stack *s = &hp->stacks[i];
		struct rt_err err = { 0 };
		char msg[sizeof(err.msg) + 64];
		int ret;

		s->name = maint_stack_label(where);
		s->sizes_only = true;
		ret = snapshot_sizes(where->dir, version, &hp->tables[i], &s->n,
				     &err);
		s->tables = hp->tables[i];
		if (ret)
			hp->unreadable++;
		if (ret && ret != RT_ERR_OUTDATED && sink) {
			snprintf(msg, sizeof(msg), "%s: %s", s->name,
				 err.msg[0] ? err.msg : rt_error_name(ret));
			sink->error(sink->arg, msg);
		}
	}
	hp->due = sched_hook_due(p, spent, hp->stacks, hp->n, hp->plans);
	return 0;
}

/* The state file of `repo`; unreadable: as if nothing ran. */
static void read_state(const struct repo *repo, struct sched_state *st)
{
	struct rt_err err = { 0 };
	char *path = path_join(repo->common_dir, SCHED_STATE_FILE, NULL);

	memset(st, 0, sizeof(*st));
	if (path && sched_state_read(st, path, &err))
		memset(st, 0, sizeof(*st));
	free(path);
}

bool maint_last_run_failed(const struct repo *repo)
{
	struct sched_state st;

	read_state(repo, &st);
	for (int t = 0; t < SCHED_NTASKS; t++)
		if (st.task[t].outcome == SCHED_OUTCOME_FAILED)
			return true;
	return false;
}

bool maint_look_due(const struct repo *repo, const struct policy *p,
		    struct sched_item items[SCHED_NTASKS])
{
	struct sched_state st;

	/* Unreadable: as if nothing ran; the run says why and rewrites it. */
	read_state(repo, &st);
	return sched_hook_run_due(p, &st, (uint64_t)time(NULL), items);
}
