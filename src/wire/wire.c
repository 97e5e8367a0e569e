/*
 * wire.c - parts of the frame codec shared by the encoder and the decoder,
 * and the record iterators of decoded frames.  The encoder is in
 * wire-encode.c, the checking decoder in wire-decode.c.
 */
#include "wire-internal.h"

const char *
cr_wire_type_name(int type)
{
	static const char *const names[CR_WIRE_TYPE_MAX + 1] = {
		[CR_WIRE_HELLO] = "HELLO",
		[CR_WIRE_WELCOME] = "WELCOME",
		[CR_WIRE_JOBS] = "JOBS",
		[CR_WIRE_RESULTS] = "RESULTS",
		[CR_WIRE_CREDIT] = "CREDIT",
		[CR_WIRE_HEARTBEAT] = "HEARTBEAT",
		[CR_WIRE_CANCEL] = "CANCEL",
		[CR_WIRE_SHUTDOWN] = "SHUTDOWN",
		[CR_WIRE_BYE] = "BYE",
		[CR_WIRE_OUTPUT] = "OUTPUT",
	};

	if (type < 1 || type > CR_WIRE_TYPE_MAX) {
		return "unknown";
	}
	return names[type];
}

void
cr_wire_put_header(uint8_t *p, uint8_t type)
{
	p[CR_WIRE_OFF_MAGIC] = 'C';
	p[CR_WIRE_OFF_MAGIC + 1] = 'R';
	p[CR_WIRE_OFF_MAGIC + 2] = 'W';
	p[CR_WIRE_OFF_VERSION] = CR_WIRE_VERSION;
	p[CR_WIRE_OFF_TYPE] = type;
	p[CR_WIRE_OFF_FLAGS] = 0;
	cr_wire_put16(p + CR_WIRE_OFF_RESERVED, 0);
	/* Count and body length are written when the frame is finished. */
	cr_wire_put32(p + CR_WIRE_OFF_COUNT, 0);
	cr_wire_put32(p + CR_WIRE_OFF_BODYLEN, 0);
}

/*
 * The iterators below read frames that cr_wire_decode() accepted: every
 * length has been checked, so they only parse.
 */
int
cr_wire_next_job(struct cr_wire_frame *f, struct cr_wire_job *j)
{
	const uint8_t *p = f->next;

	if (f->hdr.type != CR_WIRE_JOBS || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	j->id = cr_wire_get64(p);
	j->attempt = cr_wire_get32(p + 8);
	j->timeout_ms = cr_wire_get32(p + 12);
	j->flags = cr_wire_get32(p + 16);
	j->kind.len = cr_wire_get32(p + 20);
	j->payload.len = cr_wire_get32(p + 24);
	j->kind.ptr = p + CR_WIRE_JOB_FIXED;
	j->payload.ptr = j->kind.ptr + j->kind.len;
	f->next = j->payload.ptr + j->payload.len;
	f->index++;
	return 0;
}

int
cr_wire_next_result(struct cr_wire_frame *f, struct cr_wire_result *r)
{
	const uint8_t *p = f->next;

	if (f->hdr.type != CR_WIRE_RESULTS || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	r->id = cr_wire_get64(p);
	r->attempt = cr_wire_get32(p + 8);
	r->status = cr_wire_get32(p + 12);
	r->exit_code = (int32_t)cr_wire_get32(p + 16);
	r->signal = cr_wire_get32(p + 20);
	r->start_ns = cr_wire_get64(p + 24);
	r->end_ns = cr_wire_get64(p + 32);
	r->out.len = cr_wire_get32(p + 40);
	r->err.len = cr_wire_get32(p + 44);
	r->errmsg.len = cr_wire_get32(p + 48);
	r->out.ptr = p + CR_WIRE_RESULT_FIXED;
	r->err.ptr = r->out.ptr + r->out.len;
	r->errmsg.ptr = r->err.ptr + r->err.len;
	f->next = r->errmsg.ptr + r->errmsg.len;
	f->index++;
	return 0;
}

int
cr_wire_next_cancel(struct cr_wire_frame *f, uint64_t *id)
{
	if (f->hdr.type != CR_WIRE_CANCEL || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	*id = cr_wire_get64(f->next);
	f->next += CR_WIRE_CANCEL_REC;
	f->index++;
	return 0;
}

int
cr_wire_next_output(struct cr_wire_frame *f, struct cr_wire_output *o)
{
	const uint8_t *p = f->next;

	if (f->hdr.type != CR_WIRE_OUTPUT || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	o->id = cr_wire_get64(p);
	o->attempt = cr_wire_get32(p + 8);
	o->stream = cr_wire_get32(p + 12);
	o->data.len = cr_wire_get32(p + 16);
	o->data.ptr = p + CR_WIRE_OUTPUT_FIXED;
	f->next = o->data.ptr + o->data.len;
	f->index++;
	return 0;
}

void
cr_wire_rewind(struct cr_wire_frame *f)
{
	f->next = f->recs;
	f->index = 0;
}
