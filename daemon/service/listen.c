/*
 * listen.c: the Unix sockets clients connect to: created with the
 * configured mode, owner and group (or taken over from systemd's socket
 * activation), accepted without blocking, peers checked against the
 * SO_PEERCRED allow-lists and the client cap.  When the process runs out
 * of descriptors accepting pauses for a moment instead of spinning.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util.h"
#include "config.h"
#include "metrics.h"
#include "service.h"

/* Accepts per wake-up, so a storm of connects cannot starve clients. */
#define LISTEN_BURST		64
/* Connections taken from the backlog when the drain begins, at most. */
#define LISTEN_MAX_PENDING	65536
/* How long accepting pauses when descriptors run out. */
#define LISTEN_PAUSE_MS		100

struct listener {
	int		 fd;
	int		 readonly;
	int		 activated;	/* systemd's: never unlink */
	char		*path;
	struct event	*ev;
	struct event	*pause;
	int		 accepting;
};

/* One descriptor kept free so EMFILE can still be answered. */
static int	 listen_reserve = -1;

void
listener_reserve_init(void)
{
	if (listen_reserve == -1)
		listen_reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int
listener_activation_fds(void)
{
	const char	*pid, *fds;
	char		*ep;
	long		 n;

	pid = getenv("LISTEN_PID");
	fds = getenv("LISTEN_FDS");
	if (pid == NULL || fds == NULL)
		return (0);
	if (strtol(pid, &ep, 10) != (long)getpid() || *ep != '\0')
		return (0);
	n = strtol(fds, &ep, 10);
	if (*ep != '\0' || n < 0 || n > 64)
		return (0);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return ((int)n);
}

void
listener_sockname(int fd, char *buf, size_t len)
{
	struct sockaddr_un	 sun;
	socklen_t		 sl = sizeof sun;
	size_t			 n;

	buf[0] = '\0';
	memset(&sun, 0, sizeof sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &sl) != 0 ||
	    sun.sun_family != AF_UNIX || sl <= offsetof(struct sockaddr_un,
	    sun_path))
		return;
	n = sl - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof sun.sun_path)
		n = sizeof sun.sun_path;
	if (n >= len)
		n = len - 1;
	memcpy(buf, sun.sun_path, n);
	buf[n] = '\0';
}

/* A user or group given as a name or a number. */
static int
listen_resolve_user(const char *s, uid_t *uid)
{
	struct passwd	*pw;
	char		*ep;
	unsigned long	 n;

	n = strtoul(s, &ep, 10);
	if (*s != '\0' && *ep == '\0') {
		*uid = (uid_t)n;
		return (0);
	}
	if ((pw = getpwnam(s)) == NULL)
		return (-1);
	*uid = pw->pw_uid;
	return (0);
}

static int
listen_resolve_group(const char *s, gid_t *gid)
{
	struct group	*gr;
	char		*ep;
	unsigned long	 n;

	n = strtoul(s, &ep, 10);
	if (*s != '\0' && *ep == '\0') {
		*gid = (gid_t)n;
		return (0);
	}
	if ((gr = getgrnam(s)) == NULL)
		return (-1);
	*gid = gr->gr_gid;
	return (0);
}

int
server_acl_build(const struct config *cfg, struct server_acl *acl,
    char *err, size_t errlen)
{
	size_t	i;

	memset(acl, 0, sizeof *acl);
	acl->uids = xcalloc(cfg->allow_uids.n + 1, sizeof *acl->uids);
	acl->gids = xcalloc(cfg->allow_gids.n + 1, sizeof *acl->gids);
	for (i = 0; i < cfg->allow_uids.n; i++) {
		if (listen_resolve_user(cfg->allow_uids.v[i],
		    &acl->uids[acl->nuids]) != 0) {
			snprintf(err, errlen, "allow_uids: unknown user %s",
			    cfg->allow_uids.v[i]);
			server_acl_clear(acl);
			return (-1);
		}
		acl->nuids++;
	}
	for (i = 0; i < cfg->allow_gids.n; i++) {
		if (listen_resolve_group(cfg->allow_gids.v[i],
		    &acl->gids[acl->ngids]) != 0) {
			snprintf(err, errlen, "allow_gids: unknown group %s",
			    cfg->allow_gids.v[i]);
			server_acl_clear(acl);
			return (-1);
		}
		acl->ngids++;
	}
	return (0);
}

void
server_acl_clear(struct server_acl *acl)
{
	free(acl->uids);
	free(acl->gids);
	memset(acl, 0, sizeof *acl);
}

int
server_acl_allows(const struct server_acl *acl, uid_t uid, gid_t gid)
{
	size_t	i;

	if (acl->nuids == 0 && acl->ngids == 0)
		return (1);
	for (i = 0; i < acl->nuids; i++) {
		if (acl->uids[i] == uid)
			return (1);
	}
	for (i = 0; i < acl->ngids; i++) {
		if (acl->gids[i] == gid)
			return (1);
	}
	return (0);
}

/* A socket file left by a daemon that died: remove it; a live one: fail. */
static int
listen_clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd, rc;

	if (lstat(path, &st) != 0)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return (-1);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-1);
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s: another daemon is listening there",
		    path);
		return (-1);
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

static struct listener *
listener_new(int fd, const char *path, int readonly, int activated)
{
	struct listener	*l;

	l = xcalloc(1, sizeof *l);
	l->fd = fd;
	l->path = xstrdup(path);
	l->readonly = readonly;
	l->activated = activated;
	return (l);
}

struct listener *
listener_open(const char *path, int readonly, const struct config *cfg,
    char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	uid_t			 uid = (uid_t)-1;
	gid_t			 gid = (gid_t)-1;
	int			 fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "%s: path too long", path);
		return (NULL);
	}
	if (*cfg->socket_owner != '\0' &&
	    listen_resolve_user(cfg->socket_owner, &uid) != 0) {
		snprintf(err, errlen, "socket_owner: unknown user %s",
		    cfg->socket_owner);
		return (NULL);
	}
	if (*cfg->socket_group != '\0' &&
	    listen_resolve_group(cfg->socket_group, &gid) != 0) {
		snprintf(err, errlen, "socket_group: unknown group %s",
		    cfg->socket_group);
		return (NULL);
	}
	if (listen_clear_stale(path, err, errlen) != 0)
		return (NULL);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (NULL);
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	/* No window in which the socket has looser permissions. */
	old = umask(~cfg->socket_mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return (NULL);
	}
	umask(old);
	/*
	 * The umask gave the mode.  The owner is set without following
	 * links: if someone swapped the path for a symlink in a shared
	 * directory, its target must not change hands.
	 */
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    lchown(path, uid, gid) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return (NULL);
	}
	if (listen(fd, cfg->backlog) != 0) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return (NULL);
	}
	return (listener_new(fd, path, readonly, 0));
}

struct listener *
listener_adopt(int fd, const char *path, int readonly)
{
	int	flags;

	flags = fcntl(fd, F_GETFL);
	if (flags != -1)
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return (listener_new(fd, path, readonly, 1));
}

const char *
listener_path(struct listener *l)
{
	return (l->path);
}

static void
listener_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct listener	*l = arg;

	if (srv->state == SERVER_RUNNING || srv->state == SERVER_STARTING)
		listener_start(l);
}

/*
 * Out of descriptors: take the reserve to accept and drop one waiting
 * client (it learns something is wrong rather than hanging), then stop
 * accepting briefly so the loop does not spin on a readable listener.
 */
static void
listener_emfile(struct listener *l)
{
	struct timeval	 tv = { 0, LISTEN_PAUSE_MS * 1000 };
	int		 fd;

	log_warnx("%s: out of file descriptors: pausing accepts for %d ms",
	    l->path, LISTEN_PAUSE_MS);
	if (listen_reserve != -1) {
		close(listen_reserve);
		listen_reserve = -1;
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1)
			client_refuse(fd, "too_many_clients",
			    "the daemon has no file descriptors left");
		listener_reserve_init();
	}
	listener_stop(l);
	if (l->pause == NULL)
		l->pause = evtimer_new(srv->base, listener_resume_cb, l);
	evtimer_add(l->pause, &tv);
}

/* Accept one client; 0 if one was taken (served or refused), else -1. */
static int
listener_accept_one(struct listener *l)
{
	struct ucred	 cred;
	socklen_t	 len;
	int		 fd;

	fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			listener_emfile(l);
			return (-1);
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_warn("%s: accept", l->path);
		return (errno == ECONNABORTED || errno == EINTR ? 0 : -1);
	}
	memset(&cred, 0, sizeof cred);
	len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_warn("%s: SO_PEERCRED", l->path);
		close(fd);
		return (0);
	}
	if (!server_acl_allows(&srv->acl, cred.uid, cred.gid)) {
		log_info("%s: refused uid %ld gid %ld pid %ld: not in "
		    "allow_uids/allow_gids", l->path, (long)cred.uid,
		    (long)cred.gid, (long)cred.pid);
		client_refuse(fd, "not_permitted", "this user may not use "
		    "cqlproxyd (allow_uids, allow_gids)");
		return (0);
	}
	if (srv->nclients >= (unsigned int)srv->cfg->max_clients) {
		log_warnx("%s: refused pid %ld: %u clients connected "
		    "(max_clients)", l->path, (long)cred.pid, srv->nclients);
		client_refuse(fd, "too_many_clients",
		    "too many clients connected (max_clients)");
		return (0);
	}
	client_accept(fd, l->readonly, cred.uid, cred.gid, cred.pid);
	return (0);
}

static void
listener_accept_cb(evutil_socket_t lfd, short events, void *arg)
{
	struct listener	*l = arg;
	int		 i;

	for (i = 0; i < LISTEN_BURST && l->accepting; i++) {
		if (listener_accept_one(l) != 0)
			break;
	}
}

/*
 * Draining: clients that connected before the signal but were not
 * accepted yet have sent requests too; take them in (unless the socket is
 * systemd's, which keeps them for the next daemon).
 */
void
listener_accept_pending(struct listener *l)
{
	int	i;

	if (l == NULL || l->activated || l->fd == -1)
		return;
	for (i = 0; i < LISTEN_MAX_PENDING; i++) {
		if (listener_accept_one(l) != 0)
			break;
	}
}

void
listener_start(struct listener *l)
{
	if (l->accepting || l->fd == -1)
		return;
	if (l->ev == NULL)
		l->ev = event_new(srv->base, l->fd, EV_READ | EV_PERSIST,
		    listener_accept_cb, l);
	if (event_add(l->ev, NULL) != 0)
		fatalx("event_add failed");
	l->accepting = 1;
}

void
listener_stop(struct listener *l)
{
	if (l->pause != NULL)
		evtimer_del(l->pause);
	if (!l->accepting)
		return;
	event_del(l->ev);
	l->accepting = 0;
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	listener_stop(l);
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->pause != NULL)
		event_free(l->pause);
	if (l->fd != -1) {
		close(l->fd);
		if (!l->activated)
			unlink(l->path);
	}
	free(l->path);
	free(l);
}
