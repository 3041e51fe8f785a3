/*
 * check_policy_lb.c: query plans of the load-balancing policies: rotation,
 * local-first order, replicas first, filters, and that no plan ever gives
 * a host twice or a host it should not, whatever happens between steps.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "host.h"
#include "token.h"
#include "policy.h"

#define MAXH	16

/* A fixture: n hosts 127.0.0.1.. with the DCs given. */
struct fx {
	struct host	*h[MAXH];
	size_t		 n;
};

static void
fx_make(struct fx *f, size_t n, const char *const *dcs)
{
	char	a[32];
	size_t	i;

	ck_assert_uint_le(n, MAXH);
	f->n = n;
	for (i = 0; i < n; i++) {
		snprintf(a, sizeof a, "127.0.0.%zu", i + 1);
		f->h[i] = host_new_name(a, 9042, NULL);
		ck_assert_ptr_nonnull(f->h[i]);
		if (dcs != NULL && dcs[i] != NULL)
			host_set_dc(f->h[i], dcs[i]);
		host_set_state(f->h[i], HOST_UP);
	}
}

static void
fx_free(struct fx *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		/* Only the fixture's reference may be left. */
		ck_assert_uint_eq(f->h[i]->references, 1);
		host_unref(f->h[i]);
	}
}

static int
fx_index(const struct fx *f, const struct host *h)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		if (f->h[i] == h)
			return ((int)i);
	}
	ck_abort_msg("plan gave a host not in the fixture");
	return (-1);
}

/* The whole plan as fixture indexes; checks nothing repeats. */
static size_t
plan_all(struct lb_policy *p, const struct lb_request *req,
    const struct fx *f, int *out)
{
	struct lb_plan	 plan;
	struct host	*h;
	size_t		 n = 0, i;

	lb_plan_begin(p, req, &plan);
	while ((h = lb_plan_next(&plan)) != NULL) {
		ck_assert_uint_lt(n, MAXH);
		out[n] = fx_index(f, h);
		for (i = 0; i < n; i++)
			ck_assert_int_ne(out[i], out[n]);
		n++;
	}
	ck_assert_ptr_null(lb_plan_next(&plan));
	ck_assert_uint_eq(plan.yielded, n);
	lb_plan_end(&plan);
	lb_plan_end(&plan);
	return (n);
}

/* Randomness the test decides: always the same value. */
static uint64_t
fixed_random(void *arg)
{
	return (*(uint64_t *)arg);
}

static void
opts(struct lb_options *o, uint64_t *r)
{
	lb_options_default(o);
	o->random = fixed_random;
	o->random_arg = r;
}

/* Randomness for the tests' own choices. */
static uint64_t
xorshift_seeded(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

START_TEST(test_defaults)
{
	struct lb_options	 o;
	struct lb_policy	*p;
	enum lb_kind		 k;
	const char		*cause = NULL;

	lb_options_default(&o);
	ck_assert_int_eq(o.load_balancing, LB_TOKEN_AWARE);
	ck_assert_uint_eq(o.used_hosts_per_remote_dc, 0);
	ck_assert_int_eq(o.shuffle_replicas, 0);
	ck_assert_int_eq(lb_kind_parse("round_robin", &k), 0);
	ck_assert_int_eq(k, LB_ROUND_ROBIN);
	ck_assert_int_eq(lb_kind_parse("dc_aware", &k), 0);
	ck_assert_int_eq(k, LB_DC_AWARE);
	ck_assert_int_eq(lb_kind_parse("token_aware", &k), 0);
	ck_assert_int_eq(k, LB_TOKEN_AWARE);
	ck_assert_int_eq(lb_kind_parse("TokenAware", &k), -1);
	ck_assert_str_eq(lb_kind_name(LB_DC_AWARE), "dc_aware");

	p = lb_policy_from_options(&o, &cause);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->ops->name, "token_aware");
	ck_assert_str_eq(p->child->ops->name, "dc_aware");
	ck_assert_ptr_null(p->child->child);
	lb_policy_free(p);

	o.deny_hosts = " , ";
	p = lb_policy_from_options(&o, &cause);
	ck_assert_str_eq(p->ops->name, "token_aware");
	lb_policy_free(p);

	o.deny_hosts = "127.0.0.9";
	o.load_balancing = LB_ROUND_ROBIN;
	p = lb_policy_from_options(&o, &cause);
	ck_assert_str_eq(p->ops->name, "host_filter");
	ck_assert_str_eq(p->child->ops->name, "round_robin");
	lb_policy_free(p);
}
END_TEST

START_TEST(test_round_robin)
{
	static const int	 expect[4][3] = {
		{ 2, 0, 1 }, { 0, 1, 2 }, { 1, 2, 0 }, { 2, 0, 1 }
	};
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	uint64_t		 r = 5;
	int			 got[MAXH];
	size_t			 i, n;

	fx_make(&f, 3, NULL);
	opts(&o, &r);
	p = lb_round_robin_new(&o);
	lb_policy_init(p, f.h, f.n, NULL, 0);

	/* The first start is random (5 % 3), then each plan moves one on. */
	for (i = 0; i < 4; i++) {
		n = plan_all(p, NULL, &f, got);
		ck_assert_uint_eq(n, 3);
		ck_assert_mem_eq(got, expect[i], sizeof expect[i]);
	}
	for (i = 0; i < f.n; i++)
		ck_assert_int_eq(lb_policy_distance(p, f.h[i]), HOST_LOCAL);

	/* Down: gone from plans; up again: back. */
	host_set_state(f.h[1], HOST_DOWN);
	lb_policy_on_down(p, f.h[1]);
	for (i = 0; i < 4; i++) {
		n = plan_all(p, NULL, &f, got);
		ck_assert_uint_eq(n, 2);
		ck_assert_int_ne(got[0], 1);
		ck_assert_int_ne(got[1], 1);
	}
	host_set_state(f.h[1], HOST_UP);
	lb_policy_on_up(p, f.h[1]);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 3);

	/* on_down before the state changes still counts. */
	lb_policy_on_down(p, f.h[0]);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 2);
	lb_policy_on_up(p, f.h[0]);

	/* A host never connected to yet is tried. */
	host_set_state(f.h[2], HOST_UNKNOWN);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 3);

	/* Removed: gone; added again: last in the list. */
	lb_policy_on_remove(p, f.h[0]);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 2);
	lb_policy_on_add(p, f.h[0]);
	lb_policy_on_add(p, f.h[0]);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 3);

	lb_policy_free(p);
	fx_free(&f);
}
END_TEST

START_TEST(test_empty)
{
	struct lb_options	 o;
	struct lb_policy	*p;
	struct lb_plan		 plan;
	uint64_t		 r = 0;

	memset(&plan, 0, sizeof plan);
	lb_plan_end(&plan);
	ck_assert_ptr_null(lb_plan_next(&plan));

	opts(&o, &r);
	p = lb_policy_from_options(&o, NULL);
	lb_plan_begin(p, NULL, &plan);
	ck_assert_ptr_null(lb_plan_next(&plan));
	lb_plan_end(&plan);
	lb_policy_init(p, NULL, 0, NULL, 0);
	lb_plan_begin(p, NULL, &plan);
	ck_assert_ptr_null(lb_plan_next(&plan));
	lb_plan_end(&plan);
	lb_policy_free(p);
}
END_TEST

/* A plan walks the hosts it started with, whatever happens meanwhile. */
START_TEST(test_plan_snapshot)
{
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct lb_plan		 plan;
	struct host		*h, *gone;
	uint64_t		 r = 0;
	int			 seen[MAXH] = { 0 };
	size_t			 n = 0;

	fx_make(&f, 4, NULL);
	opts(&o, &r);
	p = lb_round_robin_new(&o);
	lb_policy_init(p, f.h, f.n, NULL, 0);

	lb_plan_begin(p, NULL, &plan);
	h = lb_plan_next(&plan);
	ck_assert_ptr_eq(h, f.h[0]);
	seen[0] = 1;
	n = 1;
	/* Host 1 leaves the cluster; host 2 goes down. */
	gone = f.h[1];
	lb_policy_on_remove(p, gone);
	host_set_state(f.h[2], HOST_DOWN);
	lb_policy_on_down(p, f.h[2]);
	ck_assert_uint_ge(gone->references, 2);	/* the plan keeps it */
	while ((h = lb_plan_next(&plan)) != NULL) {
		ck_assert(!seen[fx_index(&f, h)]);
		seen[fx_index(&f, h)] = 1;
		n++;
	}
	/* Still given: the removed one (the plan's snapshot); not: the down. */
	ck_assert(seen[1]);
	ck_assert(!seen[2]);
	ck_assert(seen[3]);
	ck_assert_uint_eq(n, 3);
	lb_plan_end(&plan);
	ck_assert_uint_eq(gone->references, 1);

	lb_policy_free(p);
	fx_free(&f);
}
END_TEST

START_TEST(test_dc_aware)
{
	static const char *const dcs[] = {
		"dc1", "dc2", "dc1", "dc2", "dc3", "dc1", "dc2", "dc3"
	};
	static const int	 starts[] = { 0, 2, 5 };
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	uint64_t		 r = 0;
	int			 got[MAXH];
	size_t			 n, i, k;

	fx_make(&f, 8, dcs);
	opts(&o, &r);
	o.local_dc = "dc1";
	p = lb_dc_aware_new(&o);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	ck_assert_str_eq(lb_policy_local_dc(p), "dc1");

	/* Remote DCs unused by default: local hosts only, rotating. */
	for (k = 0; k < 3; k++) {
		n = plan_all(p, NULL, &f, got);
		ck_assert_uint_eq(n, 3);
		ck_assert_int_eq(got[0], starts[k]);
		for (i = 0; i < n; i++)
			ck_assert_str_eq(f.h[got[i]]->dc, "dc1");
	}
	for (i = 0; i < f.n; i++)
		ck_assert_int_eq(lb_policy_distance(p, f.h[i]),
		    strcmp(dcs[i], "dc1") == 0 ? HOST_LOCAL : HOST_IGNORED);
	lb_policy_free(p);

	/* Two per remote DC: the first two met of each, after the local. */
	o.used_hosts_per_remote_dc = 2;
	p = lb_dc_aware_new(&o);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	n = plan_all(p, NULL, &f, got);
	ck_assert_uint_eq(n, 7);
	ck_assert_mem_eq(got, ((int[]){ 0, 2, 5, 1, 3, 4, 7 }),
	    7 * sizeof got[0]);
	ck_assert_int_eq(lb_policy_distance(p, f.h[1]), HOST_REMOTE);
	ck_assert_int_eq(lb_policy_distance(p, f.h[3]), HOST_REMOTE);
	ck_assert_int_eq(lb_policy_distance(p, f.h[6]), HOST_IGNORED);
	ck_assert_int_eq(lb_policy_distance(p, f.h[4]), HOST_REMOTE);
	ck_assert_int_eq(lb_policy_distance(p, f.h[7]), HOST_REMOTE);

	/* dc2's first host down: its third takes the place. */
	host_set_state(f.h[1], HOST_DOWN);
	lb_policy_on_down(p, f.h[1]);
	n = plan_all(p, NULL, &f, got);
	ck_assert_uint_eq(n, 7);
	ck_assert_mem_eq(got + 3, ((int[]){ 3, 6, 4, 7 }), 4 * sizeof got[0]);
	ck_assert_int_eq(lb_policy_distance(p, f.h[6]), HOST_REMOTE);
	/* The down one keeps its rank: still sized as remote. */
	ck_assert_int_eq(lb_policy_distance(p, f.h[1]), HOST_REMOTE);

	/* All local hosts down: remote ones only. */
	for (i = 0; i < f.n; i++) {
		if (strcmp(dcs[i], "dc1") == 0) {
			host_set_state(f.h[i], HOST_DOWN);
			lb_policy_on_down(p, f.h[i]);
		}
	}
	n = plan_all(p, NULL, &f, got);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(got, ((int[]){ 3, 6, 4, 7 }), 4 * sizeof got[0]);
	lb_policy_free(p);
	fx_free(&f);
}
END_TEST

/* No local_dc: the first contact point with a DC names it. */
START_TEST(test_dc_from_contacts)
{
	static const char *const dcs[] = { "dc1", "dc2", "dc2", "dc1" };
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct host		*contacts[2], *nodc;
	uint64_t		 r = 0;
	int			 got[MAXH];
	size_t			 n;

	fx_make(&f, 4, dcs);
	opts(&o, &r);
	nodc = host_new_name("127.0.0.99", 9042, NULL);
	contacts[0] = nodc;		/* no DC known: skipped */
	contacts[1] = f.h[2];		/* dc2 */
	p = lb_dc_aware_new(&o);
	lb_policy_init(p, f.h, f.n, contacts, 2);
	ck_assert_str_eq(lb_policy_local_dc(p), "dc2");
	n = plan_all(p, NULL, &f, got);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f.h[got[0]]->dc, "dc2");
	ck_assert_str_eq(f.h[got[1]]->dc, "dc2");
	lb_policy_free(p);

	/* No contact has a DC yet: learnt at the first event after it does. */
	contacts[1] = nodc;
	p = lb_dc_aware_new(&o);
	lb_policy_init(p, f.h, f.n, contacts, 1);
	ck_assert_ptr_null(lb_policy_local_dc(p));
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 0);
	ck_assert_int_eq(lb_policy_distance(p, f.h[0]), HOST_IGNORED);
	host_set_dc(nodc, "dc1");
	host_set_state(nodc, HOST_UP);
	lb_policy_on_up(p, nodc);
	ck_assert_str_eq(lb_policy_local_dc(p), "dc1");
	ck_assert_int_eq(lb_policy_distance(p, f.h[0]), HOST_LOCAL);
	/* Hosts 0 and 3 plus the contact, now known too. */
	{
		struct lb_plan	 plan;
		struct host	*h;
		size_t		 k = 0;

		lb_plan_begin(p, NULL, &plan);
		while ((h = lb_plan_next(&plan)) != NULL) {
			ck_assert_str_eq(h->dc, "dc1");
			k++;
		}
		lb_plan_end(&plan);
		ck_assert_uint_eq(k, 3);
	}
	lb_policy_free(p);
	ck_assert_uint_eq(nodc->references, 1);
	host_unref(nodc);

	/* A host whose DC is unknown is taken for a local one. */
	host_set_dc(f.h[3], NULL);
	o.local_dc = "dc2";
	p = lb_dc_aware_new(&o);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	ck_assert_int_eq(lb_policy_distance(p, f.h[3]), HOST_LOCAL);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 3);
	lb_policy_free(p);
	fx_free(&f);
}
END_TEST

/* A ring over the fixture: 4 vnodes each, NTS dc1:2 dc2:2 as "ks". */
static struct token_map *
ring_make(const struct fx *f)
{
	static const char *const keys[] = { "class", "dc1", "dc2" };
	static const char *const vals[] = { "NetworkTopologyStrategy",
	    "2", "2" };
	struct token_host	 th[MAXH];
	int64_t			 tok[MAXH][4];
	struct token_map	*m;
	struct token_repl	*r;
	const char		*cause = NULL;
	size_t			 i;

	for (i = 0; i < f->n; i++) {
		token_assign(i, f->n, 4, tok[i]);
		th[i].host = f->h[i];
		th[i].dc = f->h[i]->dc;
		th[i].rack = "r1";
		th[i].tokens = tok[i];
		th[i].ntokens = 4;
	}
	m = token_map_new(th, f->n, &cause);
	ck_assert_msg(m != NULL, "%s", cause);
	r = token_repl_parse(keys, vals, 3, &cause);
	ck_assert_msg(r != NULL, "%s", cause);
	token_map_set_keyspace(m, "ks", r);
	token_repl_free(r);
	return (m);
}

/* The local (dc1) replicas of token t, in ring order. */
static size_t
ring_local(const struct token_map *m, int64_t t, const struct fx *f,
    int *out)
{
	void *const	*rs;
	size_t		 n, i, k = 0;

	ck_assert_int_eq(token_map_replicas(m, "ks", t, &rs, &n), 0);
	ck_assert_uint_eq(n, 4);
	for (i = 0; i < n; i++) {
		if (strcmp(((struct host *)rs[i])->dc, "dc1") == 0)
			out[k++] = fx_index(f, rs[i]);
	}
	return (k);
}

START_TEST(test_token_aware)
{
	static const char *const dcs[] = {
		"dc1", "dc2", "dc1", "dc2", "dc1", "dc2", "dc1", "dc2"
	};
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p, *q;
	struct token_map	*m;
	struct lb_request	 req = { "ks", 1, 0 };
	uint64_t		 r = 0;
	int			 got[MAXH], loc[MAXH], child[MAXH];
	size_t			 n, nloc, nchild, i, j, k;

	fx_make(&f, 8, dcs);
	m = ring_make(&f);
	opts(&o, &r);
	o.local_dc = "dc1";
	o.used_hosts_per_remote_dc = 1;
	p = lb_policy_from_options(&o, NULL);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	/* A twin of the child, stepped in lockstep, says what it would give. */
	q = lb_dc_aware_new(&o);
	lb_policy_init(q, f.h, f.n, NULL, 0);

	/* No map yet: the child's plan. */
	n = plan_all(p, &req, &f, got);
	nchild = plan_all(q, NULL, &f, child);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(got, child, n * sizeof got[0]);
	lb_policy_set_token_map(p, m);

	for (k = 0; k < 40; k++) {
		req.token = (int64_t)(k * 0x9e3779b97f4a7c15ULL);
		nloc = ring_local(m, req.token, &f, loc);
		ck_assert_uint_eq(nloc, 2);
		nchild = plan_all(q, NULL, &f, child);
		n = plan_all(p, &req, &f, got);
		/* The local replicas lead, in ring order ... */
		ck_assert_uint_eq(n, 5);
		ck_assert_mem_eq(got, loc, nloc * sizeof got[0]);
		/* ... then the child's plan without them, in its order. */
		for (i = 0, j = nloc; i < nchild; i++) {
			if (child[i] == loc[0] || child[i] == loc[1])
				continue;
			ck_assert_int_eq(got[j], child[i]);
			j++;
		}
		ck_assert_uint_eq(j, n);
	}

	/* A down replica is not led with, nor given later. */
	req.token = 12345;
	nloc = ring_local(m, req.token, &f, loc);
	host_set_state(f.h[loc[0]], HOST_DOWN);
	n = plan_all(p, &req, &f, got);
	ck_assert_int_eq(got[0], loc[1]);
	for (i = 0; i < n; i++)
		ck_assert_int_ne(got[i], loc[0]);
	ck_assert_uint_eq(n, 4);
	host_set_state(f.h[loc[0]], HOST_UP);

	/* No keyspace, no token, unknown keyspace: the child's plan. */
	req.keyspace = NULL;
	n = plan_all(p, &req, &f, got);
	ck_assert_uint_eq(n, 5);
	req.keyspace = "other";
	n = plan_all(p, &req, &f, got);
	ck_assert_uint_eq(n, 5);
	req.keyspace = "ks";
	req.has_token = 0;
	n = plan_all(p, &req, &f, got);
	ck_assert_uint_eq(n, 5);

	/* The map may go away mid-plan: the replicas were copied. */
	{
		struct lb_plan	 plan;
		struct host	*h;

		req.has_token = 1;
		nloc = ring_local(m, req.token, &f, loc);
		lb_plan_begin(p, &req, &plan);
		lb_policy_set_token_map(p, NULL);
		token_map_free(m);
		m = NULL;
		for (i = 0; (h = lb_plan_next(&plan)) != NULL; i++) {
			if (i < nloc)
				ck_assert_ptr_eq(h, f.h[loc[i]]);
		}
		ck_assert_uint_eq(i, 5);
		lb_plan_end(&plan);
	}

	lb_policy_free(p);
	lb_policy_free(q);
	fx_free(&f);
}
END_TEST

/*
 * The DC-aware policy keeps each host's "local?" verdict: it must follow
 * the host's DC as it changes, a local_dc learnt later, and two policies
 * (before and after a reconfigure) over the same hosts, with more hosts
 * than the verdict cache has slots.
 */
START_TEST(test_distance_cache)
{
	static const char *const dcnames[] = { "dc1", "dc2", "dc3" };
	struct host		*h[200];
	struct lb_options	 o;
	struct lb_policy	*p1, *p2, *p3, *rr;
	uint64_t		 r = 0, seed = 7;
	const char		*dc[200];
	char			 a[32];
	size_t			 i, k;

	for (i = 0; i < nitems(h); i++) {
		snprintf(a, sizeof a, "127.0.%zu.%zu", i / 250, i % 250 + 1);
		h[i] = host_new_name(a, 9042, NULL);
		dc[i] = dcnames[i % 3];
		host_set_dc(h[i], dc[i]);
		host_set_state(h[i], HOST_UP);
	}
	opts(&o, &r);
	o.local_dc = "dc1";
	p1 = lb_dc_aware_new(&o);
	lb_policy_init(p1, h, nitems(h), NULL, 0);
	/* The same hosts under a reconfigured local DC. */
	o.local_dc = "dc2";
	p2 = lb_policy_from_options(&o, NULL);
	lb_policy_init(p2, h, nitems(h), NULL, 0);
	rr = lb_round_robin_new(&o);
	lb_policy_init(rr, h, nitems(h), NULL, 0);
	for (k = 0; k < 5000; k++) {
		i = xorshift_seeded(&seed) % nitems(h);
		if (k % 3 == 0) {
			dc[i] = dcnames[xorshift_seeded(&seed) % 3];
			host_set_dc(h[i], dc[i]);
		}
		ck_assert_int_eq(lb_policy_distance(p1, h[i]),
		    strcmp(dc[i], "dc1") == 0 ? HOST_LOCAL : HOST_IGNORED);
		ck_assert_int_eq(lb_policy_distance(p2, h[i]),
		    strcmp(dc[i], "dc2") == 0 ? HOST_LOCAL : HOST_IGNORED);
		ck_assert_int_eq(lb_policy_distance(rr, h[i]), HOST_LOCAL);
	}
	/* A host's DC set to the same name again, or to none. */
	host_set_dc(h[0], "dc1");
	ck_assert_int_eq(lb_policy_distance(p1, h[0]), HOST_LOCAL);
	host_set_dc(h[0], "dc3");
	ck_assert_int_eq(lb_policy_distance(p1, h[0]), HOST_IGNORED);
	host_set_dc(h[0], NULL);
	ck_assert_int_eq(lb_policy_distance(p1, h[0]), HOST_LOCAL);
	ck_assert_int_eq(lb_policy_distance(p2, h[0]), HOST_LOCAL);
	host_set_dc(h[0], "dc3");
	ck_assert_int_eq(lb_policy_distance(p2, h[0]), HOST_IGNORED);

	/* local_dc learnt from a contact after verdicts were given. */
	o.local_dc = NULL;
	host_set_dc(h[1], NULL);
	p3 = lb_dc_aware_new(&o);
	lb_policy_init(p3, h, nitems(h), &h[1], 1);
	ck_assert_ptr_null(lb_policy_local_dc(p3));
	for (i = 2; i < nitems(h); i++)
		ck_assert_int_eq(lb_policy_distance(p3, h[i]), HOST_IGNORED);
	host_set_dc(h[1], "dc3");
	lb_policy_on_up(p3, h[1]);
	ck_assert_str_eq(lb_policy_local_dc(p3), "dc3");
	for (i = 2; i < nitems(h); i++)
		ck_assert_int_eq(lb_policy_distance(p3, h[i]),
		    strcmp(h[i]->dc, "dc3") == 0 ? HOST_LOCAL : HOST_IGNORED);

	lb_policy_free(p1);
	lb_policy_free(p2);
	lb_policy_free(p3);
	lb_policy_free(rr);
	for (i = 0; i < nitems(h); i++) {
		ck_assert_uint_eq(h[i]->references, 1);
		host_unref(h[i]);
	}
}
END_TEST

/* The first host of n plans for req (the led replica, or the rotation). */
static void
plan_firsts(struct lb_policy *p, const struct lb_request *req,
    const struct fx *f, int *out, size_t n)
{
	int	got[MAXH];
	size_t	i;

	for (i = 0; i < n; i++) {
		ck_assert_uint_gt(plan_all(p, req, f, got), 0);
		out[i] = got[0];
	}
}

/* Whether every plan led with the same host. */
static int
firsts_same(const int *v, size_t n)
{
	size_t	i;

	for (i = 1; i < n; i++) {
		if (v[i] != v[0])
			return (0);
	}
	return (1);
}

/*
 * The token-aware policy keeps the last keyspace's replica table: it
 * must see the keyspace dropped, set again with other settings, another
 * keyspace, a new map, and names too long to keep.
 */
START_TEST(test_token_aware_keyspace_cache)
{
	static const char *const dcs[] = {
		"dc1", "dc1", "dc1", "dc1", "dc2", "dc2", "dc2", "dc2"
	};
	static const char *const keys[] = { "class", "dc1", "dc2" };
	static const char *const one[] = { "NetworkTopologyStrategy",
	    "1", "1" };
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct token_map	*m, *m2;
	struct token_repl	*r1;
	struct token_host	 th[MAXH];
	struct lb_request	 req = { "ks", 1, 0 };
	const char		*cause = NULL;
	char			 longks[100];
	uint64_t		 r = 0;
	int			 firsts[4], loc[MAXH];
	size_t			 i;

	fx_make(&f, 8, dcs);
	m = ring_make(&f);
	r1 = token_repl_parse(keys, one, 3, &cause);
	ck_assert_ptr_nonnull(r1);
	opts(&o, &r);
	o.local_dc = "dc1";
	p = lb_policy_from_options(&o, NULL);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	lb_policy_set_token_map(p, m);
	req.token = 4242;

	/* dc1:2: two local replicas lead, the first in ring order. */
	ck_assert_uint_eq(ring_local(m, req.token, &f, loc), 2);
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(firsts_same(firsts, 4));
	ck_assert_int_eq(firsts[0], loc[0]);

	/* Dropped: no replicas, the child's rotation leads. */
	token_map_drop_keyspace(m, "ks");
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(!firsts_same(firsts, 4));

	/* Back with dc1:1 (another table): its one replica leads. */
	token_map_set_keyspace(m, "ks", r1);
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(firsts_same(firsts, 4));
	{
		void *const	*rs;
		size_t		 n, k = 0;

		ck_assert_int_eq(token_map_replicas(m, "ks", req.token, &rs,
		    &n), 0);
		for (i = 0; i < n; i++) {
			if (strcmp(((struct host *)rs[i])->dc, "dc1") == 0)
				loc[k++] = fx_index(&f, rs[i]);
		}
		ck_assert_uint_eq(k, 1);
		ck_assert_int_eq(firsts[0], loc[0]);
	}

	/* Another keyspace, unknown, then known; then the first again. */
	req.keyspace = "ks2";
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(!firsts_same(firsts, 4));
	token_map_set_keyspace(m, "ks2", r1);
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(firsts_same(firsts, 4));
	ck_assert_int_eq(firsts[0], loc[0]);
	req.keyspace = "ks";
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert_int_eq(firsts[0], loc[0]);

	/* A new map where "ks" is unknown, the old one freed. */
	for (i = 0; i < f.n; i++) {
		th[i].host = f.h[i];
		th[i].dc = f.h[i]->dc;
		th[i].rack = "r1";
		th[i].tokens = NULL;
		th[i].ntokens = 0;
	}
	m2 = token_map_new(th, f.n, &cause);
	ck_assert_ptr_nonnull(m2);
	lb_policy_set_token_map(p, m2);
	token_map_free(m);
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(!firsts_same(firsts, 4));
	lb_policy_set_token_map(p, NULL);
	token_map_free(m2);

	/* A name too long to keep still routes. */
	m = ring_make(&f);
	memset(longks, 'k', sizeof longks - 1);
	longks[sizeof longks - 1] = '\0';
	token_map_set_keyspace(m, longks, r1);
	lb_policy_set_token_map(p, m);
	req.keyspace = longks;
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(firsts_same(firsts, 4));
	ck_assert_int_eq(firsts[0], loc[0]);
	token_map_drop_keyspace(m, longks);
	plan_firsts(p, &req, &f, firsts, 4);
	ck_assert(!firsts_same(firsts, 4));

	lb_policy_set_token_map(p, NULL);
	token_map_free(m);
	token_repl_free(r1);
	lb_policy_free(p);
	fx_free(&f);
}
END_TEST

/* A test PRNG that the policy's shuffle draws from. */
static uint64_t
xorshift(void *arg)
{
	uint64_t	*s = arg;

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

START_TEST(test_token_aware_shuffle)
{
	static const char *const dcs[] = {
		"dc1", "dc1", "dc1", "dc1", "dc1", "dc1"
	};
	static const char *const keys[] = { "class", "replication_factor" };
	static const char *const vals[] = { "SimpleStrategy", "3" };
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct token_map	*m;
	struct token_host	 th[6];
	struct token_repl	*repl;
	int64_t			 tok[6][2];
	struct lb_request	 req = { "ks", 1, 777 };
	void *const		*rs;
	uint64_t		 s = 88172645463325252ULL;
	int			 got[MAXH], first[MAXH] = { 0 };
	int			 order[2] = { -1, -1 };
	size_t			 n, nrs, i, k, same = 0;
	const char		*cause;

	fx_make(&f, 6, dcs);
	for (i = 0; i < 6; i++) {
		token_assign(i, 6, 2, tok[i]);
		th[i] = (struct token_host){ f.h[i], "dc1", "r", tok[i], 2 };
	}
	m = token_map_new(th, 6, &cause);
	repl = token_repl_parse(keys, vals, 2, &cause);
	token_map_set_keyspace(m, "ks", repl);
	token_repl_free(repl);
	ck_assert_int_eq(token_map_replicas(m, "ks", 777, &rs, &nrs), 0);
	ck_assert_uint_eq(nrs, 3);

	lb_options_default(&o);
	o.shuffle_replicas = 1;
	o.random = xorshift;
	o.random_arg = &s;
	p = lb_policy_from_options(&o, NULL);
	o.local_dc = "dc1";
	lb_policy_init(p, f.h, f.n, f.h, 1);
	lb_policy_set_token_map(p, m);
	for (k = 0; k < 300; k++) {
		n = plan_all(p, &req, &f, got);
		ck_assert_uint_eq(n, 6);
		/* The three replicas, in some order, lead. */
		for (i = 0; i < 3; i++)
			ck_assert(got[i] == fx_index(&f, rs[0]) ||
			    got[i] == fx_index(&f, rs[1]) ||
			    got[i] == fx_index(&f, rs[2]));
		first[got[0]]++;
		if (k > 0 && got[0] == order[0] && got[1] == order[1])
			same++;
		order[0] = got[0];
		order[1] = got[1];
	}
	/* Each replica leads now and then (expected 100 each). */
	for (i = 0; i < 3; i++)
		ck_assert_int_gt(first[fx_index(&f, rs[i])], 50);
	ck_assert_uint_lt(same, 150);

	/* The same seed gives the same plans. */
	{
		int	a[MAXH], b[MAXH];

		s = 42;
		plan_all(p, &req, &f, a);
		s = 42;
		plan_all(p, &req, &f, b);
		ck_assert_mem_eq(a, b, 3 * sizeof a[0]);
	}
	lb_policy_free(p);
	token_map_free(m);
	fx_free(&f);
}
END_TEST

START_TEST(test_filter)
{
	static const char *const dcs[] = { "dc1", "dc1", "dc1", "dc1" };
	static const char *const bad[] = {
		"1.2.3", "127.0.0.1:0", "127.0.0.1:70000", "[::1",
		"[::1]x", "127.0.0.1:", "127.0.0.1:+9", "host.example",
		"[127.0.0.1]:9042x"
	};
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct host		*v6;
	const char		*cause;
	uint64_t		 r = 0;
	int			 got[MAXH];
	size_t			 n, i;

	fx_make(&f, 4, dcs);
	opts(&o, &r);
	o.load_balancing = LB_ROUND_ROBIN;
	for (i = 0; i < nitems(bad); i++) {
		o.allow_hosts = bad[i];
		cause = NULL;
		ck_assert_msg(lb_options_check(&o, &cause) == -1, "%s", bad[i]);
		ck_assert_ptr_nonnull(cause);
		ck_assert_ptr_null(lb_policy_from_options(&o, &cause));
	}

	/* Allowed: 1, 2 and 3 (any port); denied: 2. */
	o.allow_hosts = "127.0.0.1:9042,127.0.0.2 127.0.0.3:1 , 127.0.0.3";
	o.deny_hosts = "127.0.0.2:9042";
	ck_assert_int_eq(lb_options_check(&o, &cause), 0);
	p = lb_policy_from_options(&o, &cause);
	ck_assert_ptr_nonnull(p);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	for (i = 0; i < 5; i++) {
		n = plan_all(p, NULL, &f, got);
		ck_assert_uint_eq(n, 2);
		ck_assert(got[0] == 0 || got[0] == 2);
		ck_assert(got[1] == 0 || got[1] == 2);
	}
	ck_assert_int_eq(lb_policy_distance(p, f.h[0]), HOST_LOCAL);
	ck_assert_int_eq(lb_policy_distance(p, f.h[1]), HOST_IGNORED);
	ck_assert_int_eq(lb_policy_distance(p, f.h[2]), HOST_LOCAL);
	ck_assert_int_eq(lb_policy_distance(p, f.h[3]), HOST_IGNORED);
	/* Events about filtered hosts change nothing. */
	lb_policy_on_up(p, f.h[3]);
	lb_policy_on_add(p, f.h[1]);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 2);
	lb_policy_on_down(p, f.h[0]);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 1);
	lb_policy_on_remove(p, f.h[2]);
	lb_policy_on_remove(p, f.h[3]);
	ck_assert_uint_eq(plan_all(p, NULL, &f, got), 0);
	lb_policy_free(p);

	/* IPv6, with and without brackets and port. */
	v6 = host_new_name("::1", 9042, NULL);
	o.allow_hosts = "[::1]:9042";
	o.deny_hosts = NULL;
	p = lb_policy_from_options(&o, &cause);
	ck_assert_int_eq(lb_policy_distance(p, v6), HOST_LOCAL);
	ck_assert_int_eq(lb_policy_distance(p, f.h[0]), HOST_IGNORED);
	lb_policy_free(p);
	o.allow_hosts = NULL;
	o.deny_hosts = "::1";
	p = lb_policy_from_options(&o, &cause);
	ck_assert_int_eq(lb_policy_distance(p, v6), HOST_IGNORED);
	ck_assert_int_eq(lb_policy_distance(p, f.h[0]), HOST_LOCAL);
	lb_policy_free(p);
	o.deny_hosts = "[::1]:9043";
	p = lb_policy_from_options(&o, &cause);
	ck_assert_int_eq(lb_policy_distance(p, v6), HOST_LOCAL);
	lb_policy_free(p);
	host_unref(v6);
	fx_free(&f);
}
END_TEST

/* Over token-aware, a denied replica is never planned either. */
START_TEST(test_filter_token_aware)
{
	static const char *const dcs[] = {
		"dc1", "dc2", "dc1", "dc2", "dc1", "dc2"
	};
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct token_map	*m;
	struct lb_request	 req = { "ks", 1, 0 };
	char			 deny[64];
	uint64_t		 r = 0;
	int			 got[MAXH], loc[MAXH];
	size_t			 n, i;

	fx_make(&f, 6, dcs);
	m = ring_make(&f);
	req.token = 99;
	ck_assert_uint_eq(ring_local(m, req.token, &f, loc), 2);
	snprintf(deny, sizeof deny, "%s", f.h[loc[0]]->name);
	opts(&o, &r);
	o.local_dc = "dc1";
	o.deny_hosts = deny;
	p = lb_policy_from_options(&o, NULL);
	ck_assert_str_eq(p->ops->name, "host_filter");
	lb_policy_init(p, f.h, f.n, NULL, 0);
	lb_policy_set_token_map(p, m);
	n = plan_all(p, &req, &f, got);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(got[0], loc[1]);
	for (i = 0; i < n; i++)
		ck_assert_int_ne(got[i], loc[0]);
	lb_policy_free(p);
	token_map_free(m);
	fx_free(&f);
}
END_TEST

/* Host state changes reach the policy through the listener registry. */
START_TEST(test_listener)
{
	struct host_listeners	*ls;
	struct host_listener	 l;
	struct host		*h[3];
	struct lb_options	 o;
	struct lb_policy	*p;
	struct lb_plan		 plan;
	uint64_t		 r = 0;
	size_t			 i, n;

	ls = host_listeners_new();
	opts(&o, &r);
	o.load_balancing = LB_ROUND_ROBIN;
	p = lb_policy_from_options(&o, NULL);
	lb_policy_listener(p, &l);
	host_listener_add(ls, &l);
	for (i = 0; i < 3; i++) {
		char	a[32];

		snprintf(a, sizeof a, "127.0.1.%zu", i + 1);
		h[i] = host_new_name(a, 9042, ls);
		host_listeners_added(ls, h[i]);
	}
	host_set_state(h[1], HOST_UP);
	host_set_state(h[1], HOST_DOWN);
	lb_plan_begin(p, NULL, &plan);
	for (n = 0; lb_plan_next(&plan) != NULL; n++)
		;
	lb_plan_end(&plan);
	ck_assert_uint_eq(n, 2);
	host_set_state(h[1], HOST_UP);
	host_listeners_removed(ls, h[0]);
	lb_plan_begin(p, NULL, &plan);
	for (n = 0; lb_plan_next(&plan) != NULL; n++)
		;
	lb_plan_end(&plan);
	ck_assert_uint_eq(n, 2);
	lb_policy_free(p);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(h[i]->references, 1);
		host_unref(h[i]);
	}
	host_listeners_free(ls);
}
END_TEST

/*
 * Random events between the steps of random plans, every configuration:
 * never a host twice in a plan, never a host down when given, never one
 * the policy did not know, never a denied one; and every reference is
 * given back at the end.
 */
START_TEST(test_churn)
{
	static const char *const dcs[] = {
		"dc1", "dc2", "dc3", "dc1", "dc2", "dc1", "dc3", "dc2",
		"dc1", "dc1"
	};
	static const enum lb_kind kinds[] = {
		LB_TOKEN_AWARE, LB_DC_AWARE, LB_ROUND_ROBIN
	};
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct token_map	*m;
	struct lb_plan		 plans[3];
	struct lb_request	 req = { "ks", 1, 0 };
	struct host		*h;
	uint64_t		 s = 0x1234567;
	int			 seen[3][MAXH];
	size_t			 k, step, i, x, given = 0;

	fx_make(&f, 10, dcs);
	m = ring_make(&f);
	for (k = 0; k < nitems(kinds) * 4; k++) {
		lb_options_default(&o);
		o.load_balancing = kinds[k % nitems(kinds)];
		o.used_hosts_per_remote_dc = k % 3;
		o.shuffle_replicas = (k / 3) % 2;
		o.local_dc = k % 4 == 0 ? NULL : "dc1";
		o.deny_hosts = (k / 6) % 2 ? "127.0.0.4" : NULL;
		o.random = xorshift;
		o.random_arg = &s;
		p = lb_policy_from_options(&o, NULL);
		lb_policy_init(p, f.h, f.n, f.h, 1);
		lb_policy_set_token_map(p, m);
		memset(seen, 0, sizeof seen);
		for (i = 0; i < 3; i++)
			lb_plan_begin(p, &req, &plans[i]);
		for (step = 0; step < 3000; step++) {
			x = xorshift(&s) % 10;
			h = f.h[xorshift(&s) % f.n];
			i = xorshift(&s) % 3;
			if (x < 5) {
				h = lb_plan_next(&plans[i]);
				if (h == NULL) {
					lb_plan_end(&plans[i]);
					memset(seen[i], 0, sizeof seen[i]);
					req.token = (int64_t)xorshift(&s);
					lb_plan_begin(p, &req, &plans[i]);
					continue;
				}
				ck_assert_int_ne(h->state, HOST_DOWN);
				ck_assert(!seen[i][fx_index(&f, h)]);
				seen[i][fx_index(&f, h)] = 1;
				given++;
				if (o.deny_hosts != NULL)
					ck_assert_ptr_ne(h, f.h[3]);
			} else if (x == 5) {
				host_set_state(h, HOST_DOWN);
				lb_policy_on_down(p, h);
			} else if (x == 6) {
				host_set_state(h, HOST_UP);
				lb_policy_on_up(p, h);
			} else if (x == 7) {
				lb_policy_on_remove(p, h);
			} else if (x == 8) {
				lb_policy_on_add(p, h);
			} else
				(void)lb_policy_distance(p, h);
		}
		for (i = 0; i < 3; i++)
			lb_plan_end(&plans[i]);
		lb_policy_free(p);
		for (i = 0; i < f.n; i++)
			host_set_state(f.h[i], HOST_UP);
	}
	/* The churn did not starve the plans. */
	ck_assert_uint_gt(given, 5000);
	token_map_free(m);
	fx_free(&f);
}
END_TEST

/*
 * token_aware is a flag over either base: over round robin every replica
 * is LOCAL, so all of them lead, then the rest in rotation.
 */
START_TEST(test_token_aware_round_robin)
{
	static const char *const dcs[] = {
		"dc1", "dc2", "dc1", "dc2", "dc1", "dc2", "dc1", "dc2"
	};
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p;
	struct token_map	*m;
	struct lb_request	 req = { "ks", 1, 0 };
	void *const		*rs;
	uint64_t		 r = 0;
	int			 got[MAXH];
	size_t			 n, nrs, i, k;

	fx_make(&f, 8, dcs);
	m = ring_make(&f);
	opts(&o, &r);

	/* The chains the options make. */
	o.load_balancing = LB_ROUND_ROBIN;
	o.token_aware = 1;
	p = lb_policy_from_options(&o, NULL);
	ck_assert_str_eq(p->ops->name, "token_aware");
	ck_assert_str_eq(p->child->ops->name, "round_robin");
	lb_policy_free(p);
	o.load_balancing = LB_DC_AWARE;
	p = lb_policy_from_options(&o, NULL);
	ck_assert_str_eq(p->ops->name, "token_aware");
	ck_assert_str_eq(p->child->ops->name, "dc_aware");
	lb_policy_free(p);
	o.token_aware = 0;
	p = lb_policy_from_options(&o, NULL);
	ck_assert_str_eq(p->ops->name, "dc_aware");
	lb_policy_free(p);
	o.load_balancing = LB_ROUND_ROBIN;
	o.token_aware = 1;
	o.deny_hosts = "127.0.0.8";
	p = lb_policy_from_options(&o, NULL);
	ck_assert_str_eq(p->ops->name, "host_filter");
	ck_assert_str_eq(p->child->ops->name, "token_aware");
	ck_assert_str_eq(p->child->child->ops->name, "round_robin");
	lb_policy_free(p);
	o.deny_hosts = NULL;

	/* Plans: the four replicas (both DCs) in ring order, then the rest. */
	p = lb_policy_from_options(&o, NULL);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	lb_policy_set_token_map(p, m);
	for (k = 0; k < 40; k++) {
		req.token = (int64_t)(k * 0x9e3779b97f4a7c15ULL);
		ck_assert_int_eq(token_map_replicas(m, "ks", req.token, &rs,
		    &nrs), 0);
		ck_assert_uint_eq(nrs, 4);
		n = plan_all(p, &req, &f, got);
		ck_assert_uint_eq(n, 8);
		for (i = 0; i < nrs; i++)
			ck_assert_int_eq(got[i], fx_index(&f, rs[i]));
	}
	/* Without a routing token: plain round robin, every host. */
	req.has_token = 0;
	n = plan_all(p, &req, &f, got);
	ck_assert_uint_eq(n, 8);
	lb_policy_set_token_map(p, NULL);
	lb_policy_free(p);
	token_map_free(m);
	fx_free(&f);
}
END_TEST

/*
 * The owner may free (replace) a policy while plans walk it: they hold
 * it, finish normally, and the last one to end frees it and gives every
 * host reference back.
 */
START_TEST(test_policy_outlived_by_plans)
{
	struct fx		 f;
	struct lb_options	 o;
	struct lb_policy	*p, *q;
	struct lb_plan		 a, b;
	uint64_t		 r = 0;
	size_t			 n;

	fx_make(&f, 4, NULL);
	opts(&o, &r);
	o.load_balancing = LB_ROUND_ROBIN;
	o.deny_hosts = "127.0.0.4";
	o.token_aware = 1;
	p = lb_policy_from_options(&o, NULL);
	lb_policy_init(p, f.h, f.n, NULL, 0);
	ck_assert_uint_eq(p->references, 1);
	lb_plan_begin(p, NULL, &a);
	lb_plan_begin(p, NULL, &b);
	ck_assert_uint_eq(p->references, 3);
	ck_assert_ptr_nonnull(lb_plan_next(&a));

	/* Swapped for a new one: the old goes while a and b still run. */
	o.deny_hosts = NULL;
	q = lb_policy_from_options(&o, NULL);
	lb_policy_init(q, f.h, f.n, NULL, 0);
	lb_policy_free(p);
	ck_assert_uint_eq(p->references, 2);
	for (n = 1; lb_plan_next(&a) != NULL; n++)
		;
	ck_assert_uint_eq(n, 3);	/* the old filter still applies */
	lb_plan_end(&a);
	ck_assert_uint_eq(p->references, 1);
	host_set_state(f.h[0], HOST_DOWN);
	for (n = 0; lb_plan_next(&b) != NULL; n++)
		;
	ck_assert_uint_eq(n, 2);	/* nor a host down since */
	lb_plan_end(&b);		/* the last: frees p */
	lb_plan_end(&b);
	host_set_state(f.h[0], HOST_UP);

	/* An extra reference works the same way. */
	ck_assert_ptr_eq(lb_policy_ref(q), q);
	lb_policy_free(q);
	ck_assert_uint_eq(q->references, 1);
	lb_policy_free(q);
	fx_free(&f);
}
END_TEST

static Suite *
policy_lb_suite(void)
{
	Suite	*s = suite_create("policy_lb");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_plan_snapshot);
	tcase_add_test(tc, test_dc_aware);
	tcase_add_test(tc, test_dc_from_contacts);
	tcase_add_test(tc, test_token_aware);
	tcase_add_test(tc, test_token_aware_shuffle);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_filter_token_aware);
	tcase_add_test(tc, test_listener);
	tcase_add_test(tc, test_churn);
	tcase_add_test(tc, test_token_aware_round_robin);
	tcase_add_test(tc, test_policy_outlived_by_plans);
	tcase_add_test(tc, test_distance_cache);
	tcase_add_test(tc, test_token_aware_keyspace_cache);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(policy_lb_suite());
	int	 failed;

	log_open("check_policy_lb", LOG_LEVEL_WARN, 1);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
