/* SPDX-License-Identifier: MIT */
/*
 * hostport.c - "HOST:PORT" and "[V6]:PORT" split, for the web listener
 * (http.c) and its clients (corun top), which do not link libevent's
 * HTTP code.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hostport.h"

int
cm_http_split(const char *addr, char *host, size_t hostsize, int *port,
    char *why, size_t whysize)
{
	const char *colon, *h = addr, *end;
	char *e;
	long p;

	if (addr[0] == '[') {
		h = addr + 1;
		if ((end = strchr(h, ']')) == NULL || end[1] != ':') {
			goto bad;
		}
		colon = end + 1;
	} else if ((colon = strrchr(addr, ':')) == NULL) {
		goto bad;
	} else {
		end = colon;
	}
	if (end == h || (size_t)(end - h) >= hostsize) {
		goto bad;
	}
	p = strtol(colon + 1, &e, 10);
	if (colon[1] == '\0' || *e != '\0' || p < 0 || p > 65535) {
		goto bad;
	}
	memcpy(host, h, (size_t)(end - h));
	host[end - h] = '\0';
	*port = (int)p;
	return 0;
bad:
	snprintf(why, whysize, "\"%.200s\": expected HOST:PORT (127.0.0.1:9090,"
	    " [::1]:9090) with a port from 0 to 65535", addr);
	return -1;
}
