/*
 * reconnect.h: when to try a host again after losing it.
 *
 * Two schedules, as the drivers offer them:
 *   exponential	the n-th delay (n from 0) is capped at
 *			min(max, base * 2^n), then jittered;
 *   constant		every delay is base, then jittered.
 * Jitter spreads many clients' retries apart (the "thundering herd" after
 * a node comes back):
 *   none		the cap itself;
 *   full		uniform in [0, cap];
 *   equal		uniform in [cap/2, cap].
 * Neither schedule ever gives up: after the cap is reached every further
 * delay stays under it.  Defaults (reconnect_policy_default): exponential
 * from 1 s to 600 s as the Python driver does, with equal jitter so no
 * retry comes sooner than half the nominal delay.
 *
 * reconnect_next_delay() is pure (the random number is an argument) so the
 * schedule is unit-testable; struct reconnect wraps it in a libevent timer.
 */
#ifndef CQLP_RECONNECT_H
#define CQLP_RECONNECT_H

#include <stdint.h>

struct event_base;

enum reconnect_kind {
	RECONNECT_EXPONENTIAL = 0,
	RECONNECT_CONSTANT
};

enum reconnect_jitter {
	RECONNECT_JITTER_NONE = 0,
	RECONNECT_JITTER_FULL,
	RECONNECT_JITTER_EQUAL
};

#define RECONNECT_BASE_MS_DEFAULT	1000
#define RECONNECT_MAX_MS_DEFAULT	600000

struct reconnect_policy {
	enum reconnect_kind	 kind;
	enum reconnect_jitter	 jitter;
	uint64_t		 base_ms;	/* first (or every) delay; >= 1 */
	uint64_t		 max_ms;	/* cap; exponential only; >= base */
};

/* Where a schedule is: how many delays were handed out since the reset. */
struct reconnect_state {
	struct reconnect_policy	 policy;
	uint64_t		 attempt;
};

void	 reconnect_policy_default(struct reconnect_policy *);
/* Check a policy read from configuration; 0 or -1 with a static reason. */
int	 reconnect_policy_check(const struct reconnect_policy *,
	     const char **why);
void	 reconnect_state_init(struct reconnect_state *,
	     const struct reconnect_policy *);
/* Start over (after a successful connection). */
void	 reconnect_state_reset(struct reconnect_state *);
/* The next delay in milliseconds; rnd is a uniform 64-bit random number. */
uint64_t reconnect_next_delay(struct reconnect_state *, uint64_t rnd);
/* The delay before jitter for a given attempt (for logs and tests). */
uint64_t reconnect_ceiling(const struct reconnect_policy *, uint64_t attempt);

/*
 * A timer that follows a schedule: reconnect_schedule() arms it with the
 * next delay (an armed timer is left alone) and cb(arg) runs when it
 * fires; reconnect_reset() cancels it and starts the schedule over.
 */
struct reconnect;
struct reconnect *reconnect_new(struct event_base *,
		     const struct reconnect_policy *, void (*)(void *), void *);
void		 reconnect_free(struct reconnect *);
/* Arm the timer; returns the delay chosen (or the one still pending). */
uint64_t	 reconnect_schedule(struct reconnect *);
int		 reconnect_pending(struct reconnect *);
void		 reconnect_cancel(struct reconnect *);
void		 reconnect_reset(struct reconnect *);
uint64_t	 reconnect_attempts(struct reconnect *);

#endif
