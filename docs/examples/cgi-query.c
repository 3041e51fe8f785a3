/*
 * cgi-query.c: a CGI program that answers one HTTP request with one query
 * through cqlproxyd, the case cqlproxyd exists for: a new process per
 * request, no driver start-up, no cluster connections of its own.
 *
 *	GET /cgi-bin/cgi-query?k=42
 *	-> 200 {"k": 42, "v": "..."}	404 {"error": "not_found"}
 *	   400 bad k, 405 not GET/HEAD, 502 cqlproxyd unreachable, 500 CQL error
 *
 * It reads demo.kv (see cqlproxy-socat.sh, which makes it).  The socket is
 * $CQLPROXY_SOCKET or the default; hand CGI programs the daemon's
 * read-only socket.  Build: cc cgi-query.c $(pkg-config --cflags --libs
 * libcqlproxy), or link libcqlproxy.a in (see libcqlproxy(3)), which
 * spares each start the dynamic loader's work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cqlproxy.h"

static void
reply(int status, const char *reason, const char *body)
{
	const char	*method = getenv("REQUEST_METHOD");

	printf("Status: %d %s\r\n", status, reason);
	printf("Content-Type: application/json\r\n");
	printf("Cache-Control: no-store\r\n\r\n");
	if (method == NULL || strcmp(method, "HEAD") != 0)
		printf("%s\n", body);
}

/* The k parameter of the query string, or -1 if absent or malformed. */
static long
param_k(const char *qs)
{
	const char	*p;
	char		*end;
	long		 k;

	for (p = qs; p != NULL && *p != '\0'; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (strncmp(p, "k=", 2) != 0)
			continue;
		errno = 0;
		k = strtol(p + 2, &end, 10);
		if (end == p + 2 || (*end != '\0' && *end != '&') ||
		    errno != 0 || k < -2147483648L || k > 2147483647L)
			return (-1);
		return (k);
	}
	return (-1);
}

/* A JSON string of s (for the answer body). */
static void
json_string(char *out, size_t len, const char *s)
{
	size_t	o = 0;

	if (len < 3)
		return;
	out[o++] = '"';
	for (; *s != '\0' && o + 8 < len; s++) {
		if (*s == '"' || *s == '\\') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if ((unsigned char)*s < 0x20)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x",
			    (unsigned char)*s);
		else
			out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
}

int
main(void)
{
	const char		*method = getenv("REQUEST_METHOD");
	struct cqlp		*c;
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	char			 body[4096], v[3000];
	long			 k;

	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0)) {
		reply(405, "Method Not Allowed", "{\"error\": \"method\"}");
		return (0);
	}
	if ((k = param_k(getenv("QUERY_STRING"))) == -1) {
		reply(400, "Bad Request", "{\"error\": \"k must be an int\"}");
		return (0);
	}

	c = cqlp_open(NULL);
	if (c == NULL || cqlp_errno(c) != CQLP_OK) {
		reply(502, "Bad Gateway", "{\"error\": \"cqlproxyd unreachable\"}");
		cqlp_close(c);
		return (0);
	}
	/* A CGI request should not hang a web server worker. */
	cqlp_set_timeout(c, 5000);
	s = cqlp_stmt_new("SELECT v FROM demo.kv WHERE k = ?");
	cqlp_bind_int64(s, k);
	cqlp_stmt_set_idempotent(s, 1);
	r = cqlp_exec(c, s);
	cqlp_stmt_free(s);
	if (r == NULL) {
		json_string(v, sizeof v, cqlp_error_message(c));
		snprintf(body, sizeof body, "{\"error\": \"%s\", \"message\": %s}",
		    cqlp_error_code(c), v);
		if (cqlp_errno(c) == CQLP_ERR_SERVER)
			reply(500, "Internal Server Error", body);
		else
			reply(502, "Bad Gateway", body);
	} else if (cqlp_result_next(r) != 1)
		reply(404, "Not Found", "{\"error\": \"not_found\"}");
	else {
		if (cqlp_is_null(r, 0))
			snprintf(v, sizeof v, "null");
		else
			json_string(v, sizeof v, cqlp_get_text(r, 0));
		snprintf(body, sizeof body, "{\"k\": %ld, \"v\": %s}", k, v);
		reply(200, "OK", body);
	}
	cqlp_result_free(r);
	cqlp_close(c);
	return (0);
}
