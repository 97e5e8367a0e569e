/* SPDX-License-Identifier: MIT */
/*
 * hostport.h - an address as HOST:PORT ("127.0.0.1:9090", "[::1]:9090",
 * "localhost:9090"), as --http and corun top take it.
 */
#ifndef CM_COMMON_HOSTPORT_H
#define CM_COMMON_HOSTPORT_H

#include <stddef.h>

/* Split addr into host (without brackets) and port (0..65535): 0, or -1
   with why saying what was expected. */
int cm_http_split(const char *addr, char *host, size_t hostsize,
    int *port, char *why, size_t whysize);

#endif
