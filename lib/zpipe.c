/*
 * zpipe.c: log block compression (libdeflate), synchronous or on a helper
 * thread.
 *
 * The pipe is a ring of `depth` slots. The caller fills the slot at
 * `tail`; the worker deflates slots in order; the caller consumes at
 * `head`. A slot's state moves FREE -> QUEUED -> DONE (or FAILED) -> FREE,
 * each change made under the mutex and announced on the condition.
 */
#include "lib/zpipe.h"
#include "lib/include/rt-error.h"

#include <libdeflate.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void rt_deflater_init(struct rt_deflater *d, int level, uint32_t block_size)
{
	(void)block_size;
	memset(d, 0, sizeof(*d));
	d->level = level;
}

int rt_deflater_run(struct rt_deflater *d, const uint8_t *in, size_t len,
		    struct rt_buf *out)
{
	size_t bound, n;

	if (!d->ready) {
		if (!(d->c = libdeflate_alloc_compressor(d->level)))
			return RT_ERR_NOMEM;
		d->ready = true;
	}
	bound = libdeflate_zlib_compress_bound(d->c, len);
	rt_buf_reset(out);
	if (rt_buf_grow(out, bound))
		return RT_ERR_NOMEM;
	/* With the bound's room, compression always fits (never 0). */
	n = libdeflate_zlib_compress(d->c, in, len, out->buf, bound);
	if (!n)
		return RT_ERR_ZLIB;
	out->len = n;
	return 0;
}

void rt_deflater_end(struct rt_deflater *d)
{
	libdeflate_free_compressor(d->c);
	d->c = NULL;
	d->ready = false;
}

enum slot_state {
	FREE,
	QUEUED,
	DONE,
	FAILED
};

struct slot {
	enum slot_state state;
	struct rt_buf raw;
	size_t keep;
	bool deflated; /* raw's body is deflated already: pass it on */
	struct rt_zpipe_block blk;
};

struct rt_zpipe {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
	struct rt_deflater d; /* used by the worker only */
	struct slot *slots;
	size_t depth, head, tail, work, pending;
	/* Queued since the worker was last woken (caller side only). */
	size_t unannounced;
};

/* Wake the worker after this many blocks: fewer context switches. */
#define WAKE_BATCH 4

static void *worker(void *arg)
{
	struct rt_zpipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *s = &p->slots[p->work];
		int ret;

		while (!p->stop && s->state != QUEUED)
			pthread_cond_wait(&p->cond, &p->mu);
		if (p->stop)
			break;
		/* The slot is ours while QUEUED: deflate without the lock. */
		pthread_mutex_unlock(&p->mu);
		ret = rt_buf_set(&s->blk.head, s->raw.buf, s->keep);
		if (!ret && s->deflated)
			ret = rt_buf_set(&s->blk.payload, s->raw.buf + s->keep,
					 s->raw.len - s->keep);
		else if (!ret)
			ret = rt_deflater_run(&p->d,
					      (uint8_t *)s->raw.buf + s->keep,
					      s->raw.len - s->keep,
					      &s->blk.payload);
		pthread_mutex_lock(&p->mu);
		s->state = ret ? FAILED : DONE;
		p->work = (p->work + 1) % p->depth;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Each slot holds a copy of a whole block, and a block may be 16 MiB:
 * no more slots than PIPE_BYTES of blocks, nor fewer than two, which
 * still overlap the caller's work with the worker's.
 */
#define PIPE_BYTES (2u << 20)

int rt_zpipe_new(struct rt_zpipe **out, int level, uint32_t block_size,
		 size_t depth)
{
	struct rt_zpipe *p = calloc(1, sizeof(*p));

	if (!p)
		return RT_ERR_NOMEM;
	if (block_size && depth > PIPE_BYTES / block_size)
		depth = PIPE_BYTES / block_size;
	p->depth = depth < 2 ? 2 : depth;
	p->slots = calloc(p->depth, sizeof(*p->slots));
	rt_deflater_init(&p->d, level, block_size);
	if (!p->slots || pthread_mutex_init(&p->mu, NULL)) {
		free(p->slots);
		free(p);
		return RT_ERR_NOMEM;
	}
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, worker, p)) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->mu);
		free(p->slots);
		free(p);
		return RT_ERR_NOMEM;
	}
	*out = p;
	return 0;
}

bool rt_zpipe_has_room(struct rt_zpipe *p)
{
	return p->pending < p->depth;
}

static int submit(struct rt_zpipe *p, const uint8_t *raw, size_t len,
		  size_t keep, const struct rt_buf *last_key, bool deflated)
{
	struct slot *s;

	if (p->pending == p->depth)
		return RT_ERR_API;
	/* Only the caller touches FREE slots: no lock to fill one. */
	s = &p->slots[p->tail];
	if (rt_buf_set(&s->raw, raw, len) ||
	    rt_buf_set(&s->blk.last_key, last_key->buf, last_key->len))
		return RT_ERR_NOMEM;
	s->keep = keep;
	/*
	 * Through the worker all the same, which takes slots strictly in
	 * turn: a copied block only waits for the blocks before it.
	 */
	s->deflated = deflated;
	pthread_mutex_lock(&p->mu);
	s->state = QUEUED;
	/* The worker re-checks states under the mutex before sleeping. */
	if (++p->unannounced >= WAKE_BATCH) {
		pthread_cond_broadcast(&p->cond);
		p->unannounced = 0;
	}
	pthread_mutex_unlock(&p->mu);
	p->tail = (p->tail + 1) % p->depth;
	p->pending++;
	return 0;
}

int rt_zpipe_submit(struct rt_zpipe *p, const uint8_t *raw, size_t len,
		    size_t keep, const struct rt_buf *last_key)
{
	return submit(p, raw, len, keep, last_key, false);
}

int rt_zpipe_submit_deflated(struct rt_zpipe *p, const uint8_t *blk, size_t len,
			     size_t keep, const struct rt_buf *last_key)
{
	return submit(p, blk, len, keep, last_key, true);
}

int rt_zpipe_next(struct rt_zpipe *p, bool wait,
		  const struct rt_zpipe_block **blk)
{
	struct slot *s = &p->slots[p->head];
	enum slot_state st;

	if (!p->pending)
		return 1;
	pthread_mutex_lock(&p->mu);
	if (wait && s->state == QUEUED && p->unannounced) {
		/* About to wait for the worker: make sure it is awake. */
		pthread_cond_broadcast(&p->cond);
		p->unannounced = 0;
	}
	while (wait && s->state == QUEUED)
		pthread_cond_wait(&p->cond, &p->mu);
	st = s->state;
	pthread_mutex_unlock(&p->mu);
	if (st == QUEUED)
		return 1;
	if (st == FAILED)
		return RT_ERR_ZLIB;
	*blk = &s->blk;
	return 0;
}

void rt_zpipe_pop(struct rt_zpipe *p)
{
	struct slot *s = &p->slots[p->head];

	pthread_mutex_lock(&p->mu);
	s->state = FREE;
	pthread_mutex_unlock(&p->mu);
	p->head = (p->head + 1) % p->depth;
	p->pending--;
}

void rt_zpipe_free(struct rt_zpipe *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	for (size_t i = 0; i < p->depth; i++) {
		rt_buf_release(&p->slots[i].raw);
		rt_buf_release(&p->slots[i].blk.head);
		rt_buf_release(&p->slots[i].blk.payload);
		rt_buf_release(&p->slots[i].blk.last_key);
	}
	rt_deflater_end(&p->d);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p->slots);
	free(p);
}
