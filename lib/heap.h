/*
 * heap.h: a binary min-heap of indexes, ordered by its owner's comparison.
 *
 * The items are small integers naming something the owner keeps (a
 * sub-iterator of a merge, a run of an external sort); `less` compares
 * what they name. The owner may change what the top item names and then
 * restore the order with rt_heap_fix_top(), which is how a k-way merge
 * advances without a pop and a push.
 */
#ifndef RT_LIB_HEAP_H
#define RT_LIB_HEAP_H

#include <stdbool.h>
#include <stddef.h>

typedef bool (*rt_heap_less_fn)(const void *arg, size_t a, size_t b);

struct rt_heap {
	size_t *items;
	size_t len;
	size_t cap;
	rt_heap_less_fn less;
	const void *arg;
};

/* Room for `cap` items; RT_ERR_NOMEM or 0. Release with rt_heap_release. */
int rt_heap_init(struct rt_heap *h, size_t cap, rt_heap_less_fn less,
		 const void *arg);
/* Add `item`; the heap must have room (len < cap). */
void rt_heap_push(struct rt_heap *h, size_t item);
/* Remove and return the least item; the heap must not be empty. */
size_t rt_heap_pop(struct rt_heap *h);
/* The least item, without removing it; the heap must not be empty. */
static inline size_t rt_heap_top(const struct rt_heap *h)
{
	return h->items[0];
}
/* What the top item names grew: move it down to its place. */
void rt_heap_fix_top(struct rt_heap *h);
void rt_heap_release(struct rt_heap *h);

#endif
