/*
 * async-lookup.c: a small long-running service on libcqlproxy's
 * non-blocking API.  It reads keys from standard input, one per line, and
 * looks each up in demo.kv without waiting for the previous one: many
 * lookups are in flight on one connection, answers print as they come
 * ("k<TAB>v", or "k<TAB>-" when absent).  One poll() loop serves both the
 * input and the daemon, as any event loop would (with epoll or libevent:
 * watch cqlp_async_fd() for reading, and for writing while
 * cqlp_async_want_write(); call cqlp_async_fd() again after
 * CQLP_ERR_CLOSED, as the descriptor changes when the library reconnects).
 *
 * It stops at the end of input once every answer is in.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cqlproxy.h"

#define MAX_INFLIGHT	256

/* Print the completions that are ready. */
static int
collect(struct cqlp *c)
{
	struct cqlp_result	*r;
	long			 k;
	int			 failed = 0;

	while ((r = cqlp_async_collect(c)) != NULL) {
		k = (long)(intptr_t)cqlp_result_udata(r);
		if (cqlp_result_status(r) != CQLP_OK) {
			fprintf(stderr, "async-lookup: %ld: %s: %s\n", k,
			    cqlp_result_error_code(r),
			    cqlp_result_error_message(r));
			failed = 1;
		} else if (cqlp_result_next(r) == 1 && !cqlp_is_null(r, 0))
			printf("%ld\t%s\n", k, cqlp_get_text(r, 0));
		else
			printf("%ld\t-\n", k);
		cqlp_result_free(r);
	}
	fflush(stdout);
	return (failed);
}

int
main(void)
{
	struct cqlp		*c;
	struct cqlp_stmt	*s;
	struct pollfd		 pfd[2];
	char			 line[64], *end;
	size_t			 len = 0;
	ssize_t			 n;
	long			 k;
	int			 eof = 0, failed = 0, fd;

	if ((c = cqlp_open(NULL)) == NULL || cqlp_errno(c) != CQLP_OK) {
		fprintf(stderr, "async-lookup: %s\n",
		    c ? cqlp_error_message(c) : "out of memory");
		return (3);
	}
	s = cqlp_stmt_new("SELECT v FROM demo.kv WHERE k = ?");
	while (!eof || cqlp_async_pending(c) > 0) {
		if ((fd = cqlp_async_fd(c)) == -1) {
			fprintf(stderr, "async-lookup: %s\n",
			    cqlp_error_message(c));
			return (3);
		}
		/* Stop reading input while too many lookups are in flight. */
		pfd[0].fd = !eof && cqlp_async_pending(c) < MAX_INFLIGHT ?
		    STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = fd;
		pfd[1].events = POLLIN |
		    (cqlp_async_want_write(c) ? POLLOUT : 0);
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			return (4);
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			n = read(STDIN_FILENO, line + len, sizeof line - 1 - len);
			if (n <= 0)
				eof = 1;
			else
				len += (size_t)n;
			line[len] = '\0';
			while ((end = strchr(line, '\n')) != NULL ||
			    (eof && len > 0) || len == sizeof line - 1) {
				if (end != NULL)
					*end = '\0';
				k = strtol(line, NULL, 10);
				cqlp_stmt_reset(s);
				cqlp_bind_int64(s, k);
				if (cqlp_async_submit(c, s,
				    (void *)(intptr_t)k) == 0)
					failed = 1;
				if (end == NULL) {
					len = 0;
					break;
				}
				len -= (size_t)(end + 1 - line);
				memmove(line, end + 1, len + 1);
			}
		}
		if (pfd[1].revents & POLLOUT)
			(void)cqlp_async_flush(c);
		if (pfd[1].revents & (POLLIN | POLLHUP))
			(void)cqlp_async_read(c);
		failed |= collect(c);
	}
	cqlp_stmt_free(s);
	cqlp_close(c);
	return (failed ? 1 : 0);
}
