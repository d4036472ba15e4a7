/*
 * objsort.c: external sort of (object id, position) pairs.
 *
 * A pair is stored packed: hash_size bytes of id, then the position as
 * big-endian uint64, so that plain memcmp() over the whole entry gives the
 * wanted order. Runs are sorted through an index array (4 bytes a pair)
 * rather than by moving the entries, which keeps the sort's extra memory
 * small.
 *
 * Reading spilled runs goes by the ids' first byte: each run notes where
 * each of the 256 first bytes starts in it. The pairs of a group of
 * consecutive first bytes, as many as memory holds, are read from all
 * runs into memory and sorted there: one read a run for the group, where
 * a read a byte would make a few thousand small reads of a large sort.
 * Groups are cut the same way on every read. Only when one byte's pairs
 * do not fit (many refs naming ids of one first byte) are that byte's
 * pieces of the runs merged through a heap, reading each piece in turn.
 *
 * The obj section reads the pairs twice (the id length first, then the
 * records). So that the second read sorts nothing, the first one writes
 * each group's pairs, as sorted in memory, back over the runs' pieces it
 * read them from ("saved"): the same bytes of the file, filled in run
 * order with the sorted sequence, which reading the pieces in run order
 * gives back. Overwriting pages the file already has costs less than
 * appending, and the file does not grow. A byte whose pairs are merged is
 * merged again: the merge needs all the memory for its reads, none is
 * left to buffer writes, and it sorts nothing either.
 */
#define _GNU_SOURCE
#include "lib/objsort.h"
#include "lib/basics.h"
#include "lib/heap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIRST_BYTES 256

struct run {
	uint64_t start; /* file offset */
	uint64_t count;
	/* first[b]: the run's first entry whose id starts with byte b. */
	uint32_t first[FIRST_BYTES + 1];
	uint64_t next, end; /* the merge: entries consumed, and its bound */
	uint8_t *buf; /* read buffer */
	size_t buf_len; /* its size */
	size_t buf_fill; /* bytes read into it */
	size_t buf_pos;
};

struct rt_objsort {
	size_t entry; /* bytes per entry */
	size_t cap; /* entries per run */
	uint8_t *mem;
	size_t len; /* entries in mem */
	uint32_t *idx;
	size_t total;
	char *temp_dir;
	int fd;
	uint64_t file_len;
	struct run *runs;
	size_t nruns;
	/* merge state: runs by their current entry */
	struct rt_heap heap;
	size_t mem_pos; /* reading from memory: the next of idx[0..len) */
	bool reading;
	bool sorted; /* the in-memory run is sorted */
	/* Reading spilled runs: the first bytes being read, and how. */
	unsigned byte, byte_end;
	bool merging;
	uint8_t merged[RT_MAX_HASH_SIZE + 8]; /* the pair the merge took */
	/*
	 * Bytes below `saved` that are not merged have their pieces of the
	 * runs saved in order. `in_order`: memory holds such a group's
	 * pairs, read without idx.
	 */
	unsigned saved;
	bool in_order;
};

int rt_objsort_new(struct rt_objsort **out, int hash_size, size_t mem_limit,
		   const char *temp_dir, struct rt_err *err)
{
	struct rt_objsort *s = calloc(1, sizeof(*s));

	if (!s)
		return rt_err_oom(err);
	s->entry = hash_size + 8;
	s->cap = mem_limit / (s->entry + sizeof(uint32_t));
	if (s->cap < 1024)
		s->cap = 1024;
	s->fd = -1;
	if (temp_dir && !(s->temp_dir = strdup(temp_dir))) {
		free(s);
		return rt_err_oom(err);
	}
	*out = s;
	return 0;
}

size_t rt_objsort_count(const struct rt_objsort *s)
{
	return s->total;
}

/*
 * Compares two packed entries. Object ids are uniformly spread, so the
 * first 8 bytes nearly always decide: one comparison of two numbers
 * instead of a memcmp() call each time (sorting and merging make about
 * n log n of them). Every entry is longer than 8 bytes (hash_size + 8).
 */
static int cmp_entry(const struct rt_objsort *s, const uint8_t *x,
		     const uint8_t *y)
{
	uint64_t hx = rt_get_be64(x), hy = rt_get_be64(y);

	if (hx != hy)
		return hx < hy ? -1 : 1;
	return memcmp(x + 8, y + 8, s->entry - 8);
}

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct rt_objsort *s = arg;

	return cmp_entry(s, s->mem + (size_t) * (const uint32_t *)a * s->entry,
			 s->mem + (size_t) * (const uint32_t *)b * s->entry);
}

/* Insertion sort of idx[0..n-1]: for the few entries of one bucket. */
static void sort_small(struct rt_objsort *s, uint32_t *idx, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t v = idx[i];
		size_t j = i;

		for (; j && cmp_idx(&idx[j - 1], &v, s) > 0; j--)
			idx[j] = idx[j - 1];
		idx[j] = v;
	}
}

/* Buckets for sort_mem(): about this many entries each. */
#define BUCKET_FILL 4
#define BUCKET_BITS_MAX 16
#define BUCKET_SMALL 16

/*
 * Object ids are uniformly spread, so distributing the entries into
 * buckets by their leading bits (one counting pass, one placing pass)
 * leaves a handful per bucket, put in order by insertion: about four
 * times faster than a comparison sort of the whole run. Ids are not
 * always spread (many refs may name one object), so a large bucket is
 * sorted by qsort_r(): the worst case stays n log n. Placing writes each
 * entry's number straight into its bucket: the run needs no second index
 * array, only the bucket bounds. The entries' first bytes are known to
 * lie in [first, end): the buckets split that range of their first four
 * bytes evenly.
 */
static void sort_mem(struct rt_objsort *s, unsigned first, unsigned end)
{
	uint64_t lo = (uint64_t)first << 24, span = (uint64_t)(end - first)
						    << 24;
	uint64_t scale;
	unsigned bits = 0;
	size_t nb, begin = 0;
	uint32_t *ends;

	if (!s->len)
		return;
	while (bits < BUCKET_BITS_MAX && ((size_t)BUCKET_FILL << bits) < s->len)
		bits++;
	nb = (size_t)1 << bits;
	/* Fixed point, 32 bits after the point: below nb for the range. */
	scale = ((uint64_t)nb << 32) / span;
	ends = calloc(nb, sizeof(*ends));
	if (!ends) {
		/* No room for buckets: one comparison sort does it all. */
		for (size_t i = 0; i < s->len; i++)
			s->idx[i] = (uint32_t)i;
		qsort_r(s->idx, s->len, sizeof(*s->idx), cmp_idx, s);
		return;
	}
#define BUCKET(i) \
	(((rt_get_be32(s->mem + (size_t)(i)*s->entry) - lo) * scale) >> 32)
	for (size_t i = 0; i < s->len; i++)
		ends[BUCKET(i)]++;
	/* ends[b] becomes the start of bucket b, then moves to its end. */
	for (size_t b = 0, sum = 0; b < nb; b++) {
		size_t c = ends[b];

		ends[b] = (uint32_t)sum;
		sum += c;
	}
	for (size_t i = 0; i < s->len; i++)
		s->idx[ends[BUCKET(i)]++] = (uint32_t)i;
#undef BUCKET
	for (size_t b = 0; b < nb; begin = ends[b++]) {
		size_t n = ends[b] - begin;

		if (n > BUCKET_SMALL)
			qsort_r(s->idx + begin, n, sizeof(*s->idx), cmp_idx, s);
		else
			sort_small(s, s->idx + begin, n);
	}
	free(ends);
}

static int open_temp(struct rt_objsort *s, struct rt_err *err)
{
	const char *dir = s->temp_dir ? s->temp_dir : getenv("TMPDIR");
	char *path;

	if (!dir || !*dir)
		dir = "/tmp";
	/* Unnamed: nothing to clean up after a crash. */
	s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd >= 0)
		return 0;
	if (asprintf(&path, "%s/rt-objsort-XXXXXX", dir) < 0)
		return rt_err_oom(err);
	s->fd = mkostemp(path, O_CLOEXEC);
	if (s->fd >= 0)
		unlink(path);
	free(path);
	if (s->fd < 0)
		return rt_err_errno(err, RT_ERR_IO,
				    "cannot create a temp file in %s", dir);
	return 0;
}

/*
 * Read (`out` false) or write `len` bytes of `buf` at `off` of the temp
 * file, whole.
 */
static int file_at(struct rt_objsort *s, uint8_t *buf, size_t len, uint64_t off,
		   bool out, struct rt_err *err)
{
	size_t done = 0;

	while (done < len) {
		off_t at = (off_t)(off + done);
		ssize_t n = out ? pwrite(s->fd, buf + done, len - done, at) :
				  pread(s->fd, buf + done, len - done, at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rt_err_errno(err, RT_ERR_IO,
					    "%s the obj sort temp file",
					    out ? "writing" : "reading");
		done += n;
	}
	return 0;
}

/* Write entries idx[from..from+n) of memory, in that order, at `off`. */
static int write_sorted(struct rt_objsort *s, size_t from, size_t n,
			uint64_t off, struct rt_err *err)
{
	uint8_t out[64 * 1024];
	size_t used = 0;
	int ret;

	for (size_t i = from; i < from + n; i++) {
		if (used + s->entry > sizeof(out)) {
			if ((ret = file_at(s, out, used, off, true, err)))
				return ret;
			off += used;
			used = 0;
		}
		memcpy(out + used, s->mem + (size_t)s->idx[i] * s->entry,
		       s->entry);
		used += s->entry;
	}
	return used ? file_at(s, out, used, off, true, err) : 0;
}

/* Sort the buffered entries and append them to the temp file as a run. */
static int spill(struct rt_objsort *s, struct rt_err *err)
{
	struct run *r;
	int ret;

	if (!s->len)
		return 0;
	if (s->fd < 0 && open_temp(s, err))
		return err ? err->code : RT_ERR_IO;
	r = realloc(s->runs, (s->nruns + 1) * sizeof(*r));
	if (!r)
		return rt_err_oom(err);
	s->runs = r;
	r = &s->runs[s->nruns++];
	memset(r, 0, sizeof(*r));
	r->start = s->file_len;
	r->count = s->len;
	sort_mem(s, 0, FIRST_BYTES);
	for (size_t i = 0, b = 0; i < s->len; i++) {
		const uint8_t *e = s->mem + (size_t)s->idx[i] * s->entry;

		while (b <= e[0])
			r->first[b++] = (uint32_t)i;
		if (i == s->len - 1)
			while (b <= FIRST_BYTES)
				r->first[b++] = (uint32_t)s->len;
	}
	if ((ret = write_sorted(s, 0, s->len, s->file_len, err)))
		return ret;
	s->file_len += (uint64_t)s->len * s->entry;
	s->len = 0;
	return 0;
}

int rt_objsort_add(struct rt_objsort *s, const uint8_t *hash, uint64_t pos,
		   struct rt_err *err)
{
	uint8_t *e;

	if (s->reading)
		return rt_err_set(err, RT_ERR_API,
				  "objsort added to after "
				  "reading started");
	if (!s->mem) {
		s->mem = malloc(s->cap * s->entry);
		s->idx = malloc(s->cap * sizeof(*s->idx));
		if (!s->mem || !s->idx)
			return rt_err_oom(err);
	}
	if (s->len == s->cap) {
		int ret = spill(s, err);

		if (ret)
			return ret;
	}
	e = s->mem + s->len * s->entry;
	memcpy(e, hash, s->entry - 8);
	rt_put_be64(e + s->entry - 8, pos);
	s->len++;
	s->total++;
	return 0;
}

/* The current entry of run `i` (its buffer holds at least one). */
static const uint8_t *run_head(const struct rt_objsort *s, size_t i)
{
	return s->runs[i].buf + s->runs[i].buf_pos;
}

static int run_fill(struct rt_objsort *s, struct run *r, struct rt_err *err)
{
	size_t per = r->buf_len / s->entry;
	uint64_t left = r->end - r->next, want = left < per ? left : per;
	int ret = file_at(s, r->buf, want * s->entry,
			  r->start + r->next * s->entry, false, err);

	if (ret)
		return ret;
	r->buf_fill = want * s->entry;
	r->buf_pos = 0;
	return 0;
}

static bool run_less(const void *arg, size_t a, size_t b)
{
	const struct rt_objsort *s = arg;

	return cmp_entry(s, run_head(s, a), run_head(s, b)) < 0;
}

/* The pairs of the runs whose ids start with a byte in [from, to). */
static uint64_t pairs_between(const struct rt_objsort *s, unsigned from,
			      unsigned to)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->nruns; i++)
		n += s->runs[i].first[to] - s->runs[i].first[from];
	return n;
}

/*
 * Write the pairs of the current group, sorted in memory, over the runs'
 * pieces they came from, in run order: reading the pieces back gives
 * them in order.
 */
static int save_group(struct rt_objsort *s, struct rt_err *err)
{
	size_t done = 0;
	int ret;

	for (size_t i = 0; i < s->nruns; i++) {
		struct run *r = &s->runs[i];
		size_t n = r->first[s->byte_end] - r->first[s->byte];

		if (n &&
		    (ret = write_sorted(s, done, n,
					r->start + (uint64_t)r->first[s->byte] *
							   s->entry,
					err)))
			return ret;
		done += n;
	}
	return 0;
}

/*
 * Start reading the pairs whose ids start with `byte` and the bytes after
 * it that fit in memory with them: into memory, in order when saved,
 * else sorted (and then saved, the first time); when even the pairs of
 * `byte` alone do not fit, merge the runs' pieces of them, each read
 * through its share of the same memory.
 */
static int start_group(struct rt_objsort *s, unsigned byte, struct rt_err *err)
{
	uint64_t total = pairs_between(s, byte, byte + 1);
	size_t per_run;
	int ret;

	s->byte = byte;
	s->byte_end = byte + 1;
	s->len = s->mem_pos = 0;
	s->heap.len = 0;
	s->merging = total > s->cap;
	while (!s->merging && s->byte_end < FIRST_BYTES) {
		uint64_t more = pairs_between(s, s->byte_end, s->byte_end + 1);

		if (total + more > s->cap)
			break;
		total += more;
		s->byte_end++;
	}
	s->in_order = !s->merging && byte < s->saved;
	if (!s->merging) {
		for (size_t i = 0; i < s->nruns; i++) {
			struct run *r = &s->runs[i];
			size_t n = r->first[s->byte_end] - r->first[byte];

			if (n &&
			    (ret = file_at(s, s->mem + s->len * s->entry,
					   n * s->entry,
					   r->start + (uint64_t)r->first[byte] *
							      s->entry,
					   false, err)))
				return ret;
			s->len += n;
		}
		if (s->in_order)
			return 0;
		sort_mem(s, byte, s->byte_end);
		/* Groups are saved in turn: then `saved` is where they end. */
		if (byte != s->saved)
			return 0;
		if ((ret = save_group(s, err)))
			return ret;
		s->saved = s->byte_end;
		return 0;
	}
	/* Merged again on each read: nothing to save. */
	if (byte == s->saved)
		s->saved = s->byte_end;
	per_run = s->cap * s->entry / s->nruns;
	per_run -= per_run % s->entry;
	for (size_t i = 0; i < s->nruns; i++) {
		struct run *r = &s->runs[i];

		r->buf = s->mem + i * per_run;
		r->buf_len = per_run;
		r->next = r->first[byte];
		r->end = r->first[byte + 1];
		if (r->next == r->end)
			continue;
		if ((ret = run_fill(s, r, err)))
			return ret;
		rt_heap_push(&s->heap, i);
	}
	return 0;
}

/* Room for a share of the memory per run: an entry each at least. */
#define RUNS_MAX(s) ((s)->cap)

int rt_objsort_rewind(struct rt_objsort *s, struct rt_err *err)
{
	bool again = s->reading;
	int ret;

	s->reading = true;
	s->mem_pos = 0;
	if (!s->nruns) {
		/* Everything fits in memory: sort once, read in place. */
		if (!s->sorted)
			sort_mem(s, 0, FIRST_BYTES);
		s->sorted = true;
		return 0;
	}
	/* Read again, memory holds pairs of the last read, not added ones. */
	if (!again && s->len && (ret = spill(s, err)))
		return ret;
	if (s->nruns > RUNS_MAX(s))
		return rt_err_set(err, RT_ERR_NOMEM,
				  "obj sort: too many runs to merge");
	rt_heap_release(&s->heap);
	if (rt_heap_init(&s->heap, s->nruns, run_less, s))
		return rt_err_oom(err);
	return start_group(s, 0, err);
}

/* The next pair of the in-memory run, or of the merge; 1 when done. */
static int next_entry(struct rt_objsort *s, const uint8_t **e,
		      struct rt_err *err)
{
	struct run *r;
	int ret;

	if (!s->merging) {
		if (s->mem_pos >= s->len)
			return 1;
		if (s->in_order)
			*e = s->mem + s->mem_pos++ * s->entry;
		else
			*e = s->mem + (size_t)s->idx[s->mem_pos++] * s->entry;
		return 0;
	}
	if (!s->heap.len)
		return 1;
	r = &s->runs[rt_heap_top(&s->heap)];
	/* Copied out: the buffer may be refilled below. */
	memcpy(s->merged, r->buf + r->buf_pos, s->entry);
	*e = s->merged;
	r->next++;
	r->buf_pos += s->entry;
	if (r->next == r->end) {
		rt_heap_pop(&s->heap);
		return 0;
	}
	if (r->buf_pos >= r->buf_fill && (ret = run_fill(s, r, err)))
		return ret;
	rt_heap_fix_top(&s->heap);
	return 0;
}

int rt_objsort_next(struct rt_objsort *s, uint8_t *hash, uint64_t *pos,
		    struct rt_err *err)
{
	const uint8_t *e;
	int ret;

	if (!s->reading)
		return rt_err_set(err, RT_ERR_API,
				  "objsort read before rewind");
	while ((ret = next_entry(s, &e, err)) == 1 && s->nruns &&
	       s->byte_end < FIRST_BYTES)
		if ((ret = start_group(s, s->byte_end, err)))
			return ret;
	if (ret)
		return ret;
	memcpy(hash, e, s->entry - 8);
	*pos = rt_get_be64(e + s->entry - 8);
	return 0;
}

void rt_objsort_free(struct rt_objsort *s)
{
	if (!s)
		return;
	/* The runs' buffers are pieces of s->mem. */
	free(s->runs);
	rt_heap_release(&s->heap);
	free(s->mem);
	free(s->idx);
	free(s->temp_dir);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
