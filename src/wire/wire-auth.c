/* SPDX-License-Identifier: MIT */
/*
 * wire-auth.c - the rendezvous challenge-response, as both ends compute
 * it: the worker's MAC over a supervisor nonce, its own nonce and its
 * HELLO; the session key and the supervisor's proof derived from the same
 * nonces; and the text forms these take in WELCOME's reason and HELLO's
 * token.  The token itself never leaves the process.  See
 * doc/wire-protocol.md, "Remote workers: the rendezvous".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "wire-auth.h"

static const char hexdig[] = "0123456789abcdef";

int
wire_auth_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++) {
		diff |= x[i] ^ y[i];
	}
	return diff == 0;
}

int
wire_auth_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);

		if (r < 0 && errno != EINTR) {
			return -1;
		}
		got += r > 0 ? (size_t)r : 0;
	}
	return 0;
}

static void
put_be32(struct wire_hmac *m, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	wire_hmac_update(m, b, sizeof(b));
}

/* HMAC(token, NAME ":" LABEL, snonce, cnonce), the start of every MAC. */
static void
begin(struct wire_hmac *m, const char *token, const char *label,
    const uint8_t *snonce, const uint8_t *cnonce)
{
	wire_hmac_init(m, token, strlen(token));
	wire_hmac_update(m, WIRE_RV_AUTH_NAME ":", sizeof(WIRE_RV_AUTH_NAME));
	wire_hmac_update(m, label, strlen(label) + 1);	/* with its NUL */
	wire_hmac_update(m, snonce, WIRE_RV_NONCE_LEN);
	wire_hmac_update(m, cnonce, WIRE_RV_NONCE_LEN);
}

void
wire_rv_mac(const char *token, const uint8_t snonce[WIRE_RV_NONCE_LEN],
    const uint8_t cnonce[WIRE_RV_NONCE_LEN], const struct wire_hello *h,
    uint8_t mac[WIRE_SHA256_LEN])
{
	struct wire_hmac m;

	begin(&m, token, "hello", snonce, cnonce);
	put_be32(&m, h->max_version);
	put_be32(&m, h->pid);
	put_be32(&m, h->procs);
	put_be32(&m, h->threads);
	put_be32(&m, h->concurrency);
	put_be32(&m, h->capacity);
	put_be32(&m, h->name.len);
	wire_hmac_update(&m, h->name.ptr, h->name.len);
	wire_hmac_final(&m, mac);
}

static void
to_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[b[i] >> 4];
		out[2 * i + 1] = hexdig[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* n bytes from 2n lowercase hex digits; -1 on anything else. */
static int
from_hex(const uint8_t *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < 2 * n; i++) {
		const char *d = s[i] ? strchr(hexdig, s[i]) : NULL;

		if (d == NULL) {
			return -1;
		}
		if (i % 2 == 0) {
			out[i / 2] = (uint8_t)((d - hexdig) << 4);
		} else {
			out[i / 2] |= (uint8_t)(d - hexdig);
		}
	}
	return 0;
}

static void
derive(const char *token, const char *label, const uint8_t *snonce,
    const uint8_t *cnonce, char out[WIRE_RV_KEY_HEX + 1])
{
	struct wire_hmac m;
	uint8_t mac[WIRE_SHA256_LEN];

	begin(&m, token, label, snonce, cnonce);
	wire_hmac_final(&m, mac);
	to_hex(mac, WIRE_RV_KEY_HEX / 2, out);
	memset(mac, 0, sizeof(mac));
}

void
wire_rv_session_key(const char *token, const uint8_t snonce[WIRE_RV_NONCE_LEN],
    const uint8_t cnonce[WIRE_RV_NONCE_LEN], char key[WIRE_RV_KEY_HEX + 1])
{
	derive(token, "session", snonce, cnonce, key);
}

void
wire_rv_proof(const char *token, const uint8_t snonce[WIRE_RV_NONCE_LEN],
    const uint8_t cnonce[WIRE_RV_NONCE_LEN], char proof[WIRE_RV_KEY_HEX + 1])
{
	derive(token, "supervisor", snonce, cnonce, proof);
}

size_t
wire_rv_format_challenge(const uint8_t snonce[WIRE_RV_NONCE_LEN], char *buf,
    size_t size)
{
	char hex[2 * WIRE_RV_NONCE_LEN + 1];

	to_hex(snonce, WIRE_RV_NONCE_LEN, hex);
	return (size_t)snprintf(buf, size, "%s %s", WIRE_RV_CHALLENGE, hex);
}

int
wire_rv_parse_challenge(const uint8_t *text, size_t len,
    uint8_t snonce[WIRE_RV_NONCE_LEN])
{
	size_t pre = sizeof(WIRE_RV_CHALLENGE);	/* with the space */

	if (len != pre + 2 * WIRE_RV_NONCE_LEN ||
	    memcmp(text, WIRE_RV_CHALLENGE " ", pre) != 0) {
		return -1;
	}
	return from_hex(text + pre, WIRE_RV_NONCE_LEN, snonce);
}

void
wire_rv_format_answer(const uint8_t cnonce[WIRE_RV_NONCE_LEN],
    const uint8_t mac[WIRE_SHA256_LEN], char *buf, size_t size)
{
	char n[2 * WIRE_RV_NONCE_LEN + 1], m[2 * WIRE_SHA256_LEN + 1];

	to_hex(cnonce, WIRE_RV_NONCE_LEN, n);
	to_hex(mac, WIRE_SHA256_LEN, m);
	snprintf(buf, size, "%s %s %s", WIRE_RV_AUTH_NAME, n, m);
}

int
wire_rv_parse_answer(const uint8_t *text, size_t len,
    uint8_t cnonce[WIRE_RV_NONCE_LEN], uint8_t mac[WIRE_SHA256_LEN])
{
	size_t pre = sizeof(WIRE_RV_AUTH_NAME);	/* with the space */

	if (len != WIRE_RV_ANSWER_LEN - 1 ||
	    memcmp(text, WIRE_RV_AUTH_NAME " ", pre) != 0 ||
	    text[pre + 2 * WIRE_RV_NONCE_LEN] != ' ') {
		return -1;
	}
	if (from_hex(text + pre, WIRE_RV_NONCE_LEN, cnonce) != 0 ||
	    from_hex(text + pre + 2 * WIRE_RV_NONCE_LEN + 1, WIRE_SHA256_LEN,
	    mac) != 0) {
		return -1;
	}
	return 0;
}
