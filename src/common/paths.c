/* SPDX-License-Identifier: MIT */
/*
 * paths.c - where corund keeps its state and its control socket by
 * default; shared with the corun client so both agree without a flag.
 * Also the check that the default socket's directory is ours before
 * corund binds there or the client connects (another local user must not
 * be able to make it, move the socket away or listen in its place).
 *
 * root: /var/lib/corun and ipc:///run/corun/ctl; others:
 * $XDG_STATE_HOME/corun (else ~/.local/state/corun) and
 * ipc://$XDG_RUNTIME_DIR/corun/ctl, else ipc:///run/user/UID/corun/ctl
 * when /run/user/UID is ours and private, else /tmp/corun-UID/ctl.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <corun/corun.h>

#include "paths.h"

static int
fmt(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf, size, "%s%s%s", a, b, c);

	return n < 0 || (size_t)n >= size ? CORUN_ERANGE : 0;
}

/* Is path a real directory (not a symlink) of ours, closed to others? */
static int
private_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 077) == 0;
}

int
cd_default_socket(char *buf, size_t size)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char uid[32], run[64];

	if (geteuid() == 0) {
		return fmt(buf, size, "ipc:///run/corun/ctl", "", "");
	}
	if (rt != NULL && rt[0] == '/') {
		return fmt(buf, size, "ipc://", rt, "/corun/ctl");
	}
	snprintf(uid, sizeof(uid), "%ld", (long)geteuid());
	snprintf(run, sizeof(run), "/run/user/%s", uid);
	if (private_dir(run)) {
		return fmt(buf, size, "ipc://", run, "/corun/ctl");
	}
	return fmt(buf, size, "ipc:///tmp/corun-", uid, "/ctl");
}

int
cd_default_state_dir(char *buf, size_t size)
{
	const char *st = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (geteuid() == 0) {
		return fmt(buf, size, "/var/lib/corun", "", "");
	}
	if (st != NULL && st[0] == '/') {
		return fmt(buf, size, st, "/corun", "");
	}
	if (home != NULL && home[0] == '/') {
		return fmt(buf, size, home, "/.local/state/corun", "");
	}
	return CORUN_EINVAL;
}

/* What is wrong with dir as the home of our socket; NULL: nothing. */
static const char *
dir_fault(const char *dir, char *msg, size_t size)
{
	uid_t me = geteuid();
	mode_t bad = me == 0 ? 022 : 077;
	struct stat st;

	if (lstat(dir, &st) != 0) {
		snprintf(msg, size, "%s", strerror(errno));
	} else if (S_ISLNK(st.st_mode)) {
		snprintf(msg, size, "is a symbolic link, not a directory");
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(msg, size, "is not a directory");
	} else if (st.st_uid != me) {
		snprintf(msg, size, "is owned by uid %ld, not by uid %ld",
		    (long)st.st_uid, (long)me);
	} else if ((st.st_mode & bad) != 0) {
		snprintf(msg, size, "has mode %04o; it must be %s",
		    (unsigned)(st.st_mode & 07777), me == 0 ?
		    "writable by its owner only" :
		    "0700 (no access for group or others)");
	} else {
		return NULL;
	}
	return msg;
}

int
cd_socket_dir_check(const char *url, int create, char *why,
    size_t whysize)
{
	/*
	 * No longer than a socket path can be (connect and bind refuse a
	 * longer one): a small frame, so that a short-lived client does
	 * not fault in stack pages for it.
	 */
	char def[sizeof("ipc://") + sizeof(((struct sockaddr_un *)0)->sun_path)];
	char dir[sizeof(def)], msg[256];
	struct stat st;
	char *slash;

	if (cd_default_socket(def, sizeof(def)) != 0 ||
	    strcmp(url, def) != 0) {
		return 0;	/* a socket the user named: theirs to guard */
	}
	snprintf(dir, sizeof(dir), "%s", url + strlen("ipc://"));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir) {
		return 0;
	}
	*slash = '\0';
	/* mkdir never follows a symlink; the lstat below sees what is. */
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whysize, "%s: %s", dir, strerror(errno));
		return CORUN_ESYS;
	}
	if (!create && lstat(dir, &st) != 0 && errno == ENOENT) {
		return 0;	/* nothing there: nobody to connect to */
	}
	if (dir_fault(dir, msg, sizeof(msg)) != NULL) {
		snprintf(why, whysize, "unsafe socket directory %s: %s; "
		    "remove it or name another socket", dir, msg);
		return CORUN_ESYS;
	}
	return 0;
}
