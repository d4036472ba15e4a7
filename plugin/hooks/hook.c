/*
 * hook.c: `git reftable hook <event>`, what Git's hooks run.
 *
 * reference-transaction runs three times for every ref update, so its
 * path must cost almost nothing: it starts no process, reads the config
 * files itself, and decides from tables.list and file sizes alone. Only
 * when the policy wants a compaction does it load everything (git config,
 * the policy) and compact, in a detached process unless the policy says
 * `background = false`. A hook must never fail or stall Git: the exit
 * status is always 0, and whatever goes wrong is appended to
 * $GIT_COMMON_DIR/reftable-hook.log together with one line per
 * compaction the hook ran.
 */
#define _GNU_SOURCE
#include "plugin/cli/cli.h"
#include "plugin/maint/policy_file.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOOK_LOG "reftable-hook.log"
/* Beyond this size the log is moved to <log>.1 and a new one started. */
#define HOOK_LOG_MAX (1024 * 1024)
/*
 * Held (flock) by the process compacting on behalf of the hooks, so a
 * burst of ref updates starts one compaction, not one per update.
 */
#define HOOK_FLOCK "reftable-hook.flock"
/* Compaction rounds one hook process runs before it leaves the rest. */
#define MAX_ROUNDS 8

struct hook {
	const char *event;
	char *log_path; /* NULL: no repository, nowhere to log */
	char *flock_path;
};

static int open_log(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);

	if (fd >= 0 && !fstat(fd, &st) && st.st_size >= HOOK_LOG_MAX) {
		char *old;

		/* Racing hooks may both rotate: one generation is lost. */
		close(fd);
		if (asprintf(&old, "%s.1", path) >= 0) {
			rename(path, old);
			free(old);
		}
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0666);
	}
	return fd;
}

/* One line "<UTC time> <event>[<pid>]: <msg>", in one write. */
static void log_line(const struct hook *h, const char *msg, size_t len)
{
	char stamp[32], *line;
	time_t now = time(NULL);
	struct tm tm;
	int fd, n;

	if (!h->log_path)
		return;
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = asprintf(&line, "%s %s[%d]: %.*s\n", stamp, h->event, (int)getpid(),
		     (int)len, msg);
	if (n < 0)
		return;
	fd = open_log(h->log_path);
	if (fd >= 0) {
		if (write(fd, line, n) < 0) {
			/* Nowhere left to report it. */
		}
		close(fd);
	}
	free(line);
}

static void log_printf(const struct hook *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void log_printf(const struct hook *h, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_line(h, msg, n);
	free(msg);
}

/*
 * While a command's code runs for a hook, its stdout and stderr go to an
 * unnamed temp file; capture_end() moves each line into the log.
 */
struct capture {
	FILE *tmp;
	int saved[2];
};

static void capture_begin(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	c->tmp = tmpfile();
	if (!c->tmp)
		return;
	for (int fd = 1; fd <= 2; fd++) {
		c->saved[fd - 1] = dup(fd);
		dup2(fileno(c->tmp), fd);
	}
}

static void capture_end(struct capture *c, const struct hook *h)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	if (!c->tmp)
		return;
	for (int fd = 1; fd <= 2; fd++) {
		if (c->saved[fd - 1] >= 0) {
			dup2(c->saved[fd - 1], fd);
			close(c->saved[fd - 1]);
		}
	}
	rewind(c->tmp);
	while ((n = getline(&line, &cap, c->tmp)) > 0)
		log_line(h, line, n);
	free(line);
	fclose(c->tmp);
	c->tmp = NULL;
}

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

enum due {
	DUE_NONE,
	DUE_GEOMETRIC, /* the geometric rule names a segment */
	DUE_ALL, /* more tables than max-tables: the whole stack */
};

/* What the policy wants for one stack, from file sizes alone. */
static enum due stack_due(const struct hook *h, const struct repo *repo,
			  const struct repo_stack *where,
			  const struct policy *p)
{
	const char *fmt = config_get(&repo->cfg, "extensions.objectformat");
	int version = fmt && !strcasecmp(fmt, "sha256") ? 2 : 1;
	struct rt_err err = { 0 };
	struct rt_segment seg;
	uint64_t *weights;
	size_t n;
	int ret;

	ret = rt_stack_stat_weights(where->dir, version, &weights, &n, &err);
	if (ret) {
		/* A vanished table: someone else is compacting right now. */
		if (ret != RT_ERR_OUTDATED)
			log_printf(h, "%s: %s", stack_label(where),
				   err.msg[0] ? err.msg : rt_error_name(ret));
		return DUE_NONE;
	}
	seg = rt_suggest_segment(weights, n, p->geometric_factor);
	free(weights);
	if (seg.end - seg.start >= 2)
		return DUE_GEOMETRIC;
	return n > p->max_tables ? DUE_ALL : DUE_NONE;
}

static bool any_due(const struct hook *h, const struct repo *repo,
		    const struct policy *p)
{
	for (size_t i = 0; i < repo->nstacks; i++)
		if (stack_due(h, repo, &repo->stacks[i], p) != DUE_NONE)
			return true;
	return false;
}

/* Load the policy for `repo`; its errors are logged. 0 when usable. */
static int load_policy(const struct hook *h, const struct repo *repo,
		       struct policy *p)
{
	struct policy_errors errs = { 0 };
	struct rt_err err = { 0 };
	char *path = NULL;
	int nerr = policy_file_find(repo, policy_option, &path, &err);

	if (nerr)
		policy_init(p);
	else
		nerr = policy_file_load(p, repo, path, &errs, &err);
	if (nerr < 0)
		log_printf(h, "%s", err.msg);
	for (size_t i = 0; i < errs.n; i++)
		log_printf(h, "%s", errs.msg[i]);
	if (nerr > 0)
		log_printf(h, "policy has errors: no compaction until fixed");
	policy_errors_release(&errs);
	free(path);
	if (nerr)
		policy_release(p);
	return nerr ? -1 : 0;
}

/*
 * One pass over every stack: compact what is due. Returns the number of
 * compactions that failed. Output is captured by the caller.
 */
static int compact_round(const struct hook *h, const struct repo *repo,
			 const struct policy *p,
			 const struct rt_stack_options *opts)
{
	int failed = 0;

	for (size_t i = 0; i < repo->nstacks; i++) {
		enum due due = stack_due(h, repo, &repo->stacks[i], p);

		if (due != DUE_NONE && compact_stack(&repo->stacks[i], opts,
						     due == DUE_ALL, false))
			failed++;
	}
	return failed;
}

/*
 * Compact while the policy wants it, holding the hook lock (fd). After
 * releasing it, look once more: a hook that found the lock taken counts
 * on its holder to see the tables it added, so the holder must look
 * after it let go, and carry on if it can take the lock again.
 */
static void compact_locked(const struct hook *h, int lock_fd, bool in_hook)
{
	struct rt_stack_options opts;
	struct capture cap = { 0 };
	struct policy p;
	struct repo repo;
	struct rt_err err = { 0 };
	int failed = 0;

	capture_begin(&cap);
	if (repo_discover(&repo, &err)) {
		error("%s", err.msg);
		goto release_repo;
	}
	if (load_policy(h, &repo, &p))
		goto release_repo;
	if (stack_options(&repo, &opts))
		goto release_policy;
	opts.geometric_factor = p.geometric_factor;
	/* Git waits for an inline hook: never wait forever on a lock. */
	if (in_hook && opts.lock_timeout_ms < 0)
		opts.lock_timeout_ms = 100;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		failed = compact_round(h, &repo, &p, &opts);
		flock(lock_fd, LOCK_UN);
		if (failed || !any_due(h, &repo, &p) ||
		    flock(lock_fd, LOCK_EX | LOCK_NB))
			break;
	}
release_policy:
	policy_release(&p);
release_repo:
	repo_release(&repo);
	capture_end(&cap, h);
}

/* The lock file names the process compacting, for people (and tests). */
static void note_pid(int fd, pid_t pid)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n) {
		/* Only informative. */
	}
}

/*
 * Take the hook lock and compact, inline or in a detached child. When the
 * lock is taken, another process is compacting and will look again.
 */
static void start_compaction(const struct hook *h, bool background,
			     bool in_hook)
{
	int fd = open(h->flock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	pid_t pid;

	if (fd < 0) {
		log_printf(h, "cannot open %s: %s", h->flock_path,
			   strerror(errno));
		return;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return;
	}
	if (!background) {
		note_pid(fd, getpid());
		compact_locked(h, fd, in_hook);
		close(fd);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		log_printf(h, "cannot fork: %s; compacting inline",
			   strerror(errno));
		compact_locked(h, fd, in_hook);
	} else if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		int logfd = open_log(h->log_path);

		/* Git waits for our stdio to close: let go of all of it. */
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		compact_locked(h, fd, false);
		fflush(NULL);
		_exit(0);
	} else {
		/* Written before Git goes on: whoever waits finds this one. */
		note_pid(fd, pid);
	}
	close(fd);
}

static int hook_reference_transaction(struct hook *h, int argc, char **argv)
{
	struct policy p;
	struct repo repo;
	struct rt_err err = { 0 };
	bool due;

	drain_stdin();
	if (argc < 2 || strcmp(argv[1], "committed"))
		return EXIT_OK;
	/* No repository, or refs in files: not ours, and not a problem. */
	if (repo_discover_opts(&repo, REPO_NO_GIT, &err) || !repo.reftable) {
		repo_release(&repo);
		return EXIT_OK;
	}
	if (asprintf(&h->log_path, "%s/" HOOK_LOG, repo.common_dir) < 0 ||
	    asprintf(&h->flock_path, "%s/" HOOK_FLOCK, repo.common_dir) < 0) {
		repo_release(&repo);
		return EXIT_OK;
	}
	if (load_policy(h, &repo, &p)) {
		repo_release(&repo);
		return EXIT_OK;
	}
	due = any_due(h, &repo, &p);
	if (due)
		start_compaction(h, p.background, true);
	policy_release(&p);
	repo_release(&repo);
	return EXIT_OK;
}

/*
 * `git reftable run --auto`: what the stacks need now (compaction, and
 * expiry or cleaning when due), inline, as Git waits before its own gc.
 * Its report goes to the log.
 */
static int hook_pre_auto_gc(struct hook *h)
{
	char *args[] = { "run", "--auto", NULL };
	struct command *run = find_command("run");
	struct capture cap = { 0 };
	struct repo repo;
	struct rt_err err = { 0 };
	int ret;

	if (!repo_discover_opts(&repo, REPO_NO_GIT, &err) && repo.reftable &&
	    asprintf(&h->log_path, "%s/" HOOK_LOG, repo.common_dir) >= 0) {
		log_printf(h, "maintenance before Git's automatic gc");
		capture_begin(&cap);
		ret = run->run(run, 2, args);
		capture_end(&cap, h);
		if (ret)
			log_printf(h, "run --auto exited with %d", ret);
	}
	repo_release(&repo);
	return EXIT_OK;
}

int cmd_hook(struct command *cmd, int argc, char **argv)
{
	struct hook h = { 0 };
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "which hook event?");
	h.event = argv[1];
	if (!strcmp(argv[1], "reference-transaction"))
		ret = hook_reference_transaction(&h, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "pre-auto-gc"))
		ret = hook_pre_auto_gc(&h);
	else
		return usage_error(cmd, "unknown hook event '%s'", argv[1]);
	free(h.log_path);
	free(h.flock_path);
	return ret;
}
