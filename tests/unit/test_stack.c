/*
 * Unit tests of the stack: weights from stat(), tables.list validation,
 * additions, compaction under the locking protocol (including a writer
 * appending and another process compacting while we merge), and clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/include/rt-clean.h"
#include "lib/include/rt-compact.h"
#include "lib/include/rt-expire.h"
#include "lib/stack.h"
#include "testutil.h"

static void test_table_names(void **state)
{
	uint64_t min, max;
	(void)state;

	assert_true(rt_stack_valid_table_name(
		"0x000000000001-0x000000000002-0123abcd.ref"));
	assert_true(rt_stack_valid_table_name(
		"0x0000000000000001-0x0000000000000002-0123abcd.ref"));
	assert_false(rt_stack_valid_table_name(
		"0x000000000001-0x000000000002-0123abcd.ref/"));
	assert_false(rt_stack_valid_table_name(
		"../0x000000000001-0x000000000002-0123abcd.ref"));
	assert_false(rt_stack_valid_table_name(
		"0x000000000001-0x000000000002-0123ABCD.ref"));
	assert_false(rt_stack_valid_table_name("0x1-0x2-0123abcd.ref"));
	assert_false(rt_stack_valid_table_name("tables.list"));
	assert_false(rt_stack_valid_table_name(""));
	assert_int_equal(rt_stack_parse_table_name(
				 "0x00000000000a-0x0000000000ff-0123abcd.ref",
				 &min, &max),
			 0);
	assert_true(min == 10 && max == 255);
}

/* A fresh empty stack directory per test. */
static char dir[256];

static int setup(void **state)
{
	(void)state;
	return tmpdir_make(dir, sizeof(dir), "stack");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

static void write_file(const char *name, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static bool exists(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

struct add {
	const char *ref; /* NULL: only a log entry for `log_ref` */
	uint8_t type;
	const char *log_ref;
};

/* Addition filler: one ref and/or one log entry at the update index. */
static int fill(struct rt_writer *w, uint64_t ui, void *arg, struct rt_err *err)
{
	const struct add *a = arg;
	int ret = 0;

	if (a->ref) {
		struct rt_ref_record ref;

		set_ref(&ref, a->ref, ui, a->type, (uint8_t)ui);
		ret = rt_writer_add_ref(w, &ref, err);
		rt_ref_record_release(&ref);
	}
	if (!ret && a->log_ref) {
		struct rt_log_record log;

		set_log(&log, a->log_ref, ui, RT_LOG_UPDATE, "update");
		ret = rt_writer_add_log(w, &log, err);
		rt_log_record_release(&log);
	}
	return ret;
}

static struct rt_stack *open_stack(void)
{
	struct rt_stack_options o;
	struct rt_err err = { 0 };
	struct rt_stack *st;

	rt_stack_options_init(&o);
	o.default_permissions = 0640;
	if (rt_stack_open(&st, dir, &o, &err))
		fail_msg("open: %s", err.msg);
	return st;
}

static void add(struct rt_stack *st, const char *ref, uint8_t type,
		const char *log_ref)
{
	struct add a = { ref, type, log_ref };
	struct rt_err err = { 0 };

	if (rt_stack_add(st, fill, &a, &err))
		fail_msg("add: %s", err.msg);
}

/* "name:type" of the merged refs, deletions included when asked. */
static void view(struct rt_stack *st, uint8_t type, bool deletions, char *out,
		 size_t len)
{
	struct rt_merged_iter mi;
	struct rt_record rec;
	struct rt_err err = { 0 };
	size_t used = 0;

	out[0] = '\0';
	assert_int_equal(rt_merged_iter_init(&mi, st->tables, st->n, type,
					     deletions, &err),
			 0);
	rt_record_init(&rec, type);
	assert_int_equal(rt_merged_iter_seek(&mi, NULL, 0, &err), 0);
	while (rt_merged_iter_next(&mi, &rec, &err) == 0) {
		if (type == RT_BLOCK_REF)
			used += snprintf(out + used, len - used, "%s%s:%d",
					 used ? " " : "",
					 rec.u.ref.refname.buf + 11,
					 rec.u.ref.value_type);
		else
			used += snprintf(
				out + used, len - used, "%s%s@%llu:%d",
				used ? " " : "", rec.u.log.refname.buf + 11,
				(unsigned long long)rec.u.log.update_index,
				rec.u.log.value_type);
	}
	assert_int_equal(err.code, 0);
	rt_record_release(&rec);
	rt_merged_iter_release(&mi);
}

static void test_add_and_reload(void **state)
{
	struct rt_stack *st = open_stack(), *other;
	struct rt_err err = { 0 };
	struct stat sb;
	char out[512];
	(void)state;

	assert_int_equal(st->n, 0);
	add(st, "refs/heads/a", RT_REF_VAL1, "refs/heads/a");
	add(st, "refs/heads/b", RT_REF_VAL1, NULL);
	add(st, "refs/heads/a", RT_REF_DELETION, NULL);
	assert_int_equal(st->n, 3);
	assert_int_equal(rt_stack_max_update_index(st), 3);
	view(st, RT_BLOCK_REF, false, out, sizeof(out));
	assert_string_equal(out, "b:1");
	/* New files get the stack's mode, whatever the umask. */
	assert_int_equal(stat(st->tables[0]->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(stat(st->list_path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);

	/* A second handle sees the additions; an addition reloads first. */
	other = open_stack();
	add(other, "refs/heads/c", RT_REF_VAL1, NULL);
	assert_int_equal(rt_stack_is_outdated(st, &err), 1);
	add(st, "refs/heads/d", RT_REF_VAL1, NULL);
	assert_int_equal(st->n, 5);
	assert_int_equal(rt_stack_reload(other, &err), 0);
	view(other, RT_BLOCK_REF, false, out, sizeof(out));
	assert_string_equal(out, "b:1 c:1 d:1");
	rt_stack_close(other);
	rt_stack_close(st);
}

/* Sizes from stat() alone weigh tables exactly as the open stack does. */
static void test_stat_weights(void **state)
{
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };
	struct rt_segment a, b;
	uint64_t *w;
	size_t n;
	(void)state;

	assert_int_equal(rt_stack_stat_weights(dir, 1, &w, &n, &err), 0);
	assert_int_equal(n, 0);
	free(w);
	add(st, "refs/heads/a", RT_REF_VAL1, "refs/heads/a");
	add(st, "refs/heads/b", RT_REF_VAL1, NULL);
	add(st, "refs/heads/c", RT_REF_VAL1, "refs/heads/c");
	assert_int_equal(rt_stack_stat_weights(dir, 1, &w, &n, &err), 0);
	assert_int_equal(n, st->n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(w[i], rt_stack_table_weight(st->tables[i]));
	a = rt_suggest_segment(w, n, 2);
	b = rt_stack_suggest_segment(st);
	assert_int_equal(a.start, b.start);
	assert_int_equal(a.end, b.end);
	free(w);

	/* A listed table that vanished: the stack is being compacted. */
	assert_int_equal(unlink(st->tables[1]->path), 0);
	assert_int_equal(rt_stack_stat_weights(dir, 1, &w, &n, &err),
			 RT_ERR_OUTDATED);
	assert_null(w);
	rt_stack_close(st);
}

static void test_lock_timeout(void **state)
{
	struct rt_stack *st = open_stack();
	struct add a = { "refs/heads/a", RT_REF_VAL1, NULL };
	struct rt_err err = { 0 };
	struct timespec t0, t1;
	long ms;
	(void)state;

	write_file("tables.list.lock", "");
	st->opts.lock_timeout_ms = 150;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(rt_stack_add(st, fill, &a, &err), RT_ERR_LOCK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 150 && ms < 2000);
	assert_non_null(strstr(err.msg, "tables.list.lock"));
	/* The other holder's lock is left alone. */
	assert_true(exists("tables.list.lock"));
	assert_int_equal(st->n, 0);
	rt_stack_close(st);
}

/*
 * require_owner: the directory opened must be the owner's; another's is
 * refused before anything in it is read or created.
 */
static void test_require_owner(void **state)
{
	struct rt_stack_options o;
	struct rt_err err = { 0 };
	struct rt_stack *st = NULL;
	struct stat sb;
	(void)state;

	assert_int_equal(stat(dir, &sb), 0);
	rt_stack_options_init(&o);
	o.require_owner = true;
	o.owner = sb.st_uid;
	assert_int_equal(rt_stack_open(&st, dir, &o, &err), 0);
	rt_stack_close(st);
	st = NULL;
	o.owner = sb.st_uid + 1;
	assert_int_equal(rt_stack_open(&st, dir, &o, &err), RT_ERR_UNSAFE);
	assert_null(st);
	assert_non_null(strstr(err.msg, dir));
	assert_non_null(strstr(err.msg, "refusing to change another user's"));
	/* Without it, the same directory opens. */
	o.require_owner = false;
	assert_int_equal(rt_stack_open(&st, dir, &o, &err), 0);
	rt_stack_close(st);
}

static void test_bad_tables_list(void **state)
{
	static const char *const bad[] = {
		"../0x000000000001-0x000000000001-00000000.ref\n",
		"0x000000000001-0x000000000001-00000000.ref\nfoo\n",
		"/etc/passwd\n",
		"0x000000000001-0x000000000001-00000000.ref/x\n",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rt_err err = { 0 };
		struct rt_stack *st;

		write_file("tables.list", bad[i]);
		assert_int_equal(rt_stack_open(&st, dir, NULL, &err),
				 RT_ERR_NAME);
		assert_non_null(strstr(err.msg, "tables.list:"));
		assert_non_null(strstr(err.msg, "is not a table name"));
	}
}

static void test_compact_range_and_all(void **state)
{
	struct rt_stack *st = open_stack();
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	char before[512], after[512];
	(void)state;

	add(st, "refs/heads/a", RT_REF_VAL1, "refs/heads/a");
	add(st, "refs/heads/b", RT_REF_VAL1, "refs/heads/b");
	add(st, "refs/heads/a", RT_REF_DELETION, "refs/heads/a");
	add(st, "refs/heads/c", RT_REF_VAL2, "refs/heads/c");
	add(st, "refs/heads/d", RT_REF_SYMREF, NULL);
	add(st, "refs/heads/b", RT_REF_DELETION, NULL);
	view(st, RT_BLOCK_REF, false, before, sizeof(before));

	/* Middle segment: deletions must survive (older tables exist). */
	assert_int_equal(rt_stack_compact_range(st, 2, 4, NULL, &res, &err), 0);
	assert_int_equal(st->n, 4);
	assert_int_equal(res.tables_before, 6);
	assert_int_equal(res.tables_after, 4);
	assert_true(st->tables[2]->min_update_index == 3 &&
		    st->tables[2]->max_update_index == 5);
	view(st, RT_BLOCK_REF, false, after, sizeof(after));
	assert_string_equal(before, after);
	view(st, RT_BLOCK_REF, true, after, sizeof(after));
	assert_string_equal(after, "a:0 b:0 c:2 d:3");

	/* Whole stack: one table, deletion records gone. */
	assert_int_equal(rt_stack_compact_all(st, NULL, &res, &err), 0);
	assert_int_equal(st->n, 1);
	view(st, RT_BLOCK_REF, true, after, sizeof(after));
	assert_string_equal(after, "c:2 d:3");
	view(st, RT_BLOCK_LOG, true, after, sizeof(after));
	assert_string_equal(after, "a@3:1 a@1:1 b@2:1 c@4:1");
	/* Old tables are gone from the directory. */
	{
		DIR *d = opendir(dir);
		int refs = 0;

		for (struct dirent *e; (e = readdir(d));)
			refs += strstr(e->d_name, ".ref") != NULL;
		closedir(d);
		assert_int_equal(refs, 1);
	}
	rt_stack_close(st);
}

static int drop_odd(void *arg, const struct rt_log_record *log, bool last,
		    struct rt_err *err)
{
	(void)arg;
	(void)last;
	(void)err;
	return log->update_index % 2 ? RT_LOG_DROP : RT_LOG_KEEP;
}

static void test_log_drop_and_tombstones(void **state)
{
	struct rt_compact_options o = { .filter = drop_odd };
	struct rt_stack *st = open_stack();
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	char out[512];
	(void)state;

	for (int i = 0; i < 6; i++)
		add(st, NULL, 0, "refs/heads/x");
	/* Not from the oldest table: dropped entries become tombstones. */
	assert_int_equal(rt_stack_compact_range(st, 2, 5, &o, &res, &err), 0);
	assert_int_equal(res.logs_dropped, 2);
	view(st, RT_BLOCK_LOG, true, out, sizeof(out));
	assert_string_equal(out, "x@6:1 x@5:0 x@4:1 x@3:0 x@2:1 x@1:1");
	view(st, RT_BLOCK_LOG, false, out, sizeof(out));
	assert_string_equal(out, "x@6:1 x@4:1 x@2:1 x@1:1");
	/* From the oldest: dropped outright, tombstones forgotten. */
	assert_int_equal(rt_stack_compact_all(st, &o, &res, &err), 0);
	view(st, RT_BLOCK_LOG, true, out, sizeof(out));
	assert_string_equal(out, "x@6:1 x@4:1 x@2:1");
	rt_stack_close(st);
}

static void test_best_effort_and_busy(void **state)
{
	struct rt_compact_options be = { .best_effort = true };
	struct rt_stack *st = open_stack();
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	char lock[256];
	(void)state;

	for (int i = 0; i < 6; i++) {
		char name[32];

		snprintf(name, sizeof(name), "refs/heads/r%d", i);
		add(st, name, RT_REF_VAL1, NULL);
	}
	/* Someone compacts table 2: its lock exists. */
	snprintf(lock, sizeof(lock), "%s.lock", st->tables[2]->name);
	write_file(lock, "");
	assert_int_equal(rt_stack_compact_range(st, 0, 5, NULL, &res, &err),
			 RT_ERR_LOCK);
	assert_int_equal(st->n, 6);
	assert_true(exists(lock));
	/* Best effort: the newer tables 3-5 are compacted. */
	rt_err_clear(&err);
	assert_int_equal(rt_stack_compact_range(st, 0, 5, &be, &res, &err), 0);
	assert_int_equal(res.first, 3);
	assert_int_equal(res.last, 5);
	assert_int_equal(st->n, 4);
	assert_true(exists(lock));
	/* Only table 1 lockable below the busy one: fewer than two. */
	rt_err_clear(&err);
	snprintf(lock, sizeof(lock), "%s.lock", st->tables[3]->name);
	write_file(lock, "");
	assert_int_equal(rt_stack_compact_range(st, 0, 3, &be, &res, &err),
			 RT_ERR_LOCK);
	rt_stack_close(st);
}

static void test_outdated(void **state)
{
	struct rt_stack *a = open_stack(), *b;
	struct rt_err err = { 0 };
	(void)state;

	add(a, "refs/heads/x", RT_REF_VAL1, NULL);
	add(a, "refs/heads/y", RT_REF_VAL1, NULL);
	b = open_stack();
	add(a, "refs/heads/z", RT_REF_VAL1, NULL);
	assert_int_equal(rt_stack_compact_all(b, NULL, NULL, &err),
			 RT_ERR_OUTDATED);
	assert_int_equal(a->n, 3);
	rt_err_clear(&err);
	assert_int_equal(rt_stack_reload(b, &err), 0);
	assert_int_equal(rt_stack_compact_all(b, NULL, NULL, &err), 0);
	assert_int_equal(b->n, 1);
	rt_stack_close(a);
	rt_stack_close(b);
}

/*
 * While our compaction of tables 2-3 merges (tables.list unlocked), another
 * process appends a table and compacts tables 0-1: the segment moves down
 * by one and a table appears on top. The swap must land in the right place.
 */
struct interferer {
	bool done;
};

static int interfere(void *arg, const struct rt_log_record *log, bool last,
		     struct rt_err *unused)
{
	struct interferer *in = arg;
	struct rt_stack *other;
	struct rt_err err = { 0 };

	(void)log;
	(void)last;
	(void)unused;
	if (in->done)
		return RT_LOG_KEEP;
	in->done = true;
	other = open_stack();
	add(other, "refs/heads/late", RT_REF_VAL1, NULL);
	if (rt_stack_compact_range(other, 0, 1, NULL, NULL, &err))
		fail_msg("concurrent compaction: %s", err.msg);
	rt_stack_close(other);
	return RT_LOG_KEEP;
}

static void test_segment_moves_during_compaction(void **state)
{
	struct interferer in = { false };
	struct rt_compact_options o = { .filter = interfere,
					.filter_arg = &in };
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };
	char out[512];
	(void)state;

	add(st, "refs/heads/a", RT_REF_VAL1, "refs/heads/a");
	add(st, "refs/heads/b", RT_REF_VAL1, "refs/heads/b");
	add(st, "refs/heads/c", RT_REF_VAL1, "refs/heads/c");
	add(st, "refs/heads/d", RT_REF_VAL1, "refs/heads/d");
	assert_int_equal(rt_stack_compact_range(st, 2, 3, &o, NULL, &err), 0);
	assert_true(in.done);
	/* [a+b] [c+d] [late] */
	assert_int_equal(st->n, 3);
	assert_true(st->tables[0]->max_update_index == 2);
	assert_true(st->tables[1]->min_update_index == 3 &&
		    st->tables[1]->max_update_index == 4);
	assert_true(st->tables[2]->min_update_index == 5);
	view(st, RT_BLOCK_REF, false, out, sizeof(out));
	assert_string_equal(out, "a:1 b:1 c:1 d:1 late:1");
	rt_stack_close(st);
}

static void set_age(const char *name, time_t age)
{
	char path[512];
	struct timespec ts[2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

struct seen {
	char removed[1024];
	char kept[1024];
};

static void record(void *arg, const struct rt_clean_item *it)
{
	struct seen *s = arg;
	char *dst = it->removed ? s->removed : s->kept;

	strcat(dst, it->name);
	strcat(dst, " ");
}

static void test_clean(void **state)
{
	struct rt_clean_options o = { .grace_seconds = 3600,
				      .stale_lock_seconds = 3600 };
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };
	struct seen s = { "", "" };
	char listed[128], outside[600], link[600];
	(void)state;

	add(st, "refs/heads/a", RT_REF_VAL1, NULL);
	add(st, "refs/heads/b", RT_REF_VAL1, NULL);
	snprintf(listed, sizeof(listed), "%s", st->tables[0]->name);
	write_file("0x000000000001-0x000000000001-aaaaaaaa.ref", "old orphan");
	set_age("0x000000000001-0x000000000001-aaaaaaaa.ref", 7200);
	write_file("0x000000000001-0x000000000001-bbbbbbbb.ref", "young");
	write_file("0x000000000009-0x000000000009-cccccccc.ref", "future");
	set_age("0x000000000009-0x000000000009-cccccccc.ref", 7200);
	write_file("0x000000000001-0x000000000002-dddddddd.temp.Ab12Cd", "t");
	set_age("0x000000000001-0x000000000002-dddddddd.temp.Ab12Cd", 7200);
	write_file("0x000000000001-0x000000000001-eeeeeeee.ref", "locked");
	set_age("0x000000000001-0x000000000001-eeeeeeee.ref", 7200);
	write_file("0x000000000001-0x000000000001-eeeeeeee.ref.lock", "");
	write_file("stale.lock", "");
	set_age("stale.lock", 7200);
	/* A symlink named like an orphan table: never followed. */
	snprintf(outside, sizeof(outside), "%s/../rt-outside-%d", dir,
		 (int)getpid());
	write_file("../x", "");
	snprintf(link, sizeof(link),
		 "%s/0x000000000001-0x000000000001-ffffffff.ref", dir);
	{
		FILE *f = fopen(outside, "w");

		fputs("precious", f);
		fclose(f);
	}
	assert_int_equal(symlink(outside, link), 0);

	o.dry_run = true;
	assert_int_equal(rt_stack_clean(st, &o, record, &s, &err), 0);
	assert_string_equal(s.removed, "");
	assert_true(exists("0x000000000001-0x000000000001-aaaaaaaa.ref"));

	o.dry_run = false;
	memset(&s, 0, sizeof(s));
	assert_int_equal(rt_stack_clean(st, &o, record, &s, &err), 0);
	assert_non_null(strstr(s.removed, "aaaaaaaa.ref"));
	assert_non_null(strstr(s.removed, "dddddddd.temp"));
	assert_null(strstr(s.removed, "bbbbbbbb"));
	assert_null(strstr(s.removed, "cccccccc"));
	assert_null(strstr(s.removed, "eeeeeeee"));
	assert_null(strstr(s.removed, "stale.lock"));
	assert_non_null(strstr(s.kept, "stale.lock"));
	assert_true(exists(listed));
	assert_true(exists("0x000000000001-0x000000000001-ffffffff.ref"));
	assert_int_equal(access(outside, F_OK), 0);

	o.remove_stale_locks = true;
	memset(&s, 0, sizeof(s));
	assert_int_equal(rt_stack_clean(st, &o, record, &s, &err), 0);
	assert_non_null(strstr(s.removed, "stale.lock"));
	assert_false(exists("stale.lock"));
	assert_true(exists("0x000000000001-0x000000000001-eeeeeeee.ref.lock"));
	assert_int_equal(st->n, 2);
	unlink(outside);
	rt_stack_close(st);
}

/*
 * Expiry filter for the tests: drops every entry of refs/heads/a (the last
 * becomes the placeholder), the odd update indexes of refs/heads/b, and
 * appends to the stack behind the expiry's back on its first call when
 * `interfere` is set.
 */
struct expiry_filter {
	bool interfere, interfered;
	/* Delete a's reflog (as Git deletes a ref) instead of appending. */
	bool delete_a;
	unsigned calls;
};

/* Git's deletion of refs/heads/a's reflog: a record for each entry key. */
static int fill_delete_a(struct rt_writer *w, uint64_t ui, void *arg,
			 struct rt_err *err)
{
	static const uint64_t keys[] = { 4, 1 }; /* newest first */
	int ret = 0;

	(void)ui;
	(void)arg;
	for (size_t i = 0; !ret && i < 2; i++) {
		struct rt_log_record log;

		set_log(&log, "refs/heads/a", keys[i], RT_LOG_DELETION, "");
		ret = rt_writer_add_log(w, &log, err);
		rt_log_record_release(&log);
	}
	return ret;
}

static int expiry_filter(void *arg, const struct rt_log_record *log, bool last,
			 struct rt_err *err)
{
	struct expiry_filter *f = arg;
	const char *name = log->refname.buf;

	(void)err;
	f->calls++;
	if (f->interfere && !f->interfered) {
		struct rt_stack *other = open_stack();

		f->interfered = true;
		if (f->delete_a) {
			struct rt_err e = { 0 };

			if (rt_stack_add(other, fill_delete_a, NULL, &e))
				fail_msg("add: %s", e.msg);
		} else {
			add(other, "refs/heads/late", RT_REF_VAL1,
			    "refs/heads/late");
		}
		rt_stack_close(other);
	}
	if (!strcmp(name, "refs/heads/a"))
		return last ? RT_LOG_PLACEHOLDER : RT_LOG_DROP;
	if (!strcmp(name, "refs/heads/b") && log->update_index % 2)
		return RT_LOG_DROP;
	return RT_LOG_KEEP;
}

static void add_expiry_history(struct rt_stack *st)
{
	const char *refs[] = { "refs/heads/a", "refs/heads/b", "refs/heads/c" };

	for (int i = 0; i < 6; i++)
		add(st, NULL, 0, refs[i % 3]);
	for (int i = 0; i < 2; i++)
		add(st, NULL, 0, "refs/heads/b");
}

static void test_expire_one_table(void **state)
{
	struct expiry_filter f = { 0 };
	struct rt_stack *st = open_stack();
	struct rt_expire_result res;
	struct rt_err err = { 0 };
	struct rt_log_record got;
	char out[512];
	(void)state;

	add_expiry_history(st);
	assert_int_equal(st->n, 8);
	/* A dry run decides everything and changes nothing. */
	assert_int_equal(rt_stack_expire_logs(st, expiry_filter, &f, true, &res,
					      &err),
			 0);
	assert_int_equal(st->n, 8);
	assert_int_equal(res.logs, 8);
	assert_int_equal(res.reflogs, 3);
	assert_int_equal(res.dropped, 4);
	assert_int_equal(res.placeholders, 1);
	assert_int_equal(res.bytes_added, 0);

	assert_int_equal(rt_stack_expire_logs(st, expiry_filter, &f, false,
					      &res, &err),
			 0);
	/* One table for the whole stack, above everything before it. */
	assert_int_equal(st->n, 9);
	assert_int_equal(st->tables[8]->min_update_index, 9);
	assert_true(res.bytes_added > 0);
	view(st, RT_BLOCK_LOG, false, out, sizeof(out));
	assert_string_equal(out, "a@1:1 b@8:1 b@2:1 c@6:1 c@3:1");
	/* What is left of a is the placeholder, at its oldest entry's key. */
	memset(&got, 0, sizeof(got));
	{
		struct rt_merged_iter mi;
		struct rt_record rec;
		struct rt_buf key = RT_BUF_INIT;

		rt_log_key(&key, "refs/heads/a", 12, 1);
		assert_int_equal(rt_merged_iter_init(&mi, st->tables, st->n,
						     RT_BLOCK_LOG, false, &err),
				 0);
		rt_record_init(&rec, RT_BLOCK_LOG);
		assert_int_equal(
			rt_merged_iter_seek(&mi, key.buf, key.len, &err), 0);
		assert_int_equal(rt_merged_iter_next(&mi, &rec, &err), 0);
		assert_true(rt_log_is_placeholder(&rec.u.log));
		assert_int_equal(rec.u.log.time, 0);
		assert_int_equal(rec.u.log.message.len, 0);
		rt_record_release(&rec);
		rt_merged_iter_release(&mi);
		rt_buf_release(&key);
	}
	/* Nothing left to expire: no table is added. */
	f = (struct expiry_filter){ 0 };
	assert_int_equal(rt_stack_expire_logs(st, expiry_filter, &f, false,
					      &res, &err),
			 0);
	assert_int_equal(res.dropped, 1); /* the placeholder again */
	rt_stack_close(st);
}

/* The expiry history expired while `f` interferes; 10 tables after. */
static struct rt_stack *expire_interfered(struct expiry_filter *f,
					  struct rt_expire_result *res)
{
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };

	add_expiry_history(st);
	assert_int_equal(rt_stack_expire_logs(st, expiry_filter, f, false, res,
					      &err),
			 0);
	assert_true(f->interfered);
	assert_int_equal(st->n, 10);
	return st;
}

static void test_expire_moves_above_concurrent_append(void **state)
{
	struct expiry_filter f = { .interfere = true };
	struct rt_expire_result res;
	struct rt_stack *st = expire_interfered(&f, &res);
	char out[512];
	(void)state;

	/* The append took index 9; the expiry table moved to 10. */
	assert_int_equal(st->tables[8]->max_update_index, 9);
	assert_int_equal(st->tables[9]->min_update_index, 10);
	assert_int_equal(st->tables[9]->max_update_index, 10);
	assert_non_null(strstr(st->tables[9]->name, "0x00000000000a-"));
	view(st, RT_BLOCK_LOG, false, out, sizeof(out));
	assert_string_equal(out, "a@1:1 b@8:1 b@2:1 c@6:1 c@3:1 late@9:1");
	view(st, RT_BLOCK_REF, false, out, sizeof(out));
	assert_string_equal(out, "late:1");
	rt_stack_close(st);
}

/*
 * Git deletes a's reflog while expiry decides to leave a placeholder for
 * it: the placeholder, in the newer table, would win over Git's deletion
 * of its key and bring the reflog back. It is written as a deletion.
 */
static void test_expire_no_resurrection(void **state)
{
	struct expiry_filter f = { .interfere = true, .delete_a = true };
	struct rt_expire_result res;
	struct rt_stack *st = expire_interfered(&f, &res);
	char out[512];
	(void)state;

	assert_int_equal(res.placeholders, 0);
	assert_int_equal(res.placeholders_dropped, 1);
	view(st, RT_BLOCK_LOG, false, out, sizeof(out));
	assert_string_equal(out, "b@8:1 b@2:1 c@6:1 c@3:1");
	rt_stack_close(st);
}

static void test_compact_with_placeholder(void **state)
{
	struct expiry_filter f = { 0 };
	struct rt_compact_options o = { .filter = expiry_filter,
					.filter_arg = &f };
	struct rt_stack *st = open_stack();
	struct rt_compact_result res;
	struct rt_err err = { 0 };
	char out[512];
	(void)state;

	add_expiry_history(st);
	assert_int_equal(rt_stack_compact_all(st, &o, &res, &err), 0);
	assert_int_equal(st->n, 1);
	assert_int_equal(res.logs_dropped, 4);
	assert_int_equal(res.placeholders, 1);
	view(st, RT_BLOCK_LOG, true, out, sizeof(out));
	assert_string_equal(out, "a@1:1 b@8:1 b@2:1 c@6:1 c@3:1");
	rt_stack_close(st);
}

static void count_would(void *arg, const struct rt_clean_item *it)
{
	unsigned *n = arg;

	assert_false(it->removed);
	*n += it->would_remove;
}

/*
 * A survey (for planning) takes no lock, changes nothing, and says what a
 * clean would remove, even with tables.list.lock held by a writer.
 */
static void test_clean_survey(void **state)
{
	struct rt_clean_options o = { .grace_seconds = 3600,
				      .stale_lock_seconds = 3600,
				      .survey = true };
	struct rt_stack *st = open_stack();
	struct rt_err err = { 0 };
	struct seen s = { "", "" };
	unsigned would = 0;
	(void)state;

	add(st, "refs/heads/a", RT_REF_VAL1, NULL);
	add(st, "refs/heads/b", RT_REF_VAL1, NULL);
	write_file("0x000000000001-0x000000000001-aaaaaaaa.ref", "old orphan");
	set_age("0x000000000001-0x000000000001-aaaaaaaa.ref", 7200);
	write_file("0x000000000001-0x000000000001-bbbbbbbb.ref", "young");
	write_file("stale.lock", "");
	set_age("stale.lock", 7200);
	write_file("tables.list.lock", "a writer holds it");

	assert_int_equal(rt_stack_clean(st, &o, record, &s, &err), 0);
	assert_string_equal(s.removed, "");
	assert_non_null(strstr(s.kept, "aaaaaaaa.ref"));
	assert_non_null(strstr(s.kept, "bbbbbbbb.ref"));
	assert_non_null(strstr(s.kept, "stale.lock"));
	assert_true(exists("0x000000000001-0x000000000001-aaaaaaaa.ref"));
	assert_true(exists("stale.lock"));
	assert_true(exists("tables.list.lock"));

	/* would_remove: the old orphan only; stale locks when allowed. */
	o.remove_stale_locks = true;
	set_age("tables.list.lock", 7200);
	assert_int_equal(rt_stack_clean(st, &o, count_would, &would, &err), 0);
	/* aaaaaaaa.ref, stale.lock and the stale tables.list.lock */
	assert_int_equal(would, 3);
	assert_true(exists("tables.list.lock"));
	assert_true(exists("stale.lock"));
	rt_stack_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_names),
		cmocka_unit_test_setup_teardown(test_add_and_reload, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stat_weights, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lock_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_require_owner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_tables_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compact_range_and_all,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_drop_and_tombstones,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_best_effort_and_busy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outdated, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_segment_moves_during_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_one_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expire_no_resurrection,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_expire_moves_above_concurrent_append, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_compact_with_placeholder,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean_survey, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
