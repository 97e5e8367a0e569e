/*
 * remote-internal.h - shared by remote.c (session sockets of remote
 * workers), remote-sess.c (closing them) and remote-listen.c (the
 * rendezvous).  Not installed.
 */
#ifndef CR_REMOTE_INTERNAL_H
#define CR_REMOTE_INTERNAL_H

#include <pthread.h>

#include "sup-internal.h"

#define CR_REMOTE_TIMEOUT_MS	10000
#define CR_REMOTE_HEARTBEAT_MS	1000	/* as CR_HEARTBEAT_MS */
#define CR_RV_MAX_MSG		(64u << 10)

struct cr_remote {
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
};

/*
 * A session socket as its pipe callback knows it: the socket id is taken
 * when it opens (a removed pipe may no longer name its socket).  Freed
 * once nng_close of the socket has returned.
 */
struct cr_sess {
	struct cr_remote *r;
	int id;
};

/* remote-sess.c */
void cr_remote_unref(struct cr_remote *r);
/* Close on a detached thread (nng_close can hang); frees sess after. */
void cr_remote_close_session(struct cr_remote *r, nng_socket sock,
    struct cr_sess *sess);

/* remote.c */
void cr_remote_format_addr(const nng_sockaddr *sa, char *buf, size_t size);
void cr_remote_printable(char *dst, size_t size, const uint8_t *src,
    size_t len);
int cr_remote_same_secret(const uint8_t *a, size_t alen, const char *b);
int cr_remote_set_tls(struct cr_remote *r, nng_listener l);
struct cr_worker *cr_remote_attach(struct corun_pool *p,
    const struct cr_wire_hello *h, const char *peer, char *why,
    size_t whysize);
void cr_remote_on_gone(evutil_socket_t fd, short what, void *arg);

#endif /* CR_REMOTE_INTERNAL_H */
