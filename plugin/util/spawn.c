/*
 * spawn.c: running other programs and capturing what they print.
 */
#define _GNU_SOURCE
#include "plugin/util/spawn.h"
#include "lib/include/rt-basics.h"
#include "plugin/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *absolute(const char *path)
{
	char *cwd, *res;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd || asprintf(&res, "%s/%s", cwd, path) < 0)
		res = NULL;
	free(cwd);
	return res;
}

static int is_executable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

char *spawn_find(const char *name)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(name, '/'))
		return is_executable(name) ? absolute(name) : NULL;
	/* execvp()'s default when PATH is unset. */
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p++) {
		const char *end = strchrnul(p, ':');
		char *cand;
		int n = (int)(end - p);

		/* An empty entry means the current directory, as for execvp(). */
		if (asprintf(&cand, "%.*s%s%s", n, p, n ? "/" : "", name) < 0)
			return NULL;
		if (is_executable(cand)) {
			char *abs = absolute(cand);

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
 * The child's standard streams are unnamed temp files rather than pipes:
 * nothing can dead-lock on a full pipe, whatever the program prints.
 */
static int run_child(const char *path, const char *const *argv, FILE *in,
		     FILE *out, FILE *err, int *status, const char **why)
{
	int errpipe[2], child_errno = 0, wstatus;
	pid_t pid;

	if (pipe2(errpipe, O_CLOEXEC)) {
		*why = strerror(errno);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(in ? fileno(in) : null, 0);
		if (out)
			dup2(fileno(out), 1);
		if (err)
			dup2(fileno(err), 2);
		execv(path, (char *const *)argv);
		child_errno = errno;
		if (write(errpipe[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(126);
		_exit(127);
	}
	close(errpipe[1]);
	if (pid < 0) {
		close(errpipe[0]);
		*why = strerror(errno);
		return -1;
	}
	/* The pipe closes on a successful exec, so this read returns 0. */
	if (read(errpipe[0], &child_errno, sizeof(child_errno)) !=
	    sizeof(child_errno))
		child_errno = 0;
	close(errpipe[0]);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR) {
			*why = strerror(errno);
			return -1;
		}
	if (child_errno) {
		*why = strerror(child_errno);
		return -1;
	}
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
				       128 + WTERMSIG(wstatus);
	return 0;
}

int spawn_run(const char *const *argv, const char *in, size_t inlen,
	      struct spawn_result *res, const char **why)
{
	FILE *fin = NULL, *fout = NULL, *ferr = NULL;
	char *path = spawn_find(argv[0]);
	const char *dummy;
	int status = 0, ret = -1;
	size_t errlen = 0;

	if (!why)
		why = &dummy;
	if (res)
		memset(res, 0, sizeof(*res));
	if (!path) {
		*why = "not found on PATH";
		return -1;
	}
	*why = "cannot create a temporary file";
	if (in && (!(fin = tmpfile()) || fwrite(in, 1, inlen, fin) != inlen ||
		   fflush(fin) || fseek(fin, 0, SEEK_SET)))
		goto out;
	if (res && (!(fout = tmpfile()) || !(ferr = tmpfile())))
		goto out;
	if (run_child(path, argv, fin, fout, ferr, &status, why))
		goto out;
	if (res) {
		res->out = slurp(fout, &res->outlen);
		res->err = slurp(ferr, &errlen);
		if (!res->out || !res->err) {
			spawn_result_release(res);
			*why = "cannot read the program's output";
			goto out;
		}
		while (errlen && res->err[errlen - 1] == '\n')
			res->err[--errlen] = '\0';
	}
	ret = status;
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

void spawn_result_release(struct spawn_result *res)
{
	free(res->out);
	free(res->err);
	memset(res, 0, sizeof(*res));
}

void spawn_report_failure(const char *const *argv, int status,
			  const struct spawn_result *res)
{
	struct rt_buf cmd = RT_BUF_INIT;

	for (size_t i = 0; argv[i]; i++)
		if (rt_buf_addstr(&cmd, i ? " " : "") ||
		    rt_buf_addstr(&cmd, argv[i]))
			break;
	error("'%s' failed (exit %d)%s%s", cmd.buf ? cmd.buf : argv[0], status,
	      res && *res->err ? ": " : "", res ? res->err : "");
	rt_buf_release(&cmd);
}
