/*
 * check_token.c: the token ring places replicas where Cassandra does, on
 * hand-built rings and, against brute-force walks, on random ones.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "token.h"

#define H(i)	((void *)(uintptr_t)(i))
#define HID(p)	((int)(uintptr_t)(p))

/* A hand-built host: id, dc, rack and up to 8 tokens. */
struct thost {
	int		 id;
	const char	*dc;
	const char	*rack;
	int64_t		 tokens[8];
	size_t		 ntokens;
};

static struct token_map *
ring_build(const struct thost *th, size_t n)
{
	struct token_host	*hosts;
	struct token_map	*m;
	const char		*cause;
	size_t			 i;

	hosts = xcalloc(n == 0 ? 1 : n, sizeof *hosts);
	for (i = 0; i < n; i++) {
		hosts[i].host = H(th[i].id);
		hosts[i].dc = th[i].dc;
		hosts[i].rack = th[i].rack;
		hosts[i].tokens = th[i].tokens;
		hosts[i].ntokens = th[i].ntokens;
	}
	m = token_map_new(hosts, n, &cause);
	ck_assert_msg(m != NULL, "token_map_new: %s", cause);
	free(hosts);
	return (m);
}

/* Parse "class,k=v,k=v" into a replication setting. */
static struct token_repl *
repl(const char *spec)
{
	const char		*keys[16], *values[16], *cause;
	char			*copy, *p, *item, *eq;
	struct token_repl	*r;
	size_t			 n = 0;

	copy = xstrdup(spec);
	p = copy;
	keys[n] = "class";
	values[n++] = strsep(&p, ",");
	while ((item = strsep(&p, ",")) != NULL) {
		eq = strchr(item, '=');
		ck_assert(eq != NULL);
		*eq = '\0';
		keys[n] = item;
		values[n++] = eq + 1;
	}
	r = token_repl_parse(keys, values, n, &cause);
	ck_assert_msg(r != NULL, "parse %s: %s", spec, cause);
	free(copy);
	return (r);
}

static void
ks_set(struct token_map *m, const char *ks, const char *spec)
{
	struct token_repl	*r = repl(spec);

	token_map_set_keyspace(m, ks, r);
	token_repl_free(r);
}

/* Replicas as "1,2,3" for readable assertions. */
static const char *
reps(const struct token_map *m, const char *ks, int64_t t)
{
	static char	 out[256];
	void *const	*hosts;
	size_t		 n, i, len = 0;

	ck_assert_int_eq(token_map_replicas(m, ks, t, &hosts, &n), 0);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		len += snprintf(out + len, sizeof out - len, "%s%d",
		    i ? "," : "", HID(hosts[i]));
	return (out);
}

#define CK_REPS(m, ks, t, want) do {					\
	const char *got_ = reps((m), (ks), (t));			\
	ck_assert_msg(strcmp(got_, (want)) == 0,			\
	    "%s token %lld: got [%s], want [%s]", (ks),		\
	    (long long)(t), got_, (want));				\
} while (0)

START_TEST(test_simple_single_tokens)
{
	struct thost		 th[] = {
		{ 1, "dc1", "r1", { -100 }, 1 },
		{ 2, "dc1", "r1", { 0 }, 1 },
		{ 3, "dc1", "r1", { 100 }, 1 },
	};
	struct token_map	*m = ring_build(th, nitems(th));

	ks_set(m, "ks", "org.apache.cassandra.locator.SimpleStrategy,"
	    "replication_factor=2");
	/* A token equal to a host token is in that host's range. */
	CK_REPS(m, "ks", -100, "1,2");
	CK_REPS(m, "ks", -99, "2,3");
	CK_REPS(m, "ks", 0, "2,3");
	CK_REPS(m, "ks", 1, "3,1");
	CK_REPS(m, "ks", 100, "3,1");
	/* Past the last token wraps to the first. */
	CK_REPS(m, "ks", 101, "1,2");
	CK_REPS(m, "ks", INT64_MAX, "1,2");
	CK_REPS(m, "ks", INT64_MIN, "1,2");
	ck_assert_uint_eq(token_map_ring_size(m), 3);
	ck_assert_uint_eq(token_map_host_count(m), 3);

	ks_set(m, "one", "SimpleStrategy,replication_factor=1");
	CK_REPS(m, "one", 50, "3");
	ks_set(m, "many", "SimpleStrategy,replication_factor=7");
	CK_REPS(m, "many", 50, "3,1,2");
	ks_set(m, "zero", "SimpleStrategy,replication_factor=0");
	CK_REPS(m, "zero", 50, "");
	token_map_free(m);
}
END_TEST

START_TEST(test_simple_vnodes)
{
	struct thost		 th[] = {
		{ 1, "dc1", "r1", { 10, 20, 60 }, 3 },
		{ 2, "dc1", "r1", { 30 }, 1 },
		{ 3, "dc1", "r1", { 40, 50 }, 2 },
	};
	struct token_map	*m = ring_build(th, nitems(th));

	ks_set(m, "ks", "SimpleStrategy,replication_factor=2");
	CK_REPS(m, "ks", 5, "1,2");		/* 1 twice, counted once */
	CK_REPS(m, "ks", 31, "3,1");
	CK_REPS(m, "ks", 55, "1,2");
	CK_REPS(m, "ks", 61, "1,2");
	ks_set(m, "ks3", "SimpleStrategy,replication_factor=3/1");
	CK_REPS(m, "ks3", 35, "3,1,2");
	CK_REPS(m, "ks3", 25, "2,3,1");
	token_map_free(m);
}
END_TEST

/* Two racks, RF 3: the third replica is the first host in a used rack. */
START_TEST(test_nts_two_racks)
{
	struct thost		 th[] = {
		{ 1, "dc1", "r1", { 0 }, 1 },
		{ 2, "dc1", "r1", { 10 }, 1 },
		{ 3, "dc1", "r1", { 20 }, 1 },
		{ 4, "dc1", "r2", { 30 }, 1 },
		{ 5, "dc1", "r2", { 40 }, 1 },
	};
	struct token_map	*m = ring_build(th, nitems(th));

	ks_set(m, "rf3", "NetworkTopologyStrategy,dc1=3");
	CK_REPS(m, "rf3", 0, "1,2,4");
	CK_REPS(m, "rf3", 5, "2,3,4");
	CK_REPS(m, "rf3", 25, "4,5,1");
	CK_REPS(m, "rf3", 35, "5,1,2");
	CK_REPS(m, "rf3", 45, "1,2,4");		/* wraps */

	ks_set(m, "rf2", "NetworkTopologyStrategy,dc1=2");
	CK_REPS(m, "rf2", 0, "1,4");		/* 2 and 3 skipped */
	CK_REPS(m, "rf2", 15, "3,4");
	CK_REPS(m, "rf2", 31, "5,1");

	ks_set(m, "rf5", "NetworkTopologyStrategy,dc1=5");
	CK_REPS(m, "rf5", 15, "3,4,5,1,2");
	ks_set(m, "rf9", "NetworkTopologyStrategy,dc1=9");
	CK_REPS(m, "rf9", 15, "3,4,5,1,2");
	token_map_free(m);
}
END_TEST

/* Three racks, RF 3: one per rack even when a rack is far around. */
START_TEST(test_nts_rack_far_away)
{
	struct thost		 th[] = {
		{ 1, "dc1", "a", { 0, 50 }, 2 },
		{ 2, "dc1", "a", { 10, 60 }, 2 },
		{ 3, "dc1", "b", { 20, 70 }, 2 },
		{ 4, "dc1", "b", { 30 }, 1 },
		{ 5, "dc1", "c", { 40 }, 1 },
	};
	struct token_map	*m = ring_build(th, nitems(th));

	ks_set(m, "ks", "NetworkTopologyStrategy,dc1=3");
	CK_REPS(m, "ks", 0, "1,3,5");
	CK_REPS(m, "ks", 41, "1,3,5");		/* 5 only after wrapping */
	CK_REPS(m, "ks", 45, "1,3,5");
	CK_REPS(m, "ks", 55, "2,3,5");
	ks_set(m, "four", "NetworkTopologyStrategy,dc1=4");
	/* One repeat allowed: the first host of a used rack, 2. */
	CK_REPS(m, "four", 0, "1,2,3,5");
	CK_REPS(m, "four", 45, "1,2,3,5");
	token_map_free(m);
}
END_TEST

/* Fewer racks or hosts than the factor, and a second data center. */
START_TEST(test_nts_small_dcs)
{
	struct thost		 th[] = {
		{ 1, "dc1", "r1", { 0 }, 1 },
		{ 2, "dc2", "x", { 5 }, 1 },
		{ 3, "dc1", "r1", { 10 }, 1 },
		{ 4, "dc1", "r1", { 20 }, 1 },
		{ 5, "dc1", "r1", { 30 }, 1 },
		{ 6, "dc3", "x", { 35 }, 1 },
		{ 7, "dc3", "y", { 36 }, 1 },
	};
	struct token_map	*m = ring_build(th, nitems(th));

	ks_set(m, "ks", "NetworkTopologyStrategy,dc1=3,dc2=3");
	/* dc1 has one rack: the next three; dc2 one host only. */
	CK_REPS(m, "ks", 0, "1,2,3,4");
	CK_REPS(m, "ks", 11, "4,5,1,2");
	/* From 35: 6 and 7 are dc3's, then 1,2,3,4 as from 0. */
	CK_REPS(m, "ks", 31, "1,2,3,4");
	CK_REPS(m, "ks", 37, "1,2,3,4");
	CK_REPS(m, "ks", 21, "5,1,2,3");

	ks_set(m, "ks2", "NetworkTopologyStrategy,dc2=1,dc3=2,dc9=3,"
	    "replication_factor=3");
	CK_REPS(m, "ks2", 0, "2,6,7");
	CK_REPS(m, "ks2", 36, "7,2,6");
	ck_assert_int_eq(token_repl_factor(token_table_repl(
	    token_map_keyspace(m, "ks2")), "dc3"), 2);
	ck_assert_int_eq(token_repl_factor(token_table_repl(
	    token_map_keyspace(m, "ks2")), "dc1"), 0);

	ks_set(m, "nodc", "NetworkTopologyStrategy");
	CK_REPS(m, "nodc", 0, "");
	token_map_free(m);
}
END_TEST

START_TEST(test_everywhere_local_unknown)
{
	struct thost		 th[] = {
		{ 1, "dc1", "r1", { 30 }, 1 },
		{ 2, "dc2", "r1", { 10, 40 }, 2 },
		{ 3, "dc1", "r2", { 20 }, 1 },
		{ 4, "dc1", "r2", { 0 }, 0 },		/* no tokens */
	};
	struct token_map	*m = ring_build(th, nitems(th));
	void *const		*hosts;
	size_t			 n;

	ck_assert_uint_eq(token_map_host_count(m), 3);
	ks_set(m, "all", "com.example.EverywhereStrategy");
	CK_REPS(m, "all", 0, "2,3,1");
	CK_REPS(m, "all", 35, "2,3,1");
	ks_set(m, "system", "org.apache.cassandra.locator.LocalStrategy");
	CK_REPS(m, "system", 0, "");
	ks_set(m, "odd", "com.example.MadeUpStrategy,x=1");
	CK_REPS(m, "odd", 0, "");
	ck_assert_int_eq(token_repl_strategy(token_table_repl(
	    token_map_keyspace(m, "odd"))), TOKEN_STRATEGY_UNKNOWN);
	ck_assert_int_eq(token_map_replicas(m, "nope", 0, &hosts, &n), -1);
	ck_assert_uint_eq(n, 0);
	token_map_free(m);
}
END_TEST

START_TEST(test_empty_ring_and_duplicates)
{
	struct thost		 th[] = {
		{ 1, "dc1", "r1", { 10, 20 }, 2 },
		{ 2, "dc1", "r1", { 20, 30 }, 2 },	/* 20 stays 1's */
		{ 3, "dc1", "r1", { 10 }, 1 },		/* owns nothing */
	};
	struct token_map	*m;

	m = ring_build(NULL, 0);
	ks_set(m, "ks", "SimpleStrategy,replication_factor=3");
	CK_REPS(m, "ks", 0, "");
	ks_set(m, "all", "EverywhereStrategy");
	CK_REPS(m, "all", 0, "");
	token_map_free(m);

	m = ring_build(th, nitems(th));
	ck_assert_uint_eq(token_map_ring_size(m), 3);
	ck_assert_uint_eq(token_map_host_count(m), 2);
	ks_set(m, "ks", "SimpleStrategy,replication_factor=3");
	CK_REPS(m, "ks", 15, "1,2");
	CK_REPS(m, "ks", 25, "2,1");
	ks_set(m, "nts", "NetworkTopologyStrategy,dc1=3");
	CK_REPS(m, "nts", 25, "2,1");
	token_map_free(m);
}
END_TEST

START_TEST(test_keyspaces_and_rebuild)
{
	struct thost		 th[] = {
		{ 1, "dc1", "r1", { 0 }, 1 },
		{ 2, "dc1", "r2", { 10 }, 1 },
		{ 3, "dc1", "r3", { 20 }, 1 },
		{ 4, "dc1", "r1", { 30 }, 1 },
	};
	struct token_host	 hosts[nitems(th)];
	struct token_map	*m, *m2;
	struct token_repl	*r;
	const struct token_table *t1, *t2;
	const char		*cause;
	size_t			 i;

	m = ring_build(th, nitems(th));
	ks_set(m, "a", "NetworkTopologyStrategy,dc1=2");
	ks_set(m, "b", "org.apache.cassandra.locator."
	    "NetworkTopologyStrategy,dc1=2");
	ks_set(m, "c", "SimpleStrategy,replication_factor=2");
	t1 = token_map_keyspace(m, "a");
	ck_assert_ptr_eq(t1, token_map_keyspace(m, "b"));
	ck_assert_ptr_ne(t1, token_map_keyspace(m, "c"));
	CK_REPS(m, "a", 25, "4,2");		/* 1 shares 4's rack */
	CK_REPS(m, "a", 5, "2,3");

	/* ALTER KEYSPACE a: it moves to a new table, b keeps the old. */
	ks_set(m, "a", "NetworkTopologyStrategy,dc1=3");
	CK_REPS(m, "a", 25, "4,2,3");
	CK_REPS(m, "b", 25, "4,2");
	ks_set(m, "b", "NetworkTopologyStrategy,dc1=3");
	ck_assert_ptr_eq(token_map_keyspace(m, "a"),
	    token_map_keyspace(m, "b"));
	token_map_drop_keyspace(m, "b");
	ck_assert_ptr_null(token_map_keyspace(m, "b"));
	token_map_set_keyspace(m, "c", NULL);
	ck_assert_ptr_null(token_map_keyspace(m, "c"));
	CK_REPS(m, "a", 25, "4,2,3");

	/* A setting asked for directly is cached too. */
	r = repl("SimpleStrategy,replication_factor=1");
	t1 = token_map_table(m, r);
	t2 = token_map_table(m, r);
	ck_assert_ptr_eq(t1, t2);
	token_repl_free(r);

	/* Host 4 leaves: a new map with the same keyspaces. */
	for (i = 0; i < nitems(th); i++) {
		hosts[i].host = H(th[i].id);
		hosts[i].dc = th[i].dc;
		hosts[i].rack = th[i].rack;
		hosts[i].tokens = th[i].tokens;
		hosts[i].ntokens = th[i].ntokens;
	}
	m2 = token_map_rebuild(m, hosts, 3, &cause);
	ck_assert_ptr_nonnull(m2);
	token_map_free(m);
	CK_REPS(m2, "a", 25, "1,2,3");
	CK_REPS(m2, "a", 35, "1,2,3");
	ck_assert_ptr_null(token_map_keyspace(m2, "b"));
	ck_assert_uint_eq(token_map_host_count(m2), 3);
	token_map_free(m2);
}
END_TEST

START_TEST(test_repl_parse)
{
	const char		*k[4], *v[4], *cause;
	struct token_repl	*a, *b;

	k[0] = "class";
	v[0] = "SimpleStrategy";
	ck_assert_ptr_null(token_repl_parse(k, v, 1, &cause));
	ck_assert_ptr_nonnull(cause);
	k[1] = "replication_factor";
	v[1] = "x3";
	ck_assert_ptr_null(token_repl_parse(k, v, 2, &cause));
	v[1] = "3/4";
	ck_assert_ptr_null(token_repl_parse(k, v, 2, &cause));
	v[1] = "99999999999999999999";
	ck_assert_ptr_null(token_repl_parse(k, v, 2, &cause));
	v[1] = "3 ";
	ck_assert_ptr_null(token_repl_parse(k, v, 2, &cause));
	v[1] = "3/1";
	a = token_repl_parse(k, v, 2, &cause);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(token_repl_strategy(a), TOKEN_STRATEGY_SIMPLE);
	ck_assert_int_eq(token_repl_factor(a, NULL), 3);
	token_repl_free(a);

	ck_assert_ptr_null(token_repl_parse(k + 1, v + 1, 1, &cause));

	k[0] = "class";
	v[0] = "NetworkTopologyStrategy";
	k[1] = "dc2";
	v[1] = "2";
	k[2] = "dc1";
	v[2] = "3";
	a = token_repl_parse(k, v, 3, &cause);
	k[1] = "dc1";
	v[1] = "3";
	k[2] = "dc2";
	v[2] = "2";
	v[0] = "org.apache.cassandra.locator.NetworkTopologyStrategy";
	b = token_repl_parse(k, v, 3, &cause);
	ck_assert(a != NULL && b != NULL);
	ck_assert(token_repl_equal(a, b));
	ck_assert_int_eq(token_repl_factor(b, "dc2"), 2);
	token_repl_free(b);
	v[2] = "3";
	b = token_repl_parse(k, v, 3, &cause);
	ck_assert(!token_repl_equal(a, b));
	token_repl_free(b);
	k[2] = "dc1";
	ck_assert_ptr_null(token_repl_parse(k, v, 3, &cause));
	v[2] = NULL;
	ck_assert_ptr_null(token_repl_parse(k, v, 3, &cause));
	token_repl_free(a);
	ck_assert_str_eq(token_strategy_name(TOKEN_STRATEGY_NTS),
	    "NetworkTopologyStrategy");
}
END_TEST

START_TEST(test_parse_assign)
{
	int64_t	t, a[16], b[16], all[48];
	size_t	i, j;

	ck_assert_int_eq(token_parse("-9223372036854775808", &t), 0);
	ck_assert(t == INT64_MIN);
	ck_assert_int_eq(token_parse("9223372036854775807", &t), 0);
	ck_assert(t == INT64_MAX);
	ck_assert_int_eq(token_parse("42", &t), 0);
	ck_assert(t == 42);
	ck_assert_int_eq(token_parse("9223372036854775808", &t), -1);
	ck_assert_int_eq(token_parse(" 1", &t), -1);
	ck_assert_int_eq(token_parse("1x", &t), -1);
	ck_assert_int_eq(token_parse("", &t), -1);
	ck_assert_int_eq(token_parse("-", &t), -1);

	token_assign(0, 3, 1, a);
	ck_assert(a[0] == INT64_MIN);
	token_assign(1, 3, 1, a);
	ck_assert(a[0] == -3074457345618258603LL);
	token_assign(1, 2, 1, a);
	ck_assert(a[0] == 0);

	/* 3 nodes x 16 vnodes: sorted per node, all distinct, even steps. */
	for (i = 0; i < 3; i++) {
		token_assign(i, 3, 16, a);
		token_assign(i, 3, 16, b);
		ck_assert(memcmp(a, b, sizeof a) == 0);
		for (j = 0; j < 16; j++) {
			if (j > 0)
				ck_assert(a[j] > a[j - 1]);
			all[j * 3 + i] = a[j];
		}
	}
	for (j = 1; j < 48; j++) {
		ck_assert(all[j] > all[j - 1]);
		ck_assert((uint64_t)all[j] - (uint64_t)all[j - 1] >=
		    UINT64_MAX / 48);
	}
}
END_TEST

/* Random rings checked against straightforward walks around them. */
struct brute {
	int64_t		*tok;		/* sorted ring */
	int		*own;		/* host index */
	size_t		 npos;
	int		 nhosts;
	int		*dc;
	int		*rack;		/* unique over all dcs */
	int		 ndcs;
};

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (rnd_state);
}

static size_t
brute_start(const struct brute *b, int64_t t)
{
	size_t	i;

	for (i = 0; i < b->npos; i++) {
		if (b->tok[i] >= t)
			return (i);
	}
	return (0);
}

static int
brute_has(const int *list, size_t n, int v)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (list[i] == v)
			return (1);
	}
	return (0);
}

/* Hosts and racks of dc that own ranges. */
static void
brute_counts(const struct brute *b, int dc, int *nh, int *nr)
{
	int	seenh[64], seenr[64];
	size_t	i;

	*nh = *nr = 0;
	for (i = 0; i < b->npos; i++) {
		if (b->dc[b->own[i]] != dc)
			continue;
		if (!brute_has(seenh, *nh, b->own[i]))
			seenh[(*nh)++] = b->own[i];
		if (!brute_has(seenr, *nr, b->rack[b->own[i]]))
			seenr[(*nr)++] = b->rack[b->own[i]];
	}
}

static size_t
brute_simple(const struct brute *b, int64_t t, int rf, int *out)
{
	size_t	i, s, n = 0;

	s = brute_start(b, t);
	for (i = 0; i < b->npos && (int)n < rf; i++) {
		int h = b->own[(s + i) % b->npos];
		if (!brute_has(out, n, h))
			out[n++] = h;
	}
	return (n);
}

/* Cassandra 4.0's walk: new racks taken, rf - racks repeats allowed. */
static size_t
brute_nts(const struct brute *b, int64_t t, const int *rf, int *out)
{
	int	left[8], repeats[8], racks[8][64], nracks[8], nh, nr, d;
	size_t	i, s, n = 0;

	for (d = 0; d < b->ndcs; d++) {
		brute_counts(b, d, &nh, &nr);
		left[d] = rf[d] < nh ? rf[d] : nh;
		repeats[d] = rf[d] - nr;
		nracks[d] = 0;
	}
	s = brute_start(b, t);
	for (i = 0; i < b->npos; i++) {
		int h = b->own[(s + i) % b->npos];
		d = b->dc[h];
		if (left[d] <= 0 || brute_has(out, n, h))
			continue;
		if (!brute_has(racks[d], nracks[d], b->rack[h]))
			racks[d][nracks[d]++] = b->rack[h];
		else if (repeats[d] > 0)
			repeats[d]--;
		else
			continue;
		out[n++] = h;
		left[d]--;
	}
	return (n);
}

/* The older skip-and-remember walk: must give the same set. */
static size_t
brute_nts_skip(const struct brute *b, int64_t t, const int *rf, int *out)
{
	int	racks[8][64], nracks[8], skipped[8][64], nskipped[8];
	int	got[8], want[8], totalracks[8], nh, nr, d, j;
	size_t	i, s, n = 0;

	for (d = 0; d < b->ndcs; d++) {
		brute_counts(b, d, &nh, &nr);
		want[d] = rf[d] < nh ? rf[d] : nh;
		totalracks[d] = nr;
		nracks[d] = nskipped[d] = got[d] = 0;
	}
	s = brute_start(b, t);
	for (i = 0; i < b->npos; i++) {
		int h = b->own[(s + i) % b->npos];
		d = b->dc[h];
		if (got[d] >= want[d])
			continue;
		if (nracks[d] == totalracks[d]) {
			if (!brute_has(out, n, h)) {
				out[n++] = h;
				got[d]++;
			}
		} else if (brute_has(racks[d], nracks[d], b->rack[h])) {
			if (!brute_has(skipped[d], nskipped[d], h))
				skipped[d][nskipped[d]++] = h;
		} else {
			out[n++] = h;
			got[d]++;
			racks[d][nracks[d]++] = b->rack[h];
			if (nracks[d] != totalracks[d])
				continue;
			for (j = 0; j < nskipped[d] && got[d] < want[d]; j++) {
				if (brute_has(out, n, skipped[d][j]))
					continue;
				out[n++] = skipped[d][j];
				got[d]++;
			}
		}
	}
	return (n);
}

static int
int_cmp(const void *a, const void *b)
{
	return (*(const int *)a - *(const int *)b);
}

static void
check_against(const struct token_map *m, const char *ks, int64_t t,
    const int *want, size_t nwant, int ordered)
{
	void *const	*hosts;
	size_t		 n, i;
	int		 got[64], w[64];

	ck_assert_int_eq(token_map_replicas(m, ks, t, &hosts, &n), 0);
	ck_assert_msg(n == nwant, "%s token %lld: %zu replicas, want %zu",
	    ks, (long long)t, n, nwant);
	for (i = 0; i < n; i++) {
		got[i] = HID(hosts[i]) - 1;
		w[i] = want[i];
	}
	if (!ordered) {
		qsort(got, n, sizeof *got, int_cmp);
		qsort(w, n, sizeof *w, int_cmp);
	}
	for (i = 0; i < n; i++)
		ck_assert_msg(got[i] == w[i], "%s token %lld: replica %zu "
		    "is %d, want %d", ks, (long long)t, i, got[i], w[i]);
}

START_TEST(test_random_rings)
{
	static const char	*dcn[] = { "dc0", "dc1", "dc2" };
	static const char	*rackn[] = { "ra", "rb", "rc", "rd" };
	struct token_host	 hosts[16];
	int64_t			 tokens[16][8], t;
	struct brute		 b;
	struct token_map	*m;
	const char		*cause;
	char			 spec[128];
	int			 rf[8], want[64], round, i, j, d, k, nt;
	size_t			 n, p, total, q;

	for (round = 0; round < 300; round++) {
		memset(&b, 0, sizeof b);
		b.nhosts = 1 + (int)(rnd() % 14);
		b.ndcs = 1 + (int)(rnd() % 3);
		b.dc = xcalloc(b.nhosts, sizeof *b.dc);
		b.rack = xcalloc(b.nhosts, sizeof *b.rack);
		total = 0;
		for (i = 0; i < b.nhosts; i++) {
			b.dc[i] = (int)(rnd() % b.ndcs);
			k = (int)(rnd() % 4);
			b.rack[i] = b.dc[i] * 4 + k;
			nt = (int)(rnd() % 9);	/* 0: not in the ring */
			for (j = 0; j < nt; j++) {
				/* Small range: duplicates and edges occur. */
				tokens[i][j] = (int64_t)(rnd() % 2001) - 1000;
			}
			hosts[i].host = H(i + 1);
			hosts[i].dc = dcn[b.dc[i]];
			hosts[i].rack = rackn[k];
			hosts[i].tokens = tokens[i];
			hosts[i].ntokens = nt;
			total += nt;
		}
		/* The brute ring: sorted, first listed host keeps a token. */
		b.tok = xcalloc(total + 1, sizeof *b.tok);
		b.own = xcalloc(total + 1, sizeof *b.own);
		for (i = 0; i < b.nhosts; i++) {
			for (j = 0; j < (int)hosts[i].ntokens; j++) {
				t = tokens[i][j];
				for (p = 0; p < b.npos && b.tok[p] < t; p++)
					;
				if (p < b.npos && b.tok[p] == t)
					continue;
				memmove(b.tok + p + 1, b.tok + p,
				    (b.npos - p) * sizeof *b.tok);
				memmove(b.own + p + 1, b.own + p,
				    (b.npos - p) * sizeof *b.own);
				b.tok[p] = t;
				b.own[p] = i;
				b.npos++;
			}
		}

		m = token_map_new(hosts, b.nhosts, &cause);
		ck_assert_ptr_nonnull(m);
		ck_assert_uint_eq(token_map_ring_size(m), b.npos);

		rf[0] = 1 + (int)(rnd() % 5);
		snprintf(spec, sizeof spec, "SimpleStrategy,"
		    "replication_factor=%d", rf[0]);
		ks_set(m, "s", spec);
		snprintf(spec, sizeof spec, "NetworkTopologyStrategy");
		for (d = 0; d < b.ndcs; d++) {
			rf[d] = (int)(rnd() % 6);
			snprintf(spec + strlen(spec), sizeof spec -
			    strlen(spec), ",%s=%d", dcn[d], rf[d]);
		}
		ks_set(m, "n", spec);

		for (q = 0; q < 3 * b.npos + 20; q++) {
			if (q < b.npos)
				t = b.tok[q];
			else if (q < 2 * b.npos)
				t = b.tok[q - b.npos] + 1;
			else if (q < 3 * b.npos)
				t = b.tok[q - 2 * b.npos] - 1;
			else
				t = (int64_t)(rnd() % 2201) - 1100;
			if (b.npos == 0) {
				n = 0;
			} else {
				n = brute_simple(&b, t,
				    token_repl_factor(token_table_repl(
				    token_map_keyspace(m, "s")), NULL), want);
			}
			check_against(m, "s", t, want, n, 1);
			n = b.npos == 0 ? 0 : brute_nts(&b, t, rf, want);
			check_against(m, "n", t, want, n, 1);
			n = b.npos == 0 ? 0 : brute_nts_skip(&b, t, rf, want);
			check_against(m, "n", t, want, n, 0);
		}
		token_map_free(m);
		free(b.tok);
		free(b.own);
		free(b.dc);
		free(b.rack);
	}
}
END_TEST

/* Vnode rings big enough that walks would be slow: still exact. */
START_TEST(test_large_unbalanced)
{
	struct token_host	 hosts[41];
	int64_t			*tokens;
	struct token_map	*m;
	const char		*cause;
	void *const		*rep;
	size_t			 i, j, n, k;
	int			 dc2, racks;

	tokens = xcalloc(41 * 64, sizeof *tokens);
	for (i = 0; i < 41; i++) {
		hosts[i].host = H(i + 1);
		/* dc2 is one host with one token; dc1 has a lonely rack. */
		hosts[i].dc = i == 40 ? "dc2" : "dc1";
		hosts[i].rack = i == 7 ? "lonely" : "common";
		hosts[i].ntokens = i == 40 ? 1 : 64;
		hosts[i].tokens = tokens + i * 64;
		for (j = 0; j < hosts[i].ntokens; j++)
			tokens[i * 64 + j] = (int64_t)rnd();
	}
	m = token_map_new(hosts, 41, &cause);
	ck_assert_ptr_nonnull(m);
	ks_set(m, "ks", "NetworkTopologyStrategy,dc1=3,dc2=3");
	for (k = 0; k < 10000; k++) {
		ck_assert_int_eq(token_map_replicas(m, "ks", (int64_t)rnd(),
		    &rep, &n), 0);
		ck_assert_uint_eq(n, 4);
		dc2 = racks = 0;
		for (i = 0; i < n; i++) {
			if (HID(rep[i]) == 41)
				dc2++;
			if (HID(rep[i]) == 8)
				racks++;
		}
		ck_assert_int_eq(dc2, 1);
		ck_assert_int_eq(racks, 1);
	}
	token_map_free(m);
	free(tokens);
}
END_TEST

static Suite *
token_suite(void)
{
	Suite	*s = suite_create("token");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_simple_single_tokens);
	tcase_add_test(tc, test_simple_vnodes);
	tcase_add_test(tc, test_nts_two_racks);
	tcase_add_test(tc, test_nts_rack_far_away);
	tcase_add_test(tc, test_nts_small_dcs);
	tcase_add_test(tc, test_everywhere_local_unknown);
	tcase_add_test(tc, test_empty_ring_and_duplicates);
	tcase_add_test(tc, test_keyspaces_and_rebuild);
	tcase_add_test(tc, test_repl_parse);
	tcase_add_test(tc, test_parse_assign);
	tcase_add_test(tc, test_random_rings);
	tcase_add_test(tc, test_large_unbalanced);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(token_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
