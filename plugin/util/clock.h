/*
 * clock.h: elapsed time, for durations and deadlines: a monotonic clock,
 * which neither NTP steps nor a changed date move.
 */
#ifndef PLUGIN_UTIL_CLOCK_H
#define PLUGIN_UTIL_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
uint64_t clock_ms(void);

#endif
