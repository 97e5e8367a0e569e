/* SPDX-License-Identifier: MIT */
/*
 * wire-chunk.c - encode and decode chunk payloads and outputs (see
 * wire-chunk.h for the layouts).
 */
#include <stdlib.h>
#include <string.h>

#include "wire-chunk.h"
#include "wire-internal.h"

int
wire_chunk_reserve(struct wire_chunk_buf *b, size_t need)
{
	size_t cap;
	uint8_t *n;

	if (need <= b->cap - b->len) {
		return 0;
	}
	cap = b->cap != 0 ? b->cap : 4096;
	while (cap - b->len < need) {
		if (cap > SIZE_MAX / 2) {
			return CORUN_ENOMEM;
		}
		cap *= 2;
	}
	if ((n = realloc(b->p, cap)) == NULL) {
		return CORUN_ENOMEM;
	}
	b->p = n;
	b->cap = cap;
	return 0;
}

void
wire_chunk_buf_free(struct wire_chunk_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
wire_chunk_begin(struct wire_chunk_buf *b)
{
	b->len = 0;
	if (wire_chunk_reserve(b, 4) != 0) {
		return CORUN_ENOMEM;
	}
	wire_put32(b->p, 0);
	b->len = 4;
	b->last_ns = 0;
	return 0;
}

void
wire_chunk_finish(struct wire_chunk_buf *b, uint32_t count)
{
	if (b->len >= 4) {
		wire_put32(b->p, count);
	}
}

/* Field flags of a payload record. */
#define J_TIMEOUT	0x01
#define J_RETRIES	0x02
#define J_KIND		0x04
#define J_PAYLOAD	0x08

/* Field flags of an output record. */
#define R_STATUS	0x01
#define R_EXIT		0x02
#define R_SIGNAL	0x04
#define R_ATTEMPTS	0x08
#define R_OUT		0x10
#define R_ERR		0x20
#define R_MSG		0x40

static const char empty[1] = "";

int
wire_chunk_add_job(struct wire_chunk_buf *b, const struct corun_job *j,
    const char *prev)
{
	size_t klen, need;
	uint32_t ms = 0;
	uint8_t *p, flags = 0;

	if (prev != NULL && (prev == j->kind || (j->kind != NULL &&
	    strcmp(prev, j->kind) == 0))) {
		klen = 0;	/* same kind as the item before: checked */
	} else if ((klen = j->kind != NULL ? strlen(j->kind) : 0) == 0 ||
	    klen > WIRE_KIND_MAX) {
		return CORUN_EINVAL;
	}
	if ((j->len > 0 && j->payload == NULL) || !(j->timeout >= 0) ||
	    j->timeout > 4e6 || j->retries < 0) {
		return CORUN_EINVAL;
	}
	if (j->len > WIRE_CHUNK_MAX_PAYLOAD - 4 - WIRE_CHUNK_JOB_FIXED - klen) {
		return CORUN_ERANGE;
	}
	if (j->timeout > 0) {
		double v = j->timeout * 1000 + 0.5;

		ms = v < 1 ? 1 : (uint32_t)v;
		flags |= J_TIMEOUT;
	}
	flags |= (j->retries > 0 ? J_RETRIES : 0) | (klen > 0 ? J_KIND : 0) |
	    (j->len > 0 ? J_PAYLOAD : 0);
	need = 1 + (ms ? 4 : 0) + (j->retries > 0 ? 4 : 0) +
	    (klen > 0 ? 1 + klen : 0) + (j->len > 0 ? 4 + j->len + 1 : 0);
	if (b->len + need > WIRE_CHUNK_MAX_PAYLOAD) {
		return CORUN_EAGAIN;
	}
	if (wire_chunk_reserve(b, need) != 0) {
		return CORUN_ENOMEM;
	}
	p = b->p + b->len;
	*p++ = flags;
	if (flags & J_TIMEOUT) {
		wire_put32(p, ms);
		p += 4;
	}
	if (flags & J_RETRIES) {
		wire_put32(p, (uint32_t)j->retries);
		p += 4;
	}
	if (flags & J_KIND) {
		*p++ = (uint8_t)klen;
		memcpy(p, j->kind, klen);
		p += klen;
	}
	if (flags & J_PAYLOAD) {
		wire_put32(p, (uint32_t)j->len);
		memcpy(p + 4, j->payload, j->len);
		p[4 + j->len] = '\0';
	}
	b->len += need;
	return 0;
}

int
wire_chunk_iter_init(struct wire_chunk_iter *it, const void *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	if (buf == NULL || len < 4) {
		return CORUN_EPROTO;
	}
	it->p = buf;
	it->end = it->p + len;
	it->count = wire_get32(it->p);
	it->p += 4;
	return 0;
}

static int
take_u32(struct wire_chunk_iter *it, uint32_t *v)
{
	if (it->end - it->p < 4) {
		return -1;
	}
	*v = wire_get32(it->p);
	it->p += 4;
	return 0;
}

/* A u32 length, that many bytes and a NUL; NULL if they are not there. */
static const char *
take_field(struct wire_chunk_iter *it, uint32_t *len)
{
	const char *s;

	if (take_u32(it, len) != 0 || (size_t)(it->end - it->p) <= *len ||
	    it->p[*len] != '\0') {
		return NULL;
	}
	s = (const char *)it->p;
	it->p += (size_t)*len + 1;
	return s;
}

int
wire_chunk_next_job(struct wire_chunk_iter *it, struct wire_chunk_job *j)
{
	uint8_t flags;

	if (it->index >= it->count) {
		return CORUN_EDONE;
	}
	if (it->p >= it->end || ((flags = *it->p++) & ~(J_TIMEOUT |
	    J_RETRIES | J_KIND | J_PAYLOAD)) != 0) {
		return CORUN_EPROTO;
	}
	j->timeout_ms = 0;
	j->retries = 0;
	if ((flags & J_TIMEOUT) && take_u32(it, &j->timeout_ms) != 0) {
		return CORUN_EPROTO;
	}
	if ((flags & J_RETRIES) && take_u32(it, &j->retries) != 0) {
		return CORUN_EPROTO;
	}
	if (flags & J_KIND) {
		if (it->p >= it->end || *it->p == 0 ||
		    (size_t)(it->end - it->p) < 1u + *it->p) {
			return CORUN_EPROTO;
		}
		it->kind_len = *it->p;
		it->kind = (const char *)it->p + 1;
		it->p += 1 + it->kind_len;
	} else if (it->kind == NULL) {
		return CORUN_EPROTO;	/* "the previous kind" with none */
	}
	j->kind = it->kind;
	j->kind_len = it->kind_len;
	j->payload = empty;
	j->len = 0;
	if ((flags & J_PAYLOAD) &&
	    (j->payload = take_field(it, &j->len)) == NULL) {
		return CORUN_EPROTO;
	}
	it->index++;
	return 0;
}

/* Zigzag LEB128: small differences, either sign, in few bytes. */
static uint8_t *
put_varint(uint8_t *p, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);

	while (z >= 0x80) {
		*p++ = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	*p++ = (uint8_t)z;
	return p;
}

static int
take_varint(struct wire_chunk_iter *it, int64_t *v)
{
	uint64_t z = 0;
	unsigned shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (it->p >= it->end) {
			return -1;
		}
		z |= (uint64_t)(*it->p & 0x7f) << shift;
		if ((*it->p++ & 0x80) == 0) {
			*v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
			return 0;
		}
	}
	return -1;
}

static uint8_t *
put_field(uint8_t *p, const char *s, uint32_t len)
{
	wire_put32(p, len);
	if (len > 0) {
		memcpy(p + 4, s, len);
	}
	p[4 + len] = '\0';
	return p + 4 + len + 1;
}

int
wire_chunk_add_result(struct wire_chunk_buf *b, const struct wire_chunk_result *r)
{
	size_t need = WIRE_CHUNK_RESULT_FIXED + (size_t)r->out_len +
	    r->err_len + r->msg_len;
	uint8_t *p, *flags;

	if (wire_chunk_reserve(b, need) != 0) {
		return CORUN_ENOMEM;
	}
	p = b->p + b->len;
	flags = p++;
	*flags = 0;
	if (r->status != 0) {
		*flags |= R_STATUS;
		wire_put32(p, r->status);
		p += 4;
	}
	if (r->exit_code != -1) {
		*flags |= R_EXIT;
		wire_put32(p, (uint32_t)r->exit_code);
		p += 4;
	}
	if (r->signal != 0) {
		*flags |= R_SIGNAL;
		wire_put32(p, r->signal);
		p += 4;
	}
	if (r->attempts != 1) {
		*flags |= R_ATTEMPTS;
		wire_put32(p, r->attempts);
		p += 4;
	}
	if (r->out_len > 0) {
		*flags |= R_OUT;
		p = put_field(p, r->out, r->out_len);
	}
	if (r->err_len > 0) {
		*flags |= R_ERR;
		p = put_field(p, r->err, r->err_len);
	}
	if (r->msg_len > 0) {
		*flags |= R_MSG;
		p = put_field(p, r->msg, r->msg_len);
	}
	p = put_varint(p, (int64_t)(r->start_ns - b->last_ns));
	p = put_varint(p, (int64_t)(r->end_ns - r->start_ns));
	b->last_ns = r->end_ns;
	b->len = (size_t)(p - b->p);
	return 0;
}

int
wire_chunk_next_result(struct wire_chunk_iter *it, struct wire_chunk_result *r)
{
	int64_t d;
	uint8_t flags;

	if (it->index >= it->count) {
		return CORUN_EDONE;
	}
	if (it->p >= it->end || ((flags = *it->p++) & 0x80) != 0) {
		return CORUN_EPROTO;
	}
	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
	r->attempts = 1;
	r->out = r->err = r->msg = empty;
	if (((flags & R_STATUS) && take_u32(it, &r->status) != 0) ||
	    ((flags & R_EXIT) && take_u32(it, (uint32_t *)&r->exit_code) !=
	    0) || ((flags & R_SIGNAL) && take_u32(it, &r->signal) != 0) ||
	    ((flags & R_ATTEMPTS) && take_u32(it, &r->attempts) != 0)) {
		return CORUN_EPROTO;
	}
	if (((flags & R_OUT) && (r->out = take_field(it, &r->out_len)) ==
	    NULL) || ((flags & R_ERR) && (r->err = take_field(it,
	    &r->err_len)) == NULL) || ((flags & R_MSG) &&
	    (r->msg = take_field(it, &r->msg_len)) == NULL)) {
		return CORUN_EPROTO;
	}
	if (take_varint(it, &d) != 0) {
		return CORUN_EPROTO;
	}
	r->start_ns = it->last_ns + (uint64_t)d;
	if (take_varint(it, &d) != 0) {
		return CORUN_EPROTO;
	}
	r->end_ns = r->start_ns + (uint64_t)d;
	it->last_ns = r->end_ns;
	it->index++;
	return 0;
}
