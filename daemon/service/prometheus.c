/*
 * prometheus.c: the HTTP listener Prometheus scrapes, on libevent's evhttp.
 * It serves one resource, GET /metrics, rendered fresh on every scrape;
 * requests are kept small (headers and body capped, a timeout) because
 * the address may be reachable by more than the local machine.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "util.h"
#include "buf.h"
#include "prometheus.h"

/* Caps on what a scraper may send, and how long it may take. */
#define PROMETHEUS_MAX_HEADERS	8192
#define PROMETHEUS_MAX_BODY	1024
#define PROMETHEUS_TIMEOUT_S	10
/* The exposition text is ours, but keep it bounded all the same. */
#define PROMETHEUS_MAX_OUTPUT	(64U * 1024 * 1024)

#define PROMETHEUS_CONTENT_TYPE \
	"text/plain; version=0.0.4; charset=utf-8"

struct prometheus {
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	prometheus_render_cb		 render;
	void				*arg;
	uint16_t			 port;
};

int
prometheus_parse_addr(const char *s, char *host, size_t hostlen,
    uint16_t *port)
{
	const char	*c, *h;
	char		*ep;
	size_t		 hl;
	unsigned long	 n;

	if ((c = strrchr(s, ':')) == NULL)
		return (-1);
	h = s;
	hl = c - s;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	} else if (memchr(h, ':', hl) != NULL)
		return (-1);	/* a bare IPv6 address needs brackets */
	if (hl == 1 && h[0] == '*')
		hl = 0;
	if (hl >= hostlen)
		return (-1);
	if (c[1] < '0' || c[1] > '9')
		return (-1);
	n = strtoul(c + 1, &ep, 10);
	if (*ep != '\0' || n > 65535)
		return (-1);
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)n;
	return (0);
}

/* Answer a scrape; 404 for anything but /metrics, 405 but GET/HEAD. */
static void
prometheus_request(struct evhttp_request *req, void *arg)
{
	struct prometheus		*p = arg;
	const struct evhttp_uri		*uri;
	const char			*path;
	struct evbuffer			*out;
	struct evkeyvalq		*hdr;
	struct wbuf			 w;

	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	out = evhttp_request_get_output_buffer(req);
	hdr = evhttp_request_get_output_headers(req);

	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:	/* evhttp leaves the body out itself */
		break;
	default:
		evhttp_add_header(hdr, "Allow", "GET, HEAD");
		evhttp_send_reply(req, 405, "Method Not Allowed", NULL);
		return;
	}

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_add_header(hdr, "Content-Type",
		    "text/plain; charset=utf-8");
		evbuffer_add_printf(out, "not found; try /metrics\n");
		evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", NULL);
		return;
	}

	wbuf_init(&w, PROMETHEUS_MAX_OUTPUT);
	p->render(&w, p->arg);
	if (!wbuf_ok(&w)) {
		log_warnx("prometheus: metrics output too large");
		wbuf_free(&w);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(out, w.p, w.len);
	wbuf_free(&w);
	evhttp_add_header(hdr, "Content-Type", PROMETHEUS_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

struct prometheus *
prometheus_start(struct event_base *base, const char *addr,
    prometheus_render_cb render, void *arg, char *err, size_t errlen)
{
	struct prometheus	*p;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof ss;
	char			 host[256];
	uint16_t		 port;
	const char		*bind_host;

	if (prometheus_parse_addr(addr, host, sizeof host, &port) != 0) {
		snprintf(err, errlen, "%s: expected host:port", addr);
		return (NULL);
	}
	bind_host = host[0] != '\0' ? host : "::";

	p = xcalloc(1, sizeof *p);
	p->render = render;
	p->arg = arg;
	if ((p->http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_max_headers_size(p->http, PROMETHEUS_MAX_HEADERS);
	evhttp_set_max_body_size(p->http, PROMETHEUS_MAX_BODY);
	evhttp_set_timeout(p->http, PROMETHEUS_TIMEOUT_S);
	/* Let every method in, so the others get 405 rather than 501. */
	evhttp_set_allowed_methods(p->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(p->http, prometheus_request, p);

	p->bound = evhttp_bind_socket_with_handle(p->http, bind_host, port);
	if (p->bound == NULL && host[0] == '\0') {
		/* No IPv6 here: every IPv4 address will do. */
		bind_host = "0.0.0.0";
		p->bound = evhttp_bind_socket_with_handle(p->http, bind_host,
		    port);
	}
	if (p->bound == NULL) {
		snprintf(err, errlen, "%s: cannot listen there", addr);
		evhttp_free(p->http);
		free(p);
		return (NULL);
	}
	if (getsockname(evhttp_bound_socket_get_fd(p->bound),
	    (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			p->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			p->port = ntohs(((struct sockaddr_in6 *)&ss)->
			    sin6_port);
	}
	log_info("prometheus: metrics on http://%s%s%s:%u/metrics",
	    strchr(bind_host, ':') != NULL ? "[" : "", bind_host,
	    strchr(bind_host, ':') != NULL ? "]" : "", p->port);
	return (p);
}

void
prometheus_stop(struct prometheus *p)
{
	if (p == NULL)
		return;
	evhttp_free(p->http);
	free(p);
}

uint16_t
prometheus_port(struct prometheus *p)
{
	return (p->port);
}
