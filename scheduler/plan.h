/*
 * plan.h: the maintenance planner. From a snapshot of each stack, the
 * policy, the saved state, the current time and what triggered the run,
 * it makes an ordered plan of tasks per stack, each due or skipped with a
 * reason a person can read.
 *
 * Pure: plain structs in, plain structs out. No file, clock or repository
 * access happens here, so every decision is unit-tested with made-up
 * stacks; the plugin takes the snapshot and carries the plan out.
 */
#ifndef SCHED_PLAN_H
#define SCHED_PLAN_H

#include "policy/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tasks, in the order a plan runs them (plan.c says why). */
enum sched_task {
	SCHED_CLEAN,
	SCHED_EXPIRE,
	SCHED_COMPACT,
	SCHED_NTASKS
};

const char *sched_task_name(enum sched_task t);
/* "clean", "expire", "compact"; -1 for anything else. */
int sched_task_parse(const char *name, enum sched_task *out);

enum sched_trigger_kind {
	/* `run`, or `run --task=...`: the tasks asked for. */
	SCHED_TRIGGER_MANUAL,
	/* `run --auto`: whatever the stacks' state asks for. */
	SCHED_TRIGGER_AUTO,
	/*
	 * The reference-transaction hook after ref updates: compaction only,
	 * decided from a snapshot of file sizes (sched_hook_due()).
	 */
	SCHED_TRIGGER_HOOK,
	/* `run --schedule=<f>` from cron or a systemd timer. */
	SCHED_TRIGGER_SCHEDULE,
};

struct sched_trigger {
	enum sched_trigger_kind kind;
	enum policy_freq freq; /* SCHED_TRIGGER_SCHEDULE */
	/* --task: only these (1u << task each), whatever the kind; 0: all */
	unsigned tasks;
};

/* One table as the planner sees it. */
struct sched_table {
	uint64_t weight; /* rt_stack_table_weight(): the geometric rule's */
	uint64_t size; /* file size: what the budget counts */
	uint64_t refs, logs; /* live records */
	uint64_t ref_tombstones, log_tombstones; /* deletion records */
};

/*
 * What a clean would find, as the plugin classified it with the policy's
 * [orphans] ages: `*_young` ones are within the grace period (or locked)
 * and would be kept.
 */
struct sched_leftovers {
	uint64_t orphans, orphans_young;
	uint64_t temp_files, temp_young;
	uint64_t stale_locks; /* older than [orphans] stale-lock */
};

struct sched_stack {
	const char *name; /* "main" or the worktree id, for reasons */
	const struct sched_table *tables; /* oldest first */
	size_t n;
	/*
	 * Only weight and size of the tables are known (a stat-only
	 * snapshot, as hooks take): record counts are zero, and the
	 * tombstone-ratio rule is not applied.
	 */
	bool sizes_only;
	struct sched_leftovers left;
	/*
	 * A lower bound of the reflog entries an expiry would drop, when the
	 * plugin estimated it (it does for `auto`, without object access).
	 */
	bool expirable_known;
	uint64_t expirable;
};

enum sched_outcome {
	SCHED_OUTCOME_NONE, /* never ran */
	SCHED_OUTCOME_DONE,
	SCHED_OUTCOME_FAILED,
	SCHED_OUTCOME_BUSY, /* a lock was held by someone else */
};

const char *sched_outcome_name(enum sched_outcome o);

/* The last run of one task, over all stacks of the repository. */
struct sched_task_state {
	uint64_t last_run; /* seconds since the epoch; 0: never */
	enum sched_outcome outcome;
	uint64_t duration_ms;
	/*
	 * When a run started by the reference-transaction hook last looked
	 * at the task, whether it ran it or not (0: never). Such a run saves
	 * it so that the hook waits for the task's next interval instead of
	 * starting a run after every ref update (sched_hook_run_due()).
	 */
	uint64_t last_check;
	/* sched_policy_digest() of the policy then; 0: not recorded. */
	uint64_t policy;
};

struct sched_state {
	struct sched_task_state task[SCHED_NTASKS];
};

/*
 * A digest of the policy's settings that task `t` depends on (expire:
 * every [reflog] value and rule, Git's gc.* fallbacks included; clean:
 * [orphans]; compact: [compaction]), never 0. Two policies with the same
 * digest make the task decide alike.
 */
uint64_t sched_policy_digest(const struct policy *p, enum sched_task t);

struct sched_input {
	const struct policy *policy;
	const struct sched_state *state;
	uint64_t now; /* seconds since the epoch */
	struct sched_trigger trigger;
	/* Table bytes this run already compacted: off max-bytes-per-run. */
	uint64_t spent;
};

/* Below this many expirable entries `auto` does not expire... */
#define SCHED_AUTO_EXPIRE_MIN 100
/* ...nor below this share (1/n) of the stack's live log records. */
#define SCHED_AUTO_EXPIRE_SHARE 10

enum sched_compact_mode {
	SCHED_COMPACT_NONE,
	SCHED_COMPACT_SEGMENT, /* tables first..last, by the geometric rule */
	SCHED_COMPACT_ALL, /* the whole stack: deletion records dropped */
};

struct sched_item {
	enum sched_task task;
	bool due;
	/* Why it is due, or why it is skipped. */
	char reason[384];
	/* SCHED_COMPACT: what to compact. */
	enum sched_compact_mode mode;
	size_t first, last; /* inclusive, oldest first */
	uint64_t bytes; /* file bytes of the tables to rewrite */
	/*
	 * Expiry and a whole-stack compaction both due: the compaction drops
	 * the expired entries itself (one rewrite instead of an added table
	 * and a rewrite). Set on both items; the expire item is then done by
	 * the compaction.
	 */
	bool with_expiry;
};

struct sched_plan {
	struct sched_item items[SCHED_NTASKS]; /* in the order to run them */
	bool any_due;
};

/*
 * Plan each of `n` stacks into `plans[i]`. The policy's
 * max-bytes-per-run is one budget for the whole run, spent on the stacks
 * in order.
 */
void sched_plan(const struct sched_input *in, const struct sched_stack *stacks,
		size_t n, struct sched_plan *plans);

/*
 * The reference-transaction hook's decision, by the same rules as
 * sched_plan() (trigger SCHED_TRIGGER_HOOK: compaction only; clean and
 * expire are left to runs, sched_hook_run_due()). `stacks` may come from
 * a stat-only snapshot (sizes_only). `spent`: what this hook process
 * compacted already, so that its rounds together keep to
 * max-bytes-per-run. Fills `plans` (n) and returns whether a compaction
 * is due in any stack.
 */
bool sched_hook_due(const struct policy *p, uint64_t spent,
		    const struct sched_stack *stacks, size_t n,
		    struct sched_plan *plans);

/*
 * The hook's other question, after ref updates: whether to start one
 * detached `run --auto` (which then decides each task by the stacks, as
 * `run --auto` does) because clean or expire is due for a look. From the
 * state file alone, so cheap enough for every ref update: a task is due
 * when its [schedule] is not never (and, for expire, the policy can
 * expire anything at all) and it was never run nor looked at, or its
 * interval has passed since either (less a twelfth as slack, as for
 * scheduled runs), or its last run was busy a twelfth of the interval
 * ago, or the policy's settings for it changed since
 * (sched_policy_digest()). Fills items[task] (clean and expire; compact
 * is sched_hook_due()'s and never due here) and returns whether any is
 * due.
 */
bool sched_hook_run_due(const struct policy *p, const struct sched_state *st,
			uint64_t now, struct sched_item items[SCHED_NTASKS]);

/*
 * The geometric segment of n tables (oldest first; `weights` for the rule,
 * file `sizes` for the budget) that fits in `budget` bytes (0: no cap):
 * the whole segment the rule asks for if it fits, else the run of its
 * tables with the most tables (at least two) that fits, the newest such
 * run on a tie, else nothing. Returns the number of tables (0 or >= 2)
 * and sets *first, *last and *bytes (their sizes). The plugin calls it
 * again just before compacting, since the stack may have grown since the
 * snapshot.
 */
size_t sched_fit_segment(const uint64_t *weights, const uint64_t *sizes,
			 size_t n, unsigned factor, uint64_t budget,
			 size_t *first, size_t *last, uint64_t *bytes);

/* "512 bytes", "12288 bytes": sizes in reasons, as every output has them. */
void sched_format_bytes(uint64_t bytes, char *buf, size_t len);
/* "45 s", "12 min", "3 h", "2 d": ages in reasons. */
void sched_format_age(uint64_t seconds, char *buf, size_t len);

#endif
