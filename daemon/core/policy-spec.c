/*
 * policy-spec.c: speculative execution delays and client-side timestamps.
 *
 * Both are small pure schedules: the caller owns the timers and the clock
 * reads are injectable, so tests decide what time it is.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "policy.h"

/* Python's warning threshold and interval for a clock running backwards. */
#define TSGEN_WARN_US_DEFAULT	1000000

void
spec_policy_default(struct spec_policy *s)
{
	memset(s, 0, sizeof *s);
}

int
spec_policy_check(const struct spec_policy *s, const char **cause)
{
	if (s->max_attempts > SPEC_MAX_ATTEMPTS) {
		*cause = "too many speculative attempts";
		return (-1);
	}
	if (s->delay_ms > INT32_MAX) {
		*cause = "speculative delay too long";
		return (-1);
	}
	return (0);
}

/*
 * Non-idempotent requests never run twice on purpose: a second execution
 * could apply the write twice.
 */
int64_t
spec_next_delay(const struct spec_policy *s, int idempotent,
    unsigned int started)
{
	unsigned int	speculative;

	if (!idempotent || s->max_attempts == 0)
		return (-1);
	speculative = started > 0 ? started - 1 : 0;
	if (speculative >= s->max_attempts)
		return (-1);
	return ((int64_t)s->delay_ms);
}

int64_t
tsgen_clock_realtime(void *arg)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

void
tsgen_init(struct tsgen *g, tsgen_clock_fn clock, void *arg)
{
	memset(g, 0, sizeof *g);
	g->clock = clock != NULL ? clock : tsgen_clock_realtime;
	g->clock_arg = arg;
	g->last = INT64_MIN;
	g->warn_us = TSGEN_WARN_US_DEFAULT;
}

/*
 * Cassandra resolves concurrent writes by timestamp: two statements from
 * one client must never share one or run backwards, whatever the clock.
 */
int64_t
tsgen_next(struct tsgen *g)
{
	int64_t		now;
	uint64_t	behind;

	now = g->clock(g->clock_arg);
	if (now > g->last) {
		g->last = now;
		return (now);
	}
	behind = (uint64_t)g->last - (uint64_t)now;
	if (g->warn_us > 0 && behind > (uint64_t)g->warn_us &&
	    (g->drift_warnings == 0 || (now >= g->last_warn &&
	    (uint64_t)now - (uint64_t)g->last_warn >= (uint64_t)g->warn_us))) {
		log_warnx("clock is %llu us behind the last timestamp given; "
		    "timestamps keep counting up from it",
		    (unsigned long long)behind);
		g->last_warn = now;
		g->drift_warnings++;
	}
	if (g->last < INT64_MAX)
		g->last++;
	return (g->last);
}
