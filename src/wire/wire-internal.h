/* SPDX-License-Identifier: MIT */
/*
 * wire-internal.h - byte order helpers and layout constants shared by the
 * encoder and the decoder.  Offsets and sizes here are the ones in
 * doc/wire-protocol.md.
 */
#ifndef WIRE_INTERNAL_H
#define WIRE_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "wire.h"

/* Header offsets. */
#define WIRE_OFF_MAGIC	0	/* "CRW" */
#define WIRE_OFF_VERSION	3
#define WIRE_OFF_TYPE	4
#define WIRE_OFF_FLAGS	5
#define WIRE_OFF_RESERVED	6	/* u16, zero */
#define WIRE_OFF_COUNT	8
#define WIRE_OFF_BODYLEN	12

/*
 * Fixed parts.  Each record or single-frame body is a fixed part that
 * ends with the lengths of its variable fields, then those fields'
 * bytes in order; so a record's size is known after reading its fixed
 * part and one comparison bounds all its variable data.
 */
#define WIRE_HELLO_FIXED	29
#define WIRE_WELCOME_FIXED	14
#define WIRE_JOB_FIXED	28
#define WIRE_RESULT_FIXED	52
#define WIRE_RESULTS_PRE	4	/* credit */
#define WIRE_CANCEL_REC	8
#define WIRE_OUTPUT_FIXED	20
#define WIRE_CREDIT_BODY	4
#define WIRE_HEARTBEAT_BODY	20
#define WIRE_SHUTDOWN_BODY	5
#define WIRE_BYE_FIXED	8

/*
 * Explicit little-endian loads and stores: the buffer has no alignment,
 * and the wire order must not depend on the host.  Compilers turn these
 * into single moves on little-endian machines.
 */
static inline void
wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
wire_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void
wire_put64(uint8_t *p, uint64_t v)
{
	wire_put32(p, (uint32_t)v);
	wire_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t
wire_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
wire_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	    ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t
wire_get64(const uint8_t *p)
{
	return (uint64_t)wire_get32(p) |
	    ((uint64_t)wire_get32(p + 4) << 32);
}

/* Limit a max_frame argument: 0 means the default; the u32 body length
 * field caps what a frame can describe. */
static inline size_t
wire_limit(size_t max_frame)
{
	if (max_frame == 0) {
		return WIRE_MAX_FRAME;
	}
	if (max_frame > (size_t)WIRE_HDR_SIZE + UINT32_MAX) {
		return (size_t)WIRE_HDR_SIZE + UINT32_MAX;
	}
	return max_frame;
}

/*
 * The fixed part of a record, read from p (WIRE_*_FIXED bytes, known
 * to be there): every field, and the lengths of its variable fields (their
 * .ptr is left alone).  The decoder and the iterators both read records
 * through these.
 */
static inline void
wire_get_job_fixed(const uint8_t *p, struct wire_job *j)
{
	j->id = wire_get64(p);
	j->attempt = wire_get32(p + 8);
	j->timeout_ms = wire_get32(p + 12);
	j->flags = wire_get32(p + 16);
	j->kind.len = wire_get32(p + 20);
	j->payload.len = wire_get32(p + 24);
}

static inline void
wire_get_result_fixed(const uint8_t *p, struct wire_result *r)
{
	r->id = wire_get64(p);
	r->attempt = wire_get32(p + 8);
	r->status = wire_get32(p + 12);
	r->exit_code = (int32_t)wire_get32(p + 16);
	r->signal = wire_get32(p + 20);
	r->start_ns = wire_get64(p + 24);
	r->end_ns = wire_get64(p + 32);
	r->out.len = wire_get32(p + 40);
	r->err.len = wire_get32(p + 44);
	r->errmsg.len = wire_get32(p + 48);
}

static inline void
wire_get_output_fixed(const uint8_t *p, struct wire_output *o)
{
	o->id = wire_get64(p);
	o->attempt = wire_get32(p + 8);
	o->stream = wire_get32(p + 12);
	o->data.len = wire_get32(p + 16);
}

/* Copy a byte field's data; the length went into the fixed part. */
static inline uint8_t *
wire_put_var(uint8_t *p, const struct wire_bytes *s)
{
	if (s->len > 0) {
		memcpy(p, s->ptr, s->len);
	}
	return p + s->len;
}

/*
 * wire-encode.c: make room for need more bytes (the caller checked the
 * frame limit); check a string field (present if long, within max, no
 * NUL): 0, CORUN_EINVAL or CORUN_ERANGE.
 */
int	wire_reserve(struct wire_builder *b, size_t need);
int	wire_check_str(const struct wire_bytes *s, uint32_t max);

/* wire-header.c: write the header with count and body length still zero. */
void	wire_put_header(uint8_t *p, uint8_t type);
/* wire-header.c: print a reason into why (if any room); returns err. */
int	wire_whyf(char *why, size_t whylen, int err, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Frame types that carry records. */
static inline int
wire_is_batch(int type)
{
	return type == WIRE_JOBS || type == WIRE_RESULTS ||
	    type == WIRE_CANCEL || type == WIRE_OUTPUT;
}

#endif /* WIRE_INTERNAL_H */
