/* SPDX-License-Identifier: MIT */
/*
 * wire-decode.c - frame decoder.
 *
 * wire_decode() walks the whole frame once and checks every length
 * against what is left before it looks at the bytes behind it, so no
 * input can make it read outside [buf, buf + len).  Only then does it
 * say yes; the record iterators re-walk a frame already known to be good
 * and need no checks.  Reasons name the frame, the record, the field and
 * the byte offset from the start of the frame.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire-internal.h"

/* A cursor over one frame, with what is needed to explain a refusal. */
struct dec {
	const uint8_t	*base;		/* frame start, offset 0 in reasons */
	const uint8_t	*p;
	const uint8_t	*end;
	const char	*frame;		/* type name */
	long		 rec;		/* record index, -1 outside records */
	char		*why;
	size_t		 whylen;
};

static int	dec_fail(struct dec *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Prefix the reason with the frame type and the record, if any. */
static int
dec_fail(struct dec *d, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->why == NULL || d->whylen == 0) {
		return err;
	}
	if (d->rec >= 0) {
		n = snprintf(d->why, d->whylen, "%s record %ld: ", d->frame,
		    d->rec);
	} else {
		n = snprintf(d->why, d->whylen, "%s: ", d->frame);
	}
	if (n >= 0 && (size_t)n < d->whylen) {
		va_start(ap, fmt);
		vsnprintf(d->why + n, d->whylen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return err;
}

static size_t
off(const struct dec *d, const uint8_t *p)
{
	return (size_t)(p - d->base);
}

static size_t
left(const struct dec *d)
{
	return (size_t)(d->end - d->p);
}

/* Require n more bytes for a fixed part named what. */
static int
need(struct dec *d, size_t n, const char *what)
{
	if (left(d) < n) {
		return dec_fail(d, CORUN_EPROTO,
		    "%s needs %zu bytes at offset %zu, only %zu remain",
		    what, n, off(d, d->p), left(d));
	}
	return 0;
}

/*
 * Take a variable field whose u32 length is stored at lenp.  max bounds
 * the length (UINT32_MAX: only the frame does); str asks for a string,
 * which holds no NUL byte.
 */
static int
take(struct dec *d, const char *field, const uint8_t *lenp, uint32_t max,
    int str, struct wire_bytes *out)
{
	uint32_t n = wire_get32(lenp);
	const uint8_t *nul;

	if (n > max) {
		return dec_fail(d, CORUN_ERANGE,
		    "%s length %u at offset %zu is over the limit of %u",
		    field, n, off(d, lenp), max);
	}
	if (n > left(d)) {
		return dec_fail(d, CORUN_EPROTO,
		    "%s length %u at offset %zu exceeds the remaining "
		    "%zu bytes",
		    field, n, off(d, lenp), left(d));
	}
	if (str && n > 0 && (nul = memchr(d->p, 0, n)) != NULL) {
		return dec_fail(d, CORUN_EPROTO,
		    "%s at offset %zu holds a NUL byte at offset %zu",
		    field, off(d, d->p), off(d, nul));
	}
	out->ptr = d->p;
	out->len = n;
	d->p += n;
	return 0;
}

static int
bool_field(struct dec *d, const char *field, const uint8_t *p, uint8_t *out)
{
	if (*p > 1) {
		return dec_fail(d, CORUN_EPROTO,
		    "%s at offset %zu is %u, must be 0 or 1",
		    field, off(d, p), *p);
	}
	*out = *p;
	return 0;
}

static int
dec_hello(struct dec *d, struct wire_hello *h)
{
	const uint8_t *p = d->p;
	int err;

	if ((err = need(d, WIRE_HELLO_FIXED, "fixed part")) != 0) {
		return err;
	}
	if (p[0] == 0) {
		return dec_fail(d, CORUN_EPROTO,
		    "max_version at offset %zu is 0", off(d, p));
	}
	h->max_version = p[0];
	h->pid = wire_get32(p + 1);
	h->procs = wire_get32(p + 5);
	h->threads = wire_get32(p + 9);
	h->concurrency = wire_get32(p + 13);
	h->capacity = wire_get32(p + 17);
	d->p += WIRE_HELLO_FIXED;
	if ((err = take(d, "token", p + 21, WIRE_TOKEN_MAX, 1,
	    &h->token)) != 0) {
		return err;
	}
	return take(d, "name", p + 25, WIRE_NAME_MAX, 1, &h->name);
}

static int
dec_welcome(struct dec *d, struct wire_welcome *w)
{
	const uint8_t *p = d->p;
	int err;

	if ((err = need(d, WIRE_WELCOME_FIXED, "fixed part")) != 0) {
		return err;
	}
	if ((err = bool_field(d, "accepted", p, &w->accepted)) != 0) {
		return err;
	}
	if (p[1] == 0) {
		return dec_fail(d, CORUN_EPROTO,
		    "version at offset %zu is 0", off(d, p + 1));
	}
	w->version = p[1];
	w->worker_id = wire_get32(p + 2);
	w->heartbeat_ms = wire_get32(p + 6);
	d->p += WIRE_WELCOME_FIXED;
	return take(d, "reason", p + 10, WIRE_REASON_MAX, 1, &w->reason);
}

static int
dec_job(struct dec *d, struct wire_job *j)
{
	const uint8_t *p = d->p;
	int err;

	if ((err = need(d, WIRE_JOB_FIXED, "fixed part")) != 0) {
		return err;
	}
	wire_get_job_fixed(p, j);
	d->p += WIRE_JOB_FIXED;
	if ((err = take(d, "kind", p + 20, WIRE_KIND_MAX, 1,
	    &j->kind)) != 0) {
		return err;
	}
	if (j->kind.len == 0) {
		return dec_fail(d, CORUN_EPROTO,
		    "kind length at offset %zu is 0, a job needs a kind",
		    off(d, p + 20));
	}
	return take(d, "payload", p + 24, UINT32_MAX, 0, &j->payload);
}

static int
dec_result(struct dec *d, struct wire_result *r)
{
	const uint8_t *p = d->p;
	int err;

	if ((err = need(d, WIRE_RESULT_FIXED, "fixed part")) != 0) {
		return err;
	}
	wire_get_result_fixed(p, r);
	d->p += WIRE_RESULT_FIXED;
	if ((err = take(d, "stdout", p + 40, UINT32_MAX, 0, &r->out)) != 0 ||
	    (err = take(d, "stderr", p + 44, UINT32_MAX, 0, &r->err)) != 0) {
		return err;
	}
	return take(d, "error message", p + 48, WIRE_ERRMSG_MAX, 1,
	    &r->errmsg);
}

static int
dec_output(struct dec *d, struct wire_output *o)
{
	const uint8_t *p = d->p;
	int err;

	if ((err = need(d, WIRE_OUTPUT_FIXED, "fixed part")) != 0) {
		return err;
	}
	wire_get_output_fixed(p, o);
	if (o->stream < WIRE_STDOUT || o->stream > WIRE_STDERR_FILE) {
		return dec_fail(d, CORUN_EPROTO,
		    "stream %u at offset %zu is not 1 to 4 (stdout, stderr, "
		    "their files)", o->stream, off(d, p + 12));
	}
	d->p += WIRE_OUTPUT_FIXED;
	return take(d, "data", p + 16, UINT32_MAX, 0, &o->data);
}

/*
 * Check the records of a batch frame.  The count is first compared with
 * the smallest record size, so a huge count in a small frame is refused
 * before any loop runs.
 */
static int
dec_records(struct dec *d, uint8_t type, uint32_t count)
{
	struct wire_job j;
	struct wire_result r;
	struct wire_output o;
	size_t min;
	uint32_t i;
	int err;

	min = type == WIRE_JOBS ? WIRE_JOB_FIXED + 1 :
	    type == WIRE_RESULTS ? WIRE_RESULT_FIXED :
	    type == WIRE_OUTPUT ? WIRE_OUTPUT_FIXED : WIRE_CANCEL_REC;
	if (count > left(d) / min) {
		return dec_fail(d, CORUN_EPROTO,
		    "record count %u at offset %d cannot fit in %zu bytes "
		    "(a record needs at least %zu)", count, WIRE_OFF_COUNT,
		    left(d), min);
	}
	for (i = 0; i < count; i++) {
		d->rec = i;
		if (type == WIRE_JOBS) {
			err = dec_job(d, &j);
		} else if (type == WIRE_RESULTS) {
			err = dec_result(d, &r);
		} else if (type == WIRE_OUTPUT) {
			err = dec_output(d, &o);
		} else {
			err = need(d, WIRE_CANCEL_REC, "job id");
			d->p += err == 0 ? WIRE_CANCEL_REC : 0;
		}
		if (err != 0) {
			return err;
		}
	}
	d->rec = -1;
	return 0;
}

/* ---- bodies of single frames, one function per frame type ---------- */

static int
body_hello(struct dec *d, struct wire_frame *f)
{
	return dec_hello(d, &f->u.hello);
}

static int
body_welcome(struct dec *d, struct wire_frame *f)
{
	return dec_welcome(d, &f->u.welcome);
}

static int
body_credit(struct dec *d, struct wire_frame *f)
{
	int err;

	if ((err = need(d, WIRE_CREDIT_BODY, "credit")) == 0) {
		f->u.credit = wire_get32(d->p);
		d->p += WIRE_CREDIT_BODY;
	}
	return err;
}

static int
body_heartbeat(struct dec *d, struct wire_frame *f)
{
	int err;

	if ((err = need(d, WIRE_HEARTBEAT_BODY, "body")) == 0) {
		f->u.heartbeat.seq = wire_get64(d->p);
		f->u.heartbeat.running = wire_get32(d->p + 8);
		f->u.heartbeat.lag_ns = wire_get64(d->p + 12);
		d->p += WIRE_HEARTBEAT_BODY;
	}
	return err;
}

static int
body_shutdown(struct dec *d, struct wire_frame *f)
{
	int err;

	if ((err = need(d, WIRE_SHUTDOWN_BODY, "body")) != 0) {
		return err;
	}
	if (*d->p > WIRE_SHUTDOWN_DRAIN) {
		return dec_fail(d, CORUN_EPROTO, "graceful at offset %zu is "
		    "%u, must be 0, 1 or 2", off(d, d->p), *d->p);
	}
	f->u.shutdown.graceful = *d->p;
	f->u.shutdown.deadline_ms = wire_get32(d->p + 1);
	d->p += WIRE_SHUTDOWN_BODY;
	return 0;
}

static int
body_bye(struct dec *d, struct wire_frame *f)
{
	const uint8_t *p = d->p;
	int err;

	if ((err = need(d, WIRE_BYE_FIXED, "fixed part")) != 0) {
		return err;
	}
	f->u.bye.code = wire_get32(p);
	d->p += WIRE_BYE_FIXED;
	return take(d, "reason", p + 4, WIRE_REASON_MAX, 1,
	    &f->u.bye.reason);
}

/* JOBS, CANCEL, OUTPUT: the header check left nothing else. */
static int
body_records(struct dec *d, struct wire_frame *f)
{
	f->recs = d->p;
	return dec_records(d, f->hdr.type, f->hdr.count);
}

static int
body_results(struct dec *d, struct wire_frame *f)
{
	int err;

	if ((err = need(d, WIRE_RESULTS_PRE, "credit")) != 0) {
		return err;
	}
	f->u.credit = wire_get32(d->p);
	d->p += WIRE_RESULTS_PRE;
	return body_records(d, f);
}

/* The body decoder of each frame type (the header check knows them all). */
static int (*const body_of[WIRE_TYPE_MAX + 1])(struct dec *,
    struct wire_frame *) = {
	[WIRE_HELLO] = body_hello,
	[WIRE_WELCOME] = body_welcome,
	[WIRE_JOBS] = body_records,
	[WIRE_RESULTS] = body_results,
	[WIRE_CREDIT] = body_credit,
	[WIRE_HEARTBEAT] = body_heartbeat,
	[WIRE_CANCEL] = body_records,
	[WIRE_SHUTDOWN] = body_shutdown,
	[WIRE_BYE] = body_bye,
	[WIRE_OUTPUT] = body_records,
};

/* The frame's size against the limit and against its body length. */
static int
check_size(const struct wire_header *h, size_t len, size_t limit,
    char *why, size_t whylen)
{
	if (len > limit) {
		return wire_whyf(why, whylen, CORUN_ERANGE,
		    "%s: frame of %zu bytes is over the size limit of %zu",
		    wire_type_name(h->type), len, limit);
	}
	if (len - WIRE_HDR_SIZE != h->body_len) {
		return wire_whyf(why, whylen, CORUN_EPROTO,
		    "%s: body length %u at offset %d does not match the %zu "
		    "body bytes received", wire_type_name(h->type),
		    h->body_len, WIRE_OFF_BODYLEN, len - WIRE_HDR_SIZE);
	}
	return 0;
}

static int
decode(const void *buf, size_t len, size_t max_frame,
    struct wire_frame *f, char *why, size_t whylen)
{
	struct wire_header *h = &f->hdr;
	struct dec d;
	int err;

	if ((err = wire_decode_header(buf, len, max_frame, h, why,
	    whylen)) != 0 || (err = check_size(h, len,
	    wire_limit(max_frame), why, whylen)) != 0) {
		return err;
	}
	d.base = buf;
	d.p = d.base + WIRE_HDR_SIZE;
	d.end = d.p + h->body_len;
	d.frame = wire_type_name(h->type);
	d.rec = -1;
	d.why = why;
	d.whylen = whylen;
	f->end = d.end;
	if (h->count != 0 && !wire_is_batch(h->type)) {
		return dec_fail(&d, CORUN_EPROTO,
		    "record count %u at offset %d, this frame type carries "
		    "no records", h->count, WIRE_OFF_COUNT);
	}
	if ((err = body_of[h->type](&d, f)) != 0) {
		return err;
	}
	if (d.p != d.end) {
		return dec_fail(&d, CORUN_EPROTO,
		    "%zu trailing bytes at offset %zu after the last field",
		    left(&d), off(&d, d.p));
	}
	f->next = f->recs;
	f->index = 0;
	return 0;
}

int
wire_decode(const void *buf, size_t len, size_t max_frame,
    struct wire_frame *f, char *why, size_t whylen)
{
	int err;

	if (f == NULL) {
		return wire_whyf(why, whylen, CORUN_EINVAL, "no frame");
	}
	memset(f, 0, sizeof(*f));
	if ((err = decode(buf, len, max_frame, f, why, whylen)) != 0) {
		/*
		 * Leave nothing an iterator could walk: a refused frame
		 * reads as one with no records.
		 */
		memset(f, 0, sizeof(*f));
	}
	return err;
}
