/*
 * reconnect.c: reconnection schedules (exponential or constant, with
 * jitter) and a libevent timer that follows one.
 */
#include <sys/time.h>

#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "util.h"
#include "reconnect.h"

struct reconnect {
	struct event		*ev;
	struct reconnect_state	 state;
	uint64_t		 pending_ms;
	void			(*cb)(void *);
	void			*arg;
};

void
reconnect_policy_default(struct reconnect_policy *p)
{
	p->kind = RECONNECT_EXPONENTIAL;
	p->jitter = RECONNECT_JITTER_EQUAL;
	p->base_ms = RECONNECT_BASE_MS_DEFAULT;
	p->max_ms = RECONNECT_MAX_MS_DEFAULT;
}

int
reconnect_policy_check(const struct reconnect_policy *p, const char **why)
{
	if (p->kind != RECONNECT_EXPONENTIAL && p->kind != RECONNECT_CONSTANT) {
		*why = "unknown reconnection schedule";
		return (-1);
	}
	if (p->jitter != RECONNECT_JITTER_NONE &&
	    p->jitter != RECONNECT_JITTER_FULL &&
	    p->jitter != RECONNECT_JITTER_EQUAL) {
		*why = "unknown reconnection jitter";
		return (-1);
	}
	if (p->base_ms == 0) {
		*why = "reconnection base delay must be positive";
		return (-1);
	}
	if (p->kind == RECONNECT_EXPONENTIAL && p->max_ms < p->base_ms) {
		*why = "reconnection maximum delay is below the base delay";
		return (-1);
	}
	return (0);
}

void
reconnect_state_init(struct reconnect_state *st,
    const struct reconnect_policy *p)
{
	st->policy = *p;
	st->attempt = 0;
}

void
reconnect_state_reset(struct reconnect_state *st)
{
	st->attempt = 0;
}

/* base * 2^attempt without overflowing: anything past max is max. */
uint64_t
reconnect_ceiling(const struct reconnect_policy *p, uint64_t attempt)
{
	if (p->kind == RECONNECT_CONSTANT)
		return (p->base_ms);
	if (attempt >= 63 || p->base_ms > (p->max_ms >> attempt))
		return (p->max_ms);
	return (p->base_ms << attempt);
}

uint64_t
reconnect_next_delay(struct reconnect_state *st, uint64_t rnd)
{
	uint64_t	cap, half;

	cap = reconnect_ceiling(&st->policy, st->attempt);
	if (st->attempt != UINT64_MAX)
		st->attempt++;
	switch (st->policy.jitter) {
	case RECONNECT_JITTER_FULL:
		return (cap == UINT64_MAX ? rnd : rnd % (cap + 1));
	case RECONNECT_JITTER_EQUAL:
		half = cap / 2;
		return (half + rnd % (cap - half + 1));
	case RECONNECT_JITTER_NONE:
		break;
	}
	return (cap);
}

/* The timer fired: the owner tries again (and reschedules on failure). */
static void
reconnect_fire(evutil_socket_t fd, short events, void *arg)
{
	struct reconnect	*rc = arg;

	rc->pending_ms = 0;
	rc->cb(rc->arg);
}

struct reconnect *
reconnect_new(struct event_base *base, const struct reconnect_policy *p,
    void (*cb)(void *), void *arg)
{
	struct reconnect	*rc;

	rc = xcalloc(1, sizeof *rc);
	rc->ev = evtimer_new(base, reconnect_fire, rc);
	if (rc->ev == NULL)
		fatalx("evtimer_new failed");
	reconnect_state_init(&rc->state, p);
	rc->cb = cb;
	rc->arg = arg;
	return (rc);
}

void
reconnect_free(struct reconnect *rc)
{
	if (rc == NULL)
		return;
	event_free(rc->ev);
	free(rc);
}

uint64_t
reconnect_schedule(struct reconnect *rc)
{
	struct timeval	tv;
	uint64_t	rnd, ms;

	if (evtimer_pending(rc->ev, NULL))
		return (rc->pending_ms);
	rnd = ((uint64_t)arc4random() << 32) | arc4random();
	ms = reconnect_next_delay(&rc->state, rnd);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(rc->ev, &tv);
	rc->pending_ms = ms;
	return (ms);
}

int
reconnect_pending(struct reconnect *rc)
{
	return (evtimer_pending(rc->ev, NULL) != 0);
}

void
reconnect_cancel(struct reconnect *rc)
{
	evtimer_del(rc->ev);
	rc->pending_ms = 0;
}

void
reconnect_reset(struct reconnect *rc)
{
	reconnect_cancel(rc);
	reconnect_state_reset(&rc->state);
}

uint64_t
reconnect_attempts(struct reconnect *rc)
{
	return (rc->state.attempt);
}
