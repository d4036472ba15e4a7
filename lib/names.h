/*
 * names.h: the names of files in a stack directory: table names as Git
 * makes them, and what any other file there is, by its name alone.
 */
#ifndef RT_LIB_NAMES_H
#define RT_LIB_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Whether `name` is a table file name as Git makes them:
 * 0x<min>-0x<max>-<8 hex>.ref (or .log), indexes of 12 to 16 hex digits.
 * Anything else in tables.list (paths, "..", other files) is refused.
 */
bool rt_stack_valid_table_name(const char *name);
/*
 * The error for line <lineno> of tables.list <path>, <length> bytes, that
 * is not a table name. Its text is not shown: tables.list may be a hard
 * link to a file that is not the repository's (another user's secrets),
 * and what we print or log never copies a file that is not a valid list.
 */
#define RT_NOT_TABLE_NAME_FMT \
	"%s:%zu: this line (%zu bytes) is not a table name; not shown"

/* Parse min and max update index out of a valid table name. */
int rt_stack_parse_table_name(const char *name, uint64_t *min, uint64_t *max);

/* What a file of a stack directory is. */
enum rt_stack_file {
	RT_FILE_LIST, /* tables.list */
	RT_FILE_LIST_LOCK, /* tables.list.lock */
	RT_FILE_LOCK, /* any other *.lock (a table's, or a stranger's) */
	/* <table>.temp.XXXXXX: a table being written, or left by a crash */
	RT_FILE_TEMP,
	RT_FILE_TABLE, /* a table name; listed or not is for the caller */
	RT_FILE_OTHER,
};

/*
 * Classify the directory entry `name`; clean and verify both go by this,
 * so they agree on what is a leftover.
 */
enum rt_stack_file rt_stack_file_kind(const char *name);

#endif
