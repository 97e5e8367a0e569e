/* SPDX-License-Identifier: MIT */
/*
 * ctl-watch.h - re-listen when nng's ipc listener stops accepting
 * (ctl-watch.c).  Used by ctl.c only.
 */
#ifndef CD_CTL_WATCH_H
#define CD_CTL_WATCH_H

#include <nng/nng.h>

struct cd_watch;

/* Watch listener l of sock on url (ipc:// only; otherwise *out = NULL). */
int cd_watch_start(nng_socket sock, nng_listener l, const char *url,
    struct cd_watch **out);
/* Stop the checks (before the socket is closed). */
void cd_watch_stop(struct cd_watch *w);
/* Free, after the socket was closed. */
void cd_watch_free(struct cd_watch *w);

#endif /* CD_CTL_WATCH_H */
