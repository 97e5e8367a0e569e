/*
 * paths.c - where corund keeps its state and its control socket by
 * default; shared with the corun client so both agree without a flag.
 *
 * root: /var/lib/corun and ipc:///run/corun/ctl; others:
 * $XDG_STATE_HOME/corun (else ~/.local/state/corun) and
 * ipc://$XDG_RUNTIME_DIR/corun/ctl (else /tmp/corun-UID/ctl).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <corun/corun.h>

#include "paths.h"

static int
fmt(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf, size, "%s%s%s", a, b, c);

	return n < 0 || (size_t)n >= size ? CORUN_ERANGE : 0;
}

int
cd_default_socket(char *buf, size_t size)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char uid[32];

	if (geteuid() == 0) {
		return fmt(buf, size, "ipc:///run/corun/ctl", "", "");
	}
	if (rt != NULL && rt[0] == '/') {
		return fmt(buf, size, "ipc://", rt, "/corun/ctl");
	}
	snprintf(uid, sizeof(uid), "%ld", (long)geteuid());
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
