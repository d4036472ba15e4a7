/*
 * Unit tests of plugin/maint/metrics (the Prometheus text of our gauges)
 * and of plugin/schedule/fleet's repository lists: samples of many
 * repositories grouped under one HELP/TYPE per family, label values
 * escaped as the format wants, another process's text regrouped, list
 * files read as documented, and the kept metrics written where discovery
 * found the git dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/maint/metrics.h"
#include "plugin/maint/metrics_keep.h"
#include "plugin/schedule/fleet.h"
#include "testutil.h"

static char *format(struct metrics *ms)
{
	struct rt_buf out = RT_BUF_INIT;

	assert_int_equal(metrics_format(ms, &out), 0);
	assert_int_equal(rt_buf_addch(&out, '\0'), 0);
	return out.buf;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Two repositories, samples added interleaved: one header per family,
 * each family's samples together right after it. */
static void test_grouped(void **state)
{
	const char *a[] = { "repo", "/a.git", "stack", "main", NULL };
	const char *b[] = { "repo", "/b.git", "stack", "main", NULL };
	struct metrics ms;
	char *text;
	(void)state;

	metrics_init(&ms);
	assert_int_equal(metrics_add(&ms, METRIC_TABLES, a, 3), 0);
	assert_int_equal(metrics_add(&ms, METRIC_BYTES, a, 4096), 0);
	assert_int_equal(metrics_add(&ms, METRIC_TABLES, b, 1), 0);
	assert_int_equal(metrics_add(&ms, METRIC_BYTES, b, 12.5), 0);
	text = format(&ms);
	assert_string_equal(
		text,
		"# HELP git_reftable_tables Tables in the stack.\n"
		"# TYPE git_reftable_tables gauge\n"
		"git_reftable_tables{repo=\"/a.git\",stack=\"main\"} 3\n"
		"git_reftable_tables{repo=\"/b.git\",stack=\"main\"} 1\n"
		"# HELP git_reftable_bytes Bytes of all tables in the stack.\n"
		"# TYPE git_reftable_bytes gauge\n"
		"git_reftable_bytes{repo=\"/a.git\",stack=\"main\"} 4096\n"
		"git_reftable_bytes{repo=\"/b.git\",stack=\"main\"} 12.500000\n");
	free(text);
	metrics_release(&ms);
}

static void test_escapes(void **state)
{
	const char *l[] = { "repo", "/x\\\"y\nz", NULL };
	const char *none[] = { NULL };
	struct metrics ms;
	char *text;
	(void)state;

	metrics_init(&ms);
	assert_int_equal(metrics_add(&ms, METRIC_REFS, l, 0), 0);
	assert_int_equal(
		metrics_add(&ms, METRIC_FLEET_LAST_RUN, none, 1764424597), 0);
	text = format(&ms);
	assert_non_null(strstr(
		text, "git_reftable_refs{repo=\"/x\\\\\\\"y\\nz\"} 0\n"));
	assert_non_null(
		strstr(text, "\ngit_reftable_fleet_last_run_timestamp_seconds "
			     "1764424597\n"));
	free(text);
	metrics_release(&ms);
}

/* Two outputs of `stats --prometheus`, headers and all, regrouped. */
static void test_add_text(void **state)
{
	static const char one[] =
		"# HELP git_reftable_tables Tables in the stack.\n"
		"# TYPE git_reftable_tables gauge\n"
		"git_reftable_tables{repo=\"/a\",stack=\"main\"} 2\n"
		"# HELP git_reftable_refs x\n"
		"# TYPE git_reftable_refs gauge\n"
		"git_reftable_refs{repo=\"/a\",stack=\"main\"} 7\n";
	static const char two[] =
		"# HELP git_reftable_tables Tables in the stack.\n"
		"git_reftable_tables{repo=\"/b\",stack=\"main\"} 5\n"
		"git_reftable_tablesque{repo=\"/b\"} 1\n"
		"something_else 1";
	struct metrics ms;
	char *text;
	(void)state;

	metrics_init(&ms);
	assert_int_equal(metrics_add_text(&ms, one, strlen(one)), 0);
	/* A name that only starts like ours is not ours. */
	assert_int_equal(metrics_add_text(&ms, two, strlen(two)), 2);
	text = format(&ms);
	assert_int_equal(count(text, "# HELP git_reftable_tables "), 1);
	assert_int_equal(count(text, "# TYPE "), 2);
	assert_non_null(strstr(
		text, "git_reftable_tables{repo=\"/a\",stack=\"main\"} 2\n"
		      "git_reftable_tables{repo=\"/b\",stack=\"main\"} "
		      "5\n# HELP git_reftable_refs "));
	assert_null(strstr(text, "something_else"));
	free(text);
	metrics_release(&ms);
}

static void test_list_text(void **state)
{
	static const char text[] = "/srv/a.git\n\n# a comment\n/srv/b c\r\n"
				   "/srv/last";
	struct fleet_list l = { 0 };
	struct rt_err err = { 0 };
	(void)state;

	assert_int_equal(fleet_list_text(&l, text, strlen(text), "list", &err),
			 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].path, "/srv/a.git");
	assert_string_equal(l.v[1].path, "/srv/b c");
	assert_string_equal(l.v[2].path, "/srv/last");
	fleet_list_release(&l);
	assert_int_equal(fleet_list_text(&l, "/a\n/b\0c\n", 8, "list", &err),
			 RT_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "list:2"));
	fleet_list_release(&l);
}

/* Whether `dir`/METRICS_KEEP_FILE exists. */
static bool kept_in(const char *dir)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, METRICS_KEEP_FILE);
	return !access(path, F_OK);
}

/* How many entries `dir` has besides . and .. */
static int entries_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

struct keep_fixture {
	char tmp[300];
	struct repo repo;
	struct rt_buf id, text;
};

static int keep_setup(void **state)
{
	struct keep_fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || tmpdir_make(fx->tmp, sizeof(fx->tmp), "keep"))
		return -1;
	fx->repo.common_fd = -1;
	*state = fx;
	return 0;
}

static int keep_teardown(void **state)
{
	struct keep_fixture *fx = *state;

	if (fx->repo.common_fd >= 0)
		close(fx->repo.common_fd);
	rt_buf_release(&fx->id);
	rt_buf_release(&fx->text);
	tmpdir_remove(fx->tmp);
	free(fx);
	return 0;
}

/*
 * The kept metrics go to the git dir discovery opened, and come back
 * from there, even when its path leads elsewhere by then: root's fleet
 * runs write them in other users' repositories, whose owners can swap
 * a directory for a symlink at any time. A linked worktree's git dir
 * reached through a symlink now is refused, nothing written.
 */
static void test_keep_where_discovered(void **state)
{
	struct keep_fixture *fx = *state;
	struct repo *repo = &fx->repo;
	char real[400], moved[400], other[400], wt[500], wt2[500];
	struct rt_err err = { 0 };

	snprintf(real, sizeof(real), "%s/git", fx->tmp);
	snprintf(moved, sizeof(moved), "%s/git-moved", fx->tmp);
	snprintf(other, sizeof(other), "%s/elsewhere", fx->tmp);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	repo->git_dir = repo->common_dir = real;
	repo->common_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(repo->common_fd >= 0);
	repo->owner = geteuid();
	repo->have_owner = true;
	assert_int_equal(metrics_keep_identity(repo, 2, &fx->id), 0);
	/* The git dir moved away, a symlink to another directory instead. */
	assert_int_equal(rename(real, moved), 0);
	assert_int_equal(symlink(other, real), 0);
	assert_int_equal(metrics_keep_write(repo, &fx->id, "x 1\n", 4, 0, &err),
			 0);
	assert_true(kept_in(moved));
	assert_int_equal(entries_in(moved), 1); /* no temp file left */
	assert_int_equal(entries_in(other), 0);
	assert_int_equal(metrics_keep_read(repo, 2, &fx->text), 0);
	assert_int_equal(fx->text.len, 4);
	assert_memory_equal(fx->text.buf, "x 1\n", 4);

	/* A linked worktree's git dir, its path through a symlink now. */
	snprintf(wt, sizeof(wt), "%s/worktrees", moved);
	assert_int_equal(mkdir(wt, 0700), 0);
	snprintf(wt, sizeof(wt), "%s/worktrees/w", moved);
	snprintf(wt2, sizeof(wt2), "%s/worktrees/w-moved", moved);
	assert_int_equal(mkdir(wt, 0700), 0);
	assert_int_equal(rename(wt, wt2), 0);
	assert_int_equal(symlink(other, wt), 0);
	repo->git_dir = wt;
	repo->common_dir = moved;
	assert_int_equal(metrics_keep_write(repo, &fx->id, "x 1\n", 4, 0, &err),
			 RT_ERR_UNSAFE);
	assert_non_null(strstr(err.msg, wt));
	assert_int_equal(entries_in(other), 0);
	assert_int_equal(entries_in(wt2), 0);
	assert_int_equal(metrics_keep_read(repo, 2, &fx->text), RT_ERR_UNSAFE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_add_text),
		cmocka_unit_test(test_list_text),
		cmocka_unit_test_setup_teardown(test_keep_where_discovered,
						keep_setup, keep_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
