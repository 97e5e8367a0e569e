/* SPDX-License-Identifier: MIT */
/*
 * ctl-uds.h - corund's ipc:// control listener, served on the loop's own
 * thread: nng's REP protocol over its IPC transport, spoken with plain
 * system calls (the wire format is in ctl-uds.c).
 *
 * Contracts: every callback runs on the loop thread.  request() is
 * called once per well-formed request; the connection it names stays
 * valid (its memory) until the reference taken with cd_uds_hold() is
 * given back with cd_uds_release(), even after the peer went away, when
 * cd_uds_send() drops the reply.  A message over the receive cap, a bad
 * greeting or a broken frame closes that connection and nothing else.
 */
#ifndef CD_CTL_UDS_H
#define CD_CTL_UDS_H

#include <stddef.h>

struct event_base;
struct cd_uds;
struct cd_uds_conn;

struct cd_uds_ops {
	/* One request: hdr (the REQ routing header, to be echoed in the
	   reply) and the body; both are only valid during the call. */
	void (*request)(void *arg, struct cd_uds_conn *conn,
	    const unsigned char *hdr, size_t hlen, const char *body,
	    size_t len);
};

/*
 * Listen on path (its directory exists; the file becomes 0600), where
 * the caller found no live listener: a socket file left there is
 * replaced.  0, or a CORUN_E* code with why filled in.
 */
int cd_uds_open(struct event_base *base, const char *path, size_t cap,
    const struct cd_uds_ops *ops, void *arg, struct cd_uds **out,
    char *why, size_t whysize);
/* Queue a reply to the request whose header is hdr: 0, or -1 when the
   connection is gone (the reply is dropped, as nng's REP drops it). */
int cd_uds_send(struct cd_uds_conn *conn, const unsigned char *hdr,
    size_t hlen, const char *body, size_t len);
void cd_uds_hold(struct cd_uds_conn *conn);
void cd_uds_release(struct cd_uds_conn *conn);
/* Try for up to ms milliseconds to write out replies still queued. */
void cd_uds_flush(struct cd_uds *u, int ms);
/* Stop listening, close every connection, remove the socket file if it
   is still ours.  Connections still held are freed when released. */
void cd_uds_close(struct cd_uds *u);

#endif
