/*
 * liveness.c: is a file held open by a live process? (rt-liveness.h)
 *
 * One pass over /proc: for every process, every entry of /proc/<pid>/fd
 * is stat'ed through the link (the open file itself, wherever it was
 * renamed to) and compared with the files asked about by device and
 * inode. A process whose descriptors cannot be read (another user's, when
 * not root) matters only if it runs as a file's owner: a lock or temp
 * file is created, and so held, by its owner. Threads that unshared
 * their descriptor table (rare; Git does not) are not looked at.
 */
#define _GNU_SOURCE
#include "lib/include/rt-liveness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#define PROC_MAGIC 0x9fa0

/* File systems other hosts may write to: their processes are unseen. */
static const char *network_fs(int dirfd)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} shared[] = {
		{ 0x6969, "NFS" },	  { 0x517b, "SMB" },
		{ 0xff534d42, "CIFS" },	  { 0xfe534d42, "SMB2" },
		{ 0x00c36400, "Ceph" },	  { 0x65735546, "FUSE" },
		{ 0x5346414f, "AFS" },	  { 0x01021997, "9P" },
		{ 0x0bd00bd0, "Lustre" }, { 0x47504653, "GPFS" },
		{ 0x7461636f, "OCFS2" },  { 0x01161970, "GFS2" },
		{ 0x73757245, "Coda" },	  { 0x564c, "NCP" },
	};
	struct statfs fs;

	if (fstatfs(dirfd, &fs) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		if ((unsigned long)(unsigned)fs.f_type == shared[i].magic)
			return shared[i].name;
	return NULL;
}

/*
 * The uids (real, effective, saved, file system) of process `pid` from
 * its status file; false if it cannot be read.
 */
static bool process_uids(int procfd, long pid, uid_t uids[4])
{
	char path[64], buf[4096];
	unsigned long u[4];
	ssize_t len;
	char *line;
	int fd;

	snprintf(path, sizeof(path), "%ld/status", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	line = strstr(buf, "\nUid:");
	if (!line || sscanf(line + 5, "%lu %lu %lu %lu", &u[0], &u[1], &u[2],
			    &u[3]) != 4)
		return false;
	for (int i = 0; i < 4; i++)
		uids[i] = (uid_t)u[i];
	return true;
}

/*
 * A process whose descriptors cannot be read: the files it could hold
 * (it runs as their owner, or its uids cannot be read) become unsure.
 */
static unsigned unseen(int procfd, long pid, struct rt_open_file *f, size_t n,
		       bool *unsure)
{
	uid_t uids[4];
	bool known = process_uids(procfd, pid, uids);
	unsigned hit = 0;

	for (size_t i = 0; i < n; i++) {
		bool may = !known;

		for (int k = 0; known && k < 4; k++)
			may |= uids[k] == f[i].uid;
		if (may && f[i].liveness != RT_HELD) {
			unsure[i] = true;
			hit = 1;
		}
	}
	return hit;
}

/* Compare the open files of process `pid` (fd dir `fdfd`, taken). */
static void scan_fds(int fdfd, long pid, struct rt_open_file *f, size_t n,
		     size_t *left)
{
	DIR *d = fdopendir(fdfd);

	if (!d) {
		close(fdfd);
		return;
	}
	for (struct dirent *e; *left && (e = readdir(d));) {
		struct statx sx;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		/*
		 * Through the link to the open file; DONT_SYNC so that a
		 * descriptor on a hung network mount does not hang us.
		 */
		if (statx(fdfd, e->d_name, AT_STATX_DONT_SYNC, STATX_INO, &sx) <
		    0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (f[i].liveness != RT_HELD &&
			    f[i].ino == (ino_t)sx.stx_ino &&
			    f[i].dev == makedev(sx.stx_dev_major,
						sx.stx_dev_minor)) {
				f[i].liveness = RT_HELD;
				f[i].pid = pid;
				(*left)--;
			}
	}
	closedir(d);
}

static void all_unknown(struct rt_open_file *f, size_t n, char *why,
			size_t whylen, const char *fmt, const char *arg)
{
	for (size_t i = 0; i < n; i++)
		f[i].liveness = RT_LIVENESS_UNKNOWN;
	if (why && whylen)
		snprintf(why, whylen, fmt, arg);
}

void rt_liveness_check(int dirfd, struct rt_open_file *f, size_t n, char *why,
		       size_t whylen)
{
	uid_t me = geteuid();
	unsigned unreadable = 0, hidden = 0;
	size_t left = n;
	const char *net;
	struct statfs fs;
	bool *unsure;
	int procfd;
	DIR *d;

	if (why && whylen)
		why[0] = '\0';
	if (!n)
		return;
	if ((net = network_fs(dirfd))) {
		all_unknown(f, n, why, whylen,
			    "on a %s file system, where processes of other "
			    "hosts cannot be seen",
			    net);
		return;
	}
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || fstatfs(procfd, &fs) < 0 ||
	    (unsigned)fs.f_type != PROC_MAGIC || !(d = fdopendir(procfd))) {
		if (procfd >= 0)
			close(procfd);
		all_unknown(f, n, why, whylen, "%s",
			    "/proc is not mounted: open files cannot be seen");
		return;
	}
	unsure = calloc(n, sizeof(*unsure));
	if (!unsure) {
		closedir(d);
		all_unknown(f, n, why, whylen, "%s", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		f[i].liveness = RT_UNHELD;
		f[i].pid = 0;
		/* Not root: another user's processes may be hidden (hidepid). */
		if (me != 0 && f[i].uid != me) {
			unsure[i] = true;
			hidden = 1;
		}
	}
	for (struct dirent *e; left && (e = readdir(d));) {
		char path[64];
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		int fdfd;

		if (pid <= 0 || *end)
			continue;
		snprintf(path, sizeof(path), "%ld/fd", pid);
		fdfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fdfd >= 0)
			scan_fds(fdfd, pid, f, n, &left);
		else if (errno != ENOENT) /* ENOENT: it exited meanwhile */
			unreadable += unseen(procfd, pid, f, n, unsure);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		if (f[i].liveness != RT_HELD && unsure[i])
			f[i].liveness = RT_LIVENESS_UNKNOWN;
	free(unsure);
	if (why && whylen && hidden)
		snprintf(why, whylen,
			 "not root, and the file is another user's, whose "
			 "processes may be hidden");
	else if (why && whylen && unreadable)
		snprintf(why, whylen,
			 "the open files of %u process%s running as the file's "
			 "owner cannot be read",
			 unreadable, unreadable == 1 ? "" : "es");
}

#else

void rt_liveness_check(int dirfd, struct rt_open_file *f, size_t n, char *why,
		       size_t whylen)
{
	(void)dirfd;
	for (size_t i = 0; i < n; i++)
		f[i].liveness = RT_LIVENESS_UNKNOWN;
	if (why && whylen)
		snprintf(why, whylen,
			 "open files cannot be seen on this "
			 "system");
}

#endif
