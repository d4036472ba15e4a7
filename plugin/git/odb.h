/*
 * odb.h: reading commits and tags from the repository's object database,
 * for reflog expiry's reachability rules.
 *
 * Two ways, one interface. libgit2 reads SHA-1 repositories in-process;
 * it is loaded with dlopen() only when expiry needs objects, so no other
 * command (the hook fast path above all) pays for loading it. The object
 * directory is opened directly: libgit2 1.5 refuses to open a repository
 * whose refs are in reftables, but its object database does not care.
 * SHA-256 repositories, which libgit2 1.5 cannot read, and machines
 * without libgit2 use a `git cat-file --batch` process instead (a reftable
 * user has a Git new enough for their repository).
 *
 * GIT_REFTABLE_ODB=git or =libgit2 forces one of the two (tests use it).
 */
#ifndef PLUGIN_ODB_H
#define PLUGIN_ODB_H

#include "lib/include/rt-error.h"

#include <stddef.h>
#include <stdint.h>

enum odb_type {
	ODB_COMMIT = 1,
	ODB_TREE = 2,
	ODB_BLOB = 3,
	ODB_TAG = 4,
};

struct odb;

/*
 * `git_dir` is passed to `git --git-dir`, `objects_dir` to libgit2;
 * `hash_size` is 20 or 32.
 */
int odb_open(struct odb **out, const char *git_dir, const char *objects_dir,
	     int hash_size, struct rt_err *err);
/*
 * The object as stored (replace refs are not applied here).
 * 0: found, `*data` (valid until the next read) and `*size` set; 1: no
 * such object; < 0: the database could not be read.
 */
int odb_read(struct odb *o, const uint8_t *oid, enum odb_type *type,
	     const char **data, size_t *size, struct rt_err *err);
/* "libgit2" or "git cat-file", for reports. */
const char *odb_backend_name(const struct odb *o);
void odb_close(struct odb *o);

#endif
