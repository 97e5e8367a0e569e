/* SPDX-License-Identifier: MIT */
/*
 * wire.c - the record iterators of decoded frames.  The header and the
 * type names are in wire-header.c, the encoder in wire-encode.c, the
 * checking decoder in wire-decode.c.
 */
#include "wire-internal.h"

/*
 * The iterators below read frames that wire_decode() accepted: every
 * length has been checked, so they only parse.
 */
int
wire_next_job(struct wire_frame *f, struct wire_job *j)
{
	const uint8_t *p = f->next;

	if (f->hdr.type != WIRE_JOBS || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	wire_get_job_fixed(p, j);
	j->kind.ptr = p + WIRE_JOB_FIXED;
	j->payload.ptr = j->kind.ptr + j->kind.len;
	f->next = j->payload.ptr + j->payload.len;
	f->index++;
	return 0;
}

int
wire_next_result(struct wire_frame *f, struct wire_result *r)
{
	const uint8_t *p = f->next;

	if (f->hdr.type != WIRE_RESULTS || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	wire_get_result_fixed(p, r);
	r->out.ptr = p + WIRE_RESULT_FIXED;
	r->err.ptr = r->out.ptr + r->out.len;
	r->errmsg.ptr = r->err.ptr + r->err.len;
	f->next = r->errmsg.ptr + r->errmsg.len;
	f->index++;
	return 0;
}

int
wire_next_cancel(struct wire_frame *f, uint64_t *id)
{
	if (f->hdr.type != WIRE_CANCEL || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	*id = wire_get64(f->next);
	f->next += WIRE_CANCEL_REC;
	f->index++;
	return 0;
}

int
wire_next_output(struct wire_frame *f, struct wire_output *o)
{
	const uint8_t *p = f->next;

	if (f->hdr.type != WIRE_OUTPUT || f->recs == NULL) {
		return CORUN_EINVAL;
	}
	if (f->index >= f->hdr.count) {
		return CORUN_EDONE;
	}
	wire_get_output_fixed(p, o);
	o->data.ptr = p + WIRE_OUTPUT_FIXED;
	f->next = o->data.ptr + o->data.len;
	f->index++;
	return 0;
}

void
wire_rewind(struct wire_frame *f)
{
	f->next = f->recs;
	f->index = 0;
}
