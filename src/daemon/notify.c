/* SPDX-License-Identifier: MIT */
/*
 * notify.c - telling the service manager how corund is doing (sd_notify
 * without libsystemd: READY=1, STATUS=..., STOPPING=1), and stopping the
 * loop.  Called from anywhere in corund; calls nothing of it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
void
cd_notify(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	char msg[512];
	socklen_t salen;
	va_list ap;
	int fd, n;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path)) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@') {
		sa.sun_path[0] = '\0';	/* abstract namespace */
	}
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		return;
	}
	while (sendto(fd, msg, (size_t)(n < (int)sizeof(msg) ? n :
	    (int)sizeof(msg) - 1), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    salen) < 0 && errno == EINTR) {
	}
	close(fd);
}

void
cd_quit(struct cd_daemon *d)
{
	corun_loop_stop(d->loop);
}
