/* SPDX-License-Identifier: MIT */
/*
 * wire-sha256.c - SHA-256 as FIPS 180-4 defines it, and HMAC-SHA256
 * (RFC 2104) on top: the primitives of the rendezvous challenge-response
 * (wire-auth.c).  Small and unoptimised: a handshake hashes a few hundred
 * bytes.  Checked against the FIPS examples and RFC 4231 (tests).
 */
#include "config.h"

#include <string.h>

#include "wire-auth.h"

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t
rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint32_t
load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* One 64-byte block into the state (FIPS 180-4, 6.2.2). */
static void
compress(uint32_t h[8], const uint8_t *block)
{
	uint32_t w[64], v[8], t1, t2;

	for (int t = 0; t < 16; t++) {
		w[t] = load_be32(block + 4 * t);
	}
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^
		    (w[t - 15] >> 3);
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^
		    (w[t - 2] >> 10);

		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (int t = 0; t < 64; t++) {
		t1 = v[7] + (rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25)) +
		    ((v[4] & v[5]) ^ (~v[4] & v[6])) + k256[t] + w[t];
		t2 = (rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22)) +
		    ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++) {
		h[i] += v[i];
	}
}

void
wire_sha256_init(struct wire_sha256 *c)
{
	/* Fractional parts of the square roots of the first 8 primes. */
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(c->h, iv, sizeof(iv));
	c->total = 0;
	c->nbuf = 0;
}

void
wire_sha256_update(struct wire_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->total += len;
	while (len > 0) {
		size_t n = WIRE_SHA256_BLOCK - c->nbuf;

		if (n > len) {
			n = len;
		}
		memcpy(c->buf + c->nbuf, p, n);
		c->nbuf += n;
		p += n;
		len -= n;
		if (c->nbuf == WIRE_SHA256_BLOCK) {
			compress(c->h, c->buf);
			c->nbuf = 0;
		}
	}
}

void
wire_sha256_final(struct wire_sha256 *c, uint8_t out[WIRE_SHA256_LEN])
{
	uint64_t bits = c->total * 8;
	uint8_t pad = 0x80;

	/* A 1 bit, zeros up to 56 mod 64, the length in bits (5.1.1). */
	wire_sha256_update(c, &pad, 1);
	pad = 0;
	while (c->nbuf != WIRE_SHA256_BLOCK - 8) {
		wire_sha256_update(c, &pad, 1);
	}
	for (int i = 7; i >= 0; i--) {
		c->buf[c->nbuf++] = (uint8_t)(bits >> (8 * i));
	}
	compress(c->h, c->buf);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
	memset(c, 0, sizeof(*c));
}

void
wire_sha256(const void *data, size_t len, uint8_t out[WIRE_SHA256_LEN])
{
	struct wire_sha256 c;

	wire_sha256_init(&c);
	wire_sha256_update(&c, data, len);
	wire_sha256_final(&c, out);
}

void
wire_hmac_init(struct wire_hmac *m, const void *key, size_t keylen)
{
	uint8_t k[WIRE_SHA256_BLOCK] = { 0 }, ipad[WIRE_SHA256_BLOCK];

	/* A key longer than a block is hashed first (RFC 2104, 2). */
	if (keylen > WIRE_SHA256_BLOCK) {
		wire_sha256(key, keylen, k);
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	for (int i = 0; i < WIRE_SHA256_BLOCK; i++) {
		ipad[i] = k[i] ^ 0x36;
		m->opad[i] = k[i] ^ 0x5c;
	}
	wire_sha256_init(&m->inner);
	wire_sha256_update(&m->inner, ipad, sizeof(ipad));
	memset(k, 0, sizeof(k));
	memset(ipad, 0, sizeof(ipad));
}

void
wire_hmac_update(struct wire_hmac *m, const void *data, size_t len)
{
	wire_sha256_update(&m->inner, data, len);
}

void
wire_hmac_final(struct wire_hmac *m, uint8_t out[WIRE_SHA256_LEN])
{
	struct wire_sha256 outer;
	uint8_t ih[WIRE_SHA256_LEN];

	wire_sha256_final(&m->inner, ih);
	wire_sha256_init(&outer);
	wire_sha256_update(&outer, m->opad, sizeof(m->opad));
	wire_sha256_update(&outer, ih, sizeof(ih));
	wire_sha256_final(&outer, out);
	memset(m, 0, sizeof(*m));
	memset(ih, 0, sizeof(ih));
}

void
wire_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    uint8_t out[WIRE_SHA256_LEN])
{
	struct wire_hmac m;

	wire_hmac_init(&m, key, keylen);
	wire_hmac_update(&m, data, len);
	wire_hmac_final(&m, out);
}
