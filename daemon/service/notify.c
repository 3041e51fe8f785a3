/*
 * notify.c: systemd's readiness protocol spoken by hand (a datagram of
 * "KEY=VALUE" lines to $NOTIFY_SOCKET), so the daemon needs no libsystemd.
 * Without $NOTIFY_SOCKET every call is a no-op.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "service.h"

void
notify_send(const char *fmt, ...)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 sl;
	va_list			 ap;
	char			 msg[512];
	size_t			 plen;
	int			 fd, n;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof sun.sun_path)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof msg)
		return;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, sl) == -1)
		log_debug("sd_notify %s: %s", path, strerror(errno));
	close(fd);
}

uint64_t
notify_watchdog_usec(void)
{
	const char		*s, *pid;
	char			*ep;
	unsigned long long	 v;

	if ((s = getenv("WATCHDOG_USEC")) == NULL)
		return (0);
	if ((pid = getenv("WATCHDOG_PID")) != NULL &&
	    strtol(pid, &ep, 10) != (long)getpid())
		return (0);
	v = strtoull(s, &ep, 10);
	if (*ep != '\0' || v == 0)
		return (0);
	return ((uint64_t)v);
}
