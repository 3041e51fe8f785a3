/*
 * policy.h: the driver core's policies, pure and unit-testable (no I/O, no
 * event loop): which hosts a request tries and in what order (load
 * balancing, policy-lb.c), what to do when an attempt fails (retry,
 * policy-retry.c), when to start a speculative attempt and which
 * client-side timestamp to send (policy-spec.c).
 *
 * Defaults follow the DataStax Python driver 3.25: token-aware over
 * DC-aware round robin with the replicas in ring order (shuffle_replicas
 * off), the default retry policy, no speculative execution, a monotonic
 * microsecond timestamp generator.
 */
#ifndef CQLP_POLICY_H
#define CQLP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"

struct token_map;
struct msg_error;

/* policy-lb.c */

/*
 * A load-balancing policy is an object with a vtable.  Base policies
 * (round robin, DC-aware) keep the hosts they were told about, in the
 * order they learnt of them; wrappers (token-aware, host filter) hold a
 * child policy and hand the host events down to it.
 *
 * A host counts as live unless its state is HOST_DOWN (a host never
 * connected to yet is tried).  Every change of the live set builds a new
 * immutable snapshot; a plan holds a reference to the snapshot it started
 * from, so events between two lb_plan_next() calls never make a plan skip
 * or repeat a host.  A plan still skips hosts that went down meanwhile.
 *
 * Hosts given to a policy are referenced (host_ref) for as long as the
 * policy or a live plan holds them.  The token map given to a token-aware
 * policy must hold struct host pointers as its handles.
 *
 * Lifetime: a policy is reference-counted.  lb_policy_from_options() and
 * the constructors give the caller one reference, lb_plan_begin() takes
 * one for the plan and lb_plan_end() drops it, so the owner may replace
 * its policy at any time (a configuration reload) and lb_policy_free()
 * the old one: plans still walking it keep it alive until they end.  A
 * policy no longer fed host events still passes over hosts that went
 * down (host state is read directly).  Nothing here is thread-safe: one
 * event loop.
 */

/*
 * The base policy.  Token-awareness is a wrapper over either base
 * (lb_options.token_aware); LB_TOKEN_AWARE is the short name of the
 * default chain, token-aware over DC-aware, whatever token_aware says.
 */
enum lb_kind {
	LB_TOKEN_AWARE = 0,	/* token_aware: over DC-aware (the default) */
	LB_DC_AWARE,		/* dc_aware */
	LB_ROUND_ROBIN		/* round_robin */
};

/* Random numbers: a full-range 64-bit value per call. */
typedef uint64_t (*lb_random_fn)(void *);

/*
 * Settings, named as the configuration file names them.  Strings are the
 * caller's and are copied by lb_policy_from_options().
 */
struct lb_options {
	enum lb_kind	 load_balancing;
	/* Lead with replicas over a dc_aware or round_robin base too. */
	int		 token_aware;	/* 0 (LB_TOKEN_AWARE implies it) */
	const char	*local_dc;	/* NULL, "": first contact point's */
	unsigned int	 used_hosts_per_remote_dc;	/* 0: never remote */
	int		 shuffle_replicas;	/* 0, as Python's default */
	/*
	 * Comma- or space-separated numeric addresses, each "a.b.c.d",
	 * "a.b.c.d:port", "::1" or "[::1]:port" (no port: any port).
	 * allow_hosts empty or NULL: every host not denied is allowed.
	 */
	const char	*allow_hosts;
	const char	*deny_hosts;
	/* Randomness: random(random_arg) if set, else a PRNG from seed. */
	lb_random_fn	 random;
	void		*random_arg;
	uint64_t	 seed;		/* 0: seeded from the clock and pid */
};

/* At most this many replicas lead a plan; longer replica lists are cut. */
#define LB_PLAN_REPLICAS	16
/* Policies stacked in one chain (filter over token-aware over a base). */
#define LB_PLAN_DEPTH		4
/* Entries in allow_hosts or deny_hosts. */
#define LB_FILTER_MAX		1024

/* What a plan is for: the statement's keyspace and routing token. */
struct lb_request {
	const char	*keyspace;	/* statement's or session's, or NULL */
	int		 has_token;
	int64_t		 token;		/* murmur3_routing_token() */
};

struct lb_hostset;

/* One layer's progress through a plan; private to policy-lb.c. */
struct lb_plan_layer {
	struct lb_hostset	*set;		/* base: snapshot walked */
	size_t			 start;		/* base: rotation */
	size_t			 pos;		/* base: local hosts done */
	size_t			 rpos;		/* base: remote hosts done */
	struct host		*replicas[LB_PLAN_REPLICAS]; /* token-aware */
	size_t			 nreplicas;
	size_t			 rnext;
};

/*
 * A query plan: the hosts to try for one request, produced lazily, each at
 * most once.  Owned (usually embedded) by the request; no allocation.
 */
struct lb_plan {
	struct lb_policy	*policy;	/* NULL: ended or not begun */
	size_t			 yielded;
	struct lb_plan_layer	 layers[LB_PLAN_DEPTH];
};

struct lb_policy;

struct lb_ops {
	const char	*name;
	/* Initial hosts; contact points (a subset) name the local DC. */
	void		 (*init)(struct lb_policy *, struct host *const *,
			     size_t, struct host *const *, size_t);
	enum host_distance (*distance)(struct lb_policy *,
			     const struct host *);
	void		 (*plan_begin)(struct lb_policy *,
			     const struct lb_request *, struct lb_plan *);
	struct host	*(*plan_next)(struct lb_policy *, struct lb_plan *);
	void		 (*plan_end)(struct lb_policy *, struct lb_plan *);
	void		 (*on_up)(struct lb_policy *, struct host *);
	void		 (*on_down)(struct lb_policy *, struct host *);
	void		 (*on_add)(struct lb_policy *, struct host *);
	void		 (*on_remove)(struct lb_policy *, struct host *);
	void		 (*free)(struct lb_policy *);
};

struct lb_policy {
	const struct lb_ops	*ops;
	unsigned int		 references;	/* owner's and plans' */
	struct lb_policy	*child;		/* wrappers: the wrapped one */
	unsigned int		 depth;		/* 0 for a base; child's + 1 */
	const struct token_map	*tmap;		/* token-aware: current map */
	lb_random_fn		 random;
	void			*random_arg;
	uint64_t		 rstate;	/* built-in PRNG state */
};

void		 lb_options_default(struct lb_options *);
int		 lb_kind_parse(const char *, enum lb_kind *);
const char	*lb_kind_name(enum lb_kind);
/* Validate options (for a config reload); 0 or -1 with a static cause. */
int		 lb_options_check(const struct lb_options *, const char **);
/* The chain the options describe; NULL with a static cause if invalid. */
struct lb_policy *lb_policy_from_options(const struct lb_options *,
		    const char **);

/*
 * Building blocks; a wrapper owns its child and frees it with itself (a
 * child is never referenced on its own: plans reference the top).
 */
struct lb_policy *lb_round_robin_new(const struct lb_options *);
struct lb_policy *lb_dc_aware_new(const struct lb_options *);
struct lb_policy *lb_token_aware_new(struct lb_policy *,
		    const struct lb_options *);
/* NULL with a static cause when an address does not parse. */
struct lb_policy *lb_filter_new(struct lb_policy *,
		    const struct lb_options *, const char **);
/* Another reference; lb_policy_free drops one, the last frees. */
struct lb_policy *lb_policy_ref(struct lb_policy *);
void		 lb_policy_free(struct lb_policy *);

void		 lb_policy_init(struct lb_policy *, struct host *const *hosts,
		    size_t n, struct host *const *contacts, size_t ncontacts);
/*
 * LOCAL, REMOTE or IGNORED: how big a pool to keep.  The answer may change
 * after any host event (a remote DC's first hosts, the local DC learnt),
 * so pool owners ask again after each.
 */
enum host_distance lb_policy_distance(struct lb_policy *, const struct host *);
void		 lb_policy_on_up(struct lb_policy *, struct host *);
void		 lb_policy_on_down(struct lb_policy *, struct host *);
void		 lb_policy_on_add(struct lb_policy *, struct host *);
void		 lb_policy_on_remove(struct lb_policy *, struct host *);
/* Fill a host listener that forwards the four events to the policy. */
void		 lb_policy_listener(struct lb_policy *, struct host_listener *);
/* The token map for token-aware layers (NULL: none); swap after rebuilds. */
void		 lb_policy_set_token_map(struct lb_policy *,
		    const struct token_map *);
/* The DC-aware layer's local DC, NULL while unknown or none in the chain. */
const char	*lb_policy_local_dc(const struct lb_policy *);

/*
 * Plans.  lb_plan_next() gives NULL when the plan is exhausted; a host it
 * gives is valid until lb_plan_end() (host_ref it to keep it longer).
 * lb_plan_end() may be called on a zeroed plan and more than once.
 */
void		 lb_plan_begin(struct lb_policy *, const struct lb_request *,
		    struct lb_plan *);
struct host	*lb_plan_next(struct lb_plan *);
void		 lb_plan_end(struct lb_plan *);

/* policy-retry.c */

enum retry_kind {
	RETRY_RETHROW = 0,	/* give the error to the client */
	RETRY_SAME_HOST,	/* try again on the same host */
	RETRY_NEXT_HOST,	/* try the plan's next host */
	RETRY_IGNORE		/* answer the client with an empty success */
};

/* A write timeout's or failure's write type ([string] in the protocol). */
enum write_type {
	WRITE_SIMPLE = 0,
	WRITE_BATCH,
	WRITE_UNLOGGED_BATCH,
	WRITE_COUNTER,
	WRITE_BATCH_LOG,
	WRITE_CAS,
	WRITE_VIEW,
	WRITE_CDC,
	WRITE_UNKNOWN		/* any other string */
};

enum retry_error_kind {
	RETRY_ERR_READ_TIMEOUT = 0,
	RETRY_ERR_WRITE_TIMEOUT,
	RETRY_ERR_UNAVAILABLE,
	RETRY_ERR_READ_FAILURE,
	RETRY_ERR_WRITE_FAILURE,
	RETRY_ERR_CONNECTION_CLOSED,	/* the connection died mid-request */
	RETRY_ERR_CLIENT_TIMEOUT,	/* our request timeout fired */
	RETRY_ERR_OVERLOADED,
	RETRY_ERR_SERVER,
	RETRY_ERR_IS_BOOTSTRAPPING,
	RETRY_ERR_TRUNCATE,
	RETRY_ERR_OTHER			/* syntax, invalid...: never retried */
};

/* An attempt's failure, with the fields the coordinator sent. */
struct retry_error {
	enum retry_error_kind	 kind;
	uint16_t		 consistency;	/* as the error reports it */
	int32_t			 received;	/* timeouts */
	int32_t			 blockfor;	/* timeouts */
	int			 data_present;	/* read timeout */
	enum write_type		 write_type;	/* write timeout */
	int32_t			 required;	/* unavailable */
	int32_t			 alive;		/* unavailable */
};

struct retry_decision {
	enum retry_kind		 kind;
	int			 has_consistency;	/* retry at a new CL */
	uint16_t		 consistency;
};

enum retry_policy_kind {
	RETRY_POLICY_DEFAULT = 0,
	RETRY_POLICY_DOWNGRADING,
	RETRY_POLICY_FALLTHROUGH
};

/*
 * What to do after an attempt failed with e, when retries attempts of this
 * request were already retries (0 on the first failure).
 */
struct retry_decision retry_decide(enum retry_policy_kind,
		    const struct retry_error *e, unsigned int retries,
		    int idempotent);
/* Fill e from a decoded ERROR message; returns e->kind. */
enum retry_error_kind retry_error_from_msg(const struct msg_error *,
		    struct retry_error *e);

int		 retry_policy_parse(const char *, enum retry_policy_kind *);
const char	*retry_policy_name(enum retry_policy_kind);
const char	*retry_kind_name(enum retry_kind);
const char	*retry_error_name(enum retry_error_kind);
/* "SIMPLE", ... as the protocol spells it; unknown strings: WRITE_UNKNOWN. */
enum write_type	 write_type_parse(const char *, size_t);
const char	*write_type_name(enum write_type);

/* policy-spec.c */

/*
 * Speculative execution: after delay_ms without an answer, start the same
 * request on the plan's next host, up to max_attempts extra executions
 * (Python's ConstantSpeculativeExecutionPolicy).  Idempotent requests only.
 * max_attempts 0 is "none", the default.
 */
#define SPEC_MAX_ATTEMPTS	16

struct spec_policy {
	uint64_t	 delay_ms;
	unsigned int	 max_attempts;
};

void		 spec_policy_default(struct spec_policy *);
int		 spec_policy_check(const struct spec_policy *, const char **);
/*
 * Milliseconds to wait before starting another execution, given the number
 * of executions started so far (the first, normal one included), or -1:
 * no more (not idempotent, none configured, or all started).
 */
int64_t		 spec_next_delay(const struct spec_policy *, int idempotent,
		    unsigned int started);

/*
 * Client-side timestamps (microseconds since the epoch) that never repeat
 * and never go backwards, even when the clock does: a value not above the
 * last one is replaced by last + 1.  When the clock lags by more than
 * warn_us, one warning is logged per warn_us of generated time.
 */
typedef int64_t (*tsgen_clock_fn)(void *);

struct tsgen {
	tsgen_clock_fn	 clock;
	void		*clock_arg;
	int64_t		 last;
	int64_t		 warn_us;	/* 0: never warn */
	int64_t		 last_warn;
	uint64_t	 drift_warnings;	/* how many were logged */
};

/* clock NULL: the real-time clock. */
void		 tsgen_init(struct tsgen *, tsgen_clock_fn, void *);
int64_t		 tsgen_next(struct tsgen *);
/* The real-time clock in microseconds (the default clock). */
int64_t		 tsgen_clock_realtime(void *);

#endif
