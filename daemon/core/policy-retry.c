/*
 * policy-retry.c: what to do when an attempt fails.
 *
 * The rules are the DataStax drivers':
 *   default		a read timeout is retried once on the same host if
 *			enough replicas answered but none with data (the
 *			coordinator picked a slow data replica); a write
 *			timeout once only for BATCH_LOG (the batch log write
 *			timed out: nothing was applied); unavailable once on
 *			the next host (that coordinator may be partitioned);
 *			connection loss, client timeout, overloaded and
 *			server errors on the next host when the request is
 *			idempotent; is_bootstrapping always on the next host
 *			(it never ran); anything else is the client's.
 *   downgrading	the same, but when the consistency asked for cannot
 *			be met, retry at the highest level the answering or
 *			alive replicas can give (Cassandra's Java driver
 *			DowngradingConsistencyRetryPolicy), and ignore write
 *			timeouts of SIMPLE and BATCH writes that reached at
 *			least one replica.
 *   fallthrough	never retry.
 */
#include <string.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "policy.h"

static struct retry_decision
retry_make(enum retry_kind kind)
{
	struct retry_decision	d;

	memset(&d, 0, sizeof d);
	d.kind = kind;
	return (d);
}

static struct retry_decision
retry_at(uint16_t cl)
{
	struct retry_decision	d;

	d = retry_make(RETRY_SAME_HOST);
	d.has_consistency = 1;
	d.consistency = cl;
	return (d);
}

static int
retry_serial(uint16_t cl)
{
	return (cl == CL_SERIAL || cl == CL_LOCAL_SERIAL);
}

/*
 * Errors the server or the connection gives for any request: no count
 * limit, the plan's end is the limit.
 */
static struct retry_decision
retry_request_error(const struct retry_error *e, int idempotent)
{
	switch (e->kind) {
	case RETRY_ERR_IS_BOOTSTRAPPING:
		return (retry_make(RETRY_NEXT_HOST));
	case RETRY_ERR_CONNECTION_CLOSED:
	case RETRY_ERR_CLIENT_TIMEOUT:
	case RETRY_ERR_OVERLOADED:
	case RETRY_ERR_SERVER:
		if (idempotent)
			return (retry_make(RETRY_NEXT_HOST));
		return (retry_make(RETRY_RETHROW));
	default:
		return (retry_make(RETRY_RETHROW));
	}
}

static struct retry_decision
retry_default(const struct retry_error *e, unsigned int retries,
    int idempotent)
{
	switch (e->kind) {
	case RETRY_ERR_READ_TIMEOUT:
		if (retries == 0 && e->received >= e->blockfor &&
		    !e->data_present)
			return (retry_make(RETRY_SAME_HOST));
		return (retry_make(RETRY_RETHROW));
	case RETRY_ERR_WRITE_TIMEOUT:
		if (retries == 0 && e->write_type == WRITE_BATCH_LOG)
			return (retry_make(RETRY_SAME_HOST));
		return (retry_make(RETRY_RETHROW));
	case RETRY_ERR_UNAVAILABLE:
		if (retries == 0)
			return (retry_make(RETRY_NEXT_HOST));
		return (retry_make(RETRY_RETHROW));
	default:
		return (retry_request_error(e, idempotent));
	}
}

/*
 * The highest level n replicas can satisfy.  EACH_QUORUM reports no global
 * count, so even 0 may hide a live replica elsewhere: try ONE.
 */
static struct retry_decision
retry_downgrade(int32_t n, uint16_t cl)
{
	if (n >= 3)
		return (retry_at(CL_THREE));
	if (n == 2)
		return (retry_at(CL_TWO));
	if (n == 1 || cl == CL_EACH_QUORUM)
		return (retry_at(CL_ONE));
	return (retry_make(RETRY_RETHROW));
}

static struct retry_decision
retry_downgrading(const struct retry_error *e, unsigned int retries,
    int idempotent)
{
	switch (e->kind) {
	case RETRY_ERR_READ_TIMEOUT:
		/* A serial read checks a CAS outcome: a weaker one is wrong. */
		if (retries != 0 || retry_serial(e->consistency))
			return (retry_make(RETRY_RETHROW));
		if (e->received < e->blockfor)
			return (retry_downgrade(e->received, e->consistency));
		if (!e->data_present)
			return (retry_make(RETRY_SAME_HOST));
		return (retry_make(RETRY_RETHROW));
	case RETRY_ERR_WRITE_TIMEOUT:
		if (retries != 0)
			return (retry_make(RETRY_RETHROW));
		switch (e->write_type) {
		case WRITE_SIMPLE:
		case WRITE_BATCH:
			/* Stored on one replica at least: hints do the rest. */
			if (e->received > 0)
				return (retry_make(RETRY_IGNORE));
			return (retry_make(RETRY_RETHROW));
		case WRITE_UNLOGGED_BATCH:
			return (retry_downgrade(e->received, e->consistency));
		case WRITE_BATCH_LOG:
			return (retry_make(RETRY_SAME_HOST));
		default:
			return (retry_make(RETRY_RETHROW));
		}
	case RETRY_ERR_UNAVAILABLE:
		if (retries != 0)
			return (retry_make(RETRY_RETHROW));
		/* Paxos phase of a LWT: this coordinator may be isolated. */
		if (retry_serial(e->consistency))
			return (retry_make(RETRY_NEXT_HOST));
		return (retry_downgrade(e->alive, e->consistency));
	default:
		return (retry_request_error(e, idempotent));
	}
}

struct retry_decision
retry_decide(enum retry_policy_kind policy, const struct retry_error *e,
    unsigned int retries, int idempotent)
{
	switch (policy) {
	case RETRY_POLICY_DEFAULT:
		return (retry_default(e, retries, idempotent));
	case RETRY_POLICY_DOWNGRADING:
		return (retry_downgrading(e, retries, idempotent));
	default:
		return (retry_make(RETRY_RETHROW));
	}
}

enum retry_error_kind
retry_error_from_msg(const struct msg_error *m, struct retry_error *e)
{
	memset(e, 0, sizeof *e);
	e->consistency = m->consistency;
	e->received = m->received;
	e->blockfor = m->blockfor;
	e->data_present = m->data_present != 0;
	e->required = m->required;
	e->alive = m->alive;
	e->write_type = WRITE_UNKNOWN;
	switch (m->code) {
	case ERR_READ_TIMEOUT:
		e->kind = RETRY_ERR_READ_TIMEOUT;
		break;
	case ERR_WRITE_TIMEOUT:
		e->kind = RETRY_ERR_WRITE_TIMEOUT;
		e->write_type = write_type_parse((const char *)m->write_type.p,
		    m->write_type.n);
		break;
	case ERR_UNAVAILABLE:
		e->kind = RETRY_ERR_UNAVAILABLE;
		break;
	case ERR_READ_FAILURE:
		e->kind = RETRY_ERR_READ_FAILURE;
		break;
	case ERR_WRITE_FAILURE:
	case ERR_CDC_WRITE_FAILURE:
		e->kind = RETRY_ERR_WRITE_FAILURE;
		e->write_type = write_type_parse((const char *)m->write_type.p,
		    m->write_type.n);
		break;
	case ERR_OVERLOADED:
		e->kind = RETRY_ERR_OVERLOADED;
		break;
	case ERR_SERVER:
		e->kind = RETRY_ERR_SERVER;
		break;
	case ERR_IS_BOOTSTRAPPING:
		e->kind = RETRY_ERR_IS_BOOTSTRAPPING;
		break;
	case ERR_TRUNCATE:
		e->kind = RETRY_ERR_TRUNCATE;
		break;
	default:
		e->kind = RETRY_ERR_OTHER;
		break;
	}
	return (e->kind);
}

static const char *retry_policy_names[] = {
	[RETRY_POLICY_DEFAULT] = "default",
	[RETRY_POLICY_DOWNGRADING] = "downgrading_consistency",
	[RETRY_POLICY_FALLTHROUGH] = "fallthrough"
};

int
retry_policy_parse(const char *s, enum retry_policy_kind *k)
{
	size_t	i;

	for (i = 0; i < nitems(retry_policy_names); i++) {
		if (strcmp(s, retry_policy_names[i]) == 0) {
			*k = i;
			return (0);
		}
	}
	if (strcmp(s, "downgrading") == 0) {
		*k = RETRY_POLICY_DOWNGRADING;
		return (0);
	}
	return (-1);
}

const char *
retry_policy_name(enum retry_policy_kind k)
{
	if ((size_t)k >= nitems(retry_policy_names))
		return ("unknown");
	return (retry_policy_names[k]);
}

const char *
retry_kind_name(enum retry_kind k)
{
	static const char *names[] = {
		[RETRY_RETHROW] = "rethrow",
		[RETRY_SAME_HOST] = "retry_same_host",
		[RETRY_NEXT_HOST] = "retry_next_host",
		[RETRY_IGNORE] = "ignore"
	};

	if ((size_t)k >= nitems(names))
		return ("unknown");
	return (names[k]);
}

const char *
retry_error_name(enum retry_error_kind k)
{
	static const char *names[] = {
		[RETRY_ERR_READ_TIMEOUT] = "read_timeout",
		[RETRY_ERR_WRITE_TIMEOUT] = "write_timeout",
		[RETRY_ERR_UNAVAILABLE] = "unavailable",
		[RETRY_ERR_READ_FAILURE] = "read_failure",
		[RETRY_ERR_WRITE_FAILURE] = "write_failure",
		[RETRY_ERR_CONNECTION_CLOSED] = "connection_closed",
		[RETRY_ERR_CLIENT_TIMEOUT] = "client_timeout",
		[RETRY_ERR_OVERLOADED] = "overloaded",
		[RETRY_ERR_SERVER] = "server_error",
		[RETRY_ERR_IS_BOOTSTRAPPING] = "is_bootstrapping",
		[RETRY_ERR_TRUNCATE] = "truncate_error",
		[RETRY_ERR_OTHER] = "other"
	};

	if ((size_t)k >= nitems(names))
		return ("unknown");
	return (names[k]);
}

static const char *write_type_names[] = {
	[WRITE_SIMPLE] = "SIMPLE",
	[WRITE_BATCH] = "BATCH",
	[WRITE_UNLOGGED_BATCH] = "UNLOGGED_BATCH",
	[WRITE_COUNTER] = "COUNTER",
	[WRITE_BATCH_LOG] = "BATCH_LOG",
	[WRITE_CAS] = "CAS",
	[WRITE_VIEW] = "VIEW",
	[WRITE_CDC] = "CDC",
	[WRITE_UNKNOWN] = "UNKNOWN"
};

enum write_type
write_type_parse(const char *s, size_t n)
{
	size_t	i;

	if (s == NULL)
		return (WRITE_UNKNOWN);
	for (i = 0; i < WRITE_UNKNOWN; i++) {
		if (strlen(write_type_names[i]) == n &&
		    memcmp(write_type_names[i], s, n) == 0)
			return (i);
	}
	return (WRITE_UNKNOWN);
}

const char *
write_type_name(enum write_type t)
{
	if ((size_t)t >= nitems(write_type_names))
		return ("UNKNOWN");
	return (write_type_names[t]);
}
