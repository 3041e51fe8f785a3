/*
 * cqlp-oneshot.c: the CGI case on libcqlproxy: a new process connects to
 * cqlproxyd, runs one query, prints the value it read and exits.  Timed
 * by spawn-time (bench.py) beside the cqlproxy command, socat and the
 * Python driver.
 *
 *	cqlp-oneshot [SOCKET]		(else $CQLPROXY_SOCKET, else the default)
 */
#include <stdio.h>
#include <stdlib.h>

#include "cqlproxy.h"

int
main(int argc, char **argv)
{
	struct cqlp		*h;
	struct cqlp_result	*r;
	const char		*v;
	int			 rv = 1;

	if ((h = cqlp_open(argc > 1 ? argv[1] : NULL)) == NULL)
		return (1);
	r = cqlp_query(h, "SELECT v FROM bench.kv WHERE k = ?", "[1]");
	if (r == NULL)
		fprintf(stderr, "cqlp-oneshot: %s: %s\n", cqlp_error_code(h),
		    cqlp_error_message(h));
	else if (cqlp_result_next(r) == 1 && (v = cqlp_get_text(r, 0)) != NULL) {
		puts(v);
		rv = 0;
	}
	cqlp_result_free(r);
	cqlp_close(h);
	return (rv);
}
