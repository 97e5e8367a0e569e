/* SPDX-License-Identifier: MIT */
/*
 * remote-sess.c - the end of remote sockets: the reference count of
 * struct sup_remote (the pool and every open session socket hold one), and
 * session and rendezvous sockets closed on a detached thread, as nng_close
 * can hang.  Calls nothing else of the supervisor.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote-internal.h"

#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
#include <nng/supplemental/tls/tls.h>
#endif

void
sup_remote_unref(struct sup_remote *r)
{
	int last;

	pthread_mutex_lock(&r->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (!last) {
		return;
	}
	close(r->pfd[0]);
	close(r->pfd[1]);
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
	if (r->tls != NULL) {
		nng_tls_config_free(r->tls);
	}
#endif
	pthread_mutex_destroy(&r->mu);
	if (r->token != NULL) {
		explicit_bzero(r->token, strlen(r->token));
		free(r->token);
	}
	free(r->gone);
	free(r);
}

struct sup_rclose {
	nng_socket sock;
	struct sup_remote *r;
	struct sup_sess *sess;		/* its pipe callback's, or NULL */
};

static void *
rclose_main(void *arg)
{
	struct sup_rclose *c = arg;

	nng_close(c->sock);
	free(c->sess);
	sup_remote_unref(c->r);
	free(c);
	return NULL;
}

/* nng_close can hang (sockclose.c): close on a detached thread. */
void
sup_remote_close_session(struct sup_remote *r, nng_socket sock,
    struct sup_sess *sess)
{
	struct sup_rclose *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	int ok = 0;

	if (c != NULL) {
		c->sock = sock;
		c->r = r;
		c->sess = sess;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		ok = pthread_create(&tid, &attr, rclose_main, c) == 0;
		pthread_attr_destroy(&attr);
	}
	if (!ok) {
		free(c);
		nng_close(sock);
		free(sess);
		sup_remote_unref(r);
	}
}

void
sup_remote_close_socket(struct sup_worker *w)
{
	struct sup_remote *r = w->pool->remote;

	if (r->is_ipc) {
		unlink(w->url + 6);
	}
	sup_remote_close_session(r, w->sock, w->sess);
	w->sess = NULL;
	w->sock_open = 0;
}
