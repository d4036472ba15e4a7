/*
 * json.c: the JSON writer.
 */
#include "plugin/util/json.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->filled = 0;
}

void json_quote(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* The comma before a value (unless it is the first) and its name. */
static void value_start(struct json *j, const char *key)
{
	uint32_t bit = UINT32_C(1) << j->depth;

	if (j->filled & bit)
		fputc(',', j->out);
	j->filled |= bit;
	if (key) {
		json_quote(j->out, key, strlen(key));
		fputc(':', j->out);
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	value_start(j, key);
	fputc(c, j->out);
	assert(j->depth + 1 < JSON_MAX_DEPTH);
	j->depth++;
	j->filled &= ~(UINT32_C(1) << j->depth);
}

static void close_container(struct json *j, char c)
{
	assert(j->depth > 0);
	j->depth--;
	fputc(c, j->out);
}

void json_object_begin(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

void json_strn(struct json *j, const char *key, const char *s, size_t len)
{
	value_start(j, key);
	json_quote(j->out, s, len);
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_strn(j, key, s, strlen(s));
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	value_start(j, key);
	fprintf(j->out, "%" PRIu64, v);
}

void json_int(struct json *j, const char *key, int64_t v)
{
	value_start(j, key);
	fprintf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	value_start(j, key);
	fputs(v ? "true" : "false", j->out);
}

void json_raw(struct json *j, const char *key, const char *text, size_t len)
{
	value_start(j, key);
	fwrite(text, 1, len, j->out);
}
