/*
 * names.c: table names and the kinds of files in a stack directory.
 */
#include "lib/names.h"
#include "lib/include/rt-error.h"

#include <stdlib.h>
#include <string.h>

static bool hex_run(const char **p, size_t min, size_t max)
{
	size_t n = 0;

	while ((**p >= '0' && **p <= '9') || (**p >= 'a' && **p <= 'f')) {
		(*p)++;
		n++;
	}
	return n >= min && n <= max;
}

bool rt_stack_valid_table_name(const char *name)
{
	const char *p = name;

	if (strncmp(p, "0x", 2))
		return false;
	p += 2;
	if (!hex_run(&p, 12, 16) || strncmp(p, "-0x", 3))
		return false;
	p += 3;
	if (!hex_run(&p, 12, 16) || *p++ != '-')
		return false;
	if (!hex_run(&p, 8, 8))
		return false;
	return !strcmp(p, ".ref") || !strcmp(p, ".log");
}

int rt_stack_parse_table_name(const char *name, uint64_t *min, uint64_t *max)
{
	char *end;

	if (!rt_stack_valid_table_name(name))
		return RT_ERR_NAME;
	*min = strtoull(name + 2, &end, 16);
	*max = strtoull(end + 3, NULL, 16);
	return 0;
}

/* "<table>.temp.XXXXXX", as Git and this library name temp tables. */
static bool is_temp_table(const char *name)
{
	const char *t = strstr(name, ".temp.");
	char base[128];

	if (!t || strlen(t) != 12 || (size_t)(t - name) + 5 > sizeof(base))
		return false;
	memcpy(base, name, t - name);
	memcpy(base + (t - name), ".ref", 5);
	return rt_stack_valid_table_name(base);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

enum rt_stack_file rt_stack_file_kind(const char *name)
{
	if (!strcmp(name, "tables.list"))
		return RT_FILE_LIST;
	if (!strcmp(name, "tables.list.lock"))
		return RT_FILE_LIST_LOCK;
	if (ends_with(name, ".lock"))
		return RT_FILE_LOCK;
	if (is_temp_table(name))
		return RT_FILE_TEMP;
	if (rt_stack_valid_table_name(name))
		return RT_FILE_TABLE;
	return RT_FILE_OTHER;
}
