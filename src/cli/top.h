/* SPDX-License-Identifier: MIT */
/*
 * top.h - corun top: the dashboard of corund --http (or corun run
 * --http) in a terminal, redrawn in place: workers, the queue by group,
 * rates, the last failures.  It reads /api/state over HTTP (top-fetch.c),
 * draws it (top-draw.c) and quits on q (top.c).
 */
#ifndef CLI_TOP_H
#define CLI_TOP_H

#include <stddef.h>

#include <jansson.h>

#include "common/buf.h"

int cli_cmd_top(int argc, char **argv);

/*
 * GET path from host:port with HTTP/1.0, at most timeout_s seconds; the
 * body into *body (malloc'd, NUL-terminated).  0, or -1 with why set (no
 * connection, a timeout, a status other than 200).
 */
int cli_http_get(const char *host, int port, const char *path,
    double timeout_s, char **body, char *why, size_t whysize);

/*
 * The screen for state s (NULL: err says why there is none) on a
 * terminal of rows x cols, into b: lines ending with "\033[K\r\n", at
 * most rows of them, none wider than cols.  addr names the source.
 */
void cli_top_draw(struct cm_buf *b, const json_t *s, const char *err,
    const char *addr, int rows, int cols);

#endif
