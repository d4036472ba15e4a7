/*
 * heap.c: the binary heap of merged.c and objsort.c.
 */
#include "lib/heap.h"
#include "lib/include/rt-error.h"

#include <stdlib.h>
#include <string.h>

int rt_heap_init(struct rt_heap *h, size_t cap, rt_heap_less_fn less,
		 const void *arg)
{
	memset(h, 0, sizeof(*h));
	h->items = calloc(cap ? cap : 1, sizeof(*h->items));
	if (!h->items)
		return RT_ERR_NOMEM;
	h->cap = cap;
	h->less = less;
	h->arg = arg;
	return 0;
}

static void swap(struct rt_heap *h, size_t i, size_t j)
{
	size_t tmp = h->items[i];

	h->items[i] = h->items[j];
	h->items[j] = tmp;
}

static void sift_down(struct rt_heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->len && h->less(h->arg, h->items[l], h->items[m]))
			m = l;
		if (r < h->len && h->less(h->arg, h->items[r], h->items[m]))
			m = r;
		if (m == i)
			return;
		swap(h, i, m);
		i = m;
	}
}

void rt_heap_push(struct rt_heap *h, size_t item)
{
	size_t i = h->len++;

	h->items[i] = item;
	while (i) {
		size_t p = (i - 1) / 2;

		if (!h->less(h->arg, h->items[i], h->items[p]))
			return;
		swap(h, i, p);
		i = p;
	}
}

size_t rt_heap_pop(struct rt_heap *h)
{
	size_t top = h->items[0];

	h->items[0] = h->items[--h->len];
	sift_down(h, 0);
	return top;
}

void rt_heap_fix_top(struct rt_heap *h)
{
	sift_down(h, 0);
}

void rt_heap_release(struct rt_heap *h)
{
	free(h->items);
	memset(h, 0, sizeof(*h));
}
