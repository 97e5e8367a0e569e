/* SPDX-License-Identifier: MIT */
/*
 * wire-single.c - the frames that are not batches, each encoded in one
 * call (HELLO, WELCOME, CREDIT, HEARTBEAT, SHUTDOWN, BYE) into the
 * builder's buffer (wire-encode.c).  Like the batch encoder, it refuses
 * what the decoder would refuse.
 */
#include <string.h>

#include "wire-internal.h"

/*
 * Start a single-record frame with a body of size bytes; on success the
 * caller writes the body at the returned pointer and calls finish.
 */
static int
single(struct wire_builder *b, uint8_t type, uint64_t size, uint8_t **body)
{
	int err;

	wire_builder_reset(b);
	if (size > b->max_frame - WIRE_HDR_SIZE) {
		return CORUN_ERANGE;
	}
	if ((err = wire_reserve(b, WIRE_HDR_SIZE + (size_t)size)) != 0) {
		return err;
	}
	wire_put_header(b->buf, type);
	b->type = type;
	b->len = WIRE_HDR_SIZE + (size_t)size;
	*body = b->buf + WIRE_HDR_SIZE;
	return 0;
}

int
wire_encode_hello(struct wire_builder *b, const struct wire_hello *h,
    const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if (h->max_version == 0) {
		return CORUN_EINVAL;
	}
	if ((err = wire_check_str(&h->token, WIRE_TOKEN_MAX)) != 0 ||
	    (err = wire_check_str(&h->name, WIRE_NAME_MAX)) != 0) {
		return err;
	}
	if ((err = single(b, WIRE_HELLO, (uint64_t)WIRE_HELLO_FIXED +
	    h->token.len + h->name.len, &p)) != 0) {
		return err;
	}
	p[0] = h->max_version;
	wire_put32(p + 1, h->pid);
	wire_put32(p + 5, h->procs);
	wire_put32(p + 9, h->threads);
	wire_put32(p + 13, h->concurrency);
	wire_put32(p + 17, h->capacity);
	wire_put32(p + 21, h->token.len);
	wire_put32(p + 25, h->name.len);
	p = wire_put_var(p + WIRE_HELLO_FIXED, &h->token);
	wire_put_var(p, &h->name);
	return wire_builder_finish(b, frame, len);
}

int
wire_encode_welcome(struct wire_builder *b,
    const struct wire_welcome *w, const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if (w->accepted > 1 || w->version == 0) {
		return CORUN_EINVAL;
	}
	if ((err = wire_check_str(&w->reason, WIRE_REASON_MAX)) != 0) {
		return err;
	}
	if ((err = single(b, WIRE_WELCOME, (uint64_t)WIRE_WELCOME_FIXED +
	    w->reason.len, &p)) != 0) {
		return err;
	}
	p[0] = w->accepted;
	p[1] = w->version;
	wire_put32(p + 2, w->worker_id);
	wire_put32(p + 6, w->heartbeat_ms);
	wire_put32(p + 10, w->reason.len);
	wire_put_var(p + WIRE_WELCOME_FIXED, &w->reason);
	return wire_builder_finish(b, frame, len);
}

int
wire_encode_credit(struct wire_builder *b, uint32_t credit,
    const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if ((err = single(b, WIRE_CREDIT, WIRE_CREDIT_BODY, &p)) != 0) {
		return err;
	}
	wire_put32(p, credit);
	return wire_builder_finish(b, frame, len);
}

int
wire_encode_heartbeat(struct wire_builder *b,
    const struct wire_heartbeat *hb, const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if ((err = single(b, WIRE_HEARTBEAT, WIRE_HEARTBEAT_BODY,
	    &p)) != 0) {
		return err;
	}
	wire_put64(p, hb->seq);
	wire_put32(p + 8, hb->running);
	wire_put64(p + 12, hb->lag_ns);
	return wire_builder_finish(b, frame, len);
}

int
wire_encode_shutdown(struct wire_builder *b,
    const struct wire_shutdown *s, const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if (s->graceful > WIRE_SHUTDOWN_DRAIN) {
		return CORUN_EINVAL;
	}
	if ((err = single(b, WIRE_SHUTDOWN, WIRE_SHUTDOWN_BODY,
	    &p)) != 0) {
		return err;
	}
	p[0] = s->graceful;
	wire_put32(p + 1, s->deadline_ms);
	return wire_builder_finish(b, frame, len);
}

int
wire_encode_bye(struct wire_builder *b, const struct wire_bye *bye,
    const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if ((err = wire_check_str(&bye->reason, WIRE_REASON_MAX)) != 0) {
		return err;
	}
	if ((err = single(b, WIRE_BYE, (uint64_t)WIRE_BYE_FIXED +
	    bye->reason.len, &p)) != 0) {
		return err;
	}
	wire_put32(p, bye->code);
	wire_put32(p + 4, bye->reason.len);
	wire_put_var(p + WIRE_BYE_FIXED, &bye->reason);
	return wire_builder_finish(b, frame, len);
}
