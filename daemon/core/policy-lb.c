/*
 * policy-lb.c: load-balancing policies and the query plans they make.
 *
 * Two base policies keep the hosts they know in the order they learnt of
 * them and turn that list, on every host event, into an immutable
 * snapshot of what a plan walks:
 *   round robin	every live host, the start rotating per plan;
 *   DC-aware		the local DC's live hosts, rotating, then the first
 *			used_hosts_per_remote_dc live hosts of every other DC
 *			(DCs in the order first met), as the Python driver.
 * Two wrappers change a child's plans:
 *   token-aware	the live replicas the child calls LOCAL first (in
 *			ring order, or shuffled), then the child's plan
 *			without those already given; over either base;
 *   host filter	hosts outside allow_hosts or inside deny_hosts are
 *			IGNORED, never seen by the child, never planned.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "host.h"
#include "token.h"
#include "policy.h"

/* A plan's view of the hosts: built on each event, shared by plans. */
struct lb_hostset {
	unsigned int	  references;
	size_t		  nlocal;	/* hosts[0 .. nlocal) rotate */
	size_t		  nremote;	/* then these, in order */
	struct host	 *hosts[];
};

/* A host the base policy knows; down is what on_down/on_up last said. */
struct lb_entry {
	struct host	*host;
	int		 down;
};

/*
 * Whether a host is in the local DC, as last worked out (a string compare)
 * for the host's loc_serial; slot loc_serial % LB_LOCAL_CACHE.
 */
#define LB_LOCAL_CACHE	64
struct lb_local_slot {
	uint64_t	 loc_serial;	/* 0: empty */
	int		 local;
};

/* Round robin and DC-aware share the host list and the snapshots. */
struct lb_base {
	struct lb_policy	 p;
	int			 dc_aware;
	char			*local_dc;	/* NULL: not known yet */
	/* Emptied whenever local_dc changes. */
	struct lb_local_slot	 local_cache[LB_LOCAL_CACHE];
	unsigned int		 remote_n;
	struct lb_entry		*entries;
	size_t			 nentries;
	size_t			 centries;
	struct host		**contacts;	/* until local_dc is known */
	size_t			 ncontacts;
	struct lb_hostset	*set;
	size_t			 next_start;
};

/* An allow or deny entry; any_port when no port was written. */
struct lb_addr {
	struct sockaddr_storage	 ss;
	int			 any_port;
};

struct lb_filter {
	struct lb_policy	 p;
	struct lb_addr		*allow;
	size_t			 nallow;
	struct lb_addr		*deny;
	size_t			 ndeny;
};

/* Keyspace names Cassandra allows are up to 48 characters. */
#define LB_KS_NAME_MAX	64

struct lb_token_aware {
	struct lb_policy	 p;
	int			 shuffle;

	/*
	 * The last keyspace looked up and its table, for the map state
	 * ks_serial names (token_map_ks_serial: no two maps share one).
	 */
	uint64_t		 ks_serial;	/* 0: none kept */
	const struct token_table *ks_table;	/* NULL: map does not know it */
	char			 ks_name[LB_KS_NAME_MAX];
};

static const struct lb_ops lb_rr_ops;
static const struct lb_ops lb_dc_ops;
static const struct lb_ops lb_ta_ops;
static const struct lb_ops lb_filter_ops;

/* SplitMix64: small, fast and good enough to spread load. */
static uint64_t
lb_splitmix(uint64_t *s)
{
	uint64_t	z;

	z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static uint64_t
lb_random(struct lb_policy *p)
{
	if (p->random != NULL)
		return (p->random(p->random_arg));
	return (lb_splitmix(&p->rstate));
}

/* Every layer gets the options' randomness; seed 0 means "not repeatable". */
static void
lb_policy_setup(struct lb_policy *p, const struct lb_ops *ops,
    struct lb_policy *child, const struct lb_options *o)
{
	struct timespec	ts;

	p->ops = ops;
	p->references = 1;
	p->child = child;
	p->depth = child != NULL ? child->depth + 1 : 0;
	if (p->depth >= LB_PLAN_DEPTH)
		fatalx("%s: policies stacked too deep", __func__);
	p->tmap = NULL;
	p->random = o->random;
	p->random_arg = o->random_arg;
	p->rstate = o->seed;
	if (p->rstate == 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		p->rstate = ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec) ^
		    ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)p;
	}
}

static int
lb_live(const struct host *h)
{
	return (h->state != HOST_DOWN);
}

/* Options. */

void
lb_options_default(struct lb_options *o)
{
	memset(o, 0, sizeof *o);
	o->load_balancing = LB_TOKEN_AWARE;
	o->used_hosts_per_remote_dc = 0;
	o->shuffle_replicas = 0;
}

static const char *lb_kind_names[] = {
	[LB_TOKEN_AWARE] = "token_aware",
	[LB_DC_AWARE] = "dc_aware",
	[LB_ROUND_ROBIN] = "round_robin"
};

int
lb_kind_parse(const char *s, enum lb_kind *k)
{
	size_t	i;

	for (i = 0; i < nitems(lb_kind_names); i++) {
		if (strcmp(s, lb_kind_names[i]) == 0) {
			*k = i;
			return (0);
		}
	}
	return (-1);
}

const char *
lb_kind_name(enum lb_kind k)
{
	if ((size_t)k >= nitems(lb_kind_names))
		return ("unknown");
	return (lb_kind_names[k]);
}

/* One "addr", "addr:port", "v6" or "[v6]:port" word of an address list. */
static int
lb_addr_parse(const char *w, size_t len, struct lb_addr *a)
{
	char		 buf[INET6_ADDRSTRLEN + 16], *end;
	const char	*addr, *port = NULL, *colon, *close;
	socklen_t	 sl;
	unsigned long	 n;

	if (len == 0 || len >= sizeof buf)
		return (-1);
	memcpy(buf, w, len);
	buf[len] = '\0';
	addr = buf;
	if (buf[0] == '[') {
		close = strchr(buf, ']');
		if (close == NULL)
			return (-1);
		buf[close - buf] = '\0';
		addr = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return (-1);
	} else {
		colon = strchr(buf, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			buf[colon - buf] = '\0';
			port = colon + 1;
		}
	}
	a->any_port = (port == NULL);
	n = 0;
	if (port != NULL) {
		if (!isdigit((unsigned char)*port))
			return (-1);
		errno = 0;
		n = strtoul(port, &end, 10);
		if (errno != 0 || *end != '\0' || n == 0 || n > 65535)
			return (-1);
	}
	if (host_addr_parse(addr, (uint16_t)n, &a->ss, &sl) != 0)
		return (-1);
	return (0);
}

/* Parse a whole list; *out NULL when empty. */
static int
lb_addr_list_parse(const char *s, struct lb_addr **out, size_t *n)
{
	struct lb_addr	*a = NULL;
	size_t		 na = 0, len;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return (0);
	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		len = strcspn(s, ", \t");
		if (na == LB_FILTER_MAX) {
			free(a);
			return (-1);
		}
		a = xreallocarray(a, na + 1, sizeof *a);
		if (lb_addr_parse(s, len, &a[na]) != 0) {
			free(a);
			return (-1);
		}
		na++;
		s += len;
	}
	*out = a;
	*n = na;
	return (0);
}

/* The same checks the constructors make, without building anything. */
int
lb_options_check(const struct lb_options *o, const char **cause)
{
	struct lb_addr	*a;
	size_t		 n;

	if ((size_t)o->load_balancing >= nitems(lb_kind_names)) {
		*cause = "unknown load_balancing";
		return (-1);
	}
	if (o->used_hosts_per_remote_dc > INT_MAX) {
		*cause = "used_hosts_per_remote_dc too large";
		return (-1);
	}
	if (lb_addr_list_parse(o->allow_hosts, &a, &n) != 0) {
		*cause = "bad address in allow_hosts";
		return (-1);
	}
	free(a);
	if (lb_addr_list_parse(o->deny_hosts, &a, &n) != 0) {
		*cause = "bad address in deny_hosts";
		return (-1);
	}
	free(a);
	return (0);
}

/*
 * The base the kind names, token-aware over it when asked (LB_TOKEN_AWARE
 * always: the Python driver's default), a host filter on top when any
 * address is listed.
 */
struct lb_policy *
lb_policy_from_options(const struct lb_options *o, const char **cause)
{
	struct lb_policy	*p, *f;

	if (lb_options_check(o, cause) != 0)
		return (NULL);
	if (o->load_balancing == LB_ROUND_ROBIN)
		p = lb_round_robin_new(o);
	else
		p = lb_dc_aware_new(o);
	if (o->load_balancing == LB_TOKEN_AWARE || o->token_aware)
		p = lb_token_aware_new(p, o);
	if ((o->allow_hosts == NULL || o->allow_hosts[strspn(o->allow_hosts,
	    ", \t")] == '\0') && (o->deny_hosts == NULL ||
	    o->deny_hosts[strspn(o->deny_hosts, ", \t")] == '\0'))
		return (p);
	if ((f = lb_filter_new(p, o, cause)) == NULL)
		lb_policy_free(p);
	return (f);
}

/* Generic entry points. */

struct lb_policy *
lb_policy_ref(struct lb_policy *p)
{
	p->references++;
	return (p);
}

/* The last reference (the owner's or a plan's) frees the whole chain. */
void
lb_policy_free(struct lb_policy *p)
{
	if (p == NULL)
		return;
	if (p->references == 0)
		fatalx("%s: policy %s freed twice", __func__, p->ops->name);
	if (--p->references > 0)
		return;
	p->ops->free(p);
}

void
lb_policy_init(struct lb_policy *p, struct host *const *hosts, size_t n,
    struct host *const *contacts, size_t ncontacts)
{
	p->ops->init(p, hosts, n, contacts, ncontacts);
}

enum host_distance
lb_policy_distance(struct lb_policy *p, const struct host *h)
{
	return (p->ops->distance(p, h));
}

void
lb_policy_on_up(struct lb_policy *p, struct host *h)
{
	p->ops->on_up(p, h);
}

void
lb_policy_on_down(struct lb_policy *p, struct host *h)
{
	p->ops->on_down(p, h);
}

void
lb_policy_on_add(struct lb_policy *p, struct host *h)
{
	p->ops->on_add(p, h);
}

void
lb_policy_on_remove(struct lb_policy *p, struct host *h)
{
	p->ops->on_remove(p, h);
}

static void
lb_listener_up(struct host *h, void *arg)
{
	lb_policy_on_up(arg, h);
}

static void
lb_listener_down(struct host *h, void *arg)
{
	lb_policy_on_down(arg, h);
}

static void
lb_listener_add(struct host *h, void *arg)
{
	lb_policy_on_add(arg, h);
}

static void
lb_listener_remove(struct host *h, void *arg)
{
	lb_policy_on_remove(arg, h);
}

void
lb_policy_listener(struct lb_policy *p, struct host_listener *l)
{
	memset(l, 0, sizeof *l);
	l->on_up = lb_listener_up;
	l->on_down = lb_listener_down;
	l->on_add = lb_listener_add;
	l->on_remove = lb_listener_remove;
	l->arg = p;
}

void
lb_policy_set_token_map(struct lb_policy *p, const struct token_map *m)
{
	for (; p != NULL; p = p->child)
		p->tmap = m;
}

const char *
lb_policy_local_dc(const struct lb_policy *p)
{
	for (; p != NULL; p = p->child) {
		if (p->ops == &lb_dc_ops)
			return (((const struct lb_base *)p)->local_dc);
	}
	return (NULL);
}

void
lb_plan_begin(struct lb_policy *p, const struct lb_request *req,
    struct lb_plan *plan)
{
	struct lb_plan_layer	*l;
	unsigned int		 i;

	/* Only the layers this policy stack uses; replicas as they fill. */
	plan->policy = lb_policy_ref(p);
	plan->yielded = 0;
	for (i = 0; i <= p->depth; i++) {
		l = &plan->layers[i];
		l->set = NULL;
		l->start = l->pos = l->rpos = 0;
		l->nreplicas = l->rnext = 0;
	}
	p->ops->plan_begin(p, req, plan);
}

struct host *
lb_plan_next(struct lb_plan *plan)
{
	struct host	*h;

	if (plan->policy == NULL)
		return (NULL);
	h = plan->policy->ops->plan_next(plan->policy, plan);
	if (h != NULL)
		plan->yielded++;
	return (h);
}

void
lb_plan_end(struct lb_plan *plan)
{
	struct lb_policy	*p = plan->policy;

	if (p == NULL)
		return;
	p->ops->plan_end(p, plan);
	plan->policy = NULL;
	lb_policy_free(p);
}

/* Snapshots. */

static struct lb_hostset *
lb_hostset_new(size_t n)
{
	struct lb_hostset	*s;

	s = xcalloc(1, sizeof *s + n * sizeof s->hosts[0]);
	s->references = 1;
	return (s);
}

static struct lb_hostset *
lb_hostset_ref(struct lb_hostset *s)
{
	s->references++;
	return (s);
}

static void
lb_hostset_unref(struct lb_hostset *s)
{
	size_t	i;

	if (s == NULL || --s->references > 0)
		return;
	for (i = 0; i < s->nlocal + s->nremote; i++)
		host_unref(s->hosts[i]);
	free(s);
}

/* Base policies: round robin and DC-aware. */

static int
lb_base_is_local(const struct lb_base *b, const struct host *h)
{
	if (!b->dc_aware || h->dc == NULL)
		return (1);
	return (b->local_dc != NULL && strcmp(h->dc, b->local_dc) == 0);
}

/* A cache miss: the verdict for h's location, kept in its slot. */
static __attribute__((__noinline__)) int
lb_base_local_fill(struct lb_base *b, struct lb_local_slot *sl,
    const struct host *h)
{
	sl->local = lb_base_is_local(b, h);
	sl->loc_serial = h->loc_serial;
	return (sl->local);
}

/*
 * lb_base_is_local for every request's replicas: the verdict is kept per
 * host location (loc_serial changes with the host's dc), and all of them
 * are forgotten when local_dc changes.  A hit is a few instructions:
 * the fill is out of line.
 */
static inline int
lb_base_is_local_cached(struct lb_base *b, const struct host *h)
{
	struct lb_local_slot	*sl;

	if (!b->dc_aware)
		return (1);
	sl = &b->local_cache[h->loc_serial % LB_LOCAL_CACHE];
	if (sl->loc_serial != h->loc_serial)
		return (lb_base_local_fill(b, sl, h));
	return (sl->local);
}

static void
lb_base_local_forget(struct lb_base *b)
{
	memset(b->local_cache, 0, sizeof b->local_cache);
}

static int
lb_entry_live(const struct lb_entry *e)
{
	return (!e->down && lb_live(e->host));
}

static int
lb_same_dc(const struct host *a, const struct host *b)
{
	if (a->dc == NULL || b->dc == NULL)
		return (a->dc == b->dc);
	return (strcmp(a->dc, b->dc) == 0);
}

/* Python takes the DC of the first contact point that has one. */
static void
lb_base_learn_dc(struct lb_base *b)
{
	size_t	i;

	if (!b->dc_aware || b->local_dc != NULL)
		return;
	for (i = 0; i < b->ncontacts; i++) {
		if (b->contacts[i]->dc != NULL)
			break;
	}
	if (i == b->ncontacts)
		return;
	b->local_dc = xstrdup(b->contacts[i]->dc);
	lb_base_local_forget(b);
	log_info("load balancing: local data center \"%s\" (from contact "
	    "point %s); set local_dc if that is wrong", b->local_dc,
	    b->contacts[i]->name);
	for (i = 0; i < b->ncontacts; i++)
		host_unref(b->contacts[i]);
	free(b->contacts);
	b->contacts = NULL;
	b->ncontacts = 0;
}

/*
 * Live hosts of the same remote DC met before entry i: the first
 * remote_n of a DC are the ones used.
 */
static size_t
lb_base_rank(const struct lb_base *b, size_t i)
{
	size_t	j, rank = 0;

	for (j = 0; j < i; j++) {
		if (lb_entry_live(&b->entries[j]) &&
		    lb_same_dc(b->entries[j].host, b->entries[i].host))
			rank++;
	}
	return (rank);
}

/* Whether entry i is the first live one of its DC. */
static int
lb_base_dc_first(const struct lb_base *b, size_t i)
{
	return (lb_entry_live(&b->entries[i]) && lb_base_rank(b, i) == 0);
}

/* Make the snapshot that plans begun from now on walk. */
static void
lb_base_rebuild(struct lb_base *b)
{
	struct lb_hostset	*s;
	struct lb_entry		*e;
	size_t			 i, j, taken;

	lb_base_learn_dc(b);
	s = lb_hostset_new(b->nentries);
	for (i = 0; i < b->nentries; i++) {
		e = &b->entries[i];
		if (lb_entry_live(e) && lb_base_is_local(b, e->host))
			s->hosts[s->nlocal++] = host_ref(e->host);
	}
	for (i = 0; b->remote_n > 0 && i < b->nentries; i++) {
		e = &b->entries[i];
		if (lb_base_is_local(b, e->host) || !lb_base_dc_first(b, i))
			continue;
		taken = 0;
		for (j = i; j < b->nentries && taken < b->remote_n; j++) {
			if (!lb_entry_live(&b->entries[j]) ||
			    !lb_same_dc(e->host, b->entries[j].host))
				continue;
			s->hosts[s->nlocal + s->nremote++] =
			    host_ref(b->entries[j].host);
			taken++;
		}
	}
	lb_hostset_unref(b->set);
	b->set = s;
}

static struct lb_entry *
lb_base_find(struct lb_base *b, const struct host *h)
{
	size_t	i;

	for (i = 0; i < b->nentries; i++) {
		if (b->entries[i].host == h)
			return (&b->entries[i]);
	}
	return (NULL);
}

static struct lb_entry *
lb_base_add(struct lb_base *b, struct host *h)
{
	struct lb_entry	*e;

	if ((e = lb_base_find(b, h)) != NULL)
		return (e);
	if (b->nentries == b->centries) {
		b->centries = b->centries == 0 ? 16 : b->centries * 2;
		b->entries = xreallocarray(b->entries, b->centries,
		    sizeof *b->entries);
	}
	e = &b->entries[b->nentries++];
	e->host = host_ref(h);
	e->down = 0;
	return (e);
}

static void
lb_base_clear(struct lb_base *b)
{
	size_t	i;

	for (i = 0; i < b->nentries; i++)
		host_unref(b->entries[i].host);
	b->nentries = 0;
	for (i = 0; i < b->ncontacts; i++)
		host_unref(b->contacts[i]);
	free(b->contacts);
	b->contacts = NULL;
	b->ncontacts = 0;
}

static struct lb_base *
lb_base_new(const struct lb_options *o, int dc_aware)
{
	struct lb_base	*b;

	b = xcalloc(1, sizeof *b);
	lb_policy_setup(&b->p, dc_aware ? &lb_dc_ops : &lb_rr_ops, NULL, o);
	b->dc_aware = dc_aware;
	if (dc_aware && o->local_dc != NULL && *o->local_dc != '\0')
		b->local_dc = xstrdup(o->local_dc);
	b->remote_n = dc_aware ? o->used_hosts_per_remote_dc : 0;
	b->set = lb_hostset_new(0);
	return (b);
}

struct lb_policy *
lb_round_robin_new(const struct lb_options *o)
{
	return (&lb_base_new(o, 0)->p);
}

struct lb_policy *
lb_dc_aware_new(const struct lb_options *o)
{
	return (&lb_base_new(o, 1)->p);
}

static void
lb_base_free(struct lb_policy *p)
{
	struct lb_base	*b = (struct lb_base *)p;

	lb_base_clear(b);
	free(b->entries);
	lb_hostset_unref(b->set);
	free(b->local_dc);
	free(b);
}

/* Like Python's populate(): the list is replaced, the start randomised. */
static void
lb_base_init(struct lb_policy *p, struct host *const *hosts, size_t n,
    struct host *const *contacts, size_t ncontacts)
{
	struct lb_base	*b = (struct lb_base *)p;
	size_t		 i;

	lb_base_clear(b);
	for (i = 0; i < n; i++)
		lb_base_add(b, hosts[i]);
	if (b->dc_aware && b->local_dc == NULL && ncontacts > 0) {
		b->contacts = xreallocarray(NULL, ncontacts,
		    sizeof *b->contacts);
		for (i = 0; i < ncontacts; i++)
			b->contacts[i] = host_ref(contacts[i]);
		b->ncontacts = ncontacts;
	}
	b->next_start = n > 0 ? lb_random(p) % n : 0;
	lb_base_rebuild(b);
}

static __attribute__((__noinline__)) enum host_distance
lb_base_remote_distance(struct lb_base *b, const struct host *h)
{
	size_t		 i;

	if (b->remote_n == 0)
		return (HOST_IGNORED);
	for (i = 0; i < b->nentries; i++) {
		if (b->entries[i].host == h)
			break;
	}
	if (i == b->nentries)
		return (HOST_IGNORED);
	/* A down host keeps the place it would have if it came back. */
	if (lb_base_rank(b, i) < b->remote_n)
		return (HOST_REMOTE);
	return (HOST_IGNORED);
}

/* Local hosts (nearly every call) answered without the remote ranking. */
static enum host_distance
lb_base_distance(struct lb_policy *p, const struct host *h)
{
	struct lb_base	*b = (struct lb_base *)p;

	if (lb_base_is_local_cached(b, h))
		return (HOST_LOCAL);
	return (lb_base_remote_distance(b, h));
}

static void
lb_base_plan_begin(struct lb_policy *p, const struct lb_request *req,
    struct lb_plan *plan)
{
	struct lb_base		*b = (struct lb_base *)p;
	struct lb_plan_layer	*l = &plan->layers[p->depth];

	l->set = lb_hostset_ref(b->set);
	l->start = l->set->nlocal > 0 ? b->next_start % l->set->nlocal : 0;
	b->next_start = l->start + 1;
	l->pos = 0;
	l->rpos = 0;
}

/* Hosts gone down since the snapshot are passed over, not given. */
static struct host *
lb_base_plan_next(struct lb_policy *p, struct lb_plan *plan)
{
	struct lb_plan_layer	*l = &plan->layers[p->depth];
	struct lb_hostset	*s = l->set;
	struct host		*h;

	if (s == NULL)
		return (NULL);
	while (l->pos < s->nlocal) {
		h = s->hosts[(l->start + l->pos++) % s->nlocal];
		if (lb_live(h))
			return (h);
	}
	while (l->rpos < s->nremote) {
		h = s->hosts[s->nlocal + l->rpos++];
		if (lb_live(h))
			return (h);
	}
	return (NULL);
}

static void
lb_base_plan_end(struct lb_policy *p, struct lb_plan *plan)
{
	struct lb_plan_layer	*l = &plan->layers[p->depth];

	lb_hostset_unref(l->set);
	l->set = NULL;
}

static void
lb_base_on_up(struct lb_policy *p, struct host *h)
{
	struct lb_base	*b = (struct lb_base *)p;

	lb_base_add(b, h)->down = 0;
	lb_base_rebuild(b);
}

static void
lb_base_on_down(struct lb_policy *p, struct host *h)
{
	struct lb_base	*b = (struct lb_base *)p;
	struct lb_entry	*e;

	if ((e = lb_base_find(b, h)) == NULL)
		return;
	e->down = 1;
	lb_base_rebuild(b);
}

static void
lb_base_on_remove(struct lb_policy *p, struct host *h)
{
	struct lb_base	*b = (struct lb_base *)p;
	struct lb_entry	*e;
	size_t		 i;

	if ((e = lb_base_find(b, h)) == NULL)
		return;
	i = e - b->entries;
	host_unref(e->host);
	memmove(e, e + 1, (b->nentries - i - 1) * sizeof *e);
	b->nentries--;
	lb_base_rebuild(b);
}

static const struct lb_ops lb_rr_ops = {
	.name = "round_robin",
	.init = lb_base_init,
	.distance = lb_base_distance,
	.plan_begin = lb_base_plan_begin,
	.plan_next = lb_base_plan_next,
	.plan_end = lb_base_plan_end,
	.on_up = lb_base_on_up,
	.on_down = lb_base_on_down,
	.on_add = lb_base_on_up,
	.on_remove = lb_base_on_remove,
	.free = lb_base_free
};

static const struct lb_ops lb_dc_ops = {
	.name = "dc_aware",
	.init = lb_base_init,
	.distance = lb_base_distance,
	.plan_begin = lb_base_plan_begin,
	.plan_next = lb_base_plan_next,
	.plan_end = lb_base_plan_end,
	.on_up = lb_base_on_up,
	.on_down = lb_base_on_down,
	.on_add = lb_base_on_up,
	.on_remove = lb_base_on_remove,
	.free = lb_base_free
};

/* Wrappers pass host events straight down. */

static void
lb_wrap_init(struct lb_policy *p, struct host *const *hosts, size_t n,
    struct host *const *contacts, size_t ncontacts)
{
	lb_policy_init(p->child, hosts, n, contacts, ncontacts);
}

static enum host_distance
lb_wrap_distance(struct lb_policy *p, const struct host *h)
{
	return (lb_policy_distance(p->child, h));
}

static void
lb_wrap_on_up(struct lb_policy *p, struct host *h)
{
	lb_policy_on_up(p->child, h);
}

static void
lb_wrap_on_down(struct lb_policy *p, struct host *h)
{
	lb_policy_on_down(p->child, h);
}

static void
lb_wrap_on_add(struct lb_policy *p, struct host *h)
{
	lb_policy_on_add(p->child, h);
}

static void
lb_wrap_on_remove(struct lb_policy *p, struct host *h)
{
	lb_policy_on_remove(p->child, h);
}

/* Token-aware. */

struct lb_policy *
lb_token_aware_new(struct lb_policy *child, const struct lb_options *o)
{
	struct lb_token_aware	*t;

	t = xcalloc(1, sizeof *t);
	lb_policy_setup(&t->p, &lb_ta_ops, child, o);
	t->shuffle = o->shuffle_replicas;
	return (&t->p);
}

static void
lb_ta_free(struct lb_policy *p)
{
	lb_policy_free(p->child);
	free(p);
}

/*
 * The keyspace's replica table (NULL: not in the map).  Requests mostly
 * go to the keyspace of the one before, so its table is kept while the
 * map and its keyspaces stay the same (token_map_ks_serial).
 */
static const struct token_table *
lb_ta_keyspace(struct lb_token_aware *t, const struct token_map *m,
    const char *ks)
{
	const struct token_table	*table;
	size_t				 n;

	if (t->ks_serial == token_map_ks_serial(m) &&
	    strcmp(t->ks_name, ks) == 0)
		return (t->ks_table);
	table = token_map_keyspace(m, ks);
	n = strlen(ks);
	if (n < sizeof t->ks_name) {
		memcpy(t->ks_name, ks, n + 1);
		t->ks_serial = token_map_ks_serial(m);
		t->ks_table = table;
	} else
		t->ks_serial = 0;
	return (table);
}

/*
 * The replicas worth leading with: live, LOCAL to the child, in ring
 * order or shuffled.  Copied (and referenced) so a token map swapped
 * during the request cannot pull them away.
 */
static void
lb_ta_plan_begin(struct lb_policy *p, const struct lb_request *req,
    struct lb_plan *plan)
{
	struct lb_token_aware		*t = (struct lb_token_aware *)p;
	struct lb_plan_layer		*l = &plan->layers[p->depth];
	const struct token_table	*table;
	void *const			*rs;
	struct host			*h;
	size_t				 nrs, i, j;

	l->nreplicas = 0;
	l->rnext = 0;
	if (req != NULL && req->keyspace != NULL && req->has_token &&
	    p->tmap != NULL &&
	    (table = lb_ta_keyspace(t, p->tmap, req->keyspace)) != NULL) {
		token_table_replicas(table, req->token, &rs, &nrs);
		for (i = 0; i < nrs && l->nreplicas < LB_PLAN_REPLICAS; i++) {
			h = rs[i];
			if (!lb_live(h) ||
			    lb_policy_distance(p->child, h) != HOST_LOCAL)
				continue;
			l->replicas[l->nreplicas++] = host_ref(h);
		}
		for (i = l->nreplicas; t->shuffle && i > 1; i--) {
			j = lb_random(p) % i;
			h = l->replicas[i - 1];
			l->replicas[i - 1] = l->replicas[j];
			l->replicas[j] = h;
		}
	}
	p->child->ops->plan_begin(p->child, req, plan);
}

/* Replicas first; the child's hosts after, minus the replicas given. */
static struct host *
lb_ta_plan_next(struct lb_policy *p, struct lb_plan *plan)
{
	struct lb_plan_layer	*l = &plan->layers[p->depth];
	struct host		*h;
	size_t			 i;

	while (l->rnext < l->nreplicas) {
		h = l->replicas[l->rnext++];
		if (lb_live(h))
			return (h);
		/* Not given: the child may offer it if it comes back. */
		l->replicas[l->rnext - 1] = NULL;
		host_unref(h);
	}
	for (;;) {
		h = p->child->ops->plan_next(p->child, plan);
		if (h == NULL)
			return (NULL);
		for (i = 0; i < l->nreplicas; i++) {
			if (l->replicas[i] == h)
				break;
		}
		if (i == l->nreplicas)
			return (h);
	}
}

static void
lb_ta_plan_end(struct lb_policy *p, struct lb_plan *plan)
{
	struct lb_plan_layer	*l = &plan->layers[p->depth];
	size_t			 i;

	for (i = 0; i < l->nreplicas; i++)
		host_unref(l->replicas[i]);
	l->nreplicas = 0;
	p->child->ops->plan_end(p->child, plan);
}

static const struct lb_ops lb_ta_ops = {
	.name = "token_aware",
	.init = lb_wrap_init,
	.distance = lb_wrap_distance,
	.plan_begin = lb_ta_plan_begin,
	.plan_next = lb_ta_plan_next,
	.plan_end = lb_ta_plan_end,
	.on_up = lb_wrap_on_up,
	.on_down = lb_wrap_on_down,
	.on_add = lb_wrap_on_add,
	.on_remove = lb_wrap_on_remove,
	.free = lb_ta_free
};

/* Host filter. */

static int
lb_addr_match(const struct lb_addr *a, const struct host *h)
{
	const struct sockaddr_in	*a4, *h4;
	const struct sockaddr_in6	*a6, *h6;

	if (a->ss.ss_family != h->addr.ss_family)
		return (0);
	if (a->ss.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->ss;
		h4 = (const struct sockaddr_in *)&h->addr;
		return (a4->sin_addr.s_addr == h4->sin_addr.s_addr &&
		    (a->any_port || a4->sin_port == h4->sin_port));
	}
	if (a->ss.ss_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)&a->ss;
		h6 = (const struct sockaddr_in6 *)&h->addr;
		return (memcmp(&a6->sin6_addr, &h6->sin6_addr,
		    sizeof a6->sin6_addr) == 0 &&
		    (a->any_port || a6->sin6_port == h6->sin6_port));
	}
	return (0);
}

/* A denied address wins over an allowed one. */
static int
lb_filter_allows(const struct lb_filter *f, const struct host *h)
{
	size_t	i;

	for (i = 0; i < f->ndeny; i++) {
		if (lb_addr_match(&f->deny[i], h))
			return (0);
	}
	if (f->nallow == 0)
		return (1);
	for (i = 0; i < f->nallow; i++) {
		if (lb_addr_match(&f->allow[i], h))
			return (1);
	}
	return (0);
}

struct lb_policy *
lb_filter_new(struct lb_policy *child, const struct lb_options *o,
    const char **cause)
{
	struct lb_filter	*f;

	f = xcalloc(1, sizeof *f);
	if (lb_addr_list_parse(o->allow_hosts, &f->allow, &f->nallow) != 0) {
		*cause = "bad address in allow_hosts";
		free(f);
		return (NULL);
	}
	if (lb_addr_list_parse(o->deny_hosts, &f->deny, &f->ndeny) != 0) {
		*cause = "bad address in deny_hosts";
		free(f->allow);
		free(f);
		return (NULL);
	}
	lb_policy_setup(&f->p, &lb_filter_ops, child, o);
	return (&f->p);
}

static void
lb_filter_free(struct lb_policy *p)
{
	struct lb_filter	*f = (struct lb_filter *)p;

	lb_policy_free(p->child);
	free(f->allow);
	free(f->deny);
	free(f);
}

/* The child never hears of filtered hosts; contact points still name the DC. */
static void
lb_filter_init(struct lb_policy *p, struct host *const *hosts, size_t n,
    struct host *const *contacts, size_t ncontacts)
{
	struct lb_filter	 *f = (struct lb_filter *)p;
	struct host		**ok;
	size_t			  i, nok = 0;

	ok = xreallocarray(NULL, n > 0 ? n : 1, sizeof *ok);
	for (i = 0; i < n; i++) {
		if (lb_filter_allows(f, hosts[i]))
			ok[nok++] = hosts[i];
	}
	lb_policy_init(p->child, ok, nok, contacts, ncontacts);
	free(ok);
}

static enum host_distance
lb_filter_distance(struct lb_policy *p, const struct host *h)
{
	if (!lb_filter_allows((struct lb_filter *)p, h))
		return (HOST_IGNORED);
	return (lb_policy_distance(p->child, h));
}

static void
lb_filter_plan_begin(struct lb_policy *p, const struct lb_request *req,
    struct lb_plan *plan)
{
	p->child->ops->plan_begin(p->child, req, plan);
}

static struct host *
lb_filter_plan_next(struct lb_policy *p, struct lb_plan *plan)
{
	struct host	*h;

	do
		h = p->child->ops->plan_next(p->child, plan);
	while (h != NULL && !lb_filter_allows((struct lb_filter *)p, h));
	return (h);
}

static void
lb_filter_plan_end(struct lb_policy *p, struct lb_plan *plan)
{
	p->child->ops->plan_end(p->child, plan);
}

static void
lb_filter_on_up(struct lb_policy *p, struct host *h)
{
	if (lb_filter_allows((struct lb_filter *)p, h))
		lb_policy_on_up(p->child, h);
}

static void
lb_filter_on_down(struct lb_policy *p, struct host *h)
{
	if (lb_filter_allows((struct lb_filter *)p, h))
		lb_policy_on_down(p->child, h);
}

static void
lb_filter_on_add(struct lb_policy *p, struct host *h)
{
	if (lb_filter_allows((struct lb_filter *)p, h))
		lb_policy_on_add(p->child, h);
}

static void
lb_filter_on_remove(struct lb_policy *p, struct host *h)
{
	if (lb_filter_allows((struct lb_filter *)p, h))
		lb_policy_on_remove(p->child, h);
}

static const struct lb_ops lb_filter_ops = {
	.name = "host_filter",
	.init = lb_filter_init,
	.distance = lb_filter_distance,
	.plan_begin = lb_filter_plan_begin,
	.plan_next = lb_filter_plan_next,
	.plan_end = lb_filter_plan_end,
	.on_up = lb_filter_on_up,
	.on_down = lb_filter_on_down,
	.on_add = lb_filter_on_add,
	.on_remove = lb_filter_on_remove,
	.free = lb_filter_free
};
