/*
 * host.c: hosts (address, metadata, state), their reference counts and
 * the listeners told when hosts come, go, rise and fall.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "host.h"

struct host_listener_slot {
	struct host_listener	 l;
	int			 used;
};

struct host_listeners {
	struct host_listener_slot *v;
	size_t			 n;
	size_t			 size;
	int			 firing;	/* callbacks running: append only */
};

static const char *host_state_names[] = { "UNKNOWN", "UP", "DOWN" };
static const char *host_distance_names[] = { "LOCAL", "REMOTE", "IGNORED" };

/* Source of host.loc_serial: never reused, so never mistaken. */
static uint64_t	 host_loc_serials;

const char *
host_state_name(enum host_state s)
{
	if ((size_t)s >= nitems(host_state_names))
		return ("?");
	return (host_state_names[s]);
}

const char *
host_distance_name(enum host_distance d)
{
	if ((size_t)d >= nitems(host_distance_names))
		return ("?");
	return (host_distance_names[d]);
}

int
host_addr_parse(const char *s, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof *sin;
		return (0);
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof *sin6;
		return (0);
	}
	return (-1);
}

/* "127.0.0.1:9042" or "[::1]:9042", made once for every log line. */
static void
host_make_name(struct host *h)
{
	char			 a[INET6_ADDRSTRLEN];
	struct sockaddr_in	*sin = (struct sockaddr_in *)&h->addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&h->addr;

	if (h->addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof a);
		snprintf(h->name, sizeof h->name, "[%s]:%u", a, h->port);
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
		snprintf(h->name, sizeof h->name, "%s:%u", a, h->port);
	}
}

struct host *
host_new(const struct sockaddr *sa, socklen_t len, struct host_listeners *ls)
{
	struct host	*h;

	if (len > sizeof h->addr)
		fatalx("%s: address too long", __func__);
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		fatalx("%s: address family %d", __func__, sa->sa_family);
	h = xcalloc(1, sizeof *h);
	memcpy(&h->addr, sa, len);
	h->addrlen = len;
	if (sa->sa_family == AF_INET6)
		h->port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	else
		h->port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	host_make_name(h);
	h->state = HOST_UNKNOWN;
	h->distance = HOST_LOCAL;
	h->loc_serial = ++host_loc_serials;
	h->listeners = ls;
	h->references = 1;
	return (h);
}

struct host *
host_new_name(const char *s, uint16_t port, struct host_listeners *ls)
{
	struct sockaddr_storage	ss;
	socklen_t		len;

	if (host_addr_parse(s, port, &ss, &len) != 0)
		return (NULL);
	return (host_new((struct sockaddr *)&ss, len, ls));
}

/* host_unref when the reference may be the last (or is one too many). */
void
host_unref_slow(struct host *h)
{
	if (h == NULL)
		return;
	if (h->references == 0)
		fatalx("%s: %s has no references", __func__, h->name);
	if (--h->references > 0)
		return;
	free(h->dc);
	free(h->rack);
	free(h->release_version);
	free(h->tokens);
	free(h);
}

/* Replace one owned string with a copy of another (NULL clears it). */
static void
host_set_string(char **dst, const char *s)
{
	free(*dst);
	*dst = (s == NULL) ? NULL : xstrdup(s);
}

void
host_set_dc(struct host *h, const char *s)
{
	host_set_string(&h->dc, s);
	h->loc_serial = ++host_loc_serials;
}

void
host_set_rack(struct host *h, const char *s)
{
	host_set_string(&h->rack, s);
	h->loc_serial = ++host_loc_serials;
}

void
host_set_release_version(struct host *h, const char *s)
{
	host_set_string(&h->release_version, s);
}

void
host_set_host_id(struct host *h, const uint8_t id[16])
{
	memcpy(h->host_id, id, sizeof h->host_id);
	h->has_host_id = 1;
}

void
host_set_tokens(struct host *h, const int64_t *tokens, size_t n)
{
	free(h->tokens);
	h->tokens = NULL;
	h->ntokens = 0;
	if (n == 0)
		return;
	h->tokens = xreallocarray(NULL, n, sizeof *h->tokens);
	memcpy(h->tokens, tokens, n * sizeof *h->tokens);
	h->ntokens = n;
}

/* Call one kind of listener callback on every live listener. */
static void
host_listeners_fire(struct host_listeners *ls, struct host *h, size_t which)
{
	struct host_listener	 l;
	void			(*fn)(struct host *, void *);
	size_t			 i, n;

	if (ls == NULL)
		return;
	host_ref(h);
	ls->firing++;
	n = ls->n;	/* listeners added by a callback wait for the next change */
	for (i = 0; i < n; i++) {
		if (!ls->v[i].used)
			continue;
		l = ls->v[i].l;
		switch (which) {
		case 0:
			fn = l.on_up;
			break;
		case 1:
			fn = l.on_down;
			break;
		case 2:
			fn = l.on_add;
			break;
		default:
			fn = l.on_remove;
			break;
		}
		if (fn != NULL)
			fn(h, l.arg);
	}
	ls->firing--;
	host_unref(h);
}

int
host_set_state(struct host *h, enum host_state state)
{
	if (h->state == state)
		return (0);
	log_debug("host %s: %s -> %s", h->name, host_state_name(h->state),
	    host_state_name(state));
	h->state = state;
	if (state == HOST_UP)
		host_listeners_fire(h->listeners, h, 0);
	else if (state == HOST_DOWN)
		host_listeners_fire(h->listeners, h, 1);
	return (1);
}

void
host_set_distance(struct host *h, enum host_distance d)
{
	h->distance = d;
}

int
host_same_addr(const struct host *h, const struct sockaddr *sa,
    socklen_t len)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (sa->sa_family != h->addr.ss_family)
		return (0);
	if (sa->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&h->addr;
		b4 = (const struct sockaddr_in *)sa;
		return (a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	}
	if (sa->sa_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)&h->addr;
		b6 = (const struct sockaddr_in6 *)sa;
		return (a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof a6->sin6_addr) == 0);
	}
	return (0);
}

struct host_listeners *
host_listeners_new(void)
{
	return (xcalloc(1, sizeof (struct host_listeners)));
}

void
host_listeners_free(struct host_listeners *ls)
{
	if (ls == NULL)
		return;
	free(ls->v);
	free(ls);
}

int
host_listener_add(struct host_listeners *ls, const struct host_listener *l)
{
	size_t	i;

	for (i = 0; ls->firing == 0 && i < ls->n; i++) {
		if (!ls->v[i].used)
			break;
	}
	if (ls->firing != 0)
		i = ls->n;
	if (i == ls->n) {
		if (ls->n == ls->size) {
			ls->size = ls->size ? ls->size * 2 : 4;
			ls->v = xreallocarray(ls->v, ls->size, sizeof *ls->v);
		}
		ls->n++;
	}
	ls->v[i].l = *l;
	ls->v[i].used = 1;
	return ((int)i);
}

void
host_listener_remove(struct host_listeners *ls, int id)
{
	if (id < 0 || (size_t)id >= ls->n)
		fatalx("%s: no listener %d", __func__, id);
	ls->v[id].used = 0;
}

void
host_listeners_added(struct host_listeners *ls, struct host *h)
{
	host_listeners_fire(ls, h, 2);
}

void
host_listeners_removed(struct host_listeners *ls, struct host *h)
{
	host_listeners_fire(ls, h, 3);
}
