/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - corund's control socket (ctl.c, ctl-uds.c, ctl-path.c) as its
 * owner sees it: the hooks the owner installs and the calls the step
 * makes.  A request's context is answered exactly once.
 */
#ifndef CD_CTL_H
#define CD_CTL_H

#include <stddef.h>

#include <jansson.h>

struct cd_daemon;
struct cd_ctx;

/*
 * What the control socket hands up to its owner (main.c installs it).
 * All are called on the loop thread.
 */
struct cd_ctl_handler {
	/* Requests were queued: run the step, which calls cd_ctl_handle
	   and then cd_ctl_answer. */
	void (*wake)(struct cd_daemon *d);
	/*
	 * May be NULL.  A request that came in on the loop's thread
	 * (ipc://), before it is queued: its reply when it needs no
	 * transaction (it only reads what is committed, or it is not a
	 * request at all), sent at once; or NULL, and the request goes to
	 * the step, with *parsed (NULL, or the request as parsed here,
	 * handed to request() and owned by the socket until then).
	 */
	json_t *(*early)(struct cd_daemon *d, const char *buf, size_t len,
	    json_t **parsed);
	/* One request's reply, or NULL when it is answered later through
	   cd_ctl_reply() (cd_ops_handle's contract); parsed: early()'s,
	   taken, or NULL to read buf. */
	json_t *(*request)(struct cd_daemon *d, struct cd_ctx *c,
	    const char *buf, size_t len, json_t *parsed);
	/* A deferred request's commit failed: drop what would answer it. */
	void (*forget)(struct cd_daemon *d, struct cd_ctx *c);
};
/*
 * The most the socket receives: a request up to this size that is over
 * max-request gets a too_large reply; a larger one is dropped by nng
 * with its connection (no reply can be sent).  At least CD_CTL_RECV_CAP,
 * which the corun client never exceeds.
 */
#define CD_CTL_RECV_CAP ((size_t)256 << 20)
size_t cd_ctl_recv_limit(size_t max_request);
int cd_ctl_open(struct cd_daemon *d, const char *url,
    const struct cd_ctl_handler *h, char *why, size_t whysize);
void cd_ctl_close(struct cd_daemon *d);
/* Answer a request (takes the reference to reply). */
void cd_ctl_reply(struct cd_ctx *c, json_t *reply);
/*
 * Handle the requests nng queued, inside the step's transaction (with
 * store_ok 0: answer them with a store error); then, after the commit,
 * send the replies, or a store error to each when it failed.
 */
void cd_ctl_handle(struct cd_daemon *d, int store_ok);
void cd_ctl_answer(struct cd_daemon *d, int committed);

/* ctl-path.c: for ipc://PATH, PATH's directory made (0700) when it is
   missing, the default one checked: 0 or a CORUN_E* code, why filled. */
int cd_ctl_make_socket_dir(const char *url, char *why, size_t whysize);
/* Is a listening socket bound to path?  0 when it cannot tell. */
int cd_ctl_ipc_listening(const char *path);

#endif
