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

#define CR_WIRE_INITIAL_CAP	1024

int
cr_wire_builder_init(struct cr_wire_builder *b, size_t target,
    uint32_t max_records, size_t max_frame)
{
	if (b == NULL) {
		return CORUN_EINVAL;
	}
	memset(b, 0, sizeof(*b));
	max_frame = cr_wire_limit(max_frame);
	if (max_frame < CR_WIRE_HDR_SIZE) {
		return CORUN_EINVAL;
	}
	if (target == 0) {
		/* The default target must still fit under a small limit. */
		target = CR_WIRE_TARGET < max_frame ? CR_WIRE_TARGET :
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
cr_wire_builder_fini(struct cr_wire_builder *b)
{
	if (b == NULL) {
		return;
	}
	free(b->buf);
	b->buf = NULL;
	b->cap = 0;
	cr_wire_builder_reset(b);
}

void
cr_wire_builder_reset(struct cr_wire_builder *b)
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
cr_wire_reserve(struct cr_wire_builder *b, size_t need)
{
	size_t want = b->len + need;
	size_t ncap;
	uint8_t *nbuf;

	if (want <= b->cap) {
		return 0;
	}
	ncap = b->cap != 0 ? b->cap : CR_WIRE_INITIAL_CAP;
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
	return type == CR_WIRE_RESULTS ? CR_WIRE_RESULTS_PRE : 0;
}

/* Check a string field: present if long, within max, no NUL. */
int
cr_wire_check_str(const struct cr_wire_bytes *s, uint32_t max)
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
check_bytes(const struct cr_wire_bytes *s)
{
	return s->len > 0 && s->ptr == NULL ? CORUN_EINVAL : 0;
}

int
cr_wire_builder_begin(struct cr_wire_builder *b, int type)
{
	size_t pre;
	int err;

	if (!cr_wire_is_batch(type)) {
		return CORUN_EINVAL;
	}
	pre = preamble_size(type);
	cr_wire_builder_reset(b);
	if (CR_WIRE_HDR_SIZE + pre > b->max_frame) {
		return CORUN_ERANGE;
	}
	if ((err = cr_wire_reserve(b, CR_WIRE_HDR_SIZE + pre)) != 0) {
		return err;
	}
	cr_wire_put_header(b->buf, (uint8_t)type);
	if (pre > 0) {
		cr_wire_put32(b->buf + CR_WIRE_HDR_SIZE, 0);	/* credit */
	}
	b->len = CR_WIRE_HDR_SIZE + pre;
	b->type = (uint8_t)type;
	return 0;
}

/*
 * Decide whether a record of size bytes may join the open frame, and
 * make room for it.  See cr_wire_add_job() in wire.h for the contract.
 */
static int
room(struct cr_wire_builder *b, uint64_t size)
{
	size_t empty = CR_WIRE_HDR_SIZE + preamble_size(b->type);

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
	return cr_wire_reserve(b, (size_t)size);
}

static int
open_frame(const struct cr_wire_builder *b, int type)
{
	return b->type == type && !b->finished;
}

int
cr_wire_add_job(struct cr_wire_builder *b, const struct cr_wire_job *j)
{
	uint64_t size;
	uint8_t *p;
	int err;

	if (!open_frame(b, CR_WIRE_JOBS)) {
		return CORUN_ESTATE;
	}
	if (j->kind.len == 0) {
		return CORUN_EINVAL;
	}
	if ((err = cr_wire_check_str(&j->kind, CR_WIRE_KIND_MAX)) != 0 ||
	    (err = check_bytes(&j->payload)) != 0) {
		return err;
	}
	size = (uint64_t)CR_WIRE_JOB_FIXED + j->kind.len + j->payload.len;
	if ((err = room(b, size)) != 0) {
		return err;
	}
	p = b->buf + b->len;
	cr_wire_put64(p, j->id);
	cr_wire_put32(p + 8, j->attempt);
	cr_wire_put32(p + 12, j->timeout_ms);
	cr_wire_put32(p + 16, j->flags);
	cr_wire_put32(p + 20, j->kind.len);
	cr_wire_put32(p + 24, j->payload.len);
	p = cr_wire_put_var(p + CR_WIRE_JOB_FIXED, &j->kind);
	cr_wire_put_var(p, &j->payload);
	b->len += (size_t)size;
	b->count++;
	return 0;
}

int
cr_wire_add_result(struct cr_wire_builder *b, const struct cr_wire_result *r)
{
	uint64_t size;
	uint8_t *p;
	int err;

	if (!open_frame(b, CR_WIRE_RESULTS)) {
		return CORUN_ESTATE;
	}
	if ((err = check_bytes(&r->out)) != 0 ||
	    (err = check_bytes(&r->err)) != 0 ||
	    (err = cr_wire_check_str(&r->errmsg, CR_WIRE_ERRMSG_MAX)) != 0) {
		return err;
	}
	size = (uint64_t)CR_WIRE_RESULT_FIXED + r->out.len + r->err.len +
	    r->errmsg.len;
	if ((err = room(b, size)) != 0) {
		return err;
	}
	p = b->buf + b->len;
	cr_wire_put64(p, r->id);
	cr_wire_put32(p + 8, r->attempt);
	cr_wire_put32(p + 12, r->status);
	cr_wire_put32(p + 16, (uint32_t)r->exit_code);
	cr_wire_put32(p + 20, r->signal);
	cr_wire_put64(p + 24, r->start_ns);
	cr_wire_put64(p + 32, r->end_ns);
	cr_wire_put32(p + 40, r->out.len);
	cr_wire_put32(p + 44, r->err.len);
	cr_wire_put32(p + 48, r->errmsg.len);
	p = cr_wire_put_var(p + CR_WIRE_RESULT_FIXED, &r->out);
	p = cr_wire_put_var(p, &r->err);
	cr_wire_put_var(p, &r->errmsg);
	b->len += (size_t)size;
	b->count++;
	return 0;
}

int
cr_wire_add_cancel(struct cr_wire_builder *b, uint64_t id)
{
	int err;

	if (!open_frame(b, CR_WIRE_CANCEL)) {
		return CORUN_ESTATE;
	}
	if ((err = room(b, CR_WIRE_CANCEL_REC)) != 0) {
		return err;
	}
	cr_wire_put64(b->buf + b->len, id);
	b->len += CR_WIRE_CANCEL_REC;
	b->count++;
	return 0;
}

int
cr_wire_add_output(struct cr_wire_builder *b, const struct cr_wire_output *o)
{
	uint64_t size;
	uint8_t *p;
	int err;

	if (!open_frame(b, CR_WIRE_OUTPUT)) {
		return CORUN_ESTATE;
	}
	if (o->stream != CR_WIRE_STDOUT && o->stream != CR_WIRE_STDERR) {
		return CORUN_EINVAL;
	}
	if ((err = check_bytes(&o->data)) != 0) {
		return err;
	}
	size = (uint64_t)CR_WIRE_OUTPUT_FIXED + o->data.len;
	if ((err = room(b, size)) != 0) {
		return err;
	}
	p = b->buf + b->len;
	cr_wire_put64(p, o->id);
	cr_wire_put32(p + 8, o->attempt);
	cr_wire_put32(p + 12, o->stream);
	cr_wire_put32(p + 16, o->data.len);
	cr_wire_put_var(p + CR_WIRE_OUTPUT_FIXED, &o->data);
	b->len += (size_t)size;
	b->count++;
	return 0;
}

int
cr_wire_set_credit(struct cr_wire_builder *b, uint32_t credit)
{
	if (!open_frame(b, CR_WIRE_RESULTS)) {
		return CORUN_ESTATE;
	}
	cr_wire_put32(b->buf + CR_WIRE_HDR_SIZE, credit);
	return 0;
}

int
cr_wire_builder_full(const struct cr_wire_builder *b)
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
cr_wire_builder_count(const struct cr_wire_builder *b)
{
	return b->count;
}

int
cr_wire_builder_finish(struct cr_wire_builder *b, const uint8_t **frame,
    size_t *len)
{
	if (b->type == 0) {
		return CORUN_ESTATE;
	}
	cr_wire_put32(b->buf + CR_WIRE_OFF_COUNT, b->count);
	cr_wire_put32(b->buf + CR_WIRE_OFF_BODYLEN,
	    (uint32_t)(b->len - CR_WIRE_HDR_SIZE));
	b->finished = 1;
	if (frame != NULL) {
		*frame = b->buf;
	}
	if (len != NULL) {
		*len = b->len;
	}
	return 0;
}
