/*
 * install.h: wiring `git reftable hook <event>` into a repository, and
 * taking it out again so that the repository's config and hooks directory
 * are exactly as they were.
 *
 * Two ways. Git 2.54 and later run hooks named in the config
 * (hook.<name>.command / hook.<name>.event), which leaves the hooks
 * directory alone but costs a shell per hook run (the guard that skips a
 * missing binary); every Git runs files in the hooks directory, where we
 * put symlinks to git-reftable (no shell) or scripts that chain the hook
 * already present (see scripts.h). HOOKS_AUTO takes symlinks when they
 * are enough, config hooks where the hooks directory holds the user's
 * hooks or is shared (core.hooksPath) and Git runs them, else scripts.
 * Both ways are idempotent, and one at a time: installing one takes the
 * other out. HOOKS_NONE installs no hook at all and takes out either
 * way's. Nothing here prints.
 *
 * Which hooks is the trigger's choice (enum hooks_trigger). Git runs
 * reference-transaction for the `prepared` state while it holds
 * tables.list.lock, so any such hook, even one that does nothing,
 * lengthens every hold by a process start, and Git's other writers time
 * out (reftable.lockTimeout, 100 ms) more often than with no hook. The
 * default trigger therefore takes the hooks Git runs once its ref
 * updates are done and its locks released: a push (post-receive), a
 * commit, merge or rewrite (post-commit, post-merge, post-rewrite). Ref
 * updates with no such hook (fetch, update-ref, branch, tag) are left to
 * Git's own auto-compaction, which the take-over gives the policy's
 * factor, and to scheduled runs.
 */
#ifndef PLUGIN_HOOKS_INSTALL_H
#define PLUGIN_HOOKS_INSTALL_H

#include "lib/include/rt-error.h"

#include <stdbool.h>
#include <stddef.h>

enum hooks_mode {
	HOOKS_AUTO, /* symlinks if enough, else config where Git runs them */
	HOOKS_CONFIG,
	HOOKS_SCRIPTS,
	HOOKS_NONE, /* no hook: maintenance by schedule only */
};

/* Which of Git's hooks start our maintenance. */
enum hooks_trigger {
	/* After Git's updates, its locks released; see above. */
	HOOKS_AFTER_WRITE = 1,
	/* reference-transaction: every update, one start under Git's lock. */
	HOOKS_TRANSACTION = 2,
};

/*
 * An event we may hook: its name in hook.<name>.*, the triggers that
 * install it, and whether Git writes lines to the hook's stdin (which a
 * chaining script then hands to both hooks).
 */
struct hooks_event {
	const char *event;
	const char *name;
	unsigned triggers; /* enum hooks_trigger bits */
	bool reads_stdin;
};

#define HOOKS_NEVENTS 6
extern const struct hooks_event hooks_events[HOOKS_NEVENTS];

/* The entry of hooks_events for the event `name`; NULL if none. */
const struct hooks_event *hooks_event_find(const char *name);

/* Whether `trigger` installs hooks_events[i]. */
bool hooks_event_wanted(size_t i, enum hooks_trigger trigger);

/* The trigger named `name` ("after-write", "transaction"); -1 if none. */
int hooks_trigger_parse(const char *name);
/* The events `trigger` hooks, as "a, b, c". Allocated; NULL: no memory. */
char *hooks_trigger_events(enum hooks_trigger trigger);

/*
 * What an install or uninstall did. Release it with hooks_report_release()
 * whatever the call returned.
 */
struct hooks_report {
	enum hooks_mode mode; /* install: the way used */
	bool changed; /* anything was added, replaced or removed */
	/* Things left as they were that the user should hear of. */
	char *notes[HOOKS_NEVENTS];
	size_t nnotes;
};

void hooks_report_release(struct hooks_report *r);

/*
 * Install the hooks `trigger` wants in the repository git finds from the
 * current directory, `mode` deciding how, and take out any other hook of
 * ours (those of the other trigger, or of the other way). `self` is the
 * absolute path of git-reftable the hooks run. With `dry_run`, change
 * nothing: `r` tells what would change.
 */
int hooks_install(enum hooks_mode mode, enum hooks_trigger trigger,
		  const char *self, bool dry_run, struct hooks_report *r,
		  struct rt_err *err);

/* Take out whatever either way installed. */
int hooks_uninstall(struct hooks_report *r, struct rt_err *err);

/*
 * One config entry that config mode wants: `key` set to exactly one value,
 * `value`. Both allocated; free with hooks_config_release().
 */
struct hooks_config_entry {
	char *key;
	char *value;
};

#define HOOKS_NCONFIG (2 * HOOKS_NEVENTS)

/*
 * The entries config mode sets for `self`: hook.<name>.command and
 * hook.<name>.event for each event `trigger` wants (unused entries are
 * left NULL). Each command is a shell command that
 * skips the hook when `self` is not there (removed or moved), instead of
 * failing Git's ref updates; Git runs it through /bin/sh (it has spaces)
 * and appends the hook's arguments. pre-auto-gc's is
 * `test -x '<self>' || exit 0; exec '<self>' hook pre-auto-gc`.
 * reference-transaction runs three times per ref update (preparing,
 * prepared, committed), and the hook acts on `committed` only (the other
 * states just read stdin, which Git >= 2.54, the first with config hooks,
 * does not need: it ignores EPIPE there), so its command starts `self`
 * only then. The shell it starts for every state still costs: 1.25 times
 * the CPU of a no-op hook against 1.06 for symlinks (tests/bench/hook.sh),
 * which is why `auto` prefers symlinks. The command:
 * `test "$1" = committed && test -x '<self>' && exec '<self>' hook
 * reference-transaction "$@"; :`.
 */
int hooks_config_entries(const char *self, enum hooks_trigger trigger,
			 struct hooks_config_entry out[HOOKS_NCONFIG],
			 struct rt_err *err);
void hooks_config_release(struct hooks_config_entry e[HOOKS_NCONFIG]);

/*
 * Whether `have` (the output of `git config --get-all`: values each ended
 * by a newline; may be NULL) is exactly the one value `want`.
 */
bool hooks_config_is(const char *have, const char *want);

#endif
