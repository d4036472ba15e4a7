/*
 * spawn.c: running other programs and capturing what they print.
 */
#define _GNU_SOURCE
#include "plugin/util/spawn.h"
#include "plugin/util/path.h"

#include "lib/include/rt-basics.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int is_executable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

char *spawn_find(const char *name)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(name, '/'))
		return is_executable(name) ? path_absolute(name) : NULL;
	/* execvp()'s default when PATH is unset. */
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p++) {
		const char *end = strchrnul(p, ':');
		char *dir = strndup(p, (size_t)(end - p)), *cand;

		/* An empty entry means the current directory, as for execvp(). */
		cand = !dir ? NULL :
		       *dir ? path_join(dir, name, NULL) :
			      strdup(name);
		free(dir);
		if (!cand)
			return NULL;
		if (is_executable(cand)) {
			char *abs = path_absolute(cand);

			free(cand);
			return abs;
		}
		free(cand);
		if (!*end)
			return NULL;
		p = end;
	}
}

bool spawn_have(const char *name)
{
	char *path = spawn_find(name);
	bool found = path != NULL;

	free(path);
	return found;
}

char *spawn_self(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0 || (size_t)n >= sizeof(buf) - 1)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* The whole content of an unnamed temp file, NUL-terminated. */
static char *slurp(FILE *f, size_t *len)
{
	long size;
	char *buf;

	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		return NULL;
	}
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

/*
 * The child's stdout and stderr from their temp files into `res` (stderr
 * without its last newlines); -1 with `res` released when either cannot
 * be read.
 */
static int take_output(FILE *out, FILE *err, struct spawn_result *res)
{
	size_t errlen = 0;

	res->out = out ? slurp(out, &res->outlen) : NULL;
	res->err = err ? slurp(err, &errlen) : NULL;
	if (!res->out || !res->err) {
		spawn_result_release(res);
		return -1;
	}
	while (errlen && res->err[errlen - 1] == '\n')
		res->err[--errlen] = '\0';
	return 0;
}

static int cannot_run(struct rt_err *err, const char *name, const char *why)
{
	return rt_err_set(err, RT_ERR_IO, "cannot run %s: %s", name, why);
}

/*
 * Start the program at `path` with the given descriptors as its stdin
 * (-1: /dev/null), stdout and stderr (-1: ours). Descriptors of ours that
 * must not reach it are close-on-exec. The exec is confirmed through a
 * pipe, so a program that cannot be started is an error here rather than
 * an exit status later.
 */
static pid_t start_child(const char *path, const char *const *argv, int in,
			 int out, int errfd, bool own_group, struct rt_err *err)
{
	int errpipe[2], child_errno = 0;
	pid_t pid, parent;

	if (pipe2(errpipe, O_CLOEXEC))
		return cannot_run(err, argv[0], strerror(errno));
	fflush(NULL);
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		int null = in < 0 ? open("/dev/null", O_RDWR) : -1;
		sigset_t none;

		/* A caller waiting with signals blocked must not pass that on. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/*
		 * In a group of its own, a job does not get the signals
		 * meant for us (a Ctrl-C): so it dies with us instead,
		 * should we be killed before we could kill it.
		 */
		if (own_group &&
		    (setpgid(0, 0) || prctl(PR_SET_PDEATHSIG, SIGKILL) ||
		     getppid() != parent))
			_exit(127);

		dup2(in < 0 ? null : in, 0);
		if (out >= 0)
			dup2(out, 1);
		if (errfd >= 0)
			dup2(errfd, 2);
		execv(path, (char *const *)argv);
		child_errno = errno;
		if (write(errpipe[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(126);
		_exit(127);
	}
	close(errpipe[1]);
	/* Also here: the group must exist before the caller can kill it. */
	if (pid > 0 && own_group)
		setpgid(pid, pid);
	if (pid < 0) {
		close(errpipe[0]);
		return cannot_run(err, argv[0], strerror(errno));
	}
	/* The pipe closes on a successful exec, so this read returns 0. */
	if (read(errpipe[0], &child_errno, sizeof(child_errno)) !=
	    sizeof(child_errno))
		child_errno = 0;
	close(errpipe[0]);
	if (child_errno) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return cannot_run(err, argv[0], strerror(child_errno));
	}
	return pid;
}

/* Wait for `pid`: its exit status, 128 + the signal that killed it. */
static int wait_child(pid_t pid, const char *name, struct rt_err *err)
{
	int wstatus;

	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return cannot_run(err, name, strerror(errno));
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
				    128 + WTERMSIG(wstatus);
}

/*
 * The child's standard streams are unnamed temp files rather than pipes:
 * nothing can dead-lock on a full pipe, whatever the program prints.
 */
int spawn_run(const char *const *argv, const char *in, size_t inlen,
	      struct spawn_result *res, struct rt_err *err)
{
	FILE *fin = NULL, *fout = NULL, *ferr = NULL;
	char *path = spawn_find(argv[0]);
	pid_t pid;
	int ret;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!path)
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "cannot run %s: not found on PATH", argv[0]);
	if ((in && (!(fin = tmpfile()) || fwrite(in, 1, inlen, fin) != inlen ||
		    fflush(fin) || fseek(fin, 0, SEEK_SET))) ||
	    (res && (!(fout = tmpfile()) || !(ferr = tmpfile())))) {
		ret = cannot_run(err, argv[0],
				 "cannot create a temporary file");
		goto out;
	}
	pid = start_child(path, argv, fin ? fileno(fin) : -1,
			  fout ? fileno(fout) : -1, ferr ? fileno(ferr) : -1,
			  false, err);
	ret = pid < 0 ? pid : wait_child(pid, argv[0], err);
	if (ret < 0 || !res)
		goto out;
	if (take_output(fout, ferr, res))
		ret = cannot_run(err, argv[0],
				 "cannot read the program's output");
out:
	if (fin)
		fclose(fin);
	if (fout)
		fclose(fout);
	if (ferr)
		fclose(ferr);
	free(path);
	return ret;
}

int spawn_run_ok(const char *const *argv, const char *in, size_t inlen,
		 int ok_status, struct spawn_result *res, struct rt_err *err)
{
	struct spawn_result local;
	struct spawn_result *r = res ? res : &local;
	int st = spawn_run(argv, in, inlen, r, err);

	if (st < 0)
		return st;
	if (st && st != ok_status) {
		spawn_failed(err, argv, st, r);
		spawn_result_release(r);
		return RT_ERR_IO;
	}
	if (!res)
		spawn_result_release(&local);
	return st;
}

void spawn_result_release(struct spawn_result *res)
{
	free(res->out);
	free(res->err);
	memset(res, 0, sizeof(*res));
}

int spawn_failed(struct rt_err *err, const char *const *argv, int status,
		 const struct spawn_result *res)
{
	struct rt_buf cmd = RT_BUF_INIT;
	const char *why = res && res->err ? res->err : "";

	for (size_t i = 0; argv[i]; i++)
		if (rt_buf_addstr(&cmd, i ? " " : "") ||
		    rt_buf_addstr(&cmd, argv[i]))
			break;
	rt_err_set(err, RT_ERR_IO, "'%s' failed (exit %d)%s%s",
		   cmd.buf ? cmd.buf : argv[0], status, *why ? ": " : "", why);
	rt_buf_release(&cmd);
	return RT_ERR_IO;
}

int spawn_pipe_start(struct spawn_pipe *p, const char *const *argv,
		     struct rt_err *err)
{
	char *path = spawn_find(argv[0]);
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int ret = 0;

	*p = (struct spawn_pipe)SPAWN_PIPE_INIT;
	if (!path)
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "cannot run %s: not found on PATH", argv[0]);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		ret = cannot_run(err, argv[0], strerror(errno));
		goto out;
	}
	p->pid = start_child(path, argv, in[0], out[1], -1, false, err);
	if (p->pid < 0) {
		ret = p->pid;
		p->pid = -1;
		goto out;
	}
	/* A dead program must show as a write error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	p->to = fdopen(in[1], "w");
	if (p->to)
		in[1] = -1;
	p->from = fdopen(out[0], "r");
	if (p->from)
		out[0] = -1;
	if (!p->to || !p->from)
		ret = cannot_run(err, argv[0], strerror(errno));
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	free(path);
	if (ret)
		spawn_pipe_finish(p);
	return ret;
}

int spawn_pipe_finish(struct spawn_pipe *p)
{
	int status = -1;

	if (p->to)
		fclose(p->to);
	if (p->from)
		fclose(p->from);
	if (p->pid > 0)
		status = wait_child(p->pid, "", NULL);
	*p = (struct spawn_pipe)SPAWN_PIPE_INIT;
	return status < 0 ? -1 : status;
}

int spawn_job_start(struct spawn_job *j, const char *const *argv,
		    struct rt_err *err)
{
	char *path = spawn_find(argv[0]);
	int ret = 0;

	*j = (struct spawn_job)SPAWN_JOB_INIT;
	if (!path)
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "cannot run %s: not found on PATH", argv[0]);
	if (!(j->out = tmpfile()) || !(j->err = tmpfile()))
		ret = cannot_run(err, argv[0],
				 "cannot create a temporary file");
	else if ((j->pid = start_child(path, argv, -1, fileno(j->out),
				       fileno(j->err), true, err)) < 0)
		ret = j->pid;
	free(path);
	if (ret)
		spawn_job_finish(j, 0, NULL);
	return ret;
}

void spawn_job_kill(const struct spawn_job *j)
{
	if (j->pid > 0)
		kill(-j->pid, SIGKILL);
}

int spawn_job_finish(struct spawn_job *j, int wstatus, struct spawn_result *res)
{
	int ret = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
				       128 + WTERMSIG(wstatus);

	if (res) {
		memset(res, 0, sizeof(*res));
		if (take_output(j->out, j->err, res))
			ret = RT_ERR_NOMEM;
	}
	if (j->out)
		fclose(j->out);
	if (j->err)
		fclose(j->err);
	*j = (struct spawn_job)SPAWN_JOB_INIT;
	return ret;
}
