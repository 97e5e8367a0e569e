/*
 * wire-auth.h - SHA-256, HMAC-SHA256, and the challenge-response of the
 * remote rendezvous built on them (doc/wire-protocol.md, "Remote workers:
 * the rendezvous").  Both ends use these: the supervisor (src/sup) to
 * issue and check, the worker (workers/attach.c) to answer.  Not
 * installed; nothing here allocates or keeps state.
 */
#ifndef CR_WIRE_AUTH_H
#define CR_WIRE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define CR_SHA256_LEN		32
#define CR_SHA256_BLOCK		64

/* Version of the rendezvous handshake; it names itself on the wire. */
#define CR_RV_AUTH_NAME		"corun-rv2"
#define CR_RV_NONCE_LEN		32	/* bytes of each side's nonce */
#define CR_RV_KEY_HEX		32	/* hex digits of a derived key/proof */
/* The WELCOME reason that carries a challenge: this, a space, 64 hex. */
#define CR_RV_CHALLENGE		"challenge " CR_RV_AUTH_NAME
/* The answer of a worker that has no token: refused, and logged. */
#define CR_RV_NO_TOKEN		CR_RV_AUTH_NAME " no-token"
/* An answer in HELLO's token: CR_RV_AUTH_NAME, CNONCE hex, MAC hex. */
#define CR_RV_ANSWER_LEN	(sizeof(CR_RV_AUTH_NAME) + \
				    4 * CR_RV_NONCE_LEN + 2)

struct cr_sha256 {
	uint32_t	h[8];
	uint64_t	total;		/* bytes hashed so far */
	uint8_t		buf[CR_SHA256_BLOCK];
	size_t		nbuf;
};

struct cr_hmac {
	struct cr_sha256 inner;
	uint8_t		opad[CR_SHA256_BLOCK];
};

/* SHA-256 (FIPS 180-4), in pieces or at once. */
void cr_sha256_init(struct cr_sha256 *c);
void cr_sha256_update(struct cr_sha256 *c, const void *data, size_t len);
void cr_sha256_final(struct cr_sha256 *c, uint8_t out[CR_SHA256_LEN]);
void cr_sha256(const void *data, size_t len, uint8_t out[CR_SHA256_LEN]);

/* HMAC-SHA256 (RFC 2104); a key of any length. */
void cr_hmac_init(struct cr_hmac *m, const void *key, size_t keylen);
void cr_hmac_update(struct cr_hmac *m, const void *data, size_t len);
void cr_hmac_final(struct cr_hmac *m, uint8_t out[CR_SHA256_LEN]);
void cr_hmac_sha256(const void *key, size_t keylen, const void *data,
    size_t len, uint8_t out[CR_SHA256_LEN]);

/* 1 if the n bytes are equal; the time taken does not depend on them. */
int cr_auth_equal(const void *a, const void *b, size_t n);

/* n fresh bytes from getrandom(2); 0, or -1 with errno set. */
int cr_auth_random(void *buf, size_t n);

/*
 * The worker's MAC: HMAC-SHA256 keyed by token over the handshake's name,
 * both nonces, and what the HELLO says of the worker (pid, procs,
 * threads, concurrency, capacity, name), so an answer is good for one
 * challenge and one HELLO only.
 */
void cr_rv_mac(const char *token, const uint8_t snonce[CR_RV_NONCE_LEN],
    const uint8_t cnonce[CR_RV_NONCE_LEN], const struct cr_wire_hello *h,
    uint8_t mac[CR_SHA256_LEN]);

/*
 * What both ends derive from the token and the two nonces, as
 * CR_RV_KEY_HEX hex digits and a NUL: the session key the worker presents
 * on its session socket, and the proof the supervisor sends back in
 * WELCOME (the worker checks it: the supervisor knows the token too).
 */
void cr_rv_session_key(const char *token,
    const uint8_t snonce[CR_RV_NONCE_LEN],
    const uint8_t cnonce[CR_RV_NONCE_LEN], char key[CR_RV_KEY_HEX + 1]);
void cr_rv_proof(const char *token, const uint8_t snonce[CR_RV_NONCE_LEN],
    const uint8_t cnonce[CR_RV_NONCE_LEN], char proof[CR_RV_KEY_HEX + 1]);

/* "challenge corun-rv2 HEX" into buf (size >= 128); its length. */
size_t cr_rv_format_challenge(const uint8_t snonce[CR_RV_NONCE_LEN],
    char *buf, size_t size);
/* The nonce of a challenge reason; 0, or -1 if it is not one. */
int cr_rv_parse_challenge(const uint8_t *text, size_t len,
    uint8_t snonce[CR_RV_NONCE_LEN]);

/* "corun-rv2 CNONCE MAC" (hex) into buf (size >= CR_RV_ANSWER_LEN). */
void cr_rv_format_answer(const uint8_t cnonce[CR_RV_NONCE_LEN],
    const uint8_t mac[CR_SHA256_LEN], char *buf, size_t size);
/* The nonce and MAC of an answer; 0, or -1 if it is not one. */
int cr_rv_parse_answer(const uint8_t *text, size_t len,
    uint8_t cnonce[CR_RV_NONCE_LEN], uint8_t mac[CR_SHA256_LEN]);

#endif /* CR_WIRE_AUTH_H */
