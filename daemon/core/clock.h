/*
 * clock.h: the daemon's clocks, read at most once per event-loop turn.
 *
 * Everything that happens in one loop turn (the answers from one read of
 * a node, the lines from one read of a client) may share one reading of
 * the clock: a per-request clock_gettime costs more than it tells.  The
 * turn is recognised by libevent's cached time
 * (event_base_gettimeofday_cached), which libevent refreshes once per
 * turn: when it changed, the clock is read anew; otherwise the reading
 * kept from earlier in the turn is returned.  Outside the loop (or with a
 * NULL base) every call is a real reading.
 *
 * Precision: the cached time is taken from the monotonic clock libevent
 * uses for timers.  Only with EVENT_BASE_FLAG_PRECISE_TIMER (set through
 * event_config_set_flag when the base is made) is that CLOCK_MONOTONIC
 * with microseconds; without it Linux gives libevent
 * CLOCK_MONOTONIC_COARSE (a tick, 1-4 ms), and loop turns within one tick
 * share one reading.  So a base made without the flag gets readings that
 * may be up to a tick old, which is fine for timeouts and idle times in
 * milliseconds but not for latencies in microseconds.
 *
 * A reading is never later than the real clock at the time of the call:
 * now - a kept reading never underflows, and readings from here may be
 * compared with direct clock_gettime(CLOCK_MONOTONIC) readings.
 */
#ifndef CQLP_CLOCK_H
#define CQLP_CLOCK_H

#include <stdint.h>

struct event_base;

/* CLOCK_MONOTONIC in microseconds, once per turn of base's loop. */
uint64_t	 clock_turn_us(struct event_base *);
/* The same in milliseconds. */
uint64_t	 clock_turn_ms(struct event_base *);
/* CLOCK_REALTIME in microseconds since the epoch, once per turn. */
int64_t		 clock_turn_realtime_us(struct event_base *);

/* A real CLOCK_MONOTONIC reading in microseconds (no caching). */
uint64_t	 clock_now_us(void);

#endif
