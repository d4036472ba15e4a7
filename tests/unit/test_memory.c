/*
 * Unit tests of what a merge over many tables holds in memory: a stack of
 * tables whose one log record each carries a message of several MiB (so
 * that each log block inflates to that size). Reading the merged logs, or
 * compacting them, must hold each table's inflated block and a constant
 * besides, not also each table's decoded record.
 *
 * Peak memory is the resident set of a forked child that does the work,
 * as wait4() reports it, on a stack of FEW tables and one of MANY: the
 * difference, divided by MANY - FEW, is what one more table costs, free
 * of whatever the process holds besides. One inflated block is MSG; a
 * merge that also held each table's decoded record cost 2 * MSG. Under
 * AddressSanitizer (shadow memory, freed memory quarantined) or valgrind
 * that number says nothing about the library, so there only the output
 * is checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/include/rt-compact.h"
#include "lib/include/rt-iter.h"
#include "lib/include/rt-stack.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

enum {
	FEW = 8,
	MANY = 16,
	MSG = 4 << 20, /* bytes of each message: its block inflates to this */
};

/* The stacks of FEW and MANY tables; the one a child works on. */
static char dirs[2][256];
static const char *dir;
static uint64_t tables;

/* Whether a child's peak resident set measures the library. */
static bool rss_meaningful(void)
{
	const char *pre = getenv("LD_PRELOAD");

#ifdef ASAN
	return false;
#endif
	return !(pre && strstr(pre, "vgpreload"));
}

static struct rt_stack *open_stack(void)
{
	struct rt_stack_options o;
	struct rt_err err = { 0 };
	struct rt_stack *st;

	rt_stack_options_init(&o);
	/* A compaction must fit each message in one log block. */
	o.write.block_size = RT_MAX_BLOCK_SIZE;
	if (rt_stack_open(&st, dir, &o, &err))
		fail_msg("open: %s", err.msg);
	return st;
}

/* One log entry of refs/heads/main whose message is MSG bytes. */
static int fill(struct rt_writer *w, uint64_t ui, void *arg, struct rt_err *err)
{
	struct rt_log_record log;
	int ret;

	(void)arg;
	set_log(&log, "refs/heads/main", ui, RT_LOG_UPDATE, "");
	if (rt_buf_grow(&log.message, MSG))
		return RT_ERR_NOMEM;
	memset(log.message.buf, 'a' + (int)(ui % 26), MSG - 1);
	log.message.buf[MSG - 1] = '\n';
	log.message.len = MSG;
	ret = rt_writer_add_log(w, &log, err);
	rt_log_record_release(&log);
	return ret;
}

static int setup(void **state)
{
	struct rt_err err = { 0 };
	struct rt_stack *st;

	(void)state;
	for (int d = 0; d < 2; d++) {
		if (tmpdir_make(dirs[d], sizeof(dirs[d]), "memory"))
			return -1;
		dir = dirs[d];
		st = open_stack();
		for (int i = 0; i < (d ? MANY : FEW); i++)
			if (rt_stack_add(st, fill, NULL, &err))
				fail_msg("add: %s", err.msg);
		rt_stack_close(st);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dirs[0]) | tmpdir_remove(dirs[1]);
}

/*
 * Run `fn` in a child; assert it succeeded and return its peak resident
 * set in KiB. Its verdict comes back through a pipe, not its exit status,
 * which valgrind replaces when the child exits holding the test runner's
 * memory.
 */
static long in_child(int (*fn)(void))
{
	struct rusage ru;
	int fds[2], status;
	char verdict = 1;
	pid_t pid;

	fflush(NULL);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		verdict = (char)fn();
		_exit(write(fds[1], &verdict, 1) == 1 ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &verdict, 1), 1);
	close(fds[0]);
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(verdict, 0);
	return ru.ru_maxrss;
}

/* Every entry, newest first, each with its whole message: 0, or 1. */
static int read_logs(void)
{
	struct rt_log_record log = { 0 };
	struct rt_err err = { 0 };
	struct rt_stack *st = open_stack();
	struct rt_iter *it;
	uint64_t want = tables;
	int ret;

	if (rt_stack_logs(st, &it, &err)) {
		fprintf(stderr, "read_logs: %s\n", err.msg);
		return 1;
	}
	while (!(ret = rt_iter_next_log(it, &log, &err))) {
		if (log.update_index != want || log.message.len != MSG ||
		    log.message.buf[0] != 'a' + (int)(want % 26)) {
			fprintf(stderr, "entry %llu: wrong\n",
				(unsigned long long)log.update_index);
			return 1;
		}
		want--;
	}
	if (ret != 1 || want != 0) {
		fprintf(stderr, "read_logs: %d, %s, %llu left\n", ret, err.msg,
			(unsigned long long)want);
		return 1;
	}
	rt_log_record_release(&log);
	rt_iter_free(it);
	rt_stack_close(st);
	return 0;
}

static int compact_all(void)
{
	struct rt_compact_result res = { 0 };
	struct rt_err err = { 0 };
	struct rt_stack *st = open_stack();

	if (rt_stack_compact_all(st, NULL, &res, &err)) {
		fprintf(stderr, "compact: %s\n", err.msg);
		return 1;
	}
	rt_stack_close(st);
	if (res.tables_after != 1 || res.logs_written != tables) {
		fprintf(stderr, "compact: %zu tables, %llu logs\n",
			res.tables_after, (unsigned long long)res.logs_written);
		return 1;
	}
	return read_logs();
}

/*
 * What one more table costs `fn`, in KiB: the difference of the peaks on
 * the two stacks, per table. Each stack's output is checked either way.
 */
static long per_table_kib(int (*fn)(void), const char *what)
{
	long peak[2];

	for (int d = 0; d < 2; d++) {
		dir = dirs[d];
		tables = d ? MANY : FEW;
		peak[d] = in_child(fn);
	}
	print_message("%s: peak %ld KiB with %d tables, %ld KiB with %d: "
		      "%ld KiB a table, for blocks of %d KiB\n",
		      what, peak[0], FEW, peak[1], MANY,
		      (peak[1] - peak[0]) / (MANY - FEW), MSG >> 10);
	return (peak[1] - peak[0]) / (MANY - FEW);
}

/*
 * Well under two blocks a table; and over half of one, which a merge
 * must hold, so that a measurement that saw nothing fails too.
 */
#define PER_TABLE_MAX_KIB ((MSG + MSG / 2) >> 10)
#define PER_TABLE_MIN_KIB ((MSG / 2) >> 10)

static void test_merged_logs_hold_one_block_per_table(void **state)
{
	long kib = per_table_kib(read_logs, "reading the merged logs");

	(void)state;
	if (rss_meaningful())
		assert_true(kib > PER_TABLE_MIN_KIB && kib < PER_TABLE_MAX_KIB);
}

static void test_compaction_holds_one_block_per_table(void **state)
{
	long kib = per_table_kib(compact_all, "compacting");

	(void)state;
	if (rss_meaningful())
		assert_true(kib > PER_TABLE_MIN_KIB && kib < PER_TABLE_MAX_KIB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_merged_logs_hold_one_block_per_table, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_compaction_holds_one_block_per_table, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
