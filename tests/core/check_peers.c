/*
 * check_peers.c: a cluster against a fake node whose system.peers_v2
 * lists more hosts than CLUSTER_MAX_HOSTS, repeats some of them and
 * names the control host itself.  The cluster must come up with exactly
 * CLUSTER_MAX_HOSTS hosts, the first description of each address, the
 * control host as system.local describes it, and no pools for the
 * (remote, ignored) peers.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util.h"
#include "buf.h"
#include "frame.h"
#include "msg.h"
#include "cqltype.h"
#include "host.h"
#include "conn.h"
#include "cluster.h"
#include "fakenode.h"
#include "testloop.h"

#define WAIT_MS		20000
#define NDISTINCT	(CLUSTER_MAX_HOSTS + 1000)	/* distinct peers */
#define NFEW		60	/* distinct peers, under the cap */
#define DUP_EVERY	10	/* a repeat of an earlier peer this often */

struct t {
	struct event_base	*base;
	struct fakenode		*fake;
	struct cluster		*c;
	int			 ready;
	enum core_error		 ready_err;
	int			 peers_reads;
	int			 ndistinct;	/* peers listed */
};
static struct t	*T;

static int
cond_flag(void *arg)
{
	return (*(int *)arg != 0);
}

static void
t_ready(struct cluster *c, enum core_error e, const char *why, void *arg)
{
	T->ready = 1;
	T->ready_err = e;
}

/* Rows metadata: global table spec, then (name, type) per column. */
static void
t_meta(struct wbuf *w, const char *table, const char *const *names,
    const uint16_t *types, int n)
{
	int	i;

	wbuf_i32(w, RESULT_ROWS);
	wbuf_i32(w, ROWS_GLOBAL_TABLES_SPEC);
	wbuf_i32(w, n);
	wbuf_string(w, "system");
	wbuf_string(w, table);
	for (i = 0; i < n; i++) {
		wbuf_string(w, names[i]);
		wbuf_u16(w, types[i]);
		if (types[i] == CQLTYPE_SET || types[i] == CQLTYPE_MAP)
			wbuf_u16(w, CQLTYPE_TEXT);
		if (types[i] == CQLTYPE_MAP)
			wbuf_u16(w, CQLTYPE_TEXT);
	}
}

static void
t_text(struct wbuf *w, const char *s)
{
	wbuf_bytes(w, s, strlen(s));
}

/* A set<text> of one token. */
static void
t_token(struct wbuf *w, long tok)
{
	struct wbuf	set;
	char		s[32];

	snprintf(s, sizeof s, "%ld", tok);
	wbuf_init(&set, 0);
	wbuf_i32(&set, 1);
	t_text(&set, s);
	wbuf_bytes(w, set.p, set.len);
	wbuf_free(&set);
}

static void
t_inet(struct wbuf *w, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t	ip[4] = { a, b, c, d };

	wbuf_bytes(w, ip, sizeof ip);
}

static void
t_int(struct wbuf *w, int32_t v)
{
	uint8_t	b[4];

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	wbuf_bytes(w, b, sizeof b);
}

/* Peer i is 127.1.(i / 256).(i % 256) in dc2, rack r1, token 1000 + i. */
static void
t_peer(struct wbuf *w, int i, const char *dc, const char *rack, long tok)
{
	t_inet(w, 127, 1, (uint8_t)(i / 256), (uint8_t)(i % 256));
	t_inet(w, 127, 1, (uint8_t)(i / 256), (uint8_t)(i % 256));
	t_int(w, fakenode_port(T->fake));
	t_text(w, dc);
	t_text(w, rack);
	t_token(w, tok);
}

static int
t_answer(const char *q, size_t len, struct wbuf *w, void *arg)
{
	static const char *const lnames[] = {
		"key", "data_center", "rack", "release_version", "tokens"
	};
	static const uint16_t ltypes[] = {
		CQLTYPE_TEXT, CQLTYPE_TEXT, CQLTYPE_TEXT, CQLTYPE_TEXT,
		CQLTYPE_SET
	};
	static const char *const pnames[] = {
		"peer", "native_address", "native_port", "data_center",
		"rack", "tokens"
	};
	static const uint16_t ptypes[] = {
		CQLTYPE_INET, CQLTYPE_INET, CQLTYPE_INT, CQLTYPE_TEXT,
		CQLTYPE_TEXT, CQLTYPE_SET
	};
	static const char *const knames[] = {
		"keyspace_name", "durable_writes", "replication"
	};
	static const uint16_t ktypes[] = {
		CQLTYPE_TEXT, CQLTYPE_BOOLEAN, CQLTYPE_MAP
	};
	char	*text;
	int	 i, nrows = 0, rv = 1;
	size_t	 at;

	text = xstrndup(q, len);
	if (strstr(text, "FROM system.local") != NULL) {
		t_meta(w, "local", lnames, ltypes, nitems(lnames));
		wbuf_i32(w, 1);
		t_text(w, "local");
		t_text(w, "dc1");
		t_text(w, "rack1");
		t_text(w, "4.0.0");
		t_token(w, 0);
	} else if (strstr(text, "FROM system.peers_v2") != NULL) {
		T->peers_reads++;
		t_meta(w, "peers_v2", pnames, ptypes, nitems(pnames));
		at = w->len;
		wbuf_i32(w, 0);			/* patched below */
		/* The control host itself, described otherwise. */
		t_inet(w, 127, 0, 0, 1);
		t_inet(w, 127, 0, 0, 1);
		t_int(w, fakenode_port(T->fake));
		t_text(w, "dcBAD");
		t_text(w, "rBAD");
		t_token(w, 7);
		nrows++;
		for (i = 0; i < T->ndistinct; i++) {
			t_peer(w, i, "dc2", "r1", 1000 + i);
			nrows++;
			if (i >= DUP_EVERY && i % DUP_EVERY == 0) {
				t_peer(w, i - DUP_EVERY / 2, "dcDUP", "rDUP",
				    -1000 - i);
				nrows++;
			}
		}
		w->p[at] = (uint8_t)(nrows >> 24);
		w->p[at + 1] = (uint8_t)(nrows >> 16);
		w->p[at + 2] = (uint8_t)(nrows >> 8);
		w->p[at + 3] = (uint8_t)nrows;
	} else if (strstr(text, "system_schema.keyspaces") != NULL) {
		t_meta(w, "keyspaces", knames, ktypes, nitems(knames));
		wbuf_i32(w, 0);		/* no keyspaces */
	} else
		rv = 0;
	free(text);
	return (rv);
}

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	T = xcalloc(1, sizeof *T);
	T->base = event_base_new();
	T->fake = fakenode_new(T->base, 4);
	fakenode_set_query_fn(T->fake, t_answer, NULL);
}

static void
teardown(void)
{
	if (T->c != NULL)
		cluster_free(T->c);
	testloop_drain(T->base);
	fakenode_free(T->fake);
	testloop_drain(T->base);
	event_base_free(T->base);
	free(T);
	T = NULL;
}

static struct host *
t_find(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	char	name[32];

	snprintf(name, sizeof name, "%u.%u.%u.%u", a, b, c, d);
	return (cluster_find_host_name(T->c, name));
}

/* A cluster on the fake node listing ndistinct peers; wait for ready. */
static void
t_start(int ndistinct)
{
	struct cluster_config	 cfg;
	const char		*cps[1], *why;

	T->ndistinct = ndistinct;
	cluster_config_default(&cfg);
	cps[0] = "127.0.0.1";
	cfg.contact_points = cps;
	cfg.ncontact_points = 1;
	cfg.port = fakenode_port(T->fake);
	cfg.metadata_enabled = 0;
	cfg.lb.local_dc = "dc1";
	cfg.pool.conn.heartbeat_interval_ms = 0;
	T->c = cluster_new(T->base, &cfg, &why);
	ck_assert_msg(T->c != NULL, "cluster_new: %s", why);
	cluster_connect(T->c, t_ready, NULL);
	ck_assert_msg(testloop_until(T->base, cond_flag, &T->ready, WAIT_MS),
	    "never ready");
	ck_assert_int_eq(T->ready_err, CORE_OK);
	ck_assert_int_eq(T->peers_reads, 1);
}

/*
 * Every host is described by its first row: the control host by
 * system.local, peers by their first peers row; the peers (dc2, remote)
 * get no pool.
 */
static void
t_check_hosts(void)
{
	struct host *const	*hosts;
	struct host		*h;
	size_t			 i, n, npools = 0;

	h = t_find(127, 0, 0, 1);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h->dc, "dc1");
	ck_assert_str_eq(h->rack, "rack1");
	ck_assert_uint_eq(h->ntokens, 1);
	ck_assert(h->tokens[0] == 0);
	ck_assert_ptr_nonnull(cluster_pool(T->c, h));

	hosts = cluster_hosts(T->c, &n);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(hosts[i]->dc);
		ck_assert_str_ne(hosts[i]->dc, "dcDUP");
		ck_assert_str_ne(hosts[i]->rack, "rDUP");
		ck_assert_uint_eq(hosts[i]->ntokens, 1);
		if (cluster_pool(T->c, hosts[i]) != NULL)
			npools++;
	}
	ck_assert_uint_eq(npools, 1);
	h = t_find(127, 1, 0, DUP_EVERY / 2);
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h->dc, "dc2");
	ck_assert(h->tokens[0] == 1000 + DUP_EVERY / 2);
	ck_assert_int_le(fakenode_stats(T->fake)->connections, 8);
}

/* Repeated peers rows and one naming the control host are ignored. */
START_TEST(test_peers_repeats)
{
	size_t	n;

	t_start(NFEW);
	cluster_hosts(T->c, &n);
	ck_assert_uint_eq(n, 1 + NFEW);
	t_check_hosts();
}
END_TEST

/* Past CLUSTER_MAX_HOSTS the rows are ignored; the first ones count. */
START_TEST(test_peers_capped)
{
	size_t	n;
	int	last;

	t_start(NDISTINCT);
	cluster_hosts(T->c, &n);
	ck_assert_uint_eq(n, CLUSTER_MAX_HOSTS);
	last = CLUSTER_MAX_HOSTS - 2;
	ck_assert_ptr_nonnull(t_find(127, 1, 0, 0));
	ck_assert_ptr_nonnull(t_find(127, 1, last / 256, last % 256));
	last++;
	ck_assert_ptr_null(t_find(127, 1, last / 256, last % 256));
	t_check_hosts();
}
END_TEST

static Suite *
peers_suite(void)
{
	Suite	*s = suite_create("peers");
	TCase	*tc = tcase_create("fake");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_peers_repeats);
	tcase_add_test(tc, test_peers_capped);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_open("check_peers", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 1);
	sr = srunner_create(peers_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
