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
single(struct cr_wire_builder *b, uint8_t type, uint64_t size, uint8_t **body)
{
	int err;

	cr_wire_builder_reset(b);
	if (size > b->max_frame - CR_WIRE_HDR_SIZE) {
		return CORUN_ERANGE;
	}
	if ((err = cr_wire_reserve(b, CR_WIRE_HDR_SIZE + (size_t)size)) != 0) {
		return err;
	}
	cr_wire_put_header(b->buf, type);
	b->type = type;
	b->len = CR_WIRE_HDR_SIZE + (size_t)size;
	*body = b->buf + CR_WIRE_HDR_SIZE;
	return 0;
}

int
cr_wire_encode_hello(struct cr_wire_builder *b, const struct cr_wire_hello *h,
    const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if (h->max_version == 0) {
		return CORUN_EINVAL;
	}
	if ((err = cr_wire_check_str(&h->token, CR_WIRE_TOKEN_MAX)) != 0 ||
	    (err = cr_wire_check_str(&h->name, CR_WIRE_NAME_MAX)) != 0) {
		return err;
	}
	if ((err = single(b, CR_WIRE_HELLO, (uint64_t)CR_WIRE_HELLO_FIXED +
	    h->token.len + h->name.len, &p)) != 0) {
		return err;
	}
	p[0] = h->max_version;
	cr_wire_put32(p + 1, h->pid);
	cr_wire_put32(p + 5, h->procs);
	cr_wire_put32(p + 9, h->threads);
	cr_wire_put32(p + 13, h->concurrency);
	cr_wire_put32(p + 17, h->capacity);
	cr_wire_put32(p + 21, h->token.len);
	cr_wire_put32(p + 25, h->name.len);
	p = cr_wire_put_var(p + CR_WIRE_HELLO_FIXED, &h->token);
	cr_wire_put_var(p, &h->name);
	return cr_wire_builder_finish(b, frame, len);
}

int
cr_wire_encode_welcome(struct cr_wire_builder *b,
    const struct cr_wire_welcome *w, const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if (w->accepted > 1 || w->version == 0) {
		return CORUN_EINVAL;
	}
	if ((err = cr_wire_check_str(&w->reason, CR_WIRE_REASON_MAX)) != 0) {
		return err;
	}
	if ((err = single(b, CR_WIRE_WELCOME, (uint64_t)CR_WIRE_WELCOME_FIXED +
	    w->reason.len, &p)) != 0) {
		return err;
	}
	p[0] = w->accepted;
	p[1] = w->version;
	cr_wire_put32(p + 2, w->worker_id);
	cr_wire_put32(p + 6, w->heartbeat_ms);
	cr_wire_put32(p + 10, w->reason.len);
	cr_wire_put_var(p + CR_WIRE_WELCOME_FIXED, &w->reason);
	return cr_wire_builder_finish(b, frame, len);
}

int
cr_wire_encode_credit(struct cr_wire_builder *b, uint32_t credit,
    const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if ((err = single(b, CR_WIRE_CREDIT, CR_WIRE_CREDIT_BODY, &p)) != 0) {
		return err;
	}
	cr_wire_put32(p, credit);
	return cr_wire_builder_finish(b, frame, len);
}

int
cr_wire_encode_heartbeat(struct cr_wire_builder *b,
    const struct cr_wire_heartbeat *hb, const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if ((err = single(b, CR_WIRE_HEARTBEAT, CR_WIRE_HEARTBEAT_BODY,
	    &p)) != 0) {
		return err;
	}
	cr_wire_put64(p, hb->seq);
	cr_wire_put32(p + 8, hb->running);
	cr_wire_put64(p + 12, hb->lag_ns);
	return cr_wire_builder_finish(b, frame, len);
}

int
cr_wire_encode_shutdown(struct cr_wire_builder *b,
    const struct cr_wire_shutdown *s, const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if (s->graceful > CR_SHUTDOWN_DRAIN) {
		return CORUN_EINVAL;
	}
	if ((err = single(b, CR_WIRE_SHUTDOWN, CR_WIRE_SHUTDOWN_BODY,
	    &p)) != 0) {
		return err;
	}
	p[0] = s->graceful;
	cr_wire_put32(p + 1, s->deadline_ms);
	return cr_wire_builder_finish(b, frame, len);
}

int
cr_wire_encode_bye(struct cr_wire_builder *b, const struct cr_wire_bye *bye,
    const uint8_t **frame, size_t *len)
{
	uint8_t *p;
	int err;

	if ((err = cr_wire_check_str(&bye->reason, CR_WIRE_REASON_MAX)) != 0) {
		return err;
	}
	if ((err = single(b, CR_WIRE_BYE, (uint64_t)CR_WIRE_BYE_FIXED +
	    bye->reason.len, &p)) != 0) {
		return err;
	}
	cr_wire_put32(p, bye->code);
	cr_wire_put32(p + 4, bye->reason.len);
	cr_wire_put_var(p + CR_WIRE_BYE_FIXED, &bye->reason);
	return cr_wire_builder_finish(b, frame, len);
}
