/*
 * Unit tests of plugin/schedule: our block in a crontab (added, replaced
 * in place, removed, the user's lines kept byte for byte) and the check
 * of what the entries name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "plugin/schedule/crontab.h"
#include "testutil.h"

#define USER_LINES                \
	"MAILTO=me@example.org\n" \
	"# my jobs\n"             \
	"30 6 * * * /usr/bin/backup --quiet\n"

#define BLOCK_17                                                             \
	CRONTAB_BEGIN "\n"                                                   \
		      "# Installed by 'git reftable schedule start' and "    \
		      "removed by\n"                                         \
		      "# 'git reftable schedule stop'; edits in this block " \
		      "are lost.\n"                                          \
		      "17 1-23 * * * PATH='/usr/bin:/bin' "                  \
		      "'/opt/it'\\''s/git-reftable' fleet run --registered " \
		      "--quiet --schedule=hourly\n"                          \
		      "17 0 * * 1-6 PATH='/usr/bin:/bin' "                   \
		      "'/opt/it'\\''s/git-reftable' fleet run --registered " \
		      "--quiet --schedule=daily\n"                           \
		      "17 0 * * 0 PATH='/usr/bin:/bin' "                     \
		      "'/opt/it'\\''s/git-reftable' fleet run --registered " \
		      "--quiet --schedule=weekly\n" CRONTAB_END "\n"

static struct schedule_job job = {
	.program = "/opt/it's/git-reftable",
	.path_env = "/usr/bin:/bin",
	.minute = 17,
};

static void set(struct rt_buf *b, const char *text)
{
	assert_int_equal(rt_buf_set(b, text, strlen(text)), 0);
}

/* crontab_edit() of `before` is `after`, and stripping it gives `rest`. */
static void check_edit(const char *before, const char *after, const char *rest)
{
	struct rt_buf tab = RT_BUF_INIT, out = RT_BUF_INIT, again = RT_BUF_INIT;
	bool have[SCHEDULE_FREQS] = { false };
	struct rt_err err = { 0 };
	size_t at;

	set(&tab, before);
	assert_int_equal(crontab_edit(&tab, &job, &out, &err), 0);
	assert_string_equal(out.buf, after);
	/* Editing again changes nothing: start is idempotent. */
	assert_int_equal(crontab_edit(&out, &job, &again, &err), 0);
	assert_string_equal(again.buf, after);
	assert_int_equal(crontab_strip(&out, &again, &at, have, &err), 0);
	assert_string_equal(again.buf, rest);
	assert_true(at != CRONTAB_NOWHERE);
	assert_false(have[POLICY_NEVER]);
	assert_true(have[POLICY_HOURLY] && have[POLICY_DAILY] &&
		    have[POLICY_WEEKLY]);
	rt_buf_release(&tab);
	rt_buf_release(&out);
	rt_buf_release(&again);
}

static void test_edit(void **state)
{
	(void)state;
	/* No table: the block alone. */
	check_edit("", BLOCK_17, "");
	/* Appended after the user's lines. */
	check_edit(USER_LINES, USER_LINES BLOCK_17, USER_LINES);
	/* A last line without its newline gets one. */
	check_edit("@reboot /bin/true", "@reboot /bin/true\n" BLOCK_17,
		   "@reboot /bin/true\n");
	/* An old block among user lines is replaced where it is. */
	check_edit(USER_LINES CRONTAB_BEGIN "\n0 * * * * old\n" CRONTAB_END
					    "\n@reboot /bin/true\n",
		   USER_LINES BLOCK_17 "@reboot /bin/true\n",
		   USER_LINES "@reboot /bin/true\n");
}

static void test_strip(void **state)
{
	struct rt_buf tab = RT_BUF_INIT, out = RT_BUF_INIT;
	bool have[SCHEDULE_FREQS] = { false };
	struct rt_err err = { 0 };
	size_t at;
	(void)state;

	/* No block: the table as it is. */
	set(&tab, USER_LINES);
	assert_int_equal(crontab_strip(&tab, &out, &at, have, &err), 0);
	assert_string_equal(out.buf, USER_LINES);
	assert_true(at == CRONTAB_NOWHERE);
	assert_false(have[POLICY_HOURLY] || have[POLICY_DAILY] ||
		     have[POLICY_WEEKLY]);

	/* Only the entries still in the block count; comments do not. */
	set(&tab, USER_LINES CRONTAB_BEGIN
	    "\n"
	    "# 0 * * * * x --schedule=hourly\n"
	    "0 0 * * 0 x --schedule=weekly\n" CRONTAB_END "\n"
	    "# after\n");
	assert_int_equal(crontab_strip(&tab, &out, &at, have, &err), 0);
	assert_string_equal(out.buf, USER_LINES "# after\n");
	assert_int_equal(at, strlen(USER_LINES));
	assert_false(have[POLICY_HOURLY] || have[POLICY_DAILY]);
	assert_true(have[POLICY_WEEKLY]);

	/* BEGIN without END: nothing can be told apart, nothing is done. */
	set(&tab, USER_LINES CRONTAB_BEGIN "\n0 1 * * * /usr/bin/true\n");
	assert_int_equal(crontab_strip(&tab, &out, &at, NULL, &err),
			 RT_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "without '" CRONTAB_END "'"));
	rt_err_clear(&err);
	assert_int_equal(crontab_edit(&tab, &job, &out, &err), RT_ERR_FORMAT);
	rt_buf_release(&tab);
	rt_buf_release(&out);
}

static void test_job_check(void **state)
{
	struct schedule_job bad = job;
	struct rt_err err = { 0 };
	(void)state;

	assert_int_equal(schedule_job_check(&job, "%", &err), 0);
	bad.program = "/opt/100%/git-reftable";
	assert_int_equal(schedule_job_check(&bad, NULL, &err), 0);
	assert_int_equal(schedule_job_check(&bad, "%", &err), RT_ERR_API);
	assert_string_equal(err.msg, "cannot schedule with the program path "
				     "'/opt/100%/git-reftable': it contains "
				     "'%'");
	rt_err_clear(&err);
	bad = job;
	bad.path_env = "/usr/bin\n:/bin";
	assert_int_equal(schedule_job_check(&bad, NULL, &err), RT_ERR_API);
	assert_non_null(strstr(err.msg, "PATH '/usr/bin\n:/bin': it contains "
					"a control character"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_job_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
