/*
 * odb.c: object reading through libgit2 (dlopen) or `git cat-file --batch`.
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin/git/odb.h"
#include "plugin/util/spawn.h"

#include "lib/include/rt-basics.h"
#include "lib/include/rt-error.h"

#include <dlfcn.h>
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LIBGIT2_SONAME
#define LIBGIT2_SONAME "libgit2.so"
#endif

/* The few libgit2 entry points used, resolved at run time. */
struct git2_api {
	__typeof__(git_libgit2_init) *init;
	__typeof__(git_libgit2_shutdown) *shutdown;
	__typeof__(git_odb_open) *odb_open;
	__typeof__(git_odb_free) *odb_free;
	__typeof__(git_odb_read) *odb_read;
	__typeof__(git_odb_object_data) *object_data;
	__typeof__(git_odb_object_size) *object_size;
	__typeof__(git_odb_object_type) *object_type;
	__typeof__(git_odb_object_free) *object_free;
	__typeof__(git_error_last) *error_last;
};

struct odb {
	int hash_size;
	/* libgit2 */
	void *dl;
	struct git2_api api;
	git_odb *db;
	git_odb_object *obj;
	/* git cat-file --batch */
	struct spawn_pipe cat_file;
	char *line;
	size_t line_cap;
	char *data;
	size_t data_cap;
};

static int open_libgit2(struct odb *o, const char *objects_dir,
			struct rt_err *err)
{
	struct git2_api *a = &o->api;
	void **slots[] = {
		(void **)&a->init,	  (void **)&a->shutdown,
		(void **)&a->odb_open,	  (void **)&a->odb_free,
		(void **)&a->odb_read,	  (void **)&a->object_data,
		(void **)&a->object_size, (void **)&a->object_type,
		(void **)&a->object_free, (void **)&a->error_last,
	};
	const char *names[] = {
		"git_libgit2_init",    "git_libgit2_shutdown",
		"git_odb_open",	       "git_odb_free",
		"git_odb_read",	       "git_odb_object_data",
		"git_odb_object_size", "git_odb_object_type",
		"git_odb_object_free", "git_error_last",
	};

	o->dl = dlopen(LIBGIT2_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!o->dl)
		return rt_err_set(err, RT_ERR_IO, "cannot load %s: %s",
				  LIBGIT2_SONAME, dlerror());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*slots[i] = dlsym(o->dl, names[i]);
		if (!*slots[i])
			return rt_err_set(err, RT_ERR_IO, "%s lacks %s",
					  LIBGIT2_SONAME, names[i]);
	}
	if (a->init() < 0)
		return rt_err_set(err, RT_ERR_IO,
				  "libgit2 failed to initialise");
	if (a->odb_open(&o->db, objects_dir) < 0) {
		const git_error *e = a->error_last();

		o->db = NULL;
		return rt_err_set(err, RT_ERR_IO, "libgit2 cannot open %s: %s",
				  objects_dir,
				  e ? e->message : "unknown error");
	}
	return 0;
}

static int open_cat_file(struct odb *o, const char *git_dir, struct rt_err *err)
{
	/* Objects as stored, as libgit2 reads them: reach.c applies Git's
	 * replace refs itself, the same way for both readers. */
	const char *argv[] = { "git",	   NULL,      "--no-replace-objects",
			       "cat-file", "--batch", NULL };
	char *arg;
	int ret;

	if (asprintf(&arg, "--git-dir=%s", git_dir) < 0)
		return rt_err_oom(err);
	argv[1] = arg;
	ret = spawn_pipe_start(&o->cat_file, argv, err);
	free(arg);
	return ret;
}

int odb_open(struct odb **out, const char *git_dir, const char *objects_dir,
	     int hash_size, struct rt_err *err)
{
	const char *force = getenv("GIT_REFTABLE_ODB");
	struct odb *o = calloc(1, sizeof(*o));
	int ret = -1;

	if (!o)
		return rt_err_oom(err);
	o->hash_size = hash_size;
	o->cat_file = (struct spawn_pipe)SPAWN_PIPE_INIT;
	if (force && strcmp(force, "git") && strcmp(force, "libgit2")) {
		ret = rt_err_set(err, RT_ERR_API,
				 "GIT_REFTABLE_ODB must be git or libgit2");
	} else if (force && !strcmp(force, "libgit2")) {
		ret = hash_size == 20 ? open_libgit2(o, objects_dir, err) :
					rt_err_set(err, RT_ERR_IO,
						   "libgit2 reads SHA-1 only");
	} else if (!force && hash_size == 20 &&
		   !open_libgit2(o, objects_dir, err)) {
		ret = 0;
	} else {
		/* No libgit2 (or SHA-256): Git itself reads the objects. */
		if (o->dl) {
			if (o->db)
				o->api.odb_free(o->db);
			o->db = NULL;
		}
		rt_err_clear(err);
		ret = open_cat_file(o, git_dir, err);
	}
	if (ret) {
		odb_close(o);
		return ret;
	}
	*out = o;
	return 0;
}

static int read_libgit2(struct odb *o, const uint8_t *oid, enum odb_type *type,
			const char **data, size_t *size, struct rt_err *err)
{
	git_oid id;
	int ret;

	if (o->obj) {
		o->api.object_free(o->obj);
		o->obj = NULL;
	}
	memcpy(id.id, oid, GIT_OID_RAWSZ);
	ret = o->api.odb_read(&o->obj, o->db, &id);
	if (ret == GIT_ENOTFOUND) {
		o->obj = NULL;
		return 1;
	}
	if (ret < 0) {
		const git_error *e = o->api.error_last();
		char hex[2 * GIT_OID_RAWSZ + 1];

		o->obj = NULL;
		rt_hex(hex, oid, GIT_OID_RAWSZ);
		return rt_err_set(err, RT_ERR_IO, "cannot read object %s: %s",
				  hex, e ? e->message : "unknown error");
	}
	*type = (enum odb_type)o->api.object_type(o->obj);
	*data = o->api.object_data(o->obj);
	*size = o->api.object_size(o->obj);
	return 0;
}

static int read_cat_file(struct odb *o, const uint8_t *oid, enum odb_type *type,
			 const char **data, size_t *size, struct rt_err *err)
{
	static const char *const names[] = { NULL, "commit", "tree", "blob",
					     "tag" };
	char hex[2 * 32 + 1], kind[16];
	unsigned long long n;
	ssize_t got;

	rt_hex(hex, oid, o->hash_size);
	if (fprintf(o->cat_file.to, "%s\n", hex) < 0 || fflush(o->cat_file.to))
		return rt_err_set(err, RT_ERR_IO,
				  "git cat-file: cannot write: %s",
				  strerror(errno));
	got = getline(&o->line, &o->line_cap, o->cat_file.from);
	if (got <= 0)
		return rt_err_set(
			err, RT_ERR_IO,
			"git cat-file ended early (is the git on PATH "
			"new enough for this repository?)");
	if (got > 8 && !strcmp(o->line + got - 8, "missing\n"))
		return 1;
	if (sscanf(o->line, "%*s %15s %llu", kind, &n) != 2)
		return rt_err_set(err, RT_ERR_IO,
				  "git cat-file: unexpected '%.*s'",
				  (int)(got - 1), o->line);
	if (n + 1 > o->data_cap) {
		char *p = realloc(o->data, n + 1);

		if (!p)
			return rt_err_oom(err);
		o->data = p;
		o->data_cap = n + 1;
	}
	/* The object and the newline after it. */
	if (fread(o->data, 1, n + 1, o->cat_file.from) != n + 1)
		return rt_err_set(err, RT_ERR_IO,
				  "git cat-file: short read of %s", hex);
	*type = 0;
	for (int t = ODB_COMMIT; t <= ODB_TAG; t++)
		if (!strcmp(kind, names[t]))
			*type = (enum odb_type)t;
	*data = o->data;
	*size = n;
	return 0;
}

int odb_read(struct odb *o, const uint8_t *oid, enum odb_type *type,
	     const char **data, size_t *size, struct rt_err *err)
{
	if (o->db)
		return read_libgit2(o, oid, type, data, size, err);
	return read_cat_file(o, oid, type, data, size, err);
}

const char *odb_backend_name(const struct odb *o)
{
	return o->db ? "libgit2" : "git cat-file";
}

void odb_close(struct odb *o)
{
	if (!o)
		return;
	if (o->dl) {
		if (o->obj)
			o->api.object_free(o->obj);
		if (o->db)
			o->api.odb_free(o->db);
		if (o->api.shutdown)
			o->api.shutdown();
		dlclose(o->dl);
	}
	spawn_pipe_finish(&o->cat_file);
	free(o->line);
	free(o->data);
	free(o);
}
