/*
 * path.h: building file names from parts, and the directories they need.
 *
 * Every function that returns text returns it newly allocated (the caller
 * frees it), or NULL when out of memory.
 */
#ifndef PLUGIN_UTIL_PATH_H
#define PLUGIN_UTIL_PATH_H

#include "lib/include/rt-error.h"

#include <sys/types.h>

/*
 * `first` and each following part joined with one '/' between them, up to
 * the NULL that ends the list: path_join(dir, "worktrees", id, NULL). The
 * parts are taken as they are: no '/' is removed or added inside them.
 */
char *path_join(const char *first, ...) __attribute__((sentinel));

/* `path` when it is absolute, else `<base>/<path>`. Nothing is resolved. */
char *path_absolute_from(const char *base, const char *path);

/*
 * `path` made absolute against the current directory (nothing resolved);
 * NULL also when the current directory cannot be found.
 */
char *path_absolute(const char *path);

/*
 * Whether `path` is `top` or lies below it, both with their symlinks
 * resolved (realpath); a last component of `path` that does not exist
 * yet is taken as written (trailing slashes aside). 1 inside, 0 outside,
 * -1 when either cannot be resolved (more than the last component of
 * `path` missing, say).
 */
int path_within(const char *path, const char *top);

/*
 * Open directory `path` (absolute), reached from "/" one component at a
 * time without following any symlink: a close-on-exec descriptor
 * (O_RDONLY|O_DIRECTORY, never 0-2), or -1 with errno (ENOTDIR or ELOOP where a
 * component is a symlink). A symlink put in the way cannot make another
 * user's directory the one opened.
 */
int path_dir_open_nofollow(const char *path);

/*
 * Create `dir` and the directories above it that are missing, with `mode`
 * (less the umask). Directories that exist are fine. 0, or RT_ERR_IO
 * naming the directory that could not be made.
 */
int path_mkdirs(const char *dir, mode_t mode, struct rt_err *err);

#endif
