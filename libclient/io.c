/*
 * io.c: the socket under libcqlproxy.  Every descriptor is non-blocking
 * and every wait goes through poll with a deadline, so no call can hang
 * on a daemon that stopped answering; writes use MSG_NOSIGNAL so a closed
 * daemon is an error, not a SIGPIPE.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cqlp-int.h"

/* Longest pause (ms) between connects while the listen queue is full. */
#define IO_CONNECT_BACKOFF_MAX	50

int64_t
io_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
io_wait(int fd, short events, int64_t deadline)
{
	struct pollfd	pfd;
	int64_t		left;
	int		rv;

	for (;;) {
		left = deadline - io_now();
		if (left < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rv = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (rv > 0)
			return (pfd.revents);
		if (rv == 0) {
			if (left == 0)
				return (0);
			continue;
		}
		if (errno != EINTR)
			return (-1);
	}
}

/*
 * One connect() on a fresh socket: 0 with *fdp set, or -1 with errno
 * (EAGAIN: the listener's queue is full and nothing is pending).
 */
static int
io_connect_once(const struct sockaddr_un *sun, int64_t deadline, int *fdp)
{
	socklen_t	len;
	int		fd, rv, soerr, saved;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	do
		rv = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	while (rv == -1 && errno == EINTR);
	if (rv == -1 && errno == EINPROGRESS) {
		/* Not on Linux, where a Unix connect never stays pending. */
		rv = io_wait(fd, POLLOUT, deadline);
		if (rv == 0)
			errno = ETIMEDOUT;
		else {
			len = sizeof soerr;
			if (rv < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &len) == -1)
				soerr = errno;
			errno = soerr;
		}
		rv = errno == 0 ? 0 : -1;
	}
	if (rv == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	*fdp = fd;
	return (0);
}

/*
 * Connect without blocking past the deadline.  A missing socket file or
 * a refused connection means the daemon is not running: those get their
 * own classes so callers can say so plainly.  EAGAIN means the daemon's
 * listen queue is full (it paused accepts, or a burst of clients): no
 * connection is pending and the socket is not connected, so try again
 * with a short back-off until the deadline, which is then a timeout.
 */
int
io_connect(const char *path, int64_t deadline, enum cqlp_err *err,
    int *saved_errno)
{
	struct sockaddr_un	sun;
	int64_t			left;
	int			fd = -1, backoff = 1;

	*saved_errno = 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		*err = CQLP_ERR_CONNECT;
		*saved_errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	while (io_connect_once(&sun, deadline, &fd) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			left = deadline - io_now();
			if (left > 0) {
				(void)poll(NULL, 0, left < backoff ?
				    (int)left : backoff);
				if (backoff < IO_CONNECT_BACKOFF_MAX)
					backoff *= 2;
				continue;
			}
			errno = ETIMEDOUT;
		}
		*saved_errno = errno;
		switch (errno) {
		case ENOENT:
		case ENOTDIR:
			*err = CQLP_ERR_NOENT;
			break;
		case ECONNREFUSED:
			*err = CQLP_ERR_REFUSED;
			break;
		case EACCES:
		case EPERM:
			*err = CQLP_ERR_ACCESS;
			break;
		case ETIMEDOUT:
			*err = CQLP_ERR_TIMEOUT;
			break;
		default:
			*err = CQLP_ERR_CONNECT;
			break;
		}
		return (-1);
	}
	*err = CQLP_OK;
	return (fd);
}

ssize_t
io_write(int fd, const void *p, size_t n)
{
	ssize_t	rv;

	do
		rv = send(fd, p, n, MSG_NOSIGNAL);
	while (rv == -1 && errno == EINTR);
	if (rv == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	return (rv);
}

ssize_t
io_read(int fd, void *p, size_t n)
{
	ssize_t	rv;

	do
		rv = recv(fd, p, n, 0);
	while (rv == -1 && errno == EINTR);
	return (rv);
}

/*
 * Whether the connection is known to be gone, without consuming data:
 * a peek that sees EOF or a reset says so; waiting bytes (late answers)
 * do not.
 */
int
io_peer_closed(int fd)
{
	char	c;
	ssize_t	rv;

	do
		rv = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (rv == -1 && errno == EINTR);
	if (rv == 0)
		return (1);
	if (rv == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		return (1);
	return (0);
}
