/* SPDX-License-Identifier: MIT */
/*
 * ctl-path.c - where an ipc:// control socket lives: its directory made
 * and checked before corund listens, and whether a live listener is
 * already bound to the file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/paths.h"
#include "daemon.h"

/* For ipc://PATH: make PATH's directory (0700) if it is missing; the
   default one is checked. */
int
cd_ctl_make_socket_dir(const char *url, char *why, size_t whysize)
{
	char dir[4096];
	char *slash;

	if (strncmp(url, "ipc://", 6) != 0) {
		return 0;
	}
	if (snprintf(dir, sizeof(dir), "%s", url + 6) >= (int)sizeof(dir)) {
		snprintf(why, whysize, "socket path too long");
		return CORUN_ERANGE;
	}
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir) {
		return 0;
	}
	*slash = '\0';
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0755);
			*p = '/';
		}
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whysize, "%s: %s", dir, strerror(errno));
		return CORUN_ESYS;
	}
	/* The default one must be ours and private (paths.h). */
	return cd_socket_dir_check(url, 1, why, whysize);
}

/*
 * Is a listening socket bound to path?  nng 1.5.2 finds out by connecting
 * to it, and a connection closed before the SP handshake leaves that
 * listener deaf for good (nng issue 1518, fixed after 1.5.2): a second
 * corund refused on the socket of a first one would take the first one's
 * control socket down with it.  /proc/net/unix answers without
 * connecting.  0 when it cannot tell.
 */
int
cd_ctl_ipc_listening(const char *path)
{
	char line[4352];
	unsigned long flags;
	int off, found = 0;
	size_t len;
	FILE *f;

	if (path[0] != '/' || (f = fopen("/proc/net/unix", "r")) == NULL) {
		return 0;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		off = -1;
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags,
		    &off) != 1 || off < 0 || (flags & 0x10000) == 0) {
			continue;	/* the header, or not listening */
		}
		len = strcspn(line + off, "\n");
		found = len == strlen(path) &&
		    strncmp(line + off, path, len) == 0;
	}
	fclose(f);
	return found;
}
