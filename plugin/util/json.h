/*
 * json.h: writing one JSON document to a stdio stream, compact (no
 * whitespace), members in the order they are written.
 *
 * The writer puts the commas and the member names itself, so a caller
 * writes values, not punctuation: inside an object every value needs a
 * `key`; inside an array and at the top, `key` is NULL. Nesting deeper
 * than JSON_MAX_DEPTH is a caller's bug (asserted).
 */
#ifndef PLUGIN_UTIL_JSON_H
#define PLUGIN_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *out; /* not owned */
	unsigned depth;
	/* Bit d: the container at depth d already holds a value. */
	uint32_t filled;
};

void json_init(struct json *j, FILE *out);

void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);

/* A string value; `s` need not be NUL-terminated with json_strn(). */
void json_str(struct json *j, const char *key, const char *s);
void json_strn(struct json *j, const char *key, const char *s, size_t len);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_int(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);

/*
 * A value that is already JSON text (another writer's whole document),
 * written as it is: the caller vouches that it is one complete value.
 */
void json_raw(struct json *j, const char *key, const char *text, size_t len);
/*
 * A string literal with its quotes and escapes (", \, control
 * characters) on its own, for formats that borrow JSON's quoting.
 */
void json_quote(FILE *out, const char *s, size_t len);

#endif
