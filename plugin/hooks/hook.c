/*
 * hook.c: `git reftable hook <event>`, what Git's hooks run.
 *
 * reference-transaction runs three times for every ref update, so its
 * path must cost almost nothing: it starts no process, reads the config
 * files itself, and asks the scheduler (sched_hook_due(), the rules `run`
 * follows for compaction) over a snapshot of tables.list and the tables'
 * file sizes. Only when a compaction is due does it load everything (git
 * config, the policy) and compact what the plan says through the engine's
 * compaction task, in a detached process unless the policy says
 * `background = false`. It also reads the small state file and asks the
 * scheduler (sched_hook_run_due()) whether clean or expire is due for a
 * look; if so it starts one detached `run --auto`, which is where Git's
 * own reflog expiry would have run. The hooks Git runs after its updates
 * (post-receive, post-commit, post-merge, post-rewrite) do the same as a
 * `committed` state: they are that state without the process start under
 * Git's lock (install.h). pre-auto-gc runs the engine as `run --auto`
 * does, inline.
 *
 * A hook must never fail or stall Git: the exit status is always 0, and
 * the log $GIT_COMMON_DIR/reftable-hook.log is the hooks' only report:
 * whatever goes wrong, one line per compaction, pre-auto-gc's run report,
 * and anything lower layers write to stdout or stderr meanwhile. The runs
 * the reference-transaction hook starts report to the maintenance log,
 * as `run --detach` does.
 */
#define _GNU_SOURCE
#include "plugin/hooks/hooks.h"
#include "plugin/hooks/hook.h"
#include "plugin/hooks/install.h"
#include "plugin/maint/due.h"
#include "plugin/maint/open.h"
#include "plugin/maint/policy_file.h"
#include "plugin/util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Git writes the updates to stdin: left unread, its write fails (SIGPIPE
 * or EPIPE) once we are gone.
 */
static void drain_stdin(void)
{
	char buf[65536];
	ssize_t n;

	if (isatty(0))
		return;
	while ((n = read(0, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
}

int hook_load_policy(const struct hook *h, const struct repo *repo,
		     struct policy *p, const char *what)
{
	struct policy_errors errs = { 0 };
	struct rt_err err = { 0 };
	char *path = NULL;
	int nerr = policy_file_find(repo, h->policy, &path, &err);

	if (nerr)
		policy_init(p);
	else
		nerr = policy_file_load(p, repo, path, &errs, &err);
	if (nerr < 0)
		hook_logf(h, "%s", err.msg);
	for (size_t i = 0; i < errs.n; i++)
		hook_logf(h, "%s", errs.msg[i]);
	if (nerr > 0)
		hook_logf(h, "policy has errors: no %s until fixed", what);
	policy_errors_release(&errs);
	free(path);
	if (nerr)
		policy_release(p);
	return nerr ? -1 : 0;
}

/*
 * The mode of the files the hook creates, as the repository's other files
 * (core.sharedRepository): a group member's hook and runs must be able to
 * take the locks and write the logs too. A bad setting is logged by
 * whatever opens the stack; the log is made with the umask meanwhile.
 */
static void hook_set_mode(struct hook *h, const struct repo *repo)
{
	struct rt_stack_options opts;
	struct rt_err err = { 0 };

	h->mode = maint_stack_options(repo, &opts, &err) ?
			  0 :
			  opts.default_permissions;
}

/*
 * The hook's log (and lock) in the common dir of `repo`, opened through
 * a copy of the directory discovery opened, which outlives `repo` here.
 * false when out of memory or descriptors.
 */
static bool hook_set_files(struct hook *h, const struct repo *repo, bool lock)
{
	int fd = repo_common_dirfd(repo);

	if (fd != AT_FDCWD && h->dirfd == AT_FDCWD) {
		/* Clear of 0-2: the detached child dup2()s onto those. */
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		/* Not by path instead: that is what the copy guards against. */
		if (fd < 0)
			return false;
		h->dirfd = fd;
	}
	return (h->log_path = path_join(repo->common_dir, HOOK_LOG, NULL)) &&
	       (!lock ||
		(h->lock_path = path_join(repo->common_dir, HOOK_LOCK, NULL)));
}

/* After Git's ref updates: start what is due, as hook.c's head says. */
static void hook_after_write(struct hook *h)
{
	struct sched_item items[SCHED_NTASKS];
	struct policy p;
	bool run;
	struct repo repo;
	struct rt_err err = { 0 };

	/* No repository, or refs in files: not ours, and not a problem. */
	if (repo_discover_opts(&repo, REPO_NO_GIT, &err) || !repo.reftable) {
		repo_release(&repo);
		return;
	}
	if (!hook_set_files(h, &repo, true)) {
		repo_release(&repo);
		return;
	}
	hook_set_mode(h, &repo);
	if (hook_load_policy(h, &repo, &p, "compaction")) {
		repo_release(&repo);
		return;
	}
	run = maint_look_due(&repo, &p, items);
	if (hook_compaction_due(h, &repo, &p) || run ||
	    hook_list_lock_old(&repo))
		hook_start(h, &repo, &p, run ? items : NULL);
	policy_release(&p);
	repo_release(&repo);
}

static void hook_reference_transaction(struct hook *h, int argc, char **argv)
{
	drain_stdin();
	if (argc >= 2 && !strcmp(argv[1], "committed"))
		hook_after_write(h);
}

/*
 * The maintenance `git reftable run --auto` does (compaction, and expiry
 * or cleaning when due), inline, as Git waits before its own gc. Its
 * report goes to the log.
 */
static void hook_pre_auto_gc(struct hook *h)
{
	struct hook_capture cap = { 0 };
	struct repo repo;
	struct rt_err err = { 0 };

	if (!repo_discover_opts(&repo, REPO_NO_GIT, &err) && repo.reftable &&
	    hook_set_files(h, &repo, false)) {
		hook_set_mode(h, &repo);
		hook_logf(h, "maintenance before Git's automatic gc");
		hook_capture_begin(&cap);
		hook_run_auto(h);
		hook_capture_end(&cap, h);
	}
	repo_release(&repo);
}

bool hooks_is_event(const char *name)
{
	return hooks_event_find(name) != NULL;
}

int hook_handle(const char *policy, int argc, char **argv,
		struct rt_buf *unlogged)
{
	struct hook h = { .event = argv[0],
			  .policy = policy,
			  .dirfd = AT_FDCWD,
			  .unlogged = unlogged };

	if (!hooks_event_find(h.event))
		return -1;
	if (!strcmp(h.event, "reference-transaction")) {
		hook_reference_transaction(&h, argc, argv);
	} else if (!strcmp(h.event, "pre-auto-gc")) {
		hook_pre_auto_gc(&h);
	} else {
		/* The post-* events, whatever their arguments. */
		drain_stdin();
		hook_after_write(&h);
	}
	free(h.log_path);
	free(h.lock_path);
	if (h.dirfd != AT_FDCWD)
		close(h.dirfd);
	return 0;
}
