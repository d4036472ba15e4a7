/*
 * Unit tests of plugin/util/json: documents as the commands write them
 * (nested objects and arrays, commas, every value type), and string
 * escapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/util/json.h"

/* A writer into memory; done() closes it and returns the text. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
	struct json j;
};

static void start(struct mem *m)
{
	m->buf = NULL;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	json_init(&m->j, m->f);
}

static void expect(struct mem *m, const char *want)
{
	assert_int_equal(fclose(m->f), 0);
	assert_string_equal(m->buf, want);
	free(m->buf);
}

static void test_document(void **state)
{
	struct mem m;
	(void)state;

	start(&m);
	json_object_begin(&m.j, NULL);
	json_str(&m.j, "git_dir", "/r/.git");
	json_bool(&m.j, "dry_run", false);
	json_u64(&m.j, "big", UINT64_MAX);
	json_int(&m.j, "neg", -42);
	json_array_begin(&m.j, "stacks");
	for (int i = 0; i < 2; i++) {
		json_object_begin(&m.j, NULL);
		json_str(&m.j, "name", i ? "wt" : "main");
		json_array_begin(&m.j, "tasks");
		json_array_end(&m.j);
		json_object_end(&m.j);
	}
	json_array_end(&m.j);
	json_object_begin(&m.j, "empty");
	json_object_end(&m.j);
	json_bool(&m.j, "ok", true);
	json_object_end(&m.j);
	expect(&m, "{\"git_dir\":\"/r/.git\",\"dry_run\":false,"
		   "\"big\":18446744073709551615,\"neg\":-42,"
		   "\"stacks\":[{\"name\":\"main\",\"tasks\":[]},"
		   "{\"name\":\"wt\",\"tasks\":[]}],\"empty\":{},"
		   "\"ok\":true}");
}

static void test_arrays_of_values(void **state)
{
	struct mem m;
	(void)state;

	start(&m);
	json_array_begin(&m.j, NULL);
	json_u64(&m.j, NULL, 1);
	json_str(&m.j, NULL, "two");
	json_array_begin(&m.j, NULL);
	json_array_end(&m.j);
	json_array_begin(&m.j, NULL);
	json_bool(&m.j, NULL, true);
	json_array_end(&m.j);
	json_array_end(&m.j);
	expect(&m, "[1,\"two\",[],[true]]");
}

static void test_escapes(void **state)
{
	static const char raw[] = "q\" b\\ n\n t\t c\x01 e\x1f utf8 \xc3\xa9";
	struct mem m;
	(void)state;

	start(&m);
	json_object_begin(&m.j, NULL);
	json_str(&m.j, "k\"ey", raw);
	/* Not NUL-terminated, and a NUL inside. */
	json_strn(&m.j, "n", "a\0b!", 3);
	json_object_end(&m.j);
	expect(&m, "{\"k\\\"ey\":\"q\\\" b\\\\ n\\n t\\t c\\u0001 e\\u001f "
		   "utf8 \xc3\xa9\",\"n\":\"a\\u0000b\"}");

	start(&m);
	json_quote(m.f, "a\"b", 3);
	expect(&m, "\"a\\\"b\"");
}

/* Deep nesting closes in the right order, commas reset per level. */
static void test_nesting(void **state)
{
	struct mem m;
	(void)state;

	start(&m);
	for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
		json_array_begin(&m.j, NULL);
	for (int i = 0; i < JSON_MAX_DEPTH - 1; i++) {
		json_u64(&m.j, NULL, (uint64_t)i);
		json_array_end(&m.j);
	}
	{
		char want[512] = "", *p = want;

		for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
			*p++ = '[';
		for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
			p += sprintf(p, i ? ",%d]" : "%d]", i);
		/* After a closed container, the next value gets a comma. */
		expect(&m, want);
		assert_non_null(strstr(want, "0],1]"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_arrays_of_values),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
