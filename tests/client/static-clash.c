/*
 * static-clash.c: a program linked with libcqlproxy.a that defines names
 * the library uses inside (io_read, sbuf_add, client_ensure, json_valid,
 * lc_strdup).  It links only if the archive keeps those names to itself
 * (libclient/mkstatic.sh), and then both its own functions and the
 * library's must work: the library still reports a missing daemon as
 * "noent".  Run by test_static_lib.sh.
 */
#include <stdio.h>
#include <string.h>

#include "cqlproxy.h"

int	io_read(int);
int	sbuf_add(int);
int	client_ensure(int);
int	json_valid(int);
int	lc_strdup(int);

int io_read(int x) { return (x + 1); }
int sbuf_add(int x) { return (x + 2); }
int client_ensure(int x) { return (x + 3); }
int json_valid(int x) { return (x + 4); }
int lc_strdup(int x) { return (x + 5); }

int
main(void)
{
	struct cqlp		*h;
	struct cqlp_result	*r;
	int			 rv = 0;

	if (io_read(0) + sbuf_add(0) + client_ensure(0) + json_valid(0) +
	    lc_strdup(0) != 15) {
		fprintf(stderr, "static-clash: own functions replaced\n");
		return (1);
	}
	if ((h = cqlp_open("/nonexistent/cqlproxyd.sock")) == NULL) {
		fprintf(stderr, "static-clash: cqlp_open failed\n");
		return (1);
	}
	r = cqlp_query(h, "SELECT v FROM bench.kv WHERE k = ?", "[1]");
	if (r != NULL || strcmp(cqlp_error_code(h), "noent") != 0) {
		fprintf(stderr, "static-clash: expected noent, got %s\n",
		    r != NULL ? "a result" : cqlp_error_code(h));
		rv = 1;
	}
	cqlp_result_free(r);
	cqlp_close(h);
	return (rv);
}
