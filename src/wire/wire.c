/*
 * wire.c - the record iterators of decoded frames.  The header and the
 * type names are in wire-header.c, the encoder in wire-encode.c, the
 * checking decoder in wire-decode.c.
 */
#include "wire-internal.h"

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
	cr_wire_get_job_fixed(p, j);
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
	cr_wire_get_result_fixed(p, r);
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
	cr_wire_get_output_fixed(p, o);
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
