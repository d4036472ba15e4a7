/*
 * report.c: a run's report as the text `run` prints and the pre-auto-gc
 * hook logs.
 */
#include "plugin/maint/open.h"
#include "plugin/maint/run.h"

#include <stdio.h>
#include <string.h>

void maint_report_text(const struct maint_report *rep, bool dry_run,
		       bool problems_only,
		       void (*line)(void *arg, const char *text), void *arg)
{
	/* A stack label (a file name), a reason, a result: all fit. */
	char text[2048];
	unsigned due = 0;

	for (size_t i = 0; i < rep->n; i++) {
		const struct maint_stack_report *s = &rep->stacks[i];

		if (s->failure[0]) {
			snprintf(text, sizeof(text), "%s: failed: %s",
				 maint_stack_label(s->where), s->failure);
			line(arg, text);
		}
		for (size_t k = 0; k < SCHED_NTASKS; k++) {
			const struct sched_item *it = &s->plan.items[k];
			const struct maint_task_result *t = &s->res[it->task];
			size_t n;

			due += it->due;
			if (problems_only && t->status != MAINT_FAILED &&
			    t->status != MAINT_BUSY)
				continue;
			snprintf(text, sizeof(text), "%s: %s: %s: %s",
				 maint_stack_label(s->where),
				 sched_task_name(it->task),
				 maint_status_name(t->status), it->reason);
			n = strlen(text);
			if (t->result[0])
				snprintf(text + n, sizeof(text) - n, "; %s",
					 t->result);
			n = strlen(text);
			if (maint_outcome(t->status) != SCHED_OUTCOME_NONE)
				snprintf(text + n, sizeof(text) - n,
					 " (%llu ms)",
					 (unsigned long long)t->ms);
			line(arg, text);
		}
	}
	if (problems_only) {
		/* Nothing more: "nothing to do" is no problem. */
	} else if (!due) {
		line(arg, "nothing to do");
	} else if (dry_run) {
		snprintf(text, sizeof(text),
			 "%u task%s due (dry run: nothing changed)", due,
			 due == 1 ? "" : "s");
		line(arg, text);
	}
}
