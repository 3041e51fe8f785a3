/*
 * check_policy_retry.c: the retry policies' decision tables, one row per
 * rule (and the rows around each rule's edges); then speculative delays
 * and the client-side timestamp generator (policy-spec.c).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "policy.h"

#define DEF	RETRY_POLICY_DEFAULT
#define DOWN	RETRY_POLICY_DOWNGRADING
#define FALL	RETRY_POLICY_FALLTHROUGH

#define RT	RETRY_ERR_READ_TIMEOUT
#define WT	RETRY_ERR_WRITE_TIMEOUT
#define UN	RETRY_ERR_UNAVAILABLE

#define RETHROW	RETRY_RETHROW
#define SAME	RETRY_SAME_HOST
#define NEXT	RETRY_NEXT_HOST
#define IGNORE	RETRY_IGNORE

/* No new consistency in the decision. */
#define KEEP	0xffff

struct row {
	int			 line;
	enum retry_policy_kind	 policy;
	enum retry_error_kind	 kind;
	uint16_t		 cl;
	int32_t			 received;	/* or alive */
	int32_t			 blockfor;	/* or required */
	int			 data;
	enum write_type		 wt;
	unsigned int		 retries;
	int			 idempotent;
	enum retry_kind		 expect;
	uint16_t		 expect_cl;
};

/* Timeouts: received/blockfor; unavailable: alive/required. */
#define R(pol, k, cl, rcv, bf, data, wt, n, idem, exp, ecl) \
	{ __LINE__, pol, k, cl, rcv, bf, data, wt, n, idem, exp, ecl }

static const struct row rows[] = {
	/* Default: read timeout, once, same host, enough acks and no data. */
	R(DEF, RT, CL_QUORUM, 2, 2, 0, 0, 0, 0, SAME, KEEP),
	R(DEF, RT, CL_QUORUM, 3, 2, 0, 0, 0, 1, SAME, KEEP),
	R(DEF, RT, CL_QUORUM, 2, 2, 1, 0, 0, 1, RETHROW, KEEP),
	R(DEF, RT, CL_QUORUM, 1, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(DEF, RT, CL_QUORUM, 1, 2, 1, 0, 0, 1, RETHROW, KEEP),
	R(DEF, RT, CL_QUORUM, 2, 2, 0, 0, 1, 1, RETHROW, KEEP),
	R(DEF, RT, CL_SERIAL, 2, 2, 0, 0, 0, 0, SAME, KEEP),
	/* Default: write timeout, once, BATCH_LOG only. */
	R(DEF, WT, CL_QUORUM, 0, 2, 0, WRITE_BATCH_LOG, 0, 0, SAME, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_BATCH_LOG, 0, 1, SAME, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_BATCH_LOG, 1, 1, RETHROW, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_SIMPLE, 0, 1, RETHROW, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_BATCH, 0, 1, RETHROW, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_UNLOGGED_BATCH, 0, 1, RETHROW,
	    KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_COUNTER, 0, 1, RETHROW, KEEP),
	R(DEF, WT, CL_SERIAL, 1, 2, 0, WRITE_CAS, 0, 1, RETHROW, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_VIEW, 0, 1, RETHROW, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_CDC, 0, 1, RETHROW, KEEP),
	R(DEF, WT, CL_QUORUM, 1, 2, 0, WRITE_UNKNOWN, 0, 1, RETHROW, KEEP),
	/* Default: unavailable, once, next host, idempotent or not. */
	R(DEF, UN, CL_QUORUM, 1, 2, 0, 0, 0, 0, NEXT, KEEP),
	R(DEF, UN, CL_ALL, 0, 3, 0, 0, 0, 1, NEXT, KEEP),
	R(DEF, UN, CL_QUORUM, 1, 2, 0, 0, 1, 1, RETHROW, KEEP),
	/* Default: request errors, next host when idempotent, no limit. */
	R(DEF, RETRY_ERR_CONNECTION_CLOSED, 0, 0, 0, 0, 0, 0, 1, NEXT, KEEP),
	R(DEF, RETRY_ERR_CONNECTION_CLOSED, 0, 0, 0, 0, 0, 7, 1, NEXT, KEEP),
	R(DEF, RETRY_ERR_CONNECTION_CLOSED, 0, 0, 0, 0, 0, 0, 0, RETHROW,
	    KEEP),
	R(DEF, RETRY_ERR_CLIENT_TIMEOUT, 0, 0, 0, 0, 0, 0, 1, NEXT, KEEP),
	R(DEF, RETRY_ERR_CLIENT_TIMEOUT, 0, 0, 0, 0, 0, 3, 1, NEXT, KEEP),
	R(DEF, RETRY_ERR_CLIENT_TIMEOUT, 0, 0, 0, 0, 0, 0, 0, RETHROW, KEEP),
	R(DEF, RETRY_ERR_OVERLOADED, 0, 0, 0, 0, 0, 2, 1, NEXT, KEEP),
	R(DEF, RETRY_ERR_OVERLOADED, 0, 0, 0, 0, 0, 0, 0, RETHROW, KEEP),
	R(DEF, RETRY_ERR_SERVER, 0, 0, 0, 0, 0, 0, 1, NEXT, KEEP),
	R(DEF, RETRY_ERR_SERVER, 0, 0, 0, 0, 0, 0, 0, RETHROW, KEEP),
	/* Default: is_bootstrapping never ran: always next host. */
	R(DEF, RETRY_ERR_IS_BOOTSTRAPPING, 0, 0, 0, 0, 0, 0, 0, NEXT, KEEP),
	R(DEF, RETRY_ERR_IS_BOOTSTRAPPING, 0, 0, 0, 0, 0, 4, 1, NEXT, KEEP),
	/* Default: everything else goes to the client. */
	R(DEF, RETRY_ERR_TRUNCATE, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(DEF, RETRY_ERR_READ_FAILURE, CL_ONE, 0, 1, 0, 0, 0, 1, RETHROW,
	    KEEP),
	R(DEF, RETRY_ERR_WRITE_FAILURE, CL_ONE, 0, 1, 0, WRITE_SIMPLE, 0, 1,
	    RETHROW, KEEP),
	R(DEF, RETRY_ERR_OTHER, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),

	/* Downgrading: read timeout, too few acks: the best level they give. */
	R(DOWN, RT, CL_QUORUM, 1, 2, 0, 0, 0, 0, SAME, CL_ONE),
	R(DOWN, RT, CL_QUORUM, 1, 2, 1, 0, 0, 0, SAME, CL_ONE),
	R(DOWN, RT, CL_ALL, 2, 3, 0, 0, 0, 0, SAME, CL_TWO),
	R(DOWN, RT, CL_ALL, 3, 5, 0, 0, 0, 0, SAME, CL_THREE),
	R(DOWN, RT, CL_ALL, 4, 5, 1, 0, 0, 0, SAME, CL_THREE),
	R(DOWN, RT, CL_LOCAL_QUORUM, 0, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(DOWN, RT, CL_LOCAL_ONE, 0, 1, 0, 0, 0, 1, RETHROW, KEEP),
	R(DOWN, RT, CL_EACH_QUORUM, 0, 4, 0, 0, 0, 1, SAME, CL_ONE),
	/* Downgrading: read timeout, enough acks: as the default. */
	R(DOWN, RT, CL_QUORUM, 2, 2, 0, 0, 0, 0, SAME, KEEP),
	R(DOWN, RT, CL_QUORUM, 2, 2, 1, 0, 0, 1, RETHROW, KEEP),
	/* Downgrading: read timeout, once; serial reads never. */
	R(DOWN, RT, CL_QUORUM, 1, 2, 0, 0, 1, 1, RETHROW, KEEP),
	R(DOWN, RT, CL_SERIAL, 1, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(DOWN, RT, CL_LOCAL_SERIAL, 1, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(DOWN, RT, CL_SERIAL, 2, 2, 0, 0, 0, 1, RETHROW, KEEP),
	/* Downgrading: write timeout, SIMPLE/BATCH stored once: ignore. */
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_SIMPLE, 0, 0, IGNORE, KEEP),
	R(DOWN, WT, CL_QUORUM, 0, 2, 0, WRITE_SIMPLE, 0, 1, RETHROW, KEEP),
	R(DOWN, WT, CL_ALL, 2, 3, 0, WRITE_BATCH, 0, 0, IGNORE, KEEP),
	R(DOWN, WT, CL_ALL, 0, 3, 0, WRITE_BATCH, 0, 1, RETHROW, KEEP),
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_SIMPLE, 1, 1, RETHROW, KEEP),
	/* Downgrading: write timeout, UNLOGGED_BATCH: downgraded retry. */
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_UNLOGGED_BATCH, 0, 1, SAME,
	    CL_ONE),
	R(DOWN, WT, CL_ALL, 2, 4, 0, WRITE_UNLOGGED_BATCH, 0, 1, SAME,
	    CL_TWO),
	R(DOWN, WT, CL_ALL, 3, 4, 0, WRITE_UNLOGGED_BATCH, 0, 1, SAME,
	    CL_THREE),
	R(DOWN, WT, CL_QUORUM, 0, 2, 0, WRITE_UNLOGGED_BATCH, 0, 1, RETHROW,
	    KEEP),
	R(DOWN, WT, CL_EACH_QUORUM, 0, 4, 0, WRITE_UNLOGGED_BATCH, 0, 1, SAME,
	    CL_ONE),
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_UNLOGGED_BATCH, 1, 1, RETHROW,
	    KEEP),
	/* Downgrading: write timeout, BATCH_LOG: same level; others: no. */
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_BATCH_LOG, 0, 0, SAME, KEEP),
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_BATCH_LOG, 1, 0, RETHROW, KEEP),
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_COUNTER, 0, 1, RETHROW, KEEP),
	R(DOWN, WT, CL_SERIAL, 1, 2, 0, WRITE_CAS, 0, 1, RETHROW, KEEP),
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_VIEW, 0, 1, RETHROW, KEEP),
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_CDC, 0, 1, RETHROW, KEEP),
	R(DOWN, WT, CL_QUORUM, 1, 2, 0, WRITE_UNKNOWN, 0, 1, RETHROW, KEEP),
	/* Downgrading: unavailable: the best level the alive ones give. */
	R(DOWN, UN, CL_QUORUM, 1, 2, 0, 0, 0, 0, SAME, CL_ONE),
	R(DOWN, UN, CL_ALL, 2, 3, 0, 0, 0, 0, SAME, CL_TWO),
	R(DOWN, UN, CL_ALL, 5, 6, 0, 0, 0, 0, SAME, CL_THREE),
	R(DOWN, UN, CL_QUORUM, 0, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(DOWN, UN, CL_EACH_QUORUM, 0, 2, 0, 0, 0, 1, SAME, CL_ONE),
	R(DOWN, UN, CL_QUORUM, 1, 2, 0, 0, 1, 1, RETHROW, KEEP),
	/* Downgrading: unavailable in a LWT's paxos phase: next host. */
	R(DOWN, UN, CL_SERIAL, 1, 2, 0, 0, 0, 0, NEXT, KEEP),
	R(DOWN, UN, CL_LOCAL_SERIAL, 0, 2, 0, 0, 0, 0, NEXT, KEEP),
	R(DOWN, UN, CL_SERIAL, 1, 2, 0, 0, 1, 0, RETHROW, KEEP),
	/* Downgrading: request errors as the default. */
	R(DOWN, RETRY_ERR_CONNECTION_CLOSED, 0, 0, 0, 0, 0, 0, 1, NEXT, KEEP),
	R(DOWN, RETRY_ERR_CONNECTION_CLOSED, 0, 0, 0, 0, 0, 0, 0, RETHROW,
	    KEEP),
	R(DOWN, RETRY_ERR_CLIENT_TIMEOUT, 0, 0, 0, 0, 0, 1, 1, NEXT, KEEP),
	R(DOWN, RETRY_ERR_CLIENT_TIMEOUT, 0, 0, 0, 0, 0, 0, 0, RETHROW, KEEP),
	R(DOWN, RETRY_ERR_OVERLOADED, 0, 0, 0, 0, 0, 0, 1, NEXT, KEEP),
	R(DOWN, RETRY_ERR_OVERLOADED, 0, 0, 0, 0, 0, 0, 0, RETHROW, KEEP),
	R(DOWN, RETRY_ERR_SERVER, 0, 0, 0, 0, 0, 0, 1, NEXT, KEEP),
	R(DOWN, RETRY_ERR_SERVER, 0, 0, 0, 0, 0, 0, 0, RETHROW, KEEP),
	R(DOWN, RETRY_ERR_IS_BOOTSTRAPPING, 0, 0, 0, 0, 0, 0, 0, NEXT, KEEP),
	R(DOWN, RETRY_ERR_TRUNCATE, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(DOWN, RETRY_ERR_READ_FAILURE, CL_QUORUM, 1, 2, 0, 0, 0, 1, RETHROW,
	    KEEP),
	R(DOWN, RETRY_ERR_WRITE_FAILURE, CL_QUORUM, 1, 2, 0, WRITE_SIMPLE, 0,
	    1, RETHROW, KEEP),
	R(DOWN, RETRY_ERR_OTHER, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),

	/* Fallthrough: never, not even where the others always would. */
	R(FALL, RT, CL_QUORUM, 2, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, WT, CL_QUORUM, 0, 2, 0, WRITE_BATCH_LOG, 0, 1, RETHROW, KEEP),
	R(FALL, UN, CL_QUORUM, 1, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, UN, CL_SERIAL, 1, 2, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, RETRY_ERR_CONNECTION_CLOSED, 0, 0, 0, 0, 0, 0, 1, RETHROW,
	    KEEP),
	R(FALL, RETRY_ERR_CLIENT_TIMEOUT, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, RETRY_ERR_OVERLOADED, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, RETRY_ERR_SERVER, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, RETRY_ERR_IS_BOOTSTRAPPING, 0, 0, 0, 0, 0, 0, 1, RETHROW,
	    KEEP),
	R(FALL, RETRY_ERR_TRUNCATE, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, RETRY_ERR_READ_FAILURE, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, RETRY_ERR_WRITE_FAILURE, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
	R(FALL, RETRY_ERR_OTHER, 0, 0, 0, 0, 0, 0, 1, RETHROW, KEEP),
};

START_TEST(test_table)
{
	const struct row	*r = &rows[_i];
	struct retry_error	 e;
	struct retry_decision	 d;

	memset(&e, 0, sizeof e);
	e.kind = r->kind;
	e.consistency = r->cl;
	if (r->kind == UN) {
		e.alive = r->received;
		e.required = r->blockfor;
		/* Unavailable has no acks: poison them to catch mix-ups. */
		e.received = 99;
		e.blockfor = 1;
	} else {
		e.received = r->received;
		e.blockfor = r->blockfor;
		e.alive = 99;
		e.required = 1;
	}
	e.data_present = r->data;
	e.write_type = r->wt;
	d = retry_decide(r->policy, &e, r->retries, r->idempotent);
	ck_assert_msg(d.kind == r->expect,
	    "line %d (%s %s): got %s, want %s", r->line,
	    retry_policy_name(r->policy), retry_error_name(r->kind),
	    retry_kind_name(d.kind), retry_kind_name(r->expect));
	if (r->expect_cl == KEEP)
		ck_assert_msg(!d.has_consistency, "line %d: CL %s given",
		    r->line, consistency_name(d.consistency));
	else {
		ck_assert_msg(d.has_consistency, "line %d: no CL", r->line);
		ck_assert_msg(d.consistency == r->expect_cl,
		    "line %d: CL %s, want %s", r->line,
		    consistency_name(d.consistency),
		    consistency_name(r->expect_cl));
	}
}
END_TEST

/* Every policy gives every error kind at least one row. */
START_TEST(test_table_covers)
{
	enum retry_policy_kind	 pol;
	enum retry_error_kind	 k;
	size_t			 i;
	int			 found;

	for (pol = DEF; pol <= FALL; pol++) {
		for (k = RT; k <= RETRY_ERR_OTHER; k++) {
			found = 0;
			for (i = 0; i < nitems(rows); i++) {
				if (rows[i].policy == pol && rows[i].kind == k)
					found = 1;
			}
			ck_assert_msg(found, "%s/%s has no row",
			    retry_policy_name(pol), retry_error_name(k));
		}
	}
}
END_TEST

START_TEST(test_from_msg)
{
	struct msg_error	m;
	struct retry_error	e;

	memset(&m, 0, sizeof m);
	m.code = ERR_WRITE_TIMEOUT;
	m.consistency = CL_LOCAL_QUORUM;
	m.received = 1;
	m.blockfor = 2;
	m.write_type = slice_cstr("BATCH_LOG");
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_WRITE_TIMEOUT);
	ck_assert_int_eq(e.write_type, WRITE_BATCH_LOG);
	ck_assert_int_eq(e.consistency, CL_LOCAL_QUORUM);
	ck_assert_int_eq(e.received, 1);
	ck_assert_int_eq(e.blockfor, 2);

	m.write_type = slice_cstr("BATCH_LOGX");
	retry_error_from_msg(&m, &e);
	ck_assert_int_eq(e.write_type, WRITE_UNKNOWN);

	memset(&m, 0, sizeof m);
	m.code = ERR_READ_TIMEOUT;
	m.received = 2;
	m.blockfor = 2;
	m.data_present = 7;
	retry_error_from_msg(&m, &e);
	ck_assert_int_eq(e.kind, RETRY_ERR_READ_TIMEOUT);
	ck_assert_int_eq(e.data_present, 1);

	memset(&m, 0, sizeof m);
	m.code = ERR_UNAVAILABLE;
	m.required = 3;
	m.alive = 1;
	retry_error_from_msg(&m, &e);
	ck_assert_int_eq(e.kind, RETRY_ERR_UNAVAILABLE);
	ck_assert_int_eq(e.required, 3);
	ck_assert_int_eq(e.alive, 1);

	m.code = ERR_OVERLOADED;
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_OVERLOADED);
	m.code = ERR_SERVER;
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_SERVER);
	m.code = ERR_IS_BOOTSTRAPPING;
	ck_assert_int_eq(retry_error_from_msg(&m, &e),
	    RETRY_ERR_IS_BOOTSTRAPPING);
	m.code = ERR_TRUNCATE;
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_TRUNCATE);
	m.code = ERR_READ_FAILURE;
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_READ_FAILURE);
	m.code = ERR_WRITE_FAILURE;
	ck_assert_int_eq(retry_error_from_msg(&m, &e),
	    RETRY_ERR_WRITE_FAILURE);
	m.code = ERR_CDC_WRITE_FAILURE;
	ck_assert_int_eq(retry_error_from_msg(&m, &e),
	    RETRY_ERR_WRITE_FAILURE);
	m.code = ERR_SYNTAX;
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_OTHER);
	m.code = ERR_UNPREPARED;
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_OTHER);
	m.code = 0x7777;
	ck_assert_int_eq(retry_error_from_msg(&m, &e), RETRY_ERR_OTHER);
}
END_TEST

START_TEST(test_names)
{
	enum retry_policy_kind	 k;
	enum write_type		 t;
	const char		*n;

	ck_assert_int_eq(retry_policy_parse("default", &k), 0);
	ck_assert_int_eq(k, RETRY_POLICY_DEFAULT);
	ck_assert_int_eq(retry_policy_parse("downgrading_consistency", &k), 0);
	ck_assert_int_eq(k, RETRY_POLICY_DOWNGRADING);
	ck_assert_int_eq(retry_policy_parse("downgrading", &k), 0);
	ck_assert_int_eq(k, RETRY_POLICY_DOWNGRADING);
	ck_assert_int_eq(retry_policy_parse("fallthrough", &k), 0);
	ck_assert_int_eq(k, RETRY_POLICY_FALLTHROUGH);
	ck_assert_int_eq(retry_policy_parse("Default", &k), -1);
	ck_assert_str_eq(retry_policy_name(RETRY_POLICY_FALLTHROUGH),
	    "fallthrough");

	/* Every write type reads back from its protocol spelling. */
	for (t = WRITE_SIMPLE; t < WRITE_UNKNOWN; t++) {
		n = write_type_name(t);
		ck_assert_int_eq(write_type_parse(n, strlen(n)), t);
		ck_assert_int_eq(write_type_parse(n, strlen(n) - 1) == t, 0);
	}
	ck_assert_int_eq(write_type_parse("simple", 6), WRITE_UNKNOWN);
	ck_assert_int_eq(write_type_parse(NULL, 0), WRITE_UNKNOWN);
	ck_assert_int_eq(write_type_parse("", 0), WRITE_UNKNOWN);
	ck_assert_str_eq(retry_kind_name(RETRY_NEXT_HOST), "retry_next_host");
	ck_assert_str_eq(retry_error_name(RETRY_ERR_IS_BOOTSTRAPPING),
	    "is_bootstrapping");
}
END_TEST

/* Speculative execution. */

START_TEST(test_spec)
{
	struct spec_policy	 s;
	const char		*cause;
	unsigned int		 n;

	spec_policy_default(&s);
	ck_assert_int_eq(spec_policy_check(&s, &cause), 0);
	for (n = 0; n < 4; n++) {
		ck_assert_int_eq(spec_next_delay(&s, 1, n), -1);
		ck_assert_int_eq(spec_next_delay(&s, 0, n), -1);
	}

	s.delay_ms = 50;
	s.max_attempts = 2;
	ck_assert_int_eq(spec_policy_check(&s, &cause), 0);
	/* After the first execution, then after the first speculative one. */
	ck_assert_int_eq(spec_next_delay(&s, 1, 1), 50);
	ck_assert_int_eq(spec_next_delay(&s, 1, 2), 50);
	ck_assert_int_eq(spec_next_delay(&s, 1, 3), -1);
	ck_assert_int_eq(spec_next_delay(&s, 1, 100), -1);
	ck_assert_int_eq(spec_next_delay(&s, 1, 0), 50);
	/* Never for a request that is not idempotent. */
	ck_assert_int_eq(spec_next_delay(&s, 0, 1), -1);

	s.delay_ms = 0;
	ck_assert_int_eq(spec_next_delay(&s, 1, 1), 0);

	s.max_attempts = SPEC_MAX_ATTEMPTS + 1;
	cause = NULL;
	ck_assert_int_eq(spec_policy_check(&s, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	s.max_attempts = 1;
	s.delay_ms = (uint64_t)INT32_MAX + 1;
	ck_assert_int_eq(spec_policy_check(&s, &cause), -1);
}
END_TEST

/* Timestamps. */

struct fake_clock {
	const int64_t	*t;
	size_t		 n;
	size_t		 i;
};

static int64_t
fake_clock(void *arg)
{
	struct fake_clock	*c = arg;

	ck_assert_uint_lt(c->i, c->n);
	return (c->t[c->i++]);
}

START_TEST(test_tsgen_monotonic)
{
	static const int64_t	 clock[] = {
		1000, 1000, 1000, 1001, 1500, 40, 41, 1506, 1506, 3000
	};
	static const int64_t	 expect[] = {
		1000, 1001, 1002, 1003, 1500, 1501, 1502, 1506, 1507, 3000
	};
	struct fake_clock	 c = { clock, nitems(clock), 0 };
	struct tsgen		 g;
	size_t			 i;

	tsgen_init(&g, fake_clock, &c);
	for (i = 0; i < nitems(expect); i++)
		ck_assert_int_eq(tsgen_next(&g), expect[i]);
	/* 1500 - 40 is far below the one-second warning threshold. */
	ck_assert_uint_eq(g.drift_warnings, 0);
}
END_TEST

START_TEST(test_tsgen_drift_warning)
{
	/* The clock jumps back 10 s, then creeps on. */
	static const int64_t	 clock[] = {
		20000000, 10000000, 10000001, 10500000, 11000001, 11000002,
		12000002, 30000000, 20000000
	};
	struct fake_clock	 c = { clock, nitems(clock), 0 };
	struct tsgen		 g;
	int64_t			 prev, t;
	size_t			 i;
	uint64_t		 warns[nitems(clock)];
	static const uint64_t	 expect[] = { 0, 1, 1, 1, 2, 2, 3, 3, 4 };

	tsgen_init(&g, fake_clock, &c);
	prev = INT64_MIN;
	for (i = 0; i < nitems(clock); i++) {
		t = tsgen_next(&g);
		ck_assert_int_gt(t, prev);
		prev = t;
		warns[i] = g.drift_warnings;
	}
	/* One warning per second of clock time while behind. */
	ck_assert_mem_eq(warns, expect, sizeof expect);

	/* warn_us 0: quiet. */
	c.i = 0;
	tsgen_init(&g, fake_clock, &c);
	g.warn_us = 0;
	for (i = 0; i < nitems(clock); i++)
		(void)tsgen_next(&g);
	ck_assert_uint_eq(g.drift_warnings, 0);
}
END_TEST

START_TEST(test_tsgen_edges)
{
	static const int64_t	 clock[] = {
		INT64_MIN, INT64_MIN, -5, INT64_MAX - 1, INT64_MAX, 0
	};
	struct fake_clock	 c = { clock, nitems(clock), 0 };
	struct tsgen		 g;

	tsgen_init(&g, fake_clock, &c);
	g.warn_us = 0;
	/* A first clock value of INT64_MIN still counts up. */
	ck_assert(tsgen_next(&g) == INT64_MIN + 1);
	ck_assert(tsgen_next(&g) == INT64_MIN + 2);
	ck_assert_int_eq(tsgen_next(&g), -5);
	ck_assert(tsgen_next(&g) == INT64_MAX - 1);
	ck_assert(tsgen_next(&g) == INT64_MAX);
	/* Nowhere left to go: it stays, it does not wrap. */
	ck_assert(tsgen_next(&g) == INT64_MAX);
}
END_TEST

START_TEST(test_tsgen_realtime)
{
	struct tsgen	g;
	int64_t		t, prev, start;
	int		i;

	tsgen_init(&g, NULL, NULL);
	start = tsgen_clock_realtime(NULL);
	/* After 2020 and in microseconds. */
	ck_assert_int_gt(start, INT64_C(1577836800000000));
	prev = 0;
	for (i = 0; i < 100000; i++) {
		t = tsgen_next(&g);
		ck_assert_int_gt(t, prev);
		prev = t;
	}
	ck_assert_int_ge(prev, start + 100000 - 1);
}
END_TEST

static Suite *
policy_retry_suite(void)
{
	Suite	*s = suite_create("policy_retry");
	TCase	*tc;

	tc = tcase_create("retry");
	tcase_add_loop_test(tc, test_table, 0, nitems(rows));
	tcase_add_test(tc, test_table_covers);
	tcase_add_test(tc, test_from_msg);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("spec");
	tcase_add_test(tc, test_spec);
	tcase_add_test(tc, test_tsgen_monotonic);
	tcase_add_test(tc, test_tsgen_drift_warning);
	tcase_add_test(tc, test_tsgen_edges);
	tcase_add_test(tc, test_tsgen_realtime);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(policy_retry_suite());
	int	 failed;

	log_open("check_policy_retry", LOG_LEVEL_ERROR, 1);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
