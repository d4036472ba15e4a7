/*
 * repo.c: repository discovery and the small config reads the plugin needs
 * before anything heavier is loaded.
 */
#define _GNU_SOURCE
#include "plugin/git/repo.h"
#include "plugin/git/owner.h"
#include "plugin/util/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* First line of a small file, without the newline; NULL if unreadable. */
static char *read_line(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* A directory that looks like a git dir: HEAD plus objects or commondir. */
static bool looks_like_git_dir(const char *dir)
{
	char *head = path_join(dir, "HEAD", NULL),
	     *objects = path_join(dir, "objects", NULL),
	     *common = path_join(dir, "commondir", NULL);
	bool ok = head && objects && common && is_file(head) &&
		  (is_dir(objects) || is_file(common));

	free(head);
	free(objects);
	free(common);
	return ok;
}

/*
 * Where discovery found the repository, as Git's ownership rule needs it
 * (owner.h): the git dir, the `.git` file that named it (or NULL), the
 * directory holding `.git` (NULL for a bare repository), and whether
 * GIT_DIR named it (then Git checks no ownership).
 */
struct found {
	char *git_dir;
	char *gitfile;
	char *worktree;
	bool explicit_dir;
};

static void found_release(struct found *f)
{
	free(f->git_dir);
	free(f->gitfile);
	free(f->worktree);
}

/* Resolve `.git` at `dir` (a directory or a "gitdir: <path>" file). */
static bool git_dir_at(const char *dir, struct found *f)
{
	char *dotgit = path_join(dir, ".git", NULL), *line;

	if (!dotgit)
		return false;
	if (is_dir(dotgit) && looks_like_git_dir(dotgit)) {
		f->git_dir = dotgit;
		f->worktree = strdup(dir);
		return true;
	}
	if (is_file(dotgit) && (line = read_line(dotgit))) {
		if (!strncmp(line, "gitdir: ", 8)) {
			f->git_dir = path_absolute_from(dir, line + 8);
			f->gitfile = dotgit;
			f->worktree = strdup(dir);
			dotgit = NULL;
		}
		free(line);
	}
	free(dotgit);
	if (!f->git_dir && looks_like_git_dir(dir))
		f->git_dir = strdup(dir);
	return f->git_dir != NULL;
}

/* From `start` (NULL: the current directory) as Git does after -C. */
static void find_git_dir(struct found *f, const char *start)
{
	const char *env = getenv("GIT_DIR");
	char *cwd = start ? realpath(start, NULL) : getcwd(NULL, 0);

	if (env && *env) {
		f->git_dir = cwd ? path_absolute_from(cwd, env) : NULL;
		f->explicit_dir = true;
		free(cwd);
		return;
	}
	while (cwd) {
		char *slash;

		if (git_dir_at(cwd, f))
			break;
		slash = strrchr(cwd, '/');
		if (!slash || slash == cwd)
			break;
		*slash = '\0';
	}
	if (!f->git_dir && cwd && !strcmp(cwd, "/"))
		git_dir_at("/", f);
	free(cwd);
}

static int cmp_worktree(const void *a, const void *b)
{
	return strcmp(((const struct repo_stack *)a)->worktree,
		      ((const struct repo_stack *)b)->worktree);
}

static int add_stack(struct repo *repo, const char *dir, const char *wt,
		     struct rt_err *err)
{
	struct repo_stack *s =
		realloc(repo->stacks, (repo->nstacks + 1) * sizeof(*s));

	if (!s)
		return rt_err_oom(err);
	repo->stacks = s;
	s += repo->nstacks;
	s->dir = strdup(dir);
	s->worktree = wt ? strdup(wt) : NULL;
	if (!s->dir || (wt && !s->worktree)) {
		free(s->dir);
		free(s->worktree);
		return rt_err_oom(err);
	}
	repo->nstacks++;
	return 0;
}

/*
 * Where Git's ref backends look for the common refs: the directory named
 * by $GIT_DIR/commondir, else $GIT_DIR. Git's refs code reads that file
 * and ignores GIT_COMMON_DIR here (refs_compute_filesystem_location()
 * calls get_common_dir_noenv()), so we do the same.
 */
static char *refs_common_dir(const char *git_dir)
{
	char *cf = path_join(git_dir, "commondir", NULL);
	char *line = cf ? read_line(cf) : NULL;
	char *res = line ? path_absolute_from(git_dir, line) : strdup(git_dir);

	free(line);
	free(cf);
	return res;
}

/* `path` with symlinks and dot components resolved, if it exists. */
static char *resolved(char *path)
{
	char *real = path ? realpath(path, NULL) : NULL;

	if (!real)
		return path;
	free(path);
	return real;
}

/*
 * The ref storage as Git reads it: GIT_REFERENCE_BACKEND when set (even
 * empty), else extensions.refStorage, else "files". The value is a format
 * name or "<format>://<payload>"; formats are matched exactly, as Git
 * does. Returns the format; `payload` is set when one is given.
 */
static int parse_storage(struct repo *repo, const char **payload,
			 struct rt_err *err)
{
	const char *env = getenv("GIT_REFERENCE_BACKEND");
	const char *v = env ? env :
			      config_get(&repo->cfg, "extensions.refstorage");
	const char *sep, *version;
	size_t flen;

	repo->ref_storage = strdup(v ? v : "files");
	if (!repo->ref_storage)
		return rt_err_oom(err);
	sep = strstr(repo->ref_storage, "://");
	flen = sep ? (size_t)(sep - repo->ref_storage) :
		     strlen(repo->ref_storage);
	*payload = sep && sep[3] ? sep + 3 : NULL;
	if (flen == 8 && !strncmp(repo->ref_storage, "reftable", 8))
		repo->reftable = true;
	else if (flen != 5 || strncmp(repo->ref_storage, "files", 5)) {
		return rt_err_set(err, RT_ERR_API,
				  "unknown ref storage format '%s'%s",
				  repo->ref_storage,
				  env ? " in GIT_REFERENCE_BACKEND" :
					" in extensions.refStorage");
	}
	version = config_get(&repo->cfg, "core.repositoryformatversion");
	if (!env && v && (!version || strcmp(version, "1"))) {
		return rt_err_set(err, RT_ERR_API,
				  "extensions.refStorage needs "
				  "core.repositoryFormatVersion = 1 (Git "
				  "refuses this repository)");
	}
	return 0;
}

/*
 * For REPO_NO_GIT: only the stack of the linked worktree we are in (its
 * git dir is <refs common>/worktrees/<id>), found without listing them.
 */
static int own_worktree_stack(struct repo *repo, const char *refs_common,
			      const char *base, struct rt_err *err)
{
	size_t n = strlen(refs_common);
	const char *id = repo->git_dir + n;
	char *stack_dir;
	int ret = 0;

	if (strncmp(repo->git_dir, refs_common, n) ||
	    strncmp(id, "/worktrees/", 11) || strchr(id + 11, '/') || !id[11])
		return 0;
	id += 11;
	stack_dir = path_join(base, "worktrees", id, "reftable", NULL);
	if (!stack_dir)
		return rt_err_oom(err);
	if (is_dir(stack_dir))
		ret = add_stack(repo, stack_dir, id, err);
	free(stack_dir);
	return ret;
}

int repo_discover(struct repo *repo, struct rt_err *err)
{
	return repo_discover_opts(repo, 0, err);
}

/*
 * Each linked worktree keeps its own refs (HEAD, ...) in a stack: add the
 * stacks of the live ones (Git leaves <base>/worktrees/<id> behind),
 * sorted by id after the main stack.
 */
static int worktree_stacks(struct repo *repo, const char *refs_common,
			   const char *base, struct rt_err *err)
{
	char *wt_root = path_join(refs_common, "worktrees", NULL);
	struct dirent *e;
	int ret = 0;
	DIR *d;

	if (!wt_root)
		return rt_err_oom(err);
	d = opendir(wt_root);
	while (d && !ret && (e = readdir(d))) {
		char *admin, *stack_dir;

		if (e->d_name[0] == '.')
			continue;
		admin = path_join(wt_root, e->d_name, NULL);
		stack_dir = path_join(base, "worktrees", e->d_name, "reftable",
				      NULL);
		if (!admin || !stack_dir)
			ret = rt_err_oom(err);
		else if (is_dir(admin) && is_dir(stack_dir))
			ret = add_stack(repo, stack_dir, e->d_name, err);
		free(stack_dir);
		free(admin);
	}
	if (d)
		closedir(d);
	free(wt_root);
	if (!ret && repo->nstacks > 2)
		qsort(repo->stacks + 1, repo->nstacks - 1,
		      sizeof(*repo->stacks), cmp_worktree);
	return ret;
}

static int discover(struct repo *repo, const char *start, unsigned flags,
		    struct rt_err *err)
{
	const char *env_common = getenv("GIT_COMMON_DIR");
	const char *payload = NULL;
	char *refs_common = NULL, *base = NULL, *main_dir = NULL;
	struct found f = { 0 };
	struct stat sb;
	int ret;

	memset(repo, 0, sizeof(*repo));
	find_git_dir(&f, start);
	if (!f.git_dir)
		return rt_err_set(err, RT_ERR_NOT_EXIST,
				  "not a git repository (or any parent "
				  "directory)");
	/*
	 * Before anything of the repository is read: its config is not ours
	 * to trust, nor its files ours to write, unless Git's rule says so.
	 */
	ret = f.explicit_dir ?
		      0 :
		      owner_check(f.gitfile, f.worktree, f.git_dir, err);
	repo->git_dir = resolved(f.git_dir);
	f.git_dir = NULL;
	found_release(&f);
	if (ret)
		return ret;
	if (!repo->git_dir)
		return rt_err_oom(err);
	if (env_common && *env_common)
		repo->common_dir = resolved(strdup(env_common));
	else
		repo->common_dir = resolved(refs_common_dir(repo->git_dir));
	if (!repo->common_dir)
		return rt_err_oom(err);
	/*
	 * Opened before the config is read, and through no symlink: a
	 * config, or a path swapped meanwhile, that leads the stacks into
	 * another user's directory must not make that user the owner, nor
	 * that directory the one our files go to.
	 */
	repo->common_fd = path_dir_open_nofollow(repo->common_dir);
	if (repo->common_fd >= 0 && !fstat(repo->common_fd, &sb)) {
		repo->owner = sb.st_uid;
		repo->have_owner = true;
	} else {
		if (repo->common_fd >= 0)
			close(repo->common_fd);
		/*
		 * Root does not go on by path: whatever it would write there
		 * could land in another user's directory.
		 */
		if (geteuid() == 0)
			return rt_err_errno(err, RT_ERR_UNSAFE,
					    "cannot open %s without following "
					    "a symlink (moved, or a symlink on "
					    "the way)",
					    repo->common_dir);
	}

	ret = flags & REPO_NO_GIT ?
		      config_load_files(&repo->cfg, repo->common_dir, err) :
		      config_load(&repo->cfg, repo, err);
	if (ret) {
		rt_err_prefix(err, "cannot read the git configuration: ");
		return ret;
	}
	if ((ret = parse_storage(repo, &payload, err)) || !repo->reftable)
		return ret;

	/*
	 * As Git: the payload (relative to the common dir) replaces the
	 * common dir as the home of the stacks, worktree stacks included:
	 * <base>/reftable and <base>/worktrees/<id>/reftable.
	 */
	refs_common = resolved(refs_common_dir(repo->git_dir));
	base = !refs_common ? NULL :
	       payload ? resolved(path_absolute_from(refs_common, payload)) :
			 strdup(refs_common);
	main_dir = base ? path_join(base, "reftable", NULL) : NULL;
	if (!main_dir)
		ret = rt_err_oom(err);
	if (!ret)
		ret = add_stack(repo, main_dir, NULL, err);
	if (!ret)
		ret = (flags & REPO_NO_GIT) && !(flags & REPO_EVERY_STACK) ?
			      own_worktree_stack(repo, refs_common, base, err) :
			      worktree_stacks(repo, refs_common, base, err);
	free(main_dir);
	free(base);
	free(refs_common);
	return ret;
}

int repo_discover_opts(struct repo *repo, unsigned flags, struct rt_err *err)
{
	return discover(repo, NULL, flags, err);
}

int repo_discover_at(struct repo *repo, const char *dir, unsigned flags,
		     struct rt_err *err)
{
	return discover(repo, dir, flags, err);
}

void repo_release(struct repo *repo)
{
	for (size_t i = 0; i < repo->nstacks; i++) {
		free(repo->stacks[i].dir);
		free(repo->stacks[i].worktree);
	}
	free(repo->stacks);
	free(repo->git_dir);
	free(repo->common_dir);
	free(repo->ref_storage);
	config_release(&repo->cfg);
	/* `common_fd` is set exactly when `have_owner` is. */
	if (repo->have_owner)
		close(repo->common_fd);
	memset(repo, 0, sizeof(*repo));
}

int repo_common_dirfd(const struct repo *repo)
{
	return repo->have_owner ? repo->common_fd : AT_FDCWD;
}

int repo_git_dir_open(const struct repo *repo)
{
	struct stat sb;
	int fd;

	if (!repo->have_owner)
		return AT_FDCWD;
	/* The common dir, opened before anything could move it. */
	if (!strcmp(repo->git_dir, repo->common_dir))
		return fcntl(repo->common_fd, F_DUPFD_CLOEXEC, 3);
	/* A linked worktree's: resolved at discovery, so no symlink now. */
	fd = path_dir_open_nofollow(repo->git_dir);
	/*
	 * As root, only the owner's (an owner unknown is not the owner);
	 * anyone else writes where permissions let them, as in a shared
	 * repository whose worktree another member added.
	 */
	if (fd >= 0 && geteuid() == 0 &&
	    (fstat(fd, &sb) || sb.st_uid != repo->owner)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}
