/* SPDX-License-Identifier: MIT */
/*
 * fuzz_wire.c - the frame decoder: wire_decode() and wire_next_*().
 *
 * Invariants: a decoded frame's views lie inside the input; the header
 * decoder agrees with the frame decoder; the size limit is exact; and
 * re-encoding the decoded records with the builder gives the same bytes
 * back (the encoding is canonical), which decode again to the same
 * records.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "wire/wire.h"

static const uint8_t *in_lo, *in_hi;

static void
check_view(const struct wire_bytes *v)
{
	CR_FUZZ_CHECK(v->len == 0 || v->ptr != NULL);
	if (v->len > 0) {
		CR_FUZZ_CHECK(v->ptr >= in_lo && v->ptr <= in_hi);
		CR_FUZZ_CHECK(v->len <= (size_t)(in_hi - v->ptr));
	}
}

static int
same_view(const struct wire_bytes *a, const struct wire_bytes *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static int
same_job(const struct wire_job *a, const struct wire_job *b)
{
	return a->id == b->id && a->attempt == b->attempt &&
	    a->timeout_ms == b->timeout_ms && a->flags == b->flags &&
	    same_view(&a->kind, &b->kind) &&
	    same_view(&a->payload, &b->payload);
}

static int
same_result(const struct wire_result *a, const struct wire_result *b)
{
	return a->id == b->id && a->attempt == b->attempt &&
	    a->status == b->status && a->exit_code == b->exit_code &&
	    a->signal == b->signal && a->start_ns == b->start_ns &&
	    a->end_ns == b->end_ns && same_view(&a->out, &b->out) &&
	    same_view(&a->err, &b->err) && same_view(&a->errmsg, &b->errmsg);
}

/* Walk the records (checking views) and rebuild the frame in b. */
static void
rebuild_batch(struct wire_frame *f, struct wire_builder *b)
{
	struct wire_job j;
	struct wire_result r;
	struct wire_output o;
	uint64_t id;
	uint32_t n = 0;

	CR_FUZZ_CHECK(wire_builder_begin(b, f->hdr.type) == 0);
	if (f->hdr.type == WIRE_JOBS) {
		while (wire_next_job(f, &j) == 0) {
			check_view(&j.kind);
			check_view(&j.payload);
			CR_FUZZ_CHECK(j.kind.len > 0);
			CR_FUZZ_CHECK(wire_add_job(b, &j) == 0);
			n++;
		}
		CR_FUZZ_CHECK(wire_next_job(f, &j) == CORUN_EDONE);
	} else if (f->hdr.type == WIRE_RESULTS) {
		CR_FUZZ_CHECK(wire_set_credit(b, f->u.credit) == 0);
		while (wire_next_result(f, &r) == 0) {
			check_view(&r.out);
			check_view(&r.err);
			check_view(&r.errmsg);
			CR_FUZZ_CHECK(wire_add_result(b, &r) == 0);
			n++;
		}
	} else if (f->hdr.type == WIRE_OUTPUT) {
		while (wire_next_output(f, &o) == 0) {
			check_view(&o.data);
			/* 1, 2: lines; 3, 4: a spill file's name. */
			CR_FUZZ_CHECK(o.stream >= WIRE_STDOUT &&
			    o.stream <= WIRE_STDERR_FILE);
			CR_FUZZ_CHECK(wire_add_output(b, &o) == 0);
			n++;
		}
	} else {
		while (wire_next_cancel(f, &id) == 0) {
			CR_FUZZ_CHECK(wire_add_cancel(b, id) == 0);
			n++;
		}
	}
	CR_FUZZ_CHECK(n == f->hdr.count);
	CR_FUZZ_CHECK(wire_builder_count(b) == n);
}

/* Encode the decoded frame again; returns the new frame. */
static void
reencode(struct wire_frame *f, struct wire_builder *b,
    const uint8_t **out, size_t *outlen)
{
	int rc = 0;

	switch (f->hdr.type) {
	case WIRE_HELLO:
		check_view(&f->u.hello.token);
		check_view(&f->u.hello.name);
		rc = wire_encode_hello(b, &f->u.hello, out, outlen);
		break;
	case WIRE_WELCOME:
		check_view(&f->u.welcome.reason);
		rc = wire_encode_welcome(b, &f->u.welcome, out, outlen);
		break;
	case WIRE_CREDIT:
		rc = wire_encode_credit(b, f->u.credit, out, outlen);
		break;
	case WIRE_HEARTBEAT:
		rc = wire_encode_heartbeat(b, &f->u.heartbeat, out, outlen);
		break;
	case WIRE_SHUTDOWN:
		rc = wire_encode_shutdown(b, &f->u.shutdown, out, outlen);
		break;
	case WIRE_BYE:
		check_view(&f->u.bye.reason);
		rc = wire_encode_bye(b, &f->u.bye, out, outlen);
		break;
	default:
		rebuild_batch(f, b);
		rc = wire_builder_finish(b, out, outlen);
		break;
	}
	CR_FUZZ_CHECK(rc == 0);
}

/* Both frames hold the same records. */
static void
compare_records(struct wire_frame *a, struct wire_frame *b)
{
	struct wire_job ja, jb;
	struct wire_result ra, rb;
	struct wire_output oa, ob;
	uint64_t ia, ib;

	wire_rewind(a);
	wire_rewind(b);
	CR_FUZZ_CHECK(a->hdr.count == b->hdr.count);
	if (a->hdr.type == WIRE_JOBS) {
		while (wire_next_job(a, &ja) == 0) {
			CR_FUZZ_CHECK(wire_next_job(b, &jb) == 0);
			CR_FUZZ_CHECK(same_job(&ja, &jb));
		}
	} else if (a->hdr.type == WIRE_RESULTS) {
		CR_FUZZ_CHECK(a->u.credit == b->u.credit);
		while (wire_next_result(a, &ra) == 0) {
			CR_FUZZ_CHECK(wire_next_result(b, &rb) == 0);
			CR_FUZZ_CHECK(same_result(&ra, &rb));
		}
	} else if (a->hdr.type == WIRE_CANCEL) {
		while (wire_next_cancel(a, &ia) == 0) {
			CR_FUZZ_CHECK(wire_next_cancel(b, &ib) == 0);
			CR_FUZZ_CHECK(ia == ib);
		}
	} else if (a->hdr.type == WIRE_OUTPUT) {
		while (wire_next_output(a, &oa) == 0) {
			CR_FUZZ_CHECK(wire_next_output(b, &ob) == 0);
			CR_FUZZ_CHECK(oa.id == ob.id &&
			    oa.attempt == ob.attempt &&
			    oa.stream == ob.stream &&
			    oa.data.len == ob.data.len &&
			    (oa.data.len == 0 || memcmp(oa.data.ptr,
			    ob.data.ptr, oa.data.len) == 0));
		}
	}
}

int
cr_fuzz_wire(const uint8_t *data, size_t size, char *why, size_t whylen)
{
	struct wire_frame f, g;
	struct wire_header h;
	struct wire_builder b;
	const uint8_t *out;
	size_t outlen;
	char why2[WIRE_WHY_SIZE];
	int rc, hrc;

	in_lo = data;
	in_hi = data + size;
	why[0] = '\0';
	rc = wire_decode(data, size, 0, &f, why, whylen);
	hrc = wire_decode_header(data, size, 0, &h, why2, sizeof(why2));
	if (rc != 0) {
		CR_FUZZ_CHECK(rc == CORUN_EPROTO || rc == CORUN_ENOTSUP ||
		    rc == CORUN_ERANGE);
		CR_FUZZ_CHECK(why[0] != '\0');
		/* A refused frame has nothing to iterate. */
		CR_FUZZ_CHECK(f.recs == NULL && f.hdr.count == 0);
		return rc;
	}
	CR_FUZZ_CHECK(hrc == 0);
	CR_FUZZ_CHECK(h.version == f.hdr.version && h.type == f.hdr.type &&
	    h.flags == f.hdr.flags && h.count == f.hdr.count &&
	    h.body_len == f.hdr.body_len);
	CR_FUZZ_CHECK(size == WIRE_HDR_SIZE + (size_t)f.hdr.body_len);
	CR_FUZZ_CHECK(f.end == in_hi);
	CR_FUZZ_CHECK(f.recs == NULL ||
	    (f.recs >= data + WIRE_HDR_SIZE && f.recs <= in_hi));

	/* The limit is exact: this size passes, one byte less does not. */
	CR_FUZZ_CHECK(wire_decode(data, size, size, &g, NULL, 0) == 0);
	if (size > WIRE_HDR_SIZE) {
		CR_FUZZ_CHECK(wire_decode(data, size, size - 1, &g, why2,
		    sizeof(why2)) == CORUN_ERANGE);
	}

	CR_FUZZ_CHECK(wire_builder_init(&b, WIRE_MAX_FRAME, 0,
	    WIRE_MAX_FRAME) == 0);
	reencode(&f, &b, &out, &outlen);
	CR_FUZZ_CHECK(outlen == size && memcmp(out, data, size) == 0);
	CR_FUZZ_CHECK(wire_decode(out, outlen, 0, &g, why2,
	    sizeof(why2)) == 0);
	in_lo = out;
	in_hi = out + outlen;
	compare_records(&f, &g);
	wire_builder_fini(&b);
	return 0;
}

CR_FUZZ_ENTRY(cr_fuzz_wire)
