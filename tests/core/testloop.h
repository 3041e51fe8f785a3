/*
 * testloop.h: run an event loop until a condition holds or a deadline
 * passes, for behaviour tests (no fixed sleeps: the loop wakes at least
 * every 5 ms to look at the condition).
 */
#ifndef CQLP_TESTLOOP_H
#define CQLP_TESTLOOP_H

#include <stdint.h>

#include <event2/event.h>

#include "conn.h"

static void
testloop_tick(evutil_socket_t fd, short events, void *arg)
{
}

/*
 * Run base until cond(arg) is true (1) or ms pass (0).  With cond NULL,
 * run for ms and return 1.
 */
static inline int
testloop_until(struct event_base *base, int (*cond)(void *), void *arg,
    int ms)
{
	struct timeval	 tv = { 0, 5000 };
	struct event	*tick;
	uint64_t	 deadline = conn_now_ms() + (uint64_t)ms;
	int		 ok = 0;

	tick = event_new(base, -1, EV_PERSIST, testloop_tick, NULL);
	event_add(tick, &tv);
	for (;;) {
		if (cond != NULL && cond(arg)) {
			ok = 1;
			break;
		}
		if (conn_now_ms() >= deadline) {
			ok = (cond == NULL);
			break;
		}
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(tick);
	return (ok);
}

/* Let deferred frees and flushes run. */
static inline void
testloop_drain(struct event_base *base)
{
	int	i;

	for (i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

#endif
