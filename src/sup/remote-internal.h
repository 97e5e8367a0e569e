/* SPDX-License-Identifier: MIT */
/*
 * remote-internal.h - shared by remote.c (session sockets of remote
 * workers), remote-sess.c (closing them), remote-listen.c (the
 * rendezvous) and remote-auth.c (its challenge-response).  Not installed.
 */
#ifndef SUP_REMOTE_INTERNAL_H
#define SUP_REMOTE_INTERNAL_H

#include <pthread.h>

#include "sup-internal.h"
#include "wire/wire-auth.h"

#define SUP_REMOTE_TIMEOUT_MS	10000
#define SUP_REMOTE_HEARTBEAT_MS	1000	/* as SUP_HEARTBEAT_MS */
#define SUP_RV_MAX_MSG		(64u << 10)
#define SUP_RV_OUTSTANDING	64	/* challenges awaiting an answer */

/* A challenge handed out on one rendezvous connection (remote-auth.c). */
struct sup_rv_nonce {
	uint8_t		nonce[WIRE_RV_NONCE_LEN];
	uint32_t	pipe;		/* nng pipe id it was sent on */
	uint64_t	expires_ns;	/* CLOCK_MONOTONIC */
	int		live;
};

struct sup_remote {
	pthread_mutex_t mu;
	int refs;			/* mu: the pool + open sessions */
	struct corun_pool *pool;	/* mu: NULL once the pool let go */
	int *gone;			/* mu: ids of sockets whose pipe left */
	size_t ngone, capgone;		/* mu */
	int pfd[2];			/* nng threads -> loop */
	struct event *gone_ev;
	nng_socket rv;
	nng_listener rvl;
	int rv_open;
	int rv_listening;		/* rvl started: ours to close */
	struct event *rv_ev;
	void *tls;			/* nng_tls_config *, or NULL */
	char *token;			/* a copy of opts.token, or NULL */
	char scheme[16];		/* "tcp", "tls+tcp", "ipc", ... */
	char host[160];			/* tcp: host part, as given */
	char path[200];			/* ipc: socket path */
	int is_ipc;
	char url[256];			/* the URL workers dial: the real
					   port where the given one was 0 */
	struct sup_rv_nonce nonces[SUP_RV_OUTSTANDING];	/* loop only */
};

/*
 * A session socket as its pipe callback knows it: the socket id is taken
 * when it opens (a removed pipe may no longer name its socket).  Freed
 * once nng_close of the socket has returned.
 */
struct sup_sess {
	struct sup_remote *r;
	int id;
};

/* remote-sess.c */
void sup_remote_unref(struct sup_remote *r);
/* Close on a detached thread (nng_close can hang); frees sess after. */
void sup_remote_close_session(struct sup_remote *r, nng_socket sock,
    struct sup_sess *sess);

/* remote-auth.c (loop thread) */
/*
 * A fresh nonce for the connection pipe, replacing any it had, good for
 * ttl_ns, as the reason text of a challenging WELCOME; 0, or -1 without
 * random bytes.
 */
int sup_remote_challenge(struct sup_remote *r, uint32_t pipe, uint64_t ttl_ns,
    char *text, size_t size);
/*
 * Check the answer in h's token against the nonce pipe was given, which
 * is used up whatever the outcome.  0 with the derived session key and
 * proof set, or -1 (no nonce, expired, malformed, wrong MAC).
 */
int sup_remote_check_answer(struct sup_remote *r, uint32_t pipe,
    const struct wire_hello *h, char key[WIRE_RV_KEY_HEX + 1],
    char proof[WIRE_RV_KEY_HEX + 1]);

/* remote.c */
void sup_remote_format_addr(const nng_sockaddr *sa, char *buf, size_t size);
void sup_remote_printable(char *dst, size_t size, const uint8_t *src,
    size_t len);
int sup_remote_same_secret(const uint8_t *a, size_t alen, const char *b);
int sup_remote_set_tls(struct sup_remote *r, nng_listener l);
/* key: the session key derived in the handshake, or NULL for a random one. */
struct sup_worker *sup_remote_attach(struct corun_pool *p,
    const struct wire_hello *h, const char *key, const char *peer,
    char *why, size_t whysize);
void sup_remote_on_gone(evutil_socket_t fd, short what, void *arg);

#endif /* SUP_REMOTE_INTERNAL_H */
