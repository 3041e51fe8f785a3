/*
 * prometheus.h: the optional HTTP endpoint Prometheus scrapes
 * ([metrics] prometheus_listen): GET /metrics answers the text exposition
 * format 0.0.4 that a render callback writes; every other path is 404.
 *
 *	p = prometheus_start(base, "127.0.0.1:9469", render, m,
 *	    err, sizeof err);
 *	...
 *	prometheus_stop(p);
 *
 * The address is "HOST:PORT" with a numeric IPv4 address, "[V6]:PORT", or
 * ":PORT" / "*:PORT" for every address.  Port 0 takes a free port
 * (prometheus_port says which: the tests use it).
 */
#ifndef CQLP_PROMETHEUS_H
#define CQLP_PROMETHEUS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct wbuf;
struct prometheus;

/* Append the exposition text to w (metrics_prometheus fits). */
typedef void	(*prometheus_render_cb)(struct wbuf *, void *);

/* NULL with a reason in err if the address is bad or cannot be bound. */
struct prometheus *prometheus_start(struct event_base *, const char *addr,
		     prometheus_render_cb, void *, char *err, size_t errlen);
/* Close the listener and any scrape in progress. NULL is fine. */
void		 prometheus_stop(struct prometheus *);
/* The bound port (useful after port 0). */
uint16_t	 prometheus_port(struct prometheus *);

/* Split "HOST:PORT" as above; host "" means any. 0 or -1. */
int		 prometheus_parse_addr(const char *, char *host, size_t,
		     uint16_t *port);

#endif
