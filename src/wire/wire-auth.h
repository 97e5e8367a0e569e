/* SPDX-License-Identifier: MIT */
/*
 * wire-auth.h - SHA-256, HMAC-SHA256, and the challenge-response of the
 * remote rendezvous built on them (doc/wire-protocol.md, "Remote workers:
 * the rendezvous").  Both ends use these: the supervisor (src/sup) to
 * issue and check, the worker (workers/attach.c) to answer.  Not
 * installed; nothing here allocates or keeps state.
 */
#ifndef WIRE_AUTH_H
#define WIRE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define WIRE_SHA256_LEN		32
#define WIRE_SHA256_BLOCK		64

/* Version of the rendezvous handshake; it names itself on the wire. */
#define WIRE_RV_AUTH_NAME		"corun-rv2"
#define WIRE_RV_NONCE_LEN		32	/* bytes of each side's nonce */
#define WIRE_RV_KEY_HEX		32	/* hex digits of a derived key/proof */
/* The WELCOME reason that carries a challenge: this, a space, 64 hex. */
#define WIRE_RV_CHALLENGE		"challenge " WIRE_RV_AUTH_NAME
/* The answer of a worker that has no token: refused, and logged. */
#define WIRE_RV_NO_TOKEN		WIRE_RV_AUTH_NAME " no-token"
/* An answer in HELLO's token: WIRE_RV_AUTH_NAME, CNONCE hex, MAC hex. */
#define WIRE_RV_ANSWER_LEN	(sizeof(WIRE_RV_AUTH_NAME) + \
				    4 * WIRE_RV_NONCE_LEN + 2)

struct wire_sha256 {
	uint32_t	h[8];
	uint64_t	total;		/* bytes hashed so far */
	uint8_t		buf[WIRE_SHA256_BLOCK];
	size_t		nbuf;
};

struct wire_hmac {
	struct wire_sha256 inner;
	uint8_t		opad[WIRE_SHA256_BLOCK];
};

/* SHA-256 (FIPS 180-4), in pieces or at once. */
void wire_sha256_init(struct wire_sha256 *c);
void wire_sha256_update(struct wire_sha256 *c, const void *data, size_t len);
void wire_sha256_final(struct wire_sha256 *c, uint8_t out[WIRE_SHA256_LEN]);
void wire_sha256(const void *data, size_t len, uint8_t out[WIRE_SHA256_LEN]);

/* HMAC-SHA256 (RFC 2104); a key of any length. */
void wire_hmac_init(struct wire_hmac *m, const void *key, size_t keylen);
void wire_hmac_update(struct wire_hmac *m, const void *data, size_t len);
void wire_hmac_final(struct wire_hmac *m, uint8_t out[WIRE_SHA256_LEN]);
void wire_hmac_sha256(const void *key, size_t keylen, const void *data,
    size_t len, uint8_t out[WIRE_SHA256_LEN]);

/* 1 if the n bytes are equal; the time taken does not depend on them. */
int wire_auth_equal(const void *a, const void *b, size_t n);

/* n fresh bytes from getrandom(2); 0, or -1 with errno set. */
int wire_auth_random(void *buf, size_t n);

/*
 * The worker's MAC: HMAC-SHA256 keyed by token over the handshake's name,
 * both nonces, and what the HELLO says of the worker (pid, procs,
 * threads, concurrency, capacity, name), so an answer is good for one
 * challenge and one HELLO only.
 */
void wire_rv_mac(const char *token, const uint8_t snonce[WIRE_RV_NONCE_LEN],
    const uint8_t cnonce[WIRE_RV_NONCE_LEN], const struct wire_hello *h,
    uint8_t mac[WIRE_SHA256_LEN]);

/*
 * What both ends derive from the token and the two nonces, as
 * WIRE_RV_KEY_HEX hex digits and a NUL: the session key the worker presents
 * on its session socket, and the proof the supervisor sends back in
 * WELCOME (the worker checks it: the supervisor knows the token too).
 */
void wire_rv_session_key(const char *token,
    const uint8_t snonce[WIRE_RV_NONCE_LEN],
    const uint8_t cnonce[WIRE_RV_NONCE_LEN], char key[WIRE_RV_KEY_HEX + 1]);
void wire_rv_proof(const char *token, const uint8_t snonce[WIRE_RV_NONCE_LEN],
    const uint8_t cnonce[WIRE_RV_NONCE_LEN], char proof[WIRE_RV_KEY_HEX + 1]);

/* "challenge corun-rv2 HEX" into buf (size >= 128); its length. */
size_t wire_rv_format_challenge(const uint8_t snonce[WIRE_RV_NONCE_LEN],
    char *buf, size_t size);
/* The nonce of a challenge reason; 0, or -1 if it is not one. */
int wire_rv_parse_challenge(const uint8_t *text, size_t len,
    uint8_t snonce[WIRE_RV_NONCE_LEN]);

/* "corun-rv2 CNONCE MAC" (hex) into buf (size >= WIRE_RV_ANSWER_LEN). */
void wire_rv_format_answer(const uint8_t cnonce[WIRE_RV_NONCE_LEN],
    const uint8_t mac[WIRE_SHA256_LEN], char *buf, size_t size);
/* The nonce and MAC of an answer; 0, or -1 if it is not one. */
int wire_rv_parse_answer(const uint8_t *text, size_t len,
    uint8_t cnonce[WIRE_RV_NONCE_LEN], uint8_t mac[WIRE_SHA256_LEN]);

#endif /* WIRE_AUTH_H */
