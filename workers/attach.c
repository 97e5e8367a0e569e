/* SPDX-License-Identifier: MIT */
/*
 * attach.c - a remote worker presents itself at the rendezvous.
 *
 * A worker started without --parent is remote: --connect names the
 * supervisor's rendezvous (corun run --listen, corund listen = URL), a
 * REP socket.  The worker sends its HELLO there over REQ, without the
 * token; a supervisor that has one answers with a challenge (a fresh
 * nonce), which the worker answers in a second HELLO with its own nonce
 * and an HMAC keyed by the token (wire-auth.c): the token never leaves
 * this process.  The answer is a WELCOME.  Refused: its reason is logged
 * and the worker exits 1.  Accepted: the reason holds "SESSION-URL
 * KEY" (no token) or "SESSION-URL PROOF" (with one: the supervisor shows
 * it knows the token, and the one-time KEY is derived from the nonces on
 * both sides), naming a PAIR1 socket the supervisor opened for this
 * worker alone.  The worker then dials the session (over tcp: the port
 * of SESSION-URL on the host it reached the rendezvous at, so a wildcard
 * or NATed listener still works) and says HELLO again with KEY as its
 * token; from there on the session is the ordinary protocol (session.c).
 *
 * This runs before the main loop starts, so it may block, bounded by its
 * timeouts.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
#include <nng/supplemental/tls/tls.h>
#endif

#include "wire/wire-auth.h"
#include "worker.h"

#define WK_ATTACH_TIMEOUT_MS	10000
#define WK_ATTACH_MAX_MSG	(64u << 10)

/* The two nonces of a challenge-response. */
struct wk_rv_nonces {
	uint8_t		snonce[WIRE_RV_NONCE_LEN];	/* the supervisor's */
	uint8_t		cnonce[WIRE_RV_NONCE_LEN];	/* ours */
};

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
url_is_tls(const char *url)
{
	return has_prefix(url, "tls+");
}

static int
url_is_tcp(const char *url)
{
	return has_prefix(url, "tcp") || url_is_tls(url);
}

int
wk_attach_check(const struct wk_worker_opts *o, char *why, size_t whylen)
{
	if (o->token != NULL && (o->token[0] == '\0' ||
	    strlen(o->token) > WIRE_TOKEN_MAX)) {
		snprintf(why, whylen, "the token must be 1 to %d bytes",
		    WIRE_TOKEN_MAX);
		return -1;
	}
	if (url_is_tcp(o->url) && !url_is_tls(o->url) && o->token == NULL &&
	    !o->insecure) {
		snprintf(why, whylen, "%s: plain tcp:// needs --token, "
		    "--token-file, or --insecure", o->url);
		return -1;
	}
	if (url_is_tls(o->url) && o->tls_ca == NULL && !o->insecure) {
		snprintf(why, whylen, "%s: tls+tcp:// needs --tls-ca to check "
		    "the supervisor's certificate (or --insecure)", o->url);
		return -1;
	}
#ifndef HAVE_NNG_TLS_CONFIG_ALLOC
	if (url_is_tls(o->url)) {
		snprintf(why, whylen, "%s: corun was built without nng's TLS",
		    o->url);
		return -1;
	}
#endif
	return 0;
}

/* The host part of a tcp URL ("tcp://HOST:PORT"). */
static int
url_host(const char *url, char *host, size_t size)
{
	const char *rest = strstr(url, "://"), *colon;

	if (rest == NULL || (colon = strrchr(rest + 3, ':')) == NULL ||
	    (size_t)(colon - rest - 3) >= size) {
		return -1;
	}
	memcpy(host, rest + 3, (size_t)(colon - rest - 3));
	host[colon - rest - 3] = '\0';
	return 0;
}

#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
static int
make_tls(struct wk_state *w, char *why, size_t whylen)
{
	const struct wk_worker_opts *o = &w->opt;
	nng_tls_config *cfg;
	char host[200];
	int rv;

	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0) {
		snprintf(why, whylen, "TLS is not available: %s",
		    nng_strerror(rv));
		return -1;
	}
	w->tls = cfg;
	if (o->tls_ca != NULL) {
		if ((rv = nng_tls_config_ca_file(cfg, o->tls_ca)) != 0) {
			snprintf(why, whylen, "--tls-ca %s: %s", o->tls_ca,
			    nng_strerror(rv));
			return -1;
		}
		if (url_host(o->url, host, sizeof(host)) == 0 && host[0] &&
		    nng_tls_config_server_name(cfg, host) != 0) {
			snprintf(why, whylen, "cannot set the server name");
			return -1;
		}
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	}
	if (rv == 0 && o->tls_cert != NULL) {
		/* Our own certificate, for a supervisor that asks for one. */
		if (o->tls_key == NULL) {
			rv = nng_tls_config_cert_key_file(cfg, o->tls_cert,
			    NULL);
		} else {
			char *c = NULL, *k = NULL;
			FILE *f;
			size_t n;

			rv = NNG_ENOMEM;
			if ((c = calloc(1, 1u << 20)) != NULL &&
			    (k = calloc(1, 1u << 20)) != NULL) {
				rv = NNG_ENOENT;
				if ((f = fopen(o->tls_cert, "r")) != NULL) {
					n = fread(c, 1, (1u << 20) - 1, f);
					c[n] = '\0';
					fclose(f);
					if ((f = fopen(o->tls_key, "r")) != NULL) {
						n = fread(k, 1, (1u << 20) - 1,
						    f);
						k[n] = '\0';
						fclose(f);
						rv = nng_tls_config_own_cert(cfg,
						    c, k, NULL);
					}
				}
			}
			free(c);
			free(k);
		}
		if (rv != 0) {
			snprintf(why, whylen, "--tls-cert %s: %s", o->tls_cert,
			    nng_strerror(rv));
			return -1;
		}
	}
	return rv == 0 ? 0 : -1;
}
#endif

/* Dial the rendezvous, retrying a refused connection for --wait s. */
static int
dial(struct wk_state *w, nng_socket s, char *why, size_t whylen)
{
	struct timespec start, now, nap = { 0, 20000000L };
	nng_dialer d;
	int rv;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if ((rv = nng_dialer_create(&d, s, w->opt.url)) != 0) {
			snprintf(why, whylen, "%s: %s", w->opt.url,
			    nng_strerror(rv));
			return -1;
		}
		if (w->tls != NULL && (rv = nng_dialer_set_ptr(d,
		    NNG_OPT_TLS_CONFIG, w->tls)) != 0) {
			snprintf(why, whylen, "%s: %s", w->opt.url,
			    nng_strerror(rv));
			return -1;
		}
		if ((rv = nng_dialer_start(d, 0)) == 0) {
			return 0;
		}
		nng_dialer_close(d);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((rv != NNG_ECONNREFUSED && rv != NNG_EADDRINVAL &&
		    rv != NNG_ENOENT && rv != NNG_ETIMEDOUT &&
		    rv != NNG_EUNREACHABLE) ||
		    (double)(now.tv_sec - start.tv_sec) +
		    (now.tv_nsec - start.tv_nsec) / 1e9 >= w->opt.wait) {
			snprintf(why, whylen, "cannot connect to %s: %s",
			    w->opt.url, nng_strerror(rv));
			return -1;
		}
		nanosleep(&nap, NULL);
	}
}

/*
 * "SESSION-URL KEY" from an accepting WELCOME; after a challenge,
 * "SESSION-URL PROOF", and the key is derived (auth != NULL).
 */
static int
take_session(struct wk_state *w, const struct wire_welcome *wel,
    const struct wk_rv_nonces *auth, char *why, size_t whylen)
{
	char text[WIRE_REASON_MAX + 1], host[100];
	char proof[WIRE_RV_KEY_HEX + 1];
	char *sp, *port;

	snprintf(text, sizeof(text), "%.*s", (int)wel->reason.len,
	    (const char *)wel->reason.ptr);
	if ((sp = strchr(text, ' ')) == NULL || sp[1] == '\0' ||
	    strlen(sp + 1) >= sizeof(w->session_key)) {
		snprintf(why, whylen, "the supervisor's answer names no "
		    "session: \"%s\"", text);
		return -1;
	}
	*sp = '\0';
	if (strlen(text) + sizeof(host) >= sizeof(w->session_url)) {
		snprintf(why, whylen, "session URL too long");
		return -1;
	}
	if (auth != NULL) {
		wire_rv_proof(w->opt.token, auth->snonce, auth->cnonce, proof);
		if (strlen(sp + 1) != WIRE_RV_KEY_HEX ||
		    !wire_auth_equal(proof, sp + 1, WIRE_RV_KEY_HEX)) {
			snprintf(why, whylen, "%s does not know the token "
			    "(wrong proof in its WELCOME)", w->opt.url);
			return -1;
		}
		wire_rv_session_key(w->opt.token, auth->snonce, auth->cnonce,
		    w->session_key);
	} else {
		snprintf(w->session_key, sizeof(w->session_key), "%s", sp + 1);
	}
	if (url_is_tcp(text)) {
		/* Its port, on the host we reached the rendezvous at. */
		if ((port = strrchr(text, ':')) == NULL ||
		    url_host(w->opt.url, host, sizeof(host)) != 0) {
			snprintf(why, whylen, "bad session URL \"%s\"", text);
			return -1;
		}
		snprintf(w->session_url, sizeof(w->session_url), "%.*s://%.*s%.*s",
		    (int)(strstr(text, "://") - text), text, 100, host, 20, port);
	} else {
		memcpy(w->session_url, text, strlen(text) + 1);
	}
	w->opt.url = w->session_url;
	if (wel->worker_id != 0) {
		w->opt.id = wel->worker_id;
	}
	return 0;
}

/*
 * One request at the rendezvous: h out, a WELCOME back into *wel, whose
 * strings point into *msg (the caller frees it).  0, or -1 with why and
 * *exit_code set.
 */
static int
exchange(struct wk_state *w, nng_socket s, const struct wire_hello *h,
    nng_msg **msg, struct wire_welcome *wel, char *why, size_t whylen,
    int *exit_code)
{
	struct wire_frame f;
	const uint8_t *frame = NULL;
	size_t len = 0;
	char dwhy[WIRE_WHY_SIZE];
	int rv = 0;

	if (wire_encode_hello(&w->wb, h, &frame, &len) != 0 ||
	    (rv = nng_send(s, (void *)frame, len, 0)) != 0) {
		snprintf(why, whylen, "cannot send HELLO to %s: %s",
		    w->opt.url, nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_recvmsg(s, msg, 0)) != 0) {
		*msg = NULL;
		snprintf(why, whylen, "no answer from %s: %s", w->opt.url,
		    nng_strerror(rv));
		return -1;
	}
	if (wire_decode(nng_msg_body(*msg), nng_msg_len(*msg),
	    WK_ATTACH_MAX_MSG, &f, dwhy, sizeof(dwhy)) != 0 ||
	    f.hdr.type != WIRE_WELCOME) {
		snprintf(why, whylen, "%s answered with something other than "
		    "WELCOME", w->opt.url);
		*exit_code = WK_EXIT_PROTO;
		return -1;
	}
	*wel = f.u.welcome;
	return 0;
}

/*
 * The supervisor's challenge in *wel: answer it with HMAC(token, nonces,
 * h) in a second HELLO and take that WELCOME instead.  The token itself
 * is not sent.
 */
static int
answer(struct wk_state *w, nng_socket s, struct wire_hello *h,
    struct wk_rv_nonces *auth, nng_msg **msg, struct wire_welcome *wel,
    char *why, size_t whylen, int *exit_code)
{
	uint8_t mac[WIRE_SHA256_LEN];
	char text[WIRE_RV_ANSWER_LEN];

	if (w->opt.token == NULL) {
		/* Say so, to be refused (and logged) by the supervisor. */
		snprintf(text, sizeof(text), "%s", WIRE_RV_NO_TOKEN);
	} else if (wire_auth_random(auth->cnonce, sizeof(auth->cnonce)) != 0) {
		snprintf(why, whylen, "getrandom: %s", strerror(errno));
		return -1;
	} else {
		wire_rv_mac(w->opt.token, auth->snonce, auth->cnonce, h, mac);
		wire_rv_format_answer(auth->cnonce, mac, text, sizeof(text));
	}
	h->token.ptr = (const uint8_t *)text;
	h->token.len = (uint32_t)strlen(text);
	nng_msg_free(*msg);
	*msg = NULL;
	return exchange(w, s, h, msg, wel, why, whylen, exit_code);
}

int
wk_attach(struct wk_state *w, char *why, size_t whylen, int *exit_code)
{
	struct wire_hello h;
	struct wire_welcome wel;
	struct wk_rv_nonces auth, *authed = NULL;
	nng_socket s;
	nng_msg *msg = NULL;
	int rv, rc = -1;

	*exit_code = WK_EXIT_LOST;
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
	if (url_is_tls(w->opt.url) && make_tls(w, why, whylen) != 0) {
		*exit_code = WK_EXIT_SETUP;
		return -1;
	}
#endif
	if ((rv = nng_req0_open(&s)) != 0) {
		snprintf(why, whylen, "nng_req0_open: %s", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, WK_ATTACH_MAX_MSG);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, WK_ATTACH_TIMEOUT_MS);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, WK_ATTACH_TIMEOUT_MS);
	if (dial(w, s, why, whylen) != 0) {
		goto out;
	}
	/* No token in the first HELLO: one that wants it challenges. */
	wk_session_hello(w, NULL, &h);
	if (exchange(w, s, &h, &msg, &wel, why, whylen, exit_code) != 0) {
		goto out;
	}
	if (!wel.accepted && wire_rv_parse_challenge(wel.reason.ptr,
	    wel.reason.len, auth.snonce) == 0) {
		authed = &auth;
		if (answer(w, s, &h, &auth, &msg, &wel, why, whylen,
		    exit_code) != 0) {
			goto out;
		}
	}
	if (wel.accepted && authed == NULL && w->opt.token != NULL) {
		/* Anyone can say yes; only the supervisor can prove it. */
		snprintf(why, whylen, "%s let us in without asking for the "
		    "token, so it cannot prove it knows it (give no --token "
		    "to attach to it)", w->opt.url);
		*exit_code = WK_EXIT_SETUP;
		goto out;
	}
	if (!wel.accepted) {
		snprintf(why, whylen, "refused by %s: %.*s", w->opt.url,
		    (int)wel.reason.len, (const char *)wel.reason.ptr);
		*exit_code = WK_EXIT_SETUP;
		goto out;
	}
	if (take_session(w, &wel, authed, why, whylen) != 0) {
		*exit_code = WK_EXIT_PROTO;
		goto out;
	}
	rc = 0;
out:
	if (msg != NULL) {
		nng_msg_free(msg);
	}
	memset(&auth, 0, sizeof(auth));
	nng_close(s);
	return rc;
}

void
wk_attach_fini(struct wk_state *w)
{
#ifdef HAVE_NNG_TLS_CONFIG_ALLOC
	if (w->tls != NULL) {
		nng_tls_config_free(w->tls);
		w->tls = NULL;
	}
#endif
}
