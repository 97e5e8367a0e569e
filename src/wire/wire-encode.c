/* SPDX-License-Identifier: MIT */
/*
 * wire-encode.c - frame builder: batch frames record by record into one
 * reusable growable buffer.  Single frames are encoded in wire-single.c,
 * into the same buffer.
 *
 * The encoder refuses exactly what the decoder would refuse (string
 * limits, NUL bytes, empty kind, bad bools), so a frame this code
 * finishes always decodes on the other side.
 */
#include <stdlib.h>
#include <string.h>

#include "fault-internal.h"
#include "wire-internal.h"

#define WIRE_INITIAL_CAP	1024

int
wire_builder_init(struct wire_builder *b, size_t target,
    uint32_t max_records, size_t max_frame)
{
	if (b == NULL) {
		return CORUN_EINVAL;
	}
	memset(b, 0, sizeof(*b));
	max_frame = wire_limit(max_frame);
	if (max_frame < WIRE_HDR_SIZE) {
		return CORUN_EINVAL;
	}
	if (target == 0) {
		/* The default target must still fit under a small limit. */
		target = WIRE_TARGET < max_frame ? WIRE_TARGET :
		    max_frame;
	} else if (target > max_frame) {
		return CORUN_EINVAL;
	}
	b->target = target;
	b->max_frame = max_frame;
	b->max_records = max_records;
	return 0;
}

void
wire_builder_fini(struct wire_builder *b)
{
	if (b == NULL) {
		return;
	}
	free(b->buf);
	b->buf = NULL;
	b->cap = 0;
	wire_builder_reset(b);
}

void
wire_builder_reset(struct wire_builder *b)
{
	b->len = 0;
	b->count = 0;
	b->type = 0;
	b->finished = 0;
}

/*
 * Make room for need more bytes.  The caller has checked that len + need
 * stays within max_frame, so the buffer never grows past the limit.
 */
int
wire_reserve(struct wire_builder *b, size_t need)
{
	size_t want = b->len + need;
	size_t ncap;
	uint8_t *nbuf;

	if (want <= b->cap) {
		return 0;
	}
	ncap = b->cap != 0 ? b->cap : WIRE_INITIAL_CAP;
	while (ncap < want) {
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	}
	if (ncap > b->max_frame) {
		ncap = b->max_frame;
	}
	nbuf = cr_realloc(b->buf, ncap);
	if (nbuf == NULL) {
		return CORUN_ENOMEM;
	}
	b->buf = nbuf;
	b->cap = ncap;
	return 0;
}

static size_t
preamble_size(int type)
{
	return type == WIRE_RESULTS ? WIRE_RESULTS_PRE : 0;
}

/* Check a string field: present if long, within max, no NUL. */
int
wire_check_str(const struct wire_bytes *s, uint32_t max)
{
	if (s->len == 0) {
		return 0;
	}
	if (s->ptr == NULL) {
		return CORUN_EINVAL;
	}
	if (s->len > max) {
		return CORUN_ERANGE;
	}
	if (memchr(s->ptr, 0, s->len) != NULL) {
		return CORUN_EINVAL;
	}
	return 0;
}

static int
check_bytes(const struct wire_bytes *s)
{
	return s->len > 0 && s->ptr == NULL ? CORUN_EINVAL : 0;
}

int
wire_builder_begin(struct wire_builder *b, int type)
{
	size_t pre;
	int err;

	if (!wire_is_batch(type)) {
		return CORUN_EINVAL;
	}
	pre = preamble_size(type);
	wire_builder_reset(b);
	if (WIRE_HDR_SIZE + pre > b->max_frame) {
		return CORUN_ERANGE;
	}
	if ((err = wire_reserve(b, WIRE_HDR_SIZE + pre)) != 0) {
		return err;
	}
	wire_put_header(b->buf, (uint8_t)type);
	if (pre > 0) {
		wire_put32(b->buf + WIRE_HDR_SIZE, 0);	/* credit */
	}
	b->len = WIRE_HDR_SIZE + pre;
	b->type = (uint8_t)type;
	return 0;
}

/*
 * Decide whether a record of size bytes may join the open frame, and
 * make room for it.  See wire_add_job() in wire.h for the contract.
 */
static int
room(struct wire_builder *b, uint64_t size)
{
	size_t empty = WIRE_HDR_SIZE + preamble_size(b->type);

	if (size > b->max_frame - empty) {
		return CORUN_ERANGE;	/* not even an empty frame holds it */
	}
	if (size > b->max_frame - b->len || b->count == UINT32_MAX) {
		return CORUN_EAGAIN;
	}
	if (b->count > 0) {
		if (b->max_records != 0 && b->count >= b->max_records) {
			return CORUN_EAGAIN;
		}
		if (b->len >= b->target || size > b->target - b->len) {
			return CORUN_EAGAIN;
		}
	}
	return wire_reserve(b, (size_t)size);
}

static int
open_frame(const struct wire_builder *b, int type)
{
	return b->type == type && !b->finished;
}

int
wire_add_job(struct wire_builder *b, const struct wire_job *j)
{
	uint64_t size;
	uint8_t *p;
	int err;

	if (!open_frame(b, WIRE_JOBS)) {
		return CORUN_ESTATE;
	}
	if (j->kind.len == 0) {
		return CORUN_EINVAL;
	}
	if ((err = wire_check_str(&j->kind, WIRE_KIND_MAX)) != 0 ||
	    (err = check_bytes(&j->payload)) != 0) {
		return err;
	}
	size = (uint64_t)WIRE_JOB_FIXED + j->kind.len + j->payload.len;
	if ((err = room(b, size)) != 0) {
		return err;
	}
	p = b->buf + b->len;
	wire_put64(p, j->id);
	wire_put32(p + 8, j->attempt);
	wire_put32(p + 12, j->timeout_ms);
	wire_put32(p + 16, j->flags);
	wire_put32(p + 20, j->kind.len);
	wire_put32(p + 24, j->payload.len);
	p = wire_put_var(p + WIRE_JOB_FIXED, &j->kind);
	wire_put_var(p, &j->payload);
	b->len += (size_t)size;
	b->count++;
	return 0;
}

int
wire_add_result(struct wire_builder *b, const struct wire_result *r)
{
	uint64_t size;
	uint8_t *p;
	int err;

	if (!open_frame(b, WIRE_RESULTS)) {
		return CORUN_ESTATE;
	}
	if ((err = check_bytes(&r->out)) != 0 ||
	    (err = check_bytes(&r->err)) != 0 ||
	    (err = wire_check_str(&r->errmsg, WIRE_ERRMSG_MAX)) != 0) {
		return err;
	}
	size = (uint64_t)WIRE_RESULT_FIXED + r->out.len + r->err.len +
	    r->errmsg.len;
	if ((err = room(b, size)) != 0) {
		return err;
	}
	p = b->buf + b->len;
	wire_put64(p, r->id);
	wire_put32(p + 8, r->attempt);
	wire_put32(p + 12, r->status);
	wire_put32(p + 16, (uint32_t)r->exit_code);
	wire_put32(p + 20, r->signal);
	wire_put64(p + 24, r->start_ns);
	wire_put64(p + 32, r->end_ns);
	wire_put32(p + 40, r->out.len);
	wire_put32(p + 44, r->err.len);
	wire_put32(p + 48, r->errmsg.len);
	p = wire_put_var(p + WIRE_RESULT_FIXED, &r->out);
	p = wire_put_var(p, &r->err);
	wire_put_var(p, &r->errmsg);
	b->len += (size_t)size;
	b->count++;
	return 0;
}

int
wire_add_cancel(struct wire_builder *b, uint64_t id)
{
	int err;

	if (!open_frame(b, WIRE_CANCEL)) {
		return CORUN_ESTATE;
	}
	if ((err = room(b, WIRE_CANCEL_REC)) != 0) {
		return err;
	}
	wire_put64(b->buf + b->len, id);
	b->len += WIRE_CANCEL_REC;
	b->count++;
	return 0;
}

int
wire_add_output(struct wire_builder *b, const struct wire_output *o)
{
	uint64_t size;
	uint8_t *p;
	int err;

	if (!open_frame(b, WIRE_OUTPUT)) {
		return CORUN_ESTATE;
	}
	if (o->stream < WIRE_STDOUT || o->stream > WIRE_STDERR_FILE) {
		return CORUN_EINVAL;
	}
	if ((err = check_bytes(&o->data)) != 0) {
		return err;
	}
	size = (uint64_t)WIRE_OUTPUT_FIXED + o->data.len;
	if ((err = room(b, size)) != 0) {
		return err;
	}
	p = b->buf + b->len;
	wire_put64(p, o->id);
	wire_put32(p + 8, o->attempt);
	wire_put32(p + 12, o->stream);
	wire_put32(p + 16, o->data.len);
	wire_put_var(p + WIRE_OUTPUT_FIXED, &o->data);
	b->len += (size_t)size;
	b->count++;
	return 0;
}

int
wire_set_credit(struct wire_builder *b, uint32_t credit)
{
	if (!open_frame(b, WIRE_RESULTS)) {
		return CORUN_ESTATE;
	}
	wire_put32(b->buf + WIRE_HDR_SIZE, credit);
	return 0;
}

int
wire_builder_full(const struct wire_builder *b)
{
	if (b->type == 0) {
		return 0;
	}
	if (b->max_records != 0 && b->count >= b->max_records) {
		return 1;
	}
	return b->len >= b->target;
}

uint32_t
wire_builder_count(const struct wire_builder *b)
{
	return b->count;
}

int
wire_builder_finish(struct wire_builder *b, const uint8_t **frame,
    size_t *len)
{
	if (b->type == 0) {
		return CORUN_ESTATE;
	}
	wire_put32(b->buf + WIRE_OFF_COUNT, b->count);
	wire_put32(b->buf + WIRE_OFF_BODYLEN,
	    (uint32_t)(b->len - WIRE_HDR_SIZE));
	b->finished = 1;
	if (frame != NULL) {
		*frame = b->buf;
	}
	if (len != NULL) {
		*len = b->len;
	}
	return 0;
}
