/*
 * zpipe.c: log block compression (libdeflate), synchronous or on a helper
 * thread.
 *
 * The pipe is a ring of `depth` slots. The caller fills the slot at
 * `tail` and consumes at `head`, in order. A block to deflate moves FREE
 * -> QUEUED -> TAKEN -> DONE (or FAILED) -> FREE; one deflated already
 * goes straight to DONE. The worker takes the oldest QUEUED slot; a
 * caller that would otherwise wait for the worker takes the newest one
 * and deflates it itself, so that both cores deflate when deflating is
 * what holds the table back. Slot states, head, tail, pending and
 * nqueued change under the mutex (the buffer pool is the caller's alone);
 * changes the other side waits for are announced on the condition.
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
	TAKEN,
	DONE,
	FAILED
};

/* A block to deflate and its deflated body: what a queued slot holds. */
struct bufs {
	struct rt_buf raw, out;
};

struct slot {
	enum slot_state state;
	struct bufs *b; /* NULL for a block deflated already */
	size_t keep;
	struct rt_zpipe_block blk;
};

struct rt_zpipe {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
	struct rt_deflater d; /* the worker's */
	struct rt_deflater own; /* the caller's, when it takes a block */
	struct slot *slots;
	size_t depth, head, tail, pending;
	size_t nqueued; /* slots QUEUED */
	/* Buffers for blocks to deflate; `nfree` of them, free[], unused. */
	struct bufs *pool;
	struct bufs **free;
	size_t npool, nfree;
	/* Queued since the worker was last woken (caller side only). */
	size_t unannounced, wake_batch;
};

/* The oldest (or newest) QUEUED slot; the mutex held, nqueued > 0. */
static struct slot *find_queued(struct rt_zpipe *p, bool newest)
{
	for (size_t i = 0; i < p->pending; i++) {
		size_t k = newest ? p->pending - 1 - i : i;
		struct slot *s = &p->slots[(p->head + k) % p->depth];

		if (s->state == QUEUED)
			return s;
	}
	return NULL;
}

/* Deflate slot `s`, QUEUED, with `d`; the mutex held, and dropped meanwhile. */
static void deflate_slot(struct rt_zpipe *p, struct slot *s,
			 struct rt_deflater *d)
{
	int ret;

	s->state = TAKEN;
	p->nqueued--;
	/* A TAKEN slot is only touched by its taker: no lock needed. */
	pthread_mutex_unlock(&p->mu);
	ret = rt_deflater_run(d, (uint8_t *)s->b->raw.buf + s->keep,
			      s->b->raw.len - s->keep, &s->b->out);
	s->blk.payload = (const uint8_t *)s->b->out.buf;
	s->blk.payload_len = s->b->out.len;
	pthread_mutex_lock(&p->mu);
	s->state = ret ? FAILED : DONE;
}

static void *worker(void *arg)
{
	struct rt_zpipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && !p->nqueued)
			pthread_cond_wait(&p->cond, &p->mu);
		if (p->stop)
			break;
		deflate_slot(p, find_queued(p, false), &p->d);
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Each block to deflate is held as a copy, and a block may be 16 MiB: no
 * more buffers than PIPE_BYTES of blocks, nor fewer than two, which still
 * overlap the caller's work with the worker's. Blocks deflated already
 * take no buffer, only a slot: many more of them may wait behind a block
 * being deflated, so that a run of copied blocks seldom makes the caller
 * wait. The worker is woken for every half of the buffers filled: each
 * wake-up is a context switch, which costs as much as deflating a block.
 */
#define PIPE_BYTES (2u << 20)
#define PIPE_BUFS 16
#define PIPE_SLOTS 256

int rt_zpipe_new(struct rt_zpipe **out, int level, uint32_t block_size)
{
	struct rt_zpipe *p = calloc(1, sizeof(*p));

	if (!p)
		return RT_ERR_NOMEM;
	p->npool = PIPE_BUFS;
	if (block_size && p->npool > PIPE_BYTES / block_size)
		p->npool = PIPE_BYTES / block_size;
	if (p->npool < 2)
		p->npool = 2;
	p->wake_batch = p->npool / 2;
	p->depth = PIPE_SLOTS;
	p->slots = calloc(p->depth, sizeof(*p->slots));
	p->pool = calloc(p->npool, sizeof(*p->pool));
	p->free = calloc(p->npool, sizeof(*p->free));
	rt_deflater_init(&p->d, level, block_size);
	rt_deflater_init(&p->own, level, block_size);
	if (!p->slots || !p->pool || !p->free ||
	    pthread_mutex_init(&p->mu, NULL))
		goto fail;
	for (size_t i = 0; i < p->npool; i++)
		p->free[i] = &p->pool[i];
	p->nfree = p->npool;
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, worker, p)) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->mu);
		goto fail;
	}
	*out = p;
	return 0;
fail:
	free(p->slots);
	free(p->pool);
	free(p->free);
	free(p);
	return RT_ERR_NOMEM;
}

bool rt_zpipe_has_room(struct rt_zpipe *p, bool deflated)
{
	return p->pending < p->depth && (deflated || p->nfree);
}

/* The slot to fill next, its last key set; NULL when out of memory. */
static struct slot *slot_for(struct rt_zpipe *p, const struct rt_buf *last_key)
{
	/* Only the caller touches FREE slots: no lock to fill one. */
	struct slot *s = &p->slots[p->tail];

	if (rt_buf_set(&s->blk.last_key, last_key->buf, last_key->len))
		return NULL;
	return s;
}

/* Slot `s`, filled, enters the pipe as `state`; the mutex held. */
static void slot_enter(struct rt_zpipe *p, struct slot *s,
		       enum slot_state state)
{
	s->state = state;
	p->tail = (p->tail + 1) % p->depth;
	p->pending++;
}

int rt_zpipe_submit(struct rt_zpipe *p, const uint8_t *raw, size_t len,
		    size_t keep, const struct rt_buf *last_key)
{
	struct slot *s;

	if (!rt_zpipe_has_room(p, false))
		return RT_ERR_API;
	if (!(s = slot_for(p, last_key)) ||
	    rt_buf_set(&p->free[p->nfree - 1]->raw, raw, len))
		return RT_ERR_NOMEM;
	s->b = p->free[--p->nfree];
	s->keep = keep;
	s->blk.head = (const uint8_t *)s->b->raw.buf;
	s->blk.head_len = keep;
	pthread_mutex_lock(&p->mu);
	slot_enter(p, s, QUEUED);
	p->nqueued++;
	/* The worker re-checks the count under the mutex before sleeping. */
	if (++p->unannounced >= p->wake_batch) {
		pthread_cond_broadcast(&p->cond);
		p->unannounced = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int rt_zpipe_submit_deflated(struct rt_zpipe *p, const uint8_t *blk, size_t len,
			     size_t keep, const struct rt_buf *last_key)
{
	struct slot *s;

	if (!rt_zpipe_has_room(p, true))
		return RT_ERR_API;
	if (!(s = slot_for(p, last_key)))
		return RT_ERR_NOMEM;
	/* Done as it is: the worker never sees it. */
	s->b = NULL;
	s->blk.head = blk;
	s->blk.head_len = keep;
	s->blk.payload = blk + keep;
	s->blk.payload_len = len - keep;
	pthread_mutex_lock(&p->mu);
	slot_enter(p, s, DONE);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int rt_zpipe_next(struct rt_zpipe *p, bool wait,
		  const struct rt_zpipe_block **blk)
{
	struct slot *s = &p->slots[p->head];
	enum slot_state st;

	if (!p->pending)
		return 1;
	pthread_mutex_lock(&p->mu);
	while (wait && (s->state == QUEUED || s->state == TAKEN)) {
		if (s->state == QUEUED) {
			/* Needed now: deflating it beats waiting for it. */
			deflate_slot(p, s, &p->own);
			continue;
		}
		if (p->nqueued) {
			/* The worker has the oldest: help from the other end. */
			deflate_slot(p, find_queued(p, true), &p->own);
			continue;
		}
		pthread_cond_wait(&p->cond, &p->mu);
	}
	st = s->state;
	pthread_mutex_unlock(&p->mu);
	if (st == QUEUED || st == TAKEN)
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
	p->head = (p->head + 1) % p->depth;
	p->pending--;
	pthread_mutex_unlock(&p->mu);
	if (s->b)
		p->free[p->nfree++] = s->b;
	s->b = NULL;
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
	for (size_t i = 0; i < p->depth; i++)
		rt_buf_release(&p->slots[i].blk.last_key);
	for (size_t i = 0; i < p->npool; i++) {
		rt_buf_release(&p->pool[i].raw);
		rt_buf_release(&p->pool[i].out);
	}
	free(p->pool);
	free(p->free);
	rt_deflater_end(&p->d);
	rt_deflater_end(&p->own);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p->slots);
	free(p);
}
