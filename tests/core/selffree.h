/*
 * selffree.h: catch an object that frees its own event from inside that
 * event's callback (STYLE.md: frees are deferred out of their own
 * callbacks).  The test program's event_free() stands in for libevent's
 * and, while selffree_until() runs the loop, counts every event freed
 * by its own running callback, then frees it as libevent would.
 *
 * Include once per test program (it defines event_free).
 */
#ifndef CQLP_SELFFREE_H
#define CQLP_SELFFREE_H

#include <dlfcn.h>
#include <stdint.h>

#include <event2/event.h>

#include "util.h"
#include "conn.h"

/* Set only inside event_base_loop: a callback may be running then. */
static struct event_base	*selffree_base;
static int			 selffree_count;

void
event_free(struct event *ev)
{
	static void	(*real)(struct event *);

	if (real == NULL) {
		*(void **)&real = dlsym(RTLD_NEXT, "event_free");
		if (real == NULL)
			fatalx("selffree: no libevent event_free");
	}
	/* get_running_event is only valid while a callback runs. */
	if (ev != NULL && selffree_base != NULL &&
	    event_base_get_running_event(selffree_base) == ev)
		selffree_count++;
	real(ev);
}

static void
selffree_tick(evutil_socket_t fd, short events, void *arg)
{
}

/* As testloop_until, with self-frees counted meanwhile. */
static inline int
selffree_until(struct event_base *base, int (*cond)(void *), void *arg,
    int ms)
{
	struct timeval	 tv = { 0, 5000 };
	struct event	*tick;
	uint64_t	 deadline = conn_now_ms() + (uint64_t)ms;
	int		 ok = 0;

	tick = event_new(base, -1, EV_PERSIST, selffree_tick, NULL);
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
		selffree_base = base;
		event_base_loop(base, EVLOOP_ONCE);
		selffree_base = NULL;
	}
	event_free(tick);
	return (ok);
}

static void
selffree_bad_cb(evutil_socket_t fd, short events, void *arg)
{
	event_free(*(struct event **)arg);
	*(struct event **)arg = NULL;
}

static int
selffree_gone(void *arg)
{
	return (*(struct event **)arg == NULL);
}

/* The detector sees a timer that frees itself (so a 0 means something). */
static inline int
selffree_selftest(struct event_base *base)
{
	struct timeval	 tv = { 0, 0 };
	struct event	*ev;
	int		 before = selffree_count, seen;

	ev = evtimer_new(base, selffree_bad_cb, &ev);
	evtimer_add(ev, &tv);
	if (!selffree_until(base, selffree_gone, &ev, 1000))
		return (0);
	seen = selffree_count - before;
	selffree_count = before;
	return (seen == 1);
}

#endif
