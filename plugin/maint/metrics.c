/*
 * metrics.c: our metric families and their text format.
 */
#include "plugin/maint/metrics.h"
#include "plugin/maint/open.h"
#include "plugin/util/path.h"
#include "scheduler/state.h"

#include <sys/stat.h>
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name, *help;
} families[METRIC_N] = {
	[METRIC_STACK_READABLE] = { "git_reftable_stack_readable",
				    "1 when every table of the stack could be "
				    "read; 0 when one could not (the stack's "
				    "other gauges are then missing)." },
	[METRIC_TABLES] = { "git_reftable_tables", "Tables in the stack." },
	[METRIC_BYTES] = { "git_reftable_bytes",
			   "Bytes of all tables in the stack." },
	[METRIC_REFS] = { "git_reftable_refs",
			  "Live refs: the stack's merged view, deleted refs "
			  "and older values not counted." },
	[METRIC_REF_RECORDS] = { "git_reftable_ref_records",
				 "Ref records in all tables (not deletions), "
				 "shadowed values included." },
	[METRIC_LOG_ENTRIES] = { "git_reftable_log_entries",
				 "Reflog records in all tables (not "
				 "deletions)." },
	[METRIC_TOMBSTONES] = { "git_reftable_tombstones",
				"Ref and log deletion records." },
	[METRIC_COMPACTION_DUE] = { "git_reftable_compaction_due",
				    "1 when the geometric rule asks for "
				    "compaction." },
	[METRIC_LIST_LOCK_AGE] = { "git_reftable_list_lock_age_seconds",
				   "Age of tables.list.lock, 0 when there is "
				   "none (Git holds it for milliseconds)." },
	[METRIC_LIST_LOCK_HELD] = { "git_reftable_list_lock_held",
				    "1 when a live process holds "
				    "tables.list.lock open (looked for once it "
				    "is 5 s old)." },
	[METRIC_LIST_LOCK_DEAD] = { "git_reftable_list_lock_dead",
				    "1 when tables.list.lock was left by a "
				    "dead process (run and the hook clear "
				    "it)." },
	[METRIC_TASK_LAST_RUN] = { "git_reftable_task_last_run_timestamp_seconds",
				   "When the task last ran (0: never), from "
				   "the state file." },
	[METRIC_TASK_OUTCOME] = { "git_reftable_task_last_outcome",
				  "1 for how the task's last run ended "
				  "(done, failed, busy), 0 for the others." },
	[METRIC_TASK_DURATION] = { "git_reftable_task_last_duration_seconds",
				   "How long the task's last run took." },
	[METRIC_FLEET_OUTCOME] = { "git_reftable_fleet_outcome",
				   "1 for how the repository's last fleet run "
				   "ended (done, nothing_due, busy, failed, "
				   "timeout), 0 for the others." },
	[METRIC_FLEET_DURATION] = { "git_reftable_fleet_duration_seconds",
				    "Wall time of the repository's last fleet "
				    "run." },
	[METRIC_FLEET_LAST_RUN] = { "git_reftable_fleet_last_run_timestamp_seconds",
				    "When the fleet run that wrote this file "
				    "ended." },
};

void metrics_init(struct metrics *m)
{
	for (size_t i = 0; i < METRIC_N; i++)
		m->fam[i] = (struct rt_buf)RT_BUF_INIT;
}

void metrics_release(struct metrics *m)
{
	for (size_t i = 0; i < METRIC_N; i++)
		rt_buf_release(&m->fam[i]);
}

/* A label value: only \, " and newline are escaped in this format. */
static int add_label_value(struct rt_buf *b, const char *v)
{
	int ret = rt_buf_addch(b, '"');

	for (; !ret && *v; v++)
		ret = *v == '\\' ? rt_buf_addstr(b, "\\\\") :
		      *v == '"'	 ? rt_buf_addstr(b, "\\\"") :
		      *v == '\n' ? rt_buf_addstr(b, "\\n") :
				   rt_buf_addch(b, *v);
	return ret ? ret : rt_buf_addch(b, '"');
}

int metrics_add(struct metrics *ms, enum metric m, const char *const *labels,
		double v)
{
	struct rt_buf *b = &ms->fam[m];
	char num[64];
	int ret = rt_buf_addstr(b, families[m].name);

	for (size_t i = 0; !ret && labels && labels[i]; i += 2) {
		ret = rt_buf_addstr(b, i ? "," : "{");
		if (!ret)
			ret = rt_buf_addstr(b, labels[i]);
		if (!ret)
			ret = rt_buf_addch(b, '=');
		if (!ret)
			ret = add_label_value(b, labels[i + 1]);
	}
	if (!ret && labels && labels[0])
		ret = rt_buf_addch(b, '}');
	if (v >= 0 && v < 9007199254740992.0 && v == (double)(uint64_t)v)
		snprintf(num, sizeof(num), " %llu\n",
			 (unsigned long long)(uint64_t)v);
	else
		snprintf(num, sizeof(num), " %.6f\n", v);
	return ret ? ret : rt_buf_addstr(b, num);
}

int metrics_add_text(struct metrics *ms, const char *text, size_t len)
{
	int foreign = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = strcspn(text + pos, "{ \n");
		size_t m;

		if (n > end - pos)
			n = end - pos;
		for (m = 0; m < METRIC_N; m++)
			if (strlen(families[m].name) == n &&
			    !memcmp(families[m].name, text + pos, n))
				break;
		if (end > pos && text[pos] != '#') {
			if (m == METRIC_N)
				foreign++;
			else if (rt_buf_add(&ms->fam[m], text + pos,
					    end - pos) ||
				 rt_buf_addch(&ms->fam[m], '\n'))
				return RT_ERR_NOMEM;
		}
		pos = end + 1;
	}
	return foreign;
}

int metrics_format(const struct metrics *ms, struct rt_buf *out)
{
	for (size_t m = 0; m < METRIC_N; m++) {
		const char *name = families[m].name;
		int ret;

		/* A family without samples says nothing worth a header. */
		if (!ms->fam[m].len)
			continue;
		ret = rt_buf_addstr(out, "# HELP ");

		if (!ret)
			ret = rt_buf_addstr(out, name);
		if (!ret)
			ret = rt_buf_addch(out, ' ');
		if (!ret)
			ret = rt_buf_addstr(out, families[m].help);
		if (!ret)
			ret = rt_buf_addstr(out, "\n# TYPE ");
		if (!ret)
			ret = rt_buf_addstr(out, name);
		if (!ret)
			ret = rt_buf_addstr(out, " gauge\n");
		if (!ret)
			ret = rt_buf_add(out, ms->fam[m].buf, ms->fam[m].len);
		if (ret)
			return ret;
	}
	return 0;
}

int metrics_add_repo(struct metrics *ms, const struct repo *repo,
		     struct rt_err *err)
{
	char *path = path_join(repo->common_dir, SCHED_STATE_FILE, NULL);
	struct sched_state st;
	int ret;

	if (!path)
		return rt_err_oom(err);
	ret = sched_state_read(&st, path, err);
	free(path);
	for (int t = 0; !ret && t < SCHED_NTASKS; t++) {
		const struct sched_task_state *ts = &st.task[t];
		const char *l[] = { "repo", repo->git_dir,
				    "task", sched_task_name(t),
				    NULL,   NULL,
				    NULL };

		ret = metrics_add(ms, METRIC_TASK_LAST_RUN, l,
				  (double)ts->last_run);
		if (!ret && ts->last_run)
			ret = metrics_add(ms, METRIC_TASK_DURATION, l,
					  (double)ts->duration_ms / 1000);
		for (int o = SCHED_OUTCOME_DONE;
		     !ret && ts->last_run && o <= SCHED_OUTCOME_BUSY; o++) {
			l[4] = "outcome";
			l[5] = sched_outcome_name(o);
			ret = metrics_add(ms, METRIC_TASK_OUTCOME, l,
					  ts->outcome == (enum sched_outcome)o);
		}
	}
	return ret;
}
