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
 * way's: Git starts no process of ours, in particular none while it
 * holds tables.list.lock (it runs reference-transaction for `prepared`
 * under that lock, so any hook lengthens its holds by a process start);
 * Git's own auto-compaction then keeps the stack geometric and scheduled
 * runs do the rest. Nothing here prints.
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

/* The events we hook, and the name of each in hook.<name>.* */
struct hooks_event {
	const char *event;
	const char *name;
};

#define HOOKS_NEVENTS 2
extern const struct hooks_event hooks_events[HOOKS_NEVENTS];

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
 * Install the hooks of `hooks_events` in the repository git finds from the
 * current directory, `mode` deciding how. `self` is the absolute path of
 * git-reftable the hooks run. With `dry_run`, change nothing: `r` tells
 * what would change.
 */
int hooks_install(enum hooks_mode mode, const char *self, bool dry_run,
		  struct hooks_report *r, struct rt_err *err);

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
 * hook.<name>.event for each event. Each command is a shell command that
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
int hooks_config_entries(const char *self,
			 struct hooks_config_entry out[HOOKS_NCONFIG],
			 struct rt_err *err);
void hooks_config_release(struct hooks_config_entry e[HOOKS_NCONFIG]);

/*
 * Whether `have` (the output of `git config --get-all`: values each ended
 * by a newline; may be NULL) is exactly the one value `want`.
 */
bool hooks_config_is(const char *have, const char *want);

#endif
