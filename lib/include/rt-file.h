/*
 * rt-file.h: the one home for opening and creating files safely, used by
 * the library for its stack directory and by callers for their own files
 * (logs, flock files, state, policy).
 *
 * The rules, enforced here once: no file is created, written, truncated,
 * renamed or unlinked through a symlink (O_NOFOLLOW on the last
 * component; a stack directory is opened once with O_DIRECTORY|O_NOFOLLOW
 * and its files reached with *at() calls relative to it, so swapping the
 * directory for a symlink later changes nothing); a file that is not a
 * regular one (FIFO, device, directory, socket) is refused before it is
 * read or written, and opening one never blocks (O_NONBLOCK, dropped once
 * the file is known to be regular); errors name the file and say what it
 * is, never what it contains.
 */
#ifndef RT_FILE_H
#define RT_FILE_H

#include "rt-basics.h"
#include "rt-error.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace the file at `path` with `data` so that a reader sees either the
 * old content or all of the new, and a crash leaves one of the two: a temp
 * file beside it (<path>.XXXXXX, created with O_EXCL), written, fsynced,
 * renamed over `path`, then the directory fsynced. A symlink at `path` is
 * replaced by the new file, never written through. `mode` 0 means 0666
 * less the process's umask (applied by the kernel at creation, so threads
 * need not agree on the umask); otherwise the file gets exactly `mode`.
 * On error nothing is left behind and `path` is unchanged, unless the
 * rename happened and only the directory fsync failed: then the new
 * content is in place but maybe not durable yet.
 */
int rt_file_replace(const char *path, const void *data, size_t len, mode_t mode,
		    struct rt_err *err);

/*
 * rt_file_replace() for a file in the directory open at `dirfd`: `path`
 * names it in errors, its last component is the name in `dirfd` (the
 * temp file's too), and `dirfd` itself is fsynced. However the
 * directory's path changes meanwhile, nothing is written outside it.
 */
int rt_file_replace_at(int dirfd, const char *path, const void *data,
		       size_t len, mode_t mode, struct rt_err *err);

/*
 * fsync the directory that holds `path`, so that a rename or link made in
 * it is durable (for callers that rename on their own, e.g. a symlink).
 */
int rt_fsync_parent(const char *path, struct rt_err *err);

/*
 * Open the directory `path` for *at() calls: O_DIRECTORY|O_NOFOLLOW, so a
 * symlink there is refused ("... is a symbolic link"), as is anything but
 * a directory. A close-on-exec descriptor, or a negative rt_error
 * (RT_ERR_NOT_EXIST when it does not exist).
 */
int rt_dir_open(const char *path, struct rt_err *err);

/*
 * Open `name` relative to `dirfd` (AT_FDCWD: relative to the working
 * directory, or `name` absolute) with `flags` (O_RDONLY, O_RDWR,
 * O_WRONLY, plus O_CREAT, O_EXCL, O_APPEND, O_TRUNC), never through a
 * symlink and never blocking on a FIFO; anything but a regular file is
 * refused with RT_ERR_IO, the message naming `shown` and its kind. A
 * missing file is RT_ERR_NOT_EXIST. With O_CREAT, `mode` 0 creates it
 * 0666 less the umask; otherwise a new file gets exactly `mode` (fchmod,
 * as Git's adjust_shared_perm does), and an existing file of ours the
 * bits of `mode` it lacks. Run as root, with O_CREAT, a file created in
 * (or left root-owned, with one link, in) a directory another user owns
 * is given to that user and the directory's group (fchown), so that
 * root's runs never lock the owner out. A close-on-exec descriptor in blocking mode,
 * or a negative rt_error; errno is that of the failing call (EEXIST for
 * O_EXCL on an existing name).
 */
int rt_file_open_at(int dirfd, const char *name, const char *shown, int flags,
		    mode_t mode, struct rt_err *err);

/*
 * The name under which `path`, a file directly in the directory open at
 * `dirfd`, is reached there: its last component; `path` itself for
 * AT_FDCWD. For the *_at() functions here and their callers, which take
 * the whole path for messages.
 */
const char *rt_file_at_name(int dirfd, const char *path);

/*
 * The rule rt_file_open_at() applies to the files it creates, for what a
 * caller creates otherwise (a directory, a symlink) or has another
 * program rewrite as root (Git writing a config file): run as root, what
 * is at `name` (relative to `dirfd` as above; a symlink itself, never
 * followed), when root owns it, has one link (or is a directory) and the
 * directory it is in belongs to another user, is given to that user and
 * the directory's group. 0 when done or nothing was due (not root, or
 * the directory is root's); `shown` names it in errors.
 */
int rt_file_give_to_dir_owner(int dirfd, const char *name, const char *shown,
			      struct rt_err *err);

/* For rt_file_read_at(): a symlink is followed (a file only read). */
#define RT_FILE_FOLLOW 1

/*
 * Read the whole regular file `name` (relative to `dirfd` as above) into
 * `out`, NUL-terminated. More than `cap` bytes is RT_ERR_TOO_BIG, found
 * before reading (fstat) and while reading (a file still growing). `how`
 * is 0 (a symlink is refused) or RT_FILE_FOLLOW.
 */
int rt_file_read_at(int dirfd, const char *name, const char *shown, size_t cap,
		    int how, struct rt_buf *out, struct rt_err *err);

/*
 * The mode of a new file under core.sharedRepository, as Git computes it
 * (calc_shared_perm): `shared` 0 keeps `mode`; a positive value (0660
 * group, 0664 everybody) is added to it; a negative one, -(0xxx) from an
 * octal setting, replaces its permission bits. Write bits are only given
 * where `mode` has the owner's; execute bits follow the read bits where
 * `mode` has the owner's execute bit.
 */
mode_t rt_shared_perm(int shared, mode_t mode);

#endif
