/*
 * rt-write-table: write one reftable from a text description, so shell
 * tests can hand Git a table produced by lib/.
 *
 *   rt-write-table [--hash sha1|sha256] [--block-size N] [--no-index-objects]
 *                  --min U --max U <out-file> < records
 *
 * One record per line, TAB-separated, in any order (sorted here):
 *   ref     name update_index oid [peeled]
 *   symref  name update_index target
 *   delref  name update_index
 *   log     name update_index old new name email time tz message
 *   dellog  name update_index
 * Log messages use the escapes of `git reftable dump logs` (\\ and \n) and
 * are stored with one trailing newline, as Git stores them.
 */
#include "lib/include/rt-writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hash_size;

static void die(const char *fmt, const char *arg, size_t line)
{
	fprintf(stderr, "rt-write-table: ");
	if (line)
		fprintf(stderr, "line %zu: ", line);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static int write_file(void *arg, const void *data, size_t len)
{
	return fwrite(data, 1, len, arg) == len ? 0 : RT_ERR_IO;
}

static void unescape(struct rt_buf *out, const char *s)
{
	rt_buf_reset(out);
	for (; *s; s++) {
		if (*s == '\\' && s[1] == 'n') {
			rt_buf_addch(out, '\n');
			s++;
		} else if (*s == '\\' && s[1] == '\\') {
			rt_buf_addch(out, '\\');
			s++;
		} else {
			rt_buf_addch(out, *s);
		}
	}
	rt_buf_addch(out, '\n');
}

static void oid(uint8_t *dst, const char *hex, size_t line)
{
	if (!hex || rt_unhex(dst, hex, hash_size))
		die("bad object id '%s'", hex ? hex : "", line);
}

int main(int argc, char **argv)
{
	struct rt_write_options opts = { 0 };
	struct rt_ref_record *refs = NULL;
	struct rt_log_record *logs = NULL;
	size_t nrefs = 0, nlogs = 0, lineno = 0, cap = 0;
	uint64_t min = 0, max = 0;
	const char *out = NULL;
	struct rt_err err = { 0 };
	struct rt_writer *w;
	char *line = NULL;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hash") && i + 1 < argc) {
			i++;
			opts.hash_id = !strcmp(argv[i], "sha256") ?
					       RT_HASH_SHA256 :
					       RT_HASH_SHA1;
		} else if (!strcmp(argv[i], "--block-size") && i + 1 < argc) {
			opts.block_size = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--no-index-objects")) {
			opts.skip_index_objects = true;
		} else if (!strcmp(argv[i], "--min") && i + 1 < argc) {
			min = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--max") && i + 1 < argc) {
			max = strtoull(argv[++i], NULL, 10);
		} else if (argv[i][0] != '-' && !out) {
			out = argv[i];
		} else {
			die("unknown argument '%s'", argv[i], 0);
		}
	}
	if (!out || !max)
		die("usage: rt-write-table [options] --min U --max U %s",
		    "<out-file>", 0);
	hash_size = rt_hash_size(opts.hash_id ? opts.hash_id : RT_HASH_SHA1);
	/* Messages are given in their stored form. */
	opts.exact_log_message = true;

	while (getline(&line, &cap, stdin) >= 0) {
		char *field[12] = { 0 }, *p;
		size_t n = 0;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		/*
		 * strtok would merge empty fields; split by hand. A log
		 * line's 10th field, the message, is the rest of the line:
		 * it may contain TABs.
		 */
		size_t max = strncmp(line, "log\t", 4) ? 12 : 10;

		for (p = line; n < max; n++) {
			field[n] = p;
			p = n + 1 < max ? strchr(p, '\t') : NULL;
			if (!p) {
				n++;
				break;
			}
			*p++ = '\0';
		}
		if (n < 3)
			die("too few fields in '%s'", line, lineno);
		if (!strcmp(field[0], "ref") || !strcmp(field[0], "symref") ||
		    !strcmp(field[0], "delref")) {
			struct rt_ref_record *r;

			refs = realloc(refs, (nrefs + 1) * sizeof(*refs));
			r = memset(&refs[nrefs++], 0, sizeof(*r));
			rt_buf_addstr(&r->refname, field[1]);
			r->update_index = strtoull(field[2], NULL, 10);
			if (!strcmp(field[0], "delref")) {
				r->value_type = RT_REF_DELETION;
			} else if (!strcmp(field[0], "symref")) {
				r->value_type = RT_REF_SYMREF;
				rt_buf_addstr(&r->target,
					      field[3] ? field[3] : "");
			} else {
				oid(r->value, field[3], lineno);
				r->value_type = RT_REF_VAL1;
				if (n > 4) {
					oid(r->peeled, field[4], lineno);
					r->value_type = RT_REF_VAL2;
				}
			}
		} else if (!strcmp(field[0], "log") ||
			   !strcmp(field[0], "dellog")) {
			struct rt_log_record *l;

			logs = realloc(logs, (nlogs + 1) * sizeof(*logs));
			l = memset(&logs[nlogs++], 0, sizeof(*l));
			rt_buf_addstr(&l->refname, field[1]);
			l->update_index = strtoull(field[2], NULL, 10);
			if (!strcmp(field[0], "dellog"))
				continue;
			if (n < 10)
				die("log needs 10 fields: '%s'", field[1],
				    lineno);
			l->value_type = RT_LOG_UPDATE;
			oid(l->old_id, field[3], lineno);
			oid(l->new_id, field[4], lineno);
			rt_buf_addstr(&l->name, field[5]);
			rt_buf_addstr(&l->email, field[6]);
			l->time = strtoull(field[7], NULL, 10);
			/* "+0130" is stored as 130, as Git does. */
			l->tz_offset = (int16_t)atoi(field[8]);
			unescape(&l->message, field[9]);
		} else {
			die("unknown record kind '%s'", field[0], lineno);
		}
	}
	free(line);
	if (nrefs)
		qsort(refs, nrefs, sizeof(*refs), rt_ref_record_cmp);
	if (nlogs)
		qsort(logs, nlogs, sizeof(*logs), rt_log_record_cmp);

	f = fopen(out, "wb");
	if (!f)
		die("cannot create %s", out, 0);
	if (rt_writer_new(&w, write_file, f, &opts, &err) ||
	    rt_writer_set_limits(w, min, max))
		die("%s", err.msg, 0);
	for (size_t i = 0; i < nrefs; i++)
		if (rt_writer_add_ref(w, &refs[i], &err))
			die("%s", err.msg, 0);
	for (size_t i = 0; i < nlogs; i++)
		if (rt_writer_add_log(w, &logs[i], &err))
			die("%s", err.msg, 0);
	if (rt_writer_close(w, &err))
		die("%s", err.msg, 0);
	rt_writer_free(w);
	if (fclose(f))
		die("writing %s failed", out, 0);
	for (size_t i = 0; i < nrefs; i++) {
		rt_buf_release(&refs[i].refname);
		rt_buf_release(&refs[i].target);
	}
	for (size_t i = 0; i < nlogs; i++) {
		rt_buf_release(&logs[i].refname);
		rt_buf_release(&logs[i].name);
		rt_buf_release(&logs[i].email);
		rt_buf_release(&logs[i].message);
	}
	free(refs);
	free(logs);
	return 0;
}
