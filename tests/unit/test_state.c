/*
 * Unit tests of scheduler/state.c: the state file's round trip, its parse
 * errors, and its atomic replacement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "scheduler/state.h"
#include "testutil.h"

#define T0 1800000000ull

static void test_state_round_trip(void **state)
{
	struct sched_state st = { 0 }, back;
	char text[2048];
	struct rt_err err = { 0 };
	(void)state;

	st.task[SCHED_COMPACT] =
		(struct sched_task_state){ T0, SCHED_OUTCOME_DONE, 12, 0, 0 };
	st.task[SCHED_EXPIRE] = (struct sched_task_state){ T0 - 5,
							   SCHED_OUTCOME_BUSY,
							   0, 0, 0 };
	st.task[SCHED_CLEAN] = (struct sched_task_state){ UINT64_MAX,
							  SCHED_OUTCOME_FAILED,
							  1234567, 0, 0 };
	assert_true(sched_state_format(&st, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "[compact]\nlast-run = 1800000000\n"
				     "outcome = done\nduration-ms = 12\n"));
	assert_int_equal(sched_state_parse(&back, text, "s", &err), 0);
	assert_memory_equal(&st, &back, sizeof(st));

	/* Tasks that never ran are left out. */
	memset(&st, 0, sizeof(st));
	st.task[SCHED_CLEAN].last_run = 7;
	st.task[SCHED_CLEAN].outcome = SCHED_OUTCOME_DONE;
	assert_true(sched_state_format(&st, text, sizeof(text)) > 0);
	assert_null(strstr(text, "[compact]"));
	assert_int_equal(sched_state_parse(&back, text, "s", &err), 0);
	assert_memory_equal(&st, &back, sizeof(st));
}

static void test_state_parse_errors(void **state)
{
	struct sched_state st;
	struct rt_err err = { 0 };
	(void)state;

	/* Unknown sections and keys: ignored, for newer versions. */
	assert_int_equal(sched_state_parse(&st,
					   "# c\n[gc]\nlast-run = x\n"
					   "[expire]\nnew-key = 1\n"
					   "last-run = 99\noutcome = busy\n",
					   "f", &err),
			 0);
	assert_int_equal(st.task[SCHED_EXPIRE].last_run, 99);
	assert_int_equal(st.task[SCHED_EXPIRE].outcome, SCHED_OUTCOME_BUSY);

	assert_int_equal(sched_state_parse(&st,
					   "[compact]\nlast-run = 5\n"
					   "outcome = maybe\n",
					   "f", &err),
			 RT_ERR_FORMAT);
	assert_string_equal(err.msg,
			    "f:3: bad value 'maybe' for compact.outcome");
	assert_int_equal(st.task[SCHED_COMPACT].last_run, 0);

	rt_err_clear(&err);
	assert_int_equal(sched_state_parse(&st, "[clean]\nlast-run = -4\n", "f",
					   &err),
			 RT_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "f:2: bad value '-4'"));
	rt_err_clear(&err);
	assert_int_equal(sched_state_parse(&st, "[clean\n", "f", &err),
			 RT_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "f:1:"));
}

/* A hook's run saves when it looked and with which policy digest. */
static void test_state_checks(void **state)
{
	struct sched_state st = { 0 }, back;
	struct rt_err err = { 0 };
	char text[2048];
	(void)state;

	/* Looked at, never ran: still a section, with the new keys. */
	st.task[SCHED_EXPIRE].last_check = T0;
	st.task[SCHED_EXPIRE].policy = 0x0123456789abcdefull;
	st.task[SCHED_CLEAN] =
		(struct sched_task_state){ T0 - 9, SCHED_OUTCOME_DONE, 4, T0,
					   0xfedcba9876543210ull };
	assert_true(sched_state_format(&st, text, sizeof(text)) > 0);
	assert_non_null(strstr(text,
			       "[expire]\nlast-run = 0\noutcome = none\n"
			       "duration-ms = 0\nlast-check = 1800000000\n"
			       "policy = 0123456789abcdef\n"));
	assert_null(strstr(text, "[compact]"));
	assert_int_equal(sched_state_parse(&back, text, "s", &err), 0);
	assert_memory_equal(&st, &back, sizeof(st));

	/* A digest is 16 lower-case hex digits, no more, no less. */
	assert_int_equal(sched_state_parse(&back, "[expire]\npolicy = 12ab\n",
					   "f", &err),
			 RT_ERR_FORMAT);
	assert_string_equal(err.msg, "f:2: bad value '12ab' for expire.policy");
	rt_err_clear(&err);
	assert_int_equal(sched_state_parse(&back,
					   "[clean]\nlast-check = soon\n", "f",
					   &err),
			 RT_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "for clean.last-check"));
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_state_file(void **state)
{
	struct sched_state st = { 0 }, back;
	char dir[256], path[300];
	struct rt_err err = { 0 };
	struct stat sb;
	FILE *f;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "state"), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, SCHED_STATE_FILE);
	/* Missing: empty state, no error. */
	back.task[0].last_run = 1;
	assert_int_equal(sched_state_read(&back, path, &err), 0);
	assert_int_equal(back.task[0].last_run, 0);

	st.task[SCHED_EXPIRE] =
		(struct sched_task_state){ T0, SCHED_OUTCOME_DONE, 3, 0, 0 };
	assert_int_equal(sched_state_write_at(&st, AT_FDCWD, path, 0640, &err),
			 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	assert_int_equal(sched_state_read(&back, path, &err), 0);
	assert_memory_equal(&st, &back, sizeof(st));

	/* Replaced, not appended; no temp file left beside it. */
	st.task[SCHED_EXPIRE].outcome = SCHED_OUTCOME_FAILED;
	assert_int_equal(sched_state_write_at(&st, AT_FDCWD, path, 0, &err), 0);
	assert_int_equal(sched_state_read(&back, path, &err), 0);
	assert_int_equal(back.task[SCHED_EXPIRE].outcome, SCHED_OUTCOME_FAILED);
	assert_int_equal(count_entries(dir), 1);
	/* Mode 0: private to the user. */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* A damaged file is an error naming the line, with an empty state. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[expire]\nlast-run = 12\nduration-ms = soon\n", f);
	fclose(f);
	assert_int_equal(sched_state_read(&back, path, &err), RT_ERR_FORMAT);
	assert_non_null(
		strstr(err.msg, SCHED_STATE_FILE ":3: bad value 'soon'"));
	assert_int_equal(back.task[SCHED_EXPIRE].last_run, 0);

	/* A directory that does not exist: an error, nothing created. */
	snprintf(path, sizeof(path), "%s/missing/%s", dir, SCHED_STATE_FILE);
	rt_err_clear(&err);
	assert_int_equal(sched_state_write_at(&st, AT_FDCWD, path, 0, &err),
			 RT_ERR_IO);
	assert_non_null(strstr(err.msg, "cannot create"));
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_parse_errors),
		cmocka_unit_test(test_state_checks),
		cmocka_unit_test(test_state_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
