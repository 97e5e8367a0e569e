/* SPDX-License-Identifier: MIT */
/*
 * unit-env.c - what a service manager hands corund: under systemd the
 * unit's StateDirectory= and RuntimeDirectory= arrive as
 * $STATE_DIRECTORY and $RUNTIME_DIRECTORY, and they are where the store
 * and the control socket go unless the settings name others; the config
 * file is CD_CONF_DEFAULT when --config names none and it exists, else
 * the built-in defaults, so a fresh install starts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#ifndef CD_CONF_DEFAULT
#define CD_CONF_DEFAULT "/etc/corun/corund.conf"
#endif

/* The first directory of a systemd list ("a:b"), if absolute. */
static char *
first_dir(const char *env)
{
	const char *v = getenv(env);
	size_t n;
	char *s;

	if (v == NULL || v[0] != '/') {
		return NULL;
	}
	n = strcspn(v, ":");
	if ((s = malloc(n + 1)) != NULL) {
		memcpy(s, v, n);
		s[n] = '\0';
	}
	return s;
}

int
cd_unit_dirs(struct cd_conf *c)
{
	char *dir;

	if (c->state_dir == NULL && (dir = first_dir("STATE_DIRECTORY")) !=
	    NULL) {
		c->state_dir = dir;
	}
	if (c->socket == NULL && (dir = first_dir("RUNTIME_DIRECTORY")) !=
	    NULL) {
		if (asprintf(&c->socket, "ipc://%s/ctl", dir) < 0) {
			c->socket = NULL;
			free(dir);
			return -1;
		}
		free(dir);
	}
	return 0;
}

const char *
cd_conf_default_path(void)
{
	return CD_CONF_DEFAULT;
}

char *
cd_conf_default_file(void)
{
	if (access(CD_CONF_DEFAULT, F_OK) != 0) {
		return NULL;	/* none: the built-in defaults */
	}
	return strdup(CD_CONF_DEFAULT);
}
