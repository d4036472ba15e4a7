/*
 * dump.c: `git reftable dump refs|logs`, the merged view as lib/ sees
 * it, in a stable text form that tests compare with Git's own output.
 */
#include "lib/include/rt-iter.h"
#include "plugin/cli/cli.h"
#include "plugin/maint/open.h"

#include <string.h>

static void put_oid(FILE *out, const uint8_t *oid, int hash_size)
{
	char hex[2 * RT_MAX_HASH_SIZE + 1];

	rt_hex(hex, oid, hash_size);
	fputs(hex, out);
}

static int dump_refs(struct rt_stack *st, bool peeled, struct rt_err *err)
{
	struct rt_iter *it;
	struct rt_ref_record rec = { 0 };
	int hs = rt_hash_size(rt_stack_hash_id(st)), ret;

	ret = rt_stack_refs(st, &it, err);
	if (!ret)
		rt_iter_drop_behind(it);
	while (!ret && !(ret = rt_iter_next_ref(it, &rec, err))) {
		const struct rt_ref_record *r = &rec;

		if (r->value_type == RT_REF_SYMREF) {
			printf("ref:%s %s\n", r->target.buf, r->refname.buf);
			continue;
		}
		put_oid(stdout, r->value, hs);
		putchar(' ');
		fputs(r->refname.buf, stdout);
		if (peeled && r->value_type == RT_REF_VAL2) {
			fputs(" ^", stdout);
			put_oid(stdout, r->peeled, hs);
		}
		putchar('\n');
	}
	rt_ref_record_release(&rec);
	rt_iter_free(it);
	return ret == 1 ? 0 : ret;
}

/* The message without its final newline; \ and newlines escaped. */
static void put_message(const struct rt_buf *m)
{
	size_t n = m->len;

	if (n && m->buf[n - 1] == '\n')
		n--;
	for (size_t i = 0; i < n; i++) {
		if (m->buf[i] == '\\')
			fputs("\\\\", stdout);
		else if (m->buf[i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(m->buf[i]);
	}
}

static int dump_logs(struct rt_stack *st, const char *refname,
		     struct rt_err *err)
{
	struct rt_iter *it;
	struct rt_log_record rec = { 0 };
	int hs = rt_hash_size(rt_stack_hash_id(st)), ret;
	size_t want_len = refname ? strlen(refname) : 0;

	ret = rt_stack_logs(st, &it, err);
	if (ret)
		return ret;
	if (!refname)
		rt_iter_drop_behind(it);
	ret = rt_iter_seek_log(it, refname, err);
	while (!ret && !(ret = rt_iter_next_log(it, &rec, err))) {
		const struct rt_log_record *l = &rec;
		char tz[TZ_BUF];

		if (refname && (l->refname.len != want_len ||
				memcmp(l->refname.buf, refname, want_len)))
			break;
		format_tz(tz, l->tz_offset);
		printf("%s\t%llu\t", l->refname.buf,
		       (unsigned long long)l->update_index);
		put_oid(stdout, l->old_id, hs);
		putchar('\t');
		put_oid(stdout, l->new_id, hs);
		printf("\t%s\t%s\t%llu\t%s\t", l->name.buf ? l->name.buf : "",
		       l->email.buf ? l->email.buf : "",
		       (unsigned long long)l->time, tz);
		put_message(&l->message);
		putchar('\n');
	}
	rt_log_record_release(&rec);
	rt_iter_free(it);
	return ret == 1 ? 0 : ret;
}

int cmd_dump(struct command *cmd, int argc, char **argv)
{
	struct rt_err err = { 0 };
	struct rt_stack *st;
	struct repo repo;
	bool peeled = false, refs;
	const char *refname = NULL;
	int ret;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(cmd, "what to dump: 'refs' or 'logs'");
	if (!strcmp(argv[1], "refs"))
		refs = true;
	else if (!strcmp(argv[1], "logs"))
		refs = false;
	else
		return usage_error(cmd, "unknown dump target '%s'", argv[1]);
	for (int i = 2; i < argc; i++) {
		if (refs && !strcmp(argv[i], "--peeled"))
			peeled = true;
		else if (!refs && !refname && argv[i][0] != '-')
			refname = argv[i];
		else
			return usage_error(cmd, "unexpected argument '%s'",
					   argv[i]);
	}

	if (maint_open_repo(&repo, &err))
		return error_rt(&err);
	/* Shared refs live in the main stack; see README for worktrees. */
	ret = rt_stack_open(&st, repo.stacks[0].dir, NULL, &err);
	if (!ret) {
		ret = refs ? dump_refs(st, peeled, &err) :
			     dump_logs(st, refname, &err);
		rt_stack_close(st);
	}
	if (ret) {
		error("%s", err.msg[0] ? err.msg : rt_error_name(ret));
		ret = EXIT_ERROR;
	}
	repo_release(&repo);
	return ret;
}
