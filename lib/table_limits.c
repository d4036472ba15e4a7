/*
 * table_limits.c: moving the update-index range of a finished table file
 * in place (rt_table_file_set_limits, lib/writer.h).
 */
#include "lib/writer.h"
#include "lib/record.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Offsets of the update-index range in the header and the footer. */
#define LIMITS_OFFSET 8
#define LIMITS_LEN 16

int rt_table_file_set_limits(const char *path, uint64_t min_update_index,
			     uint64_t max_update_index, struct rt_err *err)
{
	uint8_t head[5], footer[72], block_type;
	int fd, version, fsize, ret = 0;
	struct stat stt;
	off_t foot_off;

	if (min_update_index > max_update_index)
		return rt_err_set(err, RT_ERR_API, "bad update index range");
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rt_err_errno(err, RT_ERR_IO, "cannot open %s", path);
	if (fstat(fd, &stt) < 0 || pread(fd, head, 5, 0) != 5) {
		ret = rt_err_errno(err, RT_ERR_IO, "cannot read %s", path);
		goto done;
	}
	version = head[4];
	if (memcmp(head, "REFT", 4) || (version != 1 && version != 2)) {
		ret = rt_err_set(err, RT_ERR_FORMAT,
				 "%s: offset 0: not a table", path);
		goto done;
	}
	fsize = rt_footer_size(version);
	foot_off = stt.st_size - fsize;
	if (foot_off < rt_header_size(version) ||
	    pread(fd, footer, fsize, foot_off) != fsize) {
		ret = rt_err_set(err, RT_ERR_FORMAT,
				 "%s: offset %lld: truncated footer", path,
				 (long long)foot_off);
		goto done;
	}
	if (rt_get_be32(footer + fsize - 4) !=
	    (uint32_t)crc32(0, footer, (uInt)(fsize - 4))) {
		ret = rt_err_set(err, RT_ERR_FORMAT,
				 "%s: offset %lld: footer CRC mismatch", path,
				 (long long)foot_off);
		goto done;
	}
	if (pread(fd, &block_type, 1, rt_header_size(version)) != 1 ||
	    block_type == RT_BLOCK_REF) {
		ret = rt_err_set(err, RT_ERR_API,
				 "%s: a table with refs cannot be moved", path);
		goto done;
	}
	/* The header and the footer's copy of it must stay equal. */
	rt_put_be64(footer + LIMITS_OFFSET, min_update_index);
	rt_put_be64(footer + LIMITS_OFFSET + 8, max_update_index);
	rt_put_be32(footer + fsize - 4,
		    (uint32_t)crc32(0, footer, (uInt)(fsize - 4)));
	if (pwrite(fd, footer + LIMITS_OFFSET, LIMITS_LEN, LIMITS_OFFSET) !=
		    LIMITS_LEN ||
	    pwrite(fd, footer, fsize, foot_off) != fsize || fsync(fd) < 0)
		ret = rt_err_errno(err, RT_ERR_IO, "cannot update %s", path);
done:
	close(fd);
	return ret;
}
