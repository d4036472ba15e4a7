/*
 * rt-dump-blocks: the block layout of one table, in the form Git's
 * `test-tool dump-reftable -b` prints (what Git's t0613 compares), so
 * shell tests can hold a table we wrote against one Git wrote:
 *
 *   header:
 *     block_size: <header's block size>
 *   <ref|obj|log|idx>:          (once per run of blocks of that type)
 *     - length: <offset of the restart table in the block>
 *       restarts: <restart count>
 *
 *   rt-dump-blocks <table file>
 *
 * Blocks are walked in file order, each one after the previous one's
 * bytes (padding or deflated size included), up to the footer.
 */
#include "lib/block.h"
#include "lib/table.h"

#include <stdio.h>

static const char *section(uint8_t type)
{
	switch (type) {
	case RT_BLOCK_REF:
		return "ref";
	case RT_BLOCK_OBJ:
		return "obj";
	case RT_BLOCK_LOG:
		return "log";
	}
	return "idx";
}

int main(int argc, char **argv)
{
	struct rt_err err = { 0 };
	struct rt_block blk = { 0 };
	struct rt_table *t;
	uint8_t last = 0;
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: rt-dump-blocks <table>\n");
		return 2;
	}
	if (rt_table_open(&t, argv[1], &err)) {
		fprintf(stderr, "rt-dump-blocks: %s\n", err.msg);
		return 1;
	}
	printf("header:\n  block_size: %u\n", t->block_size);
	for (uint64_t off = 0;
	     off < t->footer_off && t->footer_off > t->header_len;
	     off += blk.file_len) {
		ret = rt_block_load(&blk, t->data + off, t->footer_off - off,
				    off, off ? 0 : t->header_len, t->block_size,
				    t->hash_size, t->min_update_index, t->path,
				    &err);
		if (ret) {
			fprintf(stderr, "rt-dump-blocks: %s\n", err.msg);
			break;
		}
		if (blk.type != last)
			printf("%s:\n", section(blk.type));
		last = blk.type;
		printf("  - length: %u\n    restarts: %u\n", blk.restart_start,
		       blk.restart_count);
	}
	rt_block_release(&blk);
	rt_table_close(t);
	return ret ? 1 : 0;
}
