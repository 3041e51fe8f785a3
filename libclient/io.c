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
 * Connect without blocking past the deadline.  A missing socket file or
 * a refused connection means the daemon is not running: those get their
 * own classes so callers can say so plainly.
 */
int
io_connect(const char *path, int64_t deadline, enum cqlp_err *err,
    int *saved_errno)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd, rv, soerr;

	*saved_errno = 0;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		*err = CQLP_ERR_CONNECT;
		*saved_errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*err = CQLP_ERR_CONNECT;
		*saved_errno = errno;
		return (-1);
	}
	do
		rv = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	while (rv == -1 && errno == EINTR);
	if (rv == -1 && (errno == EINPROGRESS || errno == EAGAIN)) {
		/* Unix sockets with a full backlog: wait for room. */
		rv = io_wait(fd, POLLOUT, deadline);
		if (rv == 0) {
			close(fd);
			*err = CQLP_ERR_TIMEOUT;
			*saved_errno = ETIMEDOUT;
			return (-1);
		}
		len = sizeof soerr;
		if (rv < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
		    &len) == -1)
			soerr = errno;
		if (soerr != 0) {
			errno = soerr;
			rv = -1;
		} else
			rv = 0;
	}
	if (rv == -1) {
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
		default:
			*err = CQLP_ERR_CONNECT;
			break;
		}
		close(fd);
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
