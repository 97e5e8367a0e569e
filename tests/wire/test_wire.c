/* SPDX-License-Identifier: MIT */
/*
 * test_wire.c - the supervisor <-> worker frame codec (src/wire).
 *
 * Round trips of every frame type, golden bytes that pin the layout to
 * doc/wire-protocol.md, refusal of every truncation, of bad lengths,
 * counts, versions, types and limits, builder batching, and a mutation
 * loop that flips bytes of valid frames and checks the decoder either
 * refuses cleanly or hands out views inside the buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-util.h"
#include "wire/wire.h"

#define BYTES(s)	((struct wire_bytes){ (const uint8_t *)(s), \
			    (uint32_t)(sizeof(s) - 1) })
#define NOBYTES		((struct wire_bytes){ NULL, 0 })

static int
bytes_eq(struct wire_bytes a, struct wire_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr,
	    a.len) == 0);
}

/* Copy a frame so the decoder sees a buffer that is exactly len long
 * (valgrind and ASan then catch any read past it). */
static uint8_t *
dup_frame(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(q);
	memcpy(q, p, len);
	return q;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Decode expecting failure with err; return the reason for more checks. */
static const char *
expect_fail(const uint8_t *p, size_t len, size_t max, int err)
{
	static char why[WIRE_WHY_SIZE];
	struct wire_frame f;
	uint8_t *q = dup_frame(p, len);
	int rc;

	why[0] = '\0';
	rc = wire_decode(q, len, max, &f, why, sizeof(why));
	free(q);
	ck_assert_msg(rc == err, "expected %s, got %s (%s)",
	    corun_strerror(err), corun_strerror(rc), why);
	ck_assert_msg(why[0] != '\0', "no reason given");
	/* A refused frame must not be iterable. */
	{
		struct wire_job j;

		ck_assert_int_eq(wire_next_job(&f, &j), CORUN_EINVAL);
	}
	return why;
}

static const uint8_t binary[] = { 0, 1, 0, 0xff, 0x80, 0, 'x', 0 };

/* ---- single frames --------------------------------------------------- */

START_TEST(test_hello_roundtrip)
{
	struct wire_builder b;
	struct wire_hello h = {
		.max_version = 255, .pid = UINT32_MAX, .procs = 1,
		.threads = 0, .concurrency = 1000, .capacity = UINT32_MAX,
		.token = BYTES("s3cr\xc3\xa9t"), .name = BYTES("worker-7"),
	};
	struct wire_frame f;
	const uint8_t *p;
	size_t n;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(wire_encode_hello(&b, &h, &p, &n), 0);
	ck_assert_uint_eq(n, WIRE_HDR_SIZE + 29 + 7 + 8);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.type, WIRE_HELLO);
	ck_assert_uint_eq(f.hdr.count, 0);
	ck_assert_uint_eq(f.u.hello.max_version, 255);
	ck_assert_uint_eq(f.u.hello.pid, UINT32_MAX);
	ck_assert_uint_eq(f.u.hello.procs, 1);
	ck_assert_uint_eq(f.u.hello.threads, 0);
	ck_assert_uint_eq(f.u.hello.concurrency, 1000);
	ck_assert_uint_eq(f.u.hello.capacity, UINT32_MAX);
	ck_assert(bytes_eq(f.u.hello.token, h.token));
	ck_assert(bytes_eq(f.u.hello.name, h.name));
	/* Views point into the buffer, not into copies. */
	ck_assert(f.u.hello.name.ptr > p && f.u.hello.name.ptr < p + n);

	/* No token, no name. */
	h.token = NOBYTES;
	h.name = NOBYTES;
	ck_assert_int_eq(wire_encode_hello(&b, &h, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.u.hello.token.len, 0);
	ck_assert_uint_eq(f.u.hello.name.len, 0);

	/* The encoder refuses what the decoder would. */
	h.max_version = 0;
	ck_assert_int_eq(wire_encode_hello(&b, &h, &p, &n), CORUN_EINVAL);
	h.max_version = 1;
	h.name = BYTES("a\0b");
	ck_assert_int_eq(wire_encode_hello(&b, &h, &p, &n), CORUN_EINVAL);
	h.name = (struct wire_bytes){ NULL, 3 };
	ck_assert_int_eq(wire_encode_hello(&b, &h, &p, &n), CORUN_EINVAL);
	{
		static uint8_t big[WIRE_TOKEN_MAX + 1];

		memset(big, 't', sizeof(big));
		h.name = NOBYTES;
		h.token = (struct wire_bytes){ big, sizeof(big) };
		ck_assert_int_eq(wire_encode_hello(&b, &h, &p, &n),
		    CORUN_ERANGE);
		h.token.len--;
		ck_assert_int_eq(wire_encode_hello(&b, &h, &p, &n), 0);
		ck_assert_int_eq(wire_decode(p, n, 0, &f, why,
		    sizeof(why)), 0);
		ck_assert_uint_eq(f.u.hello.token.len, WIRE_TOKEN_MAX);
	}
	wire_builder_fini(&b);
}
END_TEST

START_TEST(test_small_frames_roundtrip)
{
	struct wire_builder b;
	struct wire_frame f;
	struct wire_welcome w = { 1, 1, UINT32_MAX, 250, NOBYTES };
	struct wire_heartbeat hb = { UINT64_MAX, 123456, UINT64_MAX - 1 };
	struct wire_shutdown sd = { 1, UINT32_MAX };
	struct wire_bye bye = { CORUN_EPROTO, BYTES("bad frame") };
	const uint8_t *p;
	size_t n;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);

	ck_assert_int_eq(wire_encode_welcome(&b, &w, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.type, WIRE_WELCOME);
	ck_assert_uint_eq(f.u.welcome.accepted, 1);
	ck_assert_uint_eq(f.u.welcome.version, 1);
	ck_assert_uint_eq(f.u.welcome.worker_id, UINT32_MAX);
	ck_assert_uint_eq(f.u.welcome.heartbeat_ms, 250);
	ck_assert_uint_eq(f.u.welcome.reason.len, 0);
	w.accepted = 0;
	w.reason = BYTES("bad token");
	ck_assert_int_eq(wire_encode_welcome(&b, &w, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.u.welcome.accepted, 0);
	ck_assert(bytes_eq(f.u.welcome.reason, w.reason));
	w.accepted = 2;
	ck_assert_int_eq(wire_encode_welcome(&b, &w, &p, &n),
	    CORUN_EINVAL);

	ck_assert_int_eq(wire_encode_credit(&b, UINT32_MAX, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.type, WIRE_CREDIT);
	ck_assert_uint_eq(f.u.credit, UINT32_MAX);

	ck_assert_int_eq(wire_encode_heartbeat(&b, &hb, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.type, WIRE_HEARTBEAT);
	ck_assert(f.u.heartbeat.seq == UINT64_MAX);
	ck_assert_uint_eq(f.u.heartbeat.running, 123456);
	ck_assert(f.u.heartbeat.lag_ns == UINT64_MAX - 1);

	ck_assert_int_eq(wire_encode_shutdown(&b, &sd, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.type, WIRE_SHUTDOWN);
	ck_assert_uint_eq(f.u.shutdown.graceful, 1);
	ck_assert_uint_eq(f.u.shutdown.deadline_ms, UINT32_MAX);
	sd.graceful = WIRE_SHUTDOWN_DRAIN;
	ck_assert_int_eq(wire_encode_shutdown(&b, &sd, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.u.shutdown.graceful, WIRE_SHUTDOWN_DRAIN);
	sd.graceful = 7;
	ck_assert_int_eq(wire_encode_shutdown(&b, &sd, &p, &n),
	    CORUN_EINVAL);

	ck_assert_int_eq(wire_encode_bye(&b, &bye, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.type, WIRE_BYE);
	ck_assert_uint_eq(f.u.bye.code, CORUN_EPROTO);
	ck_assert(bytes_eq(f.u.bye.reason, bye.reason));
	bye.reason = NOBYTES;
	bye.code = 0;
	ck_assert_int_eq(wire_encode_bye(&b, &bye, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.u.bye.reason.len, 0);

	/* Single frames are not batch frames. */
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_HELLO),
	    CORUN_EINVAL);
	ck_assert_int_eq(wire_builder_begin(&b, 0), CORUN_EINVAL);
	wire_builder_fini(&b);
}
END_TEST

/* The exact bytes, as doc/wire-protocol.md draws them. */
START_TEST(test_golden_bytes)
{
	static const uint8_t credit[] = {
		'C', 'R', 'W', 1, 5, 0, 0, 0,	/* magic version type flags */
		0, 0, 0, 0,	4, 0, 0, 0,	/* count 0, body 4 */
		0x05, 0x01, 0, 0,		/* credit 261 */
	};
	static const uint8_t jobs[] = {
		'C', 'R', 'W', 1, 3, 0, 0, 0,
		1, 0, 0, 0,	34, 0, 0, 0,	/* 1 record, body 34 */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* id */
		2, 0, 0, 0,			/* attempt */
		0xe8, 0x03, 0, 0,		/* timeout 1000 ms */
		0, 0, 0, 0x80,			/* flags */
		4, 0, 0, 0,			/* kind length */
		2, 0, 0, 0,			/* payload length */
		'n', 'o', 'o', 'p', 0, 0xff,
	};
	struct wire_builder b;
	struct wire_job j = {
		0x0102030405060708ULL, 2, 1000, 0x80000000u, BYTES("noop"),
		{ (const uint8_t *)"\0\xff", 2 },
	};
	const uint8_t *p;
	size_t n;

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(wire_encode_credit(&b, 261, &p, &n), 0);
	ck_assert_uint_eq(n, sizeof(credit));
	ck_assert_mem_eq(p, credit, n);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	ck_assert_int_eq(wire_add_job(&b, &j), 0);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_uint_eq(n, sizeof(jobs));
	ck_assert_mem_eq(p, jobs, n);
	wire_builder_fini(&b);
}
END_TEST

/* ---- batch frames ---------------------------------------------------- */

static void
make_job(struct wire_job *j, uint32_t i, uint8_t *buf, size_t bufsz)
{
	size_t k, len = i % bufsz;

	for (k = 0; k < len; k++) {
		buf[k] = (uint8_t)(i + k);	/* includes NULs */
	}
	j->id = i == 0 ? UINT64_MAX : (uint64_t)i * 0x100000001ULL;
	j->attempt = i % 3 + 1;
	j->timeout_ms = i;
	j->flags = ~i;
	j->kind = i % 2 ? BYTES("sleep") : BYTES("x");
	j->payload = (struct wire_bytes){ len ? buf : NULL,
	    (uint32_t)len };
}

static void
jobs_roundtrip(uint32_t count)
{
	struct wire_builder b;
	struct wire_frame f;
	struct wire_job j, g;
	uint8_t pay[64], *q;
	const uint8_t *p;
	size_t n;
	uint32_t i;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, WIRE_MAX_FRAME, 0, 0),
	    0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	for (i = 0; i < count; i++) {
		make_job(&j, i, pay, sizeof(pay));
		ck_assert_int_eq(wire_add_job(&b, &j), 0);
	}
	ck_assert_uint_eq(wire_builder_count(&b), count);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	q = dup_frame(p, n);
	ck_assert_int_eq(wire_decode(q, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.count, count);
	for (i = 0; i < count; i++) {
		make_job(&j, i, pay, sizeof(pay));
		ck_assert_int_eq(wire_next_job(&f, &g), 0);
		ck_assert(g.id == j.id);
		ck_assert_uint_eq(g.attempt, j.attempt);
		ck_assert_uint_eq(g.timeout_ms, j.timeout_ms);
		ck_assert_uint_eq(g.flags, j.flags);
		ck_assert(bytes_eq(g.kind, j.kind));
		ck_assert(bytes_eq(g.payload, j.payload));
		ck_assert(g.payload.ptr >= q && g.payload.ptr + g.payload.len
		    <= q + n);
	}
	ck_assert_int_eq(wire_next_job(&f, &g), CORUN_EDONE);
	ck_assert_int_eq(wire_next_job(&f, &g), CORUN_EDONE);
	/* Rewind reads the same first record again. */
	wire_rewind(&f);
	if (count > 0) {
		ck_assert_int_eq(wire_next_job(&f, &g), 0);
		ck_assert(g.id == UINT64_MAX);
	}
	/* Wrong iterator for the type. */
	{
		struct wire_result r;
		uint64_t id;

		ck_assert_int_eq(wire_next_result(&f, &r), CORUN_EINVAL);
		ck_assert_int_eq(wire_next_cancel(&f, &id), CORUN_EINVAL);
	}
	free(q);
	wire_builder_fini(&b);
}

START_TEST(test_jobs_roundtrip)
{
	jobs_roundtrip(0);
	jobs_roundtrip(1);
	jobs_roundtrip(1000);
}
END_TEST

static void
make_result(struct wire_result *r, uint32_t i)
{
	static const char msg[] = "timed out after 5 s";

	r->id = i == 0 ? UINT64_MAX : i;
	r->attempt = UINT32_MAX - i;
	r->status = i % 20;
	r->exit_code = i % 2 ? -(int32_t)i : INT32_MIN;
	r->signal = i % 65;
	r->start_ns = (uint64_t)i << 32;
	r->end_ns = UINT64_MAX - i;
	r->out = (struct wire_bytes){ binary, (uint32_t)(i %
	    sizeof(binary)) };
	r->err = i % 3 ? (struct wire_bytes){ binary, sizeof(binary) } :
	    NOBYTES;
	r->errmsg = (struct wire_bytes){ (const uint8_t *)msg,
	    (uint32_t)(i % sizeof(msg)) };
}

static void
results_roundtrip(uint32_t count, uint32_t credit)
{
	struct wire_builder b;
	struct wire_frame f;
	struct wire_result r, g;
	const uint8_t *p;
	uint8_t *q;
	size_t n;
	uint32_t i;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, WIRE_MAX_FRAME, 0, 0),
	    0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_RESULTS), 0);
	for (i = 0; i < count; i++) {
		make_result(&r, i);
		ck_assert_int_eq(wire_add_result(&b, &r), 0);
	}
	/* Credit may be set at any point before finishing. */
	ck_assert_int_eq(wire_set_credit(&b, credit), 0);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	q = dup_frame(p, n);
	ck_assert_int_eq(wire_decode(q, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.type, WIRE_RESULTS);
	ck_assert_uint_eq(f.u.credit, credit);
	for (i = 0; i < count; i++) {
		make_result(&r, i);
		ck_assert_int_eq(wire_next_result(&f, &g), 0);
		ck_assert(g.id == r.id);
		ck_assert_uint_eq(g.attempt, r.attempt);
		ck_assert_uint_eq(g.status, r.status);
		ck_assert_int_eq(g.exit_code, r.exit_code);
		ck_assert_uint_eq(g.signal, r.signal);
		ck_assert(g.start_ns == r.start_ns);
		ck_assert(g.end_ns == r.end_ns);
		ck_assert(bytes_eq(g.out, r.out));
		ck_assert(bytes_eq(g.err, r.err));
		ck_assert(bytes_eq(g.errmsg, r.errmsg));
	}
	ck_assert_int_eq(wire_next_result(&f, &g), CORUN_EDONE);
	free(q);
	wire_builder_fini(&b);
}

START_TEST(test_results_roundtrip)
{
	results_roundtrip(0, 8);	/* a credit-only RESULTS frame */
	results_roundtrip(1, 0);
	results_roundtrip(1000, UINT32_MAX);
}
END_TEST

START_TEST(test_cancel_roundtrip)
{
	struct wire_builder b;
	struct wire_frame f;
	const uint8_t *p;
	size_t n;
	uint64_t id;
	uint32_t i;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_CANCEL), 0);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(wire_add_cancel(&b, UINT64_MAX - i), 0);
	}
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_uint_eq(n, WIRE_HDR_SIZE + 8000);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(wire_next_cancel(&f, &id), 0);
		ck_assert(id == UINT64_MAX - i);
	}
	ck_assert_int_eq(wire_next_cancel(&f, &id), CORUN_EDONE);
	wire_builder_fini(&b);
}
END_TEST

/* Spill: streams 3 and 4 carry the path of a file holding the output. */
START_TEST(test_output_file_streams)
{
	static const char path[] = "/tmp/corun-out-abcdef";
	struct wire_builder b;
	struct wire_frame f;
	struct wire_output o;
	const uint8_t *p;
	size_t n;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_OUTPUT), 0);
	memset(&o, 0, sizeof(o));
	o.id = 9;
	o.attempt = 1;
	o.stream = WIRE_STDOUT_FILE;
	o.data.ptr = (const uint8_t *)path;
	o.data.len = (uint32_t)strlen(path);
	ck_assert_int_eq(wire_add_output(&b, &o), 0);
	o.stream = WIRE_STDERR_FILE;
	ck_assert_int_eq(wire_add_output(&b, &o), 0);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_int_eq(wire_next_output(&f, &o), 0);
	ck_assert_uint_eq(o.stream, WIRE_STDOUT_FILE);
	ck_assert_uint_eq(o.data.len, strlen(path));
	ck_assert_mem_eq(o.data.ptr, path, strlen(path));
	ck_assert_int_eq(wire_next_output(&f, &o), 0);
	ck_assert_uint_eq(o.stream, WIRE_STDERR_FILE);
	ck_assert_int_eq(wire_next_output(&f, &o), CORUN_EDONE);
	wire_builder_fini(&b);
}
END_TEST

START_TEST(test_output_roundtrip)
{
	struct wire_builder b;
	struct wire_frame f;
	struct wire_output o;
	const uint8_t *p;
	uint8_t *q;
	size_t n;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_OUTPUT), 0);
	memset(&o, 0, sizeof(o));
	o.id = UINT64_MAX;
	o.attempt = 3;
	o.stream = WIRE_STDOUT;
	o.data.ptr = binary;
	o.data.len = sizeof(binary);
	ck_assert_int_eq(wire_add_output(&b, &o), 0);
	o.id = 7;
	o.stream = WIRE_STDERR;
	o.data.len = 0;
	ck_assert_int_eq(wire_add_output(&b, &o), 0);
	o.stream = 5;
	ck_assert_int_eq(wire_add_output(&b, &o), CORUN_EINVAL);
	ck_assert_int_eq(wire_add_result(&b, &(struct wire_result){ 0 }),
	    CORUN_ESTATE);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_uint_eq(n, WIRE_HDR_SIZE + 2 * 20 + sizeof(binary));
	ck_assert_int_eq(wire_decode(p, n, 0, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.hdr.count, 2);
	ck_assert_int_eq(wire_next_output(&f, &o), 0);
	ck_assert(o.id == UINT64_MAX);
	ck_assert_uint_eq(o.attempt, 3);
	ck_assert_uint_eq(o.stream, WIRE_STDOUT);
	ck_assert_uint_eq(o.data.len, sizeof(binary));
	ck_assert_mem_eq(o.data.ptr, binary, sizeof(binary));
	ck_assert_int_eq(wire_next_output(&f, &o), 0);
	ck_assert(o.id == 7);
	ck_assert_uint_eq(o.stream, WIRE_STDERR);
	ck_assert_uint_eq(o.data.len, 0);
	ck_assert_int_eq(wire_next_output(&f, &o), CORUN_EDONE);
	ck_assert_str_eq(wire_type_name(WIRE_OUTPUT), "OUTPUT");

	/* A stream other than 1 to 4 is refused, with where it is. */
	q = dup_frame(p, n);
	put32(q + WIRE_HDR_SIZE + 12, 0);
	ck_assert_ptr_nonnull(strstr(expect_fail(q, n, 0, CORUN_EPROTO),
	    "stream 0 at offset 28"));
	free(q);
	/* A data length past the body is refused. */
	q = dup_frame(p, n);
	put32(q + WIRE_HDR_SIZE + 16, 1000);
	(void)expect_fail(q, n, 0, CORUN_EPROTO);
	free(q);
	wire_builder_fini(&b);
}
END_TEST

/* ---- refusals -------------------------------------------------------- */

/*
 * One valid frame of every type, built into its own buffer, for the
 * refusal tests.  Returns a malloc'd copy.
 */
static uint8_t *
sample(int type, size_t *len)
{
	struct wire_builder b;
	struct wire_hello h = { 1, 42, 2, 2, 4, 16, BYTES("tok"),
	    BYTES("w1") };
	struct wire_welcome w = { 0, 1, 3, 1000, BYTES("no") };
	struct wire_heartbeat hb = { 9, 3, 1500 };
	struct wire_shutdown sd = { 1, 5000 };
	struct wire_bye bye = { 0, BYTES("done") };
	struct wire_job j;
	struct wire_result r;
	uint8_t pay[16], *q;
	const uint8_t *p = NULL;
	uint32_t i;
	int rc = 0;

	memset(pay, 'p', sizeof(pay));
	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	switch (type) {
	case WIRE_HELLO:
		rc = wire_encode_hello(&b, &h, &p, len);
		break;
	case WIRE_WELCOME:
		rc = wire_encode_welcome(&b, &w, &p, len);
		break;
	case WIRE_CREDIT:
		rc = wire_encode_credit(&b, 7, &p, len);
		break;
	case WIRE_HEARTBEAT:
		rc = wire_encode_heartbeat(&b, &hb, &p, len);
		break;
	case WIRE_SHUTDOWN:
		rc = wire_encode_shutdown(&b, &sd, &p, len);
		break;
	case WIRE_BYE:
		rc = wire_encode_bye(&b, &bye, &p, len);
		break;
	case WIRE_JOBS:
		ck_assert_int_eq(wire_builder_begin(&b, type), 0);
		for (i = 1; i <= 3; i++) {
			make_job(&j, i * 5, pay, sizeof(pay));
			ck_assert_int_eq(wire_add_job(&b, &j), 0);
		}
		rc = wire_builder_finish(&b, &p, len);
		break;
	case WIRE_RESULTS:
		ck_assert_int_eq(wire_builder_begin(&b, type), 0);
		for (i = 1; i <= 3; i++) {
			make_result(&r, i);
			ck_assert_int_eq(wire_add_result(&b, &r), 0);
		}
		rc = wire_builder_finish(&b, &p, len);
		break;
	case WIRE_CANCEL:
		ck_assert_int_eq(wire_builder_begin(&b, type), 0);
		for (i = 1; i <= 3; i++) {
			ck_assert_int_eq(wire_add_cancel(&b, i), 0);
		}
		rc = wire_builder_finish(&b, &p, len);
		break;
	case WIRE_OUTPUT:
		ck_assert_int_eq(wire_builder_begin(&b, type), 0);
		for (i = 1; i <= 3; i++) {
			struct wire_output o = { i, 1, 1 + i % 2,
			    { pay, i } };

			ck_assert_int_eq(wire_add_output(&b, &o), 0);
		}
		rc = wire_builder_finish(&b, &p, len);
		break;
	default:
		ck_abort_msg("no sample for type %d", type);
	}
	ck_assert_int_eq(rc, 0);
	q = dup_frame(p, *len);
	wire_builder_fini(&b);
	return q;
}

/*
 * Cut every frame at every offset: each prefix must be refused with
 * EPROTO, and so must the frame with a byte too many.
 */
START_TEST(test_truncation)
{
	struct wire_frame f;
	char why[WIRE_WHY_SIZE];
	uint8_t *p, *q;
	size_t n, k;
	int type;

	for (type = 1; type <= WIRE_TYPE_MAX; type++) {
		p = sample(type, &n);
		ck_assert_int_eq(wire_decode(p, n, 0, &f, why,
		    sizeof(why)), 0);
		for (k = 0; k < n; k++) {
			const char *r = expect_fail(p, k, 0, CORUN_EPROTO);

			if (k < WIRE_HDR_SIZE) {
				ck_assert_ptr_nonnull(strstr(r, "too short"));
			} else {
				ck_assert_ptr_nonnull(strstr(r,
				    "body length"));
			}
		}
		q = malloc(n + 1);
		ck_assert_ptr_nonnull(q);
		memcpy(q, p, n);
		q[n] = 0;
		expect_fail(q, n + 1, 0, CORUN_EPROTO);
		free(q);
		free(p);
	}
}
END_TEST

/*
 * Shrink the body length field together with the buffer, so the frame
 * is self-consistent but its last field is cut: the body walk must
 * catch it.
 */
START_TEST(test_short_body)
{
	uint8_t *p;
	size_t n, k;
	int type;

	for (type = 1; type <= WIRE_TYPE_MAX; type++) {
		p = sample(type, &n);
		for (k = WIRE_HDR_SIZE; k < n; k++) {
			put32(p + 12, (uint32_t)(k - WIRE_HDR_SIZE));
			expect_fail(p, k, 0, CORUN_EPROTO);
		}
		free(p);
	}
}
END_TEST

START_TEST(test_body_length_mismatch)
{
	const char *r;
	uint8_t *p;
	size_t n;

	p = sample(WIRE_JOBS, &n);
	put32(p + 12, (uint32_t)(n - WIRE_HDR_SIZE + 1));
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "body length"));
	ck_assert_ptr_nonnull(strstr(r, "offset 12"));
	put32(p + 12, (uint32_t)(n - WIRE_HDR_SIZE - 1));
	expect_fail(p, n, 0, CORUN_EPROTO);
	free(p);
}
END_TEST

START_TEST(test_oversize)
{
	struct wire_builder b;
	struct wire_header h;
	struct wire_frame f;
	struct wire_job j = { 1, 1, 0, 0, BYTES("k"), NOBYTES };
	uint8_t hdr[WIRE_HDR_SIZE], *p, *big;
	const uint8_t *fp;
	const char *r;
	size_t n;
	char why[WIRE_WHY_SIZE];

	/* A frame one byte over the receiver's limit. */
	p = sample(WIRE_JOBS, &n);
	ck_assert_int_eq(wire_decode(p, n, n, &f, why, sizeof(why)), 0);
	r = expect_fail(p, n, n - 1, CORUN_ERANGE);
	ck_assert_ptr_nonnull(strstr(r, "limit"));
	free(p);

	/* A header announcing 16 MiB + 1 is refused from the header alone,
	 * before any body arrives. */
	p = sample(WIRE_CREDIT, &n);
	memcpy(hdr, p, sizeof(hdr));
	free(p);
	put32(hdr + 12, WIRE_MAX_FRAME - WIRE_HDR_SIZE + 1);
	ck_assert_int_eq(wire_decode_header(hdr, sizeof(hdr), 0, &h, why,
	    sizeof(why)), CORUN_ERANGE);
	ck_assert_ptr_nonnull(strstr(why, "over the frame size limit"));
	expect_fail(hdr, sizeof(hdr), 0, CORUN_ERANGE);
	put32(hdr + 12, 4);
	ck_assert_int_eq(wire_decode_header(hdr, sizeof(hdr), 0, &h, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(h.body_len, 4);
	ck_assert_uint_eq(h.type, WIRE_CREDIT);

	/* The builder never makes a frame over its limit. */
	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 100), 0);
	ck_assert_uint_eq(b.target, 100);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	big = calloc(1, 100);
	ck_assert_ptr_nonnull(big);
	j.payload = (struct wire_bytes){ big, 100 - 16 - 28 - 1 + 1 };
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_ERANGE);
	j.payload.len--;
	ck_assert_int_eq(wire_add_job(&b, &j), 0);
	ck_assert_int_eq(wire_builder_finish(&b, &fp, &n), 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(wire_decode(fp, n, 100, &f, why, sizeof(why)),
	    0);
	free(big);
	wire_builder_fini(&b);

	ck_assert_int_eq(wire_builder_init(&b, 200, 0, 100),
	    CORUN_EINVAL);
	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 8), CORUN_EINVAL);
}
END_TEST

START_TEST(test_header_refusals)
{
	const char *r;
	uint8_t *p;
	size_t n;

	p = sample(WIRE_HEARTBEAT, &n);

	p[3] = 2;
	r = expect_fail(p, n, 0, CORUN_ENOTSUP);
	ck_assert_ptr_nonnull(strstr(r, "version 2"));
	ck_assert_ptr_nonnull(strstr(r, "speaks version 1"));
	p[3] = 0;
	expect_fail(p, n, 0, CORUN_ENOTSUP);
	p[3] = 1;

	p[4] = 0;
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "unknown frame type 0"));
	p[4] = WIRE_TYPE_MAX + 1;
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "unknown frame type 11"));
	p[4] = 255;
	expect_fail(p, n, 0, CORUN_EPROTO);
	p[4] = WIRE_HEARTBEAT;

	p[5] = 0x40;
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "flags 0x40"));
	p[5] = 0;
	p[7] = 1;
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "reserved"));
	p[7] = 0;

	p[1] = 'X';
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "magic"));
	p[1] = 'R';

	/* Single frames carry no records. */
	put32(p + 8, 1);
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "record count 1"));
	free(p);
}
END_TEST

START_TEST(test_record_count)
{
	const char *r;
	uint8_t *p;
	size_t n;
	int type;

	for (type = WIRE_JOBS; type <= WIRE_CANCEL; type++) {
		if (type != WIRE_JOBS && type != WIRE_RESULTS &&
		    type != WIRE_CANCEL) {
			continue;
		}
		p = sample(type, &n);
		/* A count no body this size could hold. */
		put32(p + 8, 1000000);
		r = expect_fail(p, n, 0, CORUN_EPROTO);
		ck_assert_msg(strstr(r, "record count 1000000") != NULL, "%s",
		    r);
		ck_assert_ptr_nonnull(strstr(r, "cannot fit"));
		put32(p + 8, UINT32_MAX);
		expect_fail(p, n, 0, CORUN_EPROTO);
		/* One record more than present: runs out of bytes. */
		put32(p + 8, 4);
		expect_fail(p, n, 0, CORUN_EPROTO);
		/* One record fewer: bytes left over. */
		put32(p + 8, 2);
		r = expect_fail(p, n, 0, CORUN_EPROTO);
		ck_assert_ptr_nonnull(strstr(r, "trailing"));
		free(p);
	}
}
END_TEST

/*
 * Corrupt the length fields of strings and byte fields: past the end,
 * over the field limit, zero kind, NUL inside a string.
 */
START_TEST(test_bad_field_lengths)
{
	const char *r;
	uint8_t *p, *rec;
	size_t n;

	p = sample(WIRE_JOBS, &n);
	rec = p + WIRE_HDR_SIZE;	/* record 0 */
	put32(rec + 24, 70000);		/* payload length */
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_msg(strstr(r, "JOBS record 0: payload length 70000 at "
	    "offset 40 exceeds the remaining") != NULL, "%s", r);
	put32(rec + 24, UINT32_MAX);
	expect_fail(p, n, 0, CORUN_EPROTO);
	put32(rec + 24, 5);		/* back to the sample's value */
	put32(rec + 20, 256);		/* kind over its limit */
	r = expect_fail(p, n, 0, CORUN_ERANGE);
	ck_assert_msg(strstr(r, "kind length 256 at offset 36 is over the "
	    "limit of 255") != NULL, "%s", r);
	put32(rec + 20, 0);
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "needs a kind"));
	put32(rec + 20, 5);		/* "sleep" */
	rec[28 + 2] = 0;
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "NUL byte at offset 46"));
	free(p);

	/* A later record names itself. */
	p = sample(WIRE_RESULTS, &n);
	{
		struct wire_frame f;
		struct wire_result res;
		char why[WIRE_WHY_SIZE];

		ck_assert_int_eq(wire_decode(p, n, 0, &f, why,
		    sizeof(why)), 0);
		ck_assert_int_eq(wire_next_result(&f, &res), 0);
		ck_assert_int_eq(wire_next_result(&f, &res), 0);
		rec = (uint8_t *)f.next;	/* record 2 */
	}
	put32(rec + 48, WIRE_ERRMSG_MAX + 1);
	r = expect_fail(p, n, 0, CORUN_ERANGE);
	ck_assert_msg(strstr(r, "RESULTS record 2: error message length")
	    != NULL, "%s", r);
	put32(rec + 44, 1u << 31);	/* stderr */
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "stderr length 2147483648"));
	free(p);

	p = sample(WIRE_HELLO, &n);
	put32(p + WIRE_HDR_SIZE + 25, 3);	/* name "w1" claims 3 */
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "HELLO: name length 3"));
	put32(p + WIRE_HDR_SIZE + 25, 1);	/* leaves a byte over */
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "1 trailing bytes"));
	put32(p + WIRE_HDR_SIZE + 25, 2);
	put32(p + WIRE_HDR_SIZE + 21, WIRE_TOKEN_MAX + 1);
	expect_fail(p, n, 0, CORUN_ERANGE);
	put32(p + WIRE_HDR_SIZE + 21, 3);
	p[WIRE_HDR_SIZE] = 0;		/* max_version */
	expect_fail(p, n, 0, CORUN_EPROTO);
	free(p);

	p = sample(WIRE_WELCOME, &n);
	p[WIRE_HDR_SIZE] = 2;		/* accepted */
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "accepted at offset 16 is 2"));
	free(p);

	p = sample(WIRE_SHUTDOWN, &n);
	p[WIRE_HDR_SIZE] = 0xff;		/* graceful */
	expect_fail(p, n, 0, CORUN_EPROTO);
	p[WIRE_HDR_SIZE] = 3;		/* one past drain */
	r = expect_fail(p, n, 0, CORUN_EPROTO);
	ck_assert_ptr_nonnull(strstr(r, "graceful at offset 16 is 3"));
	free(p);

	p = sample(WIRE_BYE, &n);
	put32(p + WIRE_HDR_SIZE + 4, 0xfffffff0u);
	expect_fail(p, n, 0, CORUN_ERANGE);
	free(p);
}
END_TEST

START_TEST(test_reason_buffer)
{
	struct wire_frame f;
	char tiny[8];
	uint8_t *p;
	size_t n;

	p = sample(WIRE_JOBS, &n);
	put32(p + WIRE_HDR_SIZE + 24, 70000);
	/* No reason buffer, and one too small: both must be safe. */
	ck_assert_int_eq(wire_decode(p, n, 0, &f, NULL, 0), CORUN_EPROTO);
	memset(tiny, 'z', sizeof(tiny));
	ck_assert_int_eq(wire_decode(p, n, 0, &f, tiny, sizeof(tiny)),
	    CORUN_EPROTO);
	ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
	ck_assert_int_eq(wire_decode(NULL, 0, 0, &f, tiny,
	    sizeof(tiny)), CORUN_EINVAL);
	ck_assert_int_eq(wire_decode(p, n, 8, &f, tiny, sizeof(tiny)),
	    CORUN_EINVAL);
	free(p);
	ck_assert_str_eq(wire_type_name(WIRE_CANCEL), "CANCEL");
	ck_assert_str_eq(wire_type_name(0), "unknown");
	ck_assert_str_eq(wire_type_name(99), "unknown");
}
END_TEST

/* Frames need no alignment: decode from an odd address. */
START_TEST(test_unaligned)
{
	struct wire_frame f;
	struct wire_result r;
	uint8_t *p, *q;
	size_t n;
	int k = 0;
	char why[WIRE_WHY_SIZE];

	p = sample(WIRE_RESULTS, &n);
	q = malloc(n + 1);
	ck_assert_ptr_nonnull(q);
	memcpy(q + 1, p, n);
	ck_assert_int_eq(wire_decode(q + 1, n, 0, &f, why, sizeof(why)),
	    0);
	while (wire_next_result(&f, &r) == 0) {
		k++;
	}
	ck_assert_int_eq(k, 3);
	free(q);
	free(p);
}
END_TEST

/* ---- builder --------------------------------------------------------- */

START_TEST(test_builder_full)
{
	struct wire_builder b;
	struct wire_job j = { 1, 1, 0, 0, BYTES("noop"), NOBYTES };
	static uint8_t pay[5000];
	const uint8_t *p;
	size_t n, rec = 28 + 4 + 100;
	uint32_t added = 0, frames = 0, total = 0;
	int rc;

	memset(pay, 0xab, sizeof(pay));
	j.payload = (struct wire_bytes){ pay, 100 };

	/* Size target: 1000 bytes holds 7 records of 132 after the
	 * 16-byte header; the 8th is refused, not added. */
	ck_assert_int_eq(wire_builder_init(&b, 1000, 0, 0), 0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	while ((rc = wire_add_job(&b, &j)) == 0) {
		added++;
	}
	ck_assert_int_eq(rc, CORUN_EAGAIN);
	ck_assert_uint_eq(added, (1000 - 16) / rec);
	ck_assert_uint_eq(wire_builder_count(&b), added);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_uint_eq(n, 16 + added * rec);
	ck_assert_uint_le(n, 1000);

	/* full() says so once the target is reached. */
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	ck_assert_int_eq(wire_builder_full(&b), 0);
	j.payload.len = 1000 - 16 - 28 - 4;
	ck_assert_int_eq(wire_add_job(&b, &j), 0);
	ck_assert_int_eq(wire_builder_full(&b), 1);
	ck_assert_int_eq(wire_add_cancel(&b, 1), CORUN_ESTATE);
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_EAGAIN);

	/* A record bigger than the target still goes, alone. */
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	j.payload.len = sizeof(pay);
	ck_assert_int_eq(wire_add_job(&b, &j), 0);
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_EAGAIN);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_uint_eq(n, 16 + 28 + 4 + sizeof(pay));
	wire_builder_fini(&b);

	/* Record count limit. */
	ck_assert_int_eq(wire_builder_init(&b, 0, 10, 0), 0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_CANCEL), 0);
	for (;;) {
		rc = wire_add_cancel(&b, total);
		if (rc == CORUN_EAGAIN) {
			ck_assert_int_eq(wire_builder_full(&b), 1);
			ck_assert_uint_eq(wire_builder_count(&b), 10);
			ck_assert_int_eq(wire_builder_finish(&b, &p, &n),
			    0);
			frames++;
			ck_assert_int_eq(wire_builder_begin(&b,
			    WIRE_CANCEL), 0);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		if (++total == 95) {
			break;
		}
	}
	ck_assert_uint_eq(frames, 9);
	ck_assert_uint_eq(wire_builder_count(&b), 5);
	wire_builder_fini(&b);
}
END_TEST

START_TEST(test_builder_state)
{
	struct wire_builder b;
	struct wire_job j = { 1, 1, 0, 0, BYTES("noop"), NOBYTES };
	struct wire_result r;
	const uint8_t *p, *p2;
	size_t n, n2;
	uint8_t kind[WIRE_KIND_MAX + 1];

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), CORUN_ESTATE);
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_ESTATE);
	ck_assert_int_eq(wire_set_credit(&b, 1), CORUN_ESTATE);
	ck_assert_int_eq(wire_builder_full(&b), 0);

	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	make_result(&r, 1);
	ck_assert_int_eq(wire_add_result(&b, &r), CORUN_ESTATE);
	ck_assert_int_eq(wire_set_credit(&b, 1), CORUN_ESTATE);

	/* Field checks leave the frame unchanged. */
	j.kind = NOBYTES;
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_EINVAL);
	j.kind = BYTES("no\0op");
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_EINVAL);
	memset(kind, 'k', sizeof(kind));
	j.kind = (struct wire_bytes){ kind, sizeof(kind) };
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_ERANGE);
	j.kind.len--;
	ck_assert_int_eq(wire_add_job(&b, &j), 0);
	j.payload = (struct wire_bytes){ NULL, 1 };
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_EINVAL);
	ck_assert_uint_eq(wire_builder_count(&b), 1);

	/* Finishing twice gives the same frame; adding after is refused. */
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_int_eq(wire_builder_finish(&b, &p2, &n2), 0);
	ck_assert_ptr_eq(p, p2);
	ck_assert_uint_eq(n, n2);
	j.payload = NOBYTES;
	ck_assert_int_eq(wire_add_job(&b, &j), CORUN_ESTATE);

	wire_builder_reset(&b);
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), CORUN_ESTATE);

	make_result(&r, 3);
	r.errmsg = BYTES("x\0y");
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_RESULTS), 0);
	ck_assert_int_eq(wire_add_result(&b, &r), CORUN_EINVAL);
	r.errmsg = NOBYTES;
	r.out = (struct wire_bytes){ NULL, 9 };
	ck_assert_int_eq(wire_add_result(&b, &r), CORUN_EINVAL);
	wire_builder_fini(&b);
	wire_builder_fini(&b);	/* twice is harmless */
}
END_TEST

/* Reuse: after warm-up, batches reuse the same buffer. */
START_TEST(test_builder_reuse)
{
	struct wire_builder b;
	struct wire_frame f;
	struct wire_job j, g;
	uint8_t pay[64];
	const uint8_t *p;
	uint8_t *buf;
	size_t n, cap;
	uint32_t round, i;
	char why[WIRE_WHY_SIZE];

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
	for (i = 0; i < 200; i++) {
		make_job(&j, i, pay, sizeof(pay));
		ck_assert_int_eq(wire_add_job(&b, &j), 0);
	}
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	buf = b.buf;
	cap = b.cap;
	for (round = 0; round < 50; round++) {
		if (round % 2) {
			wire_builder_reset(&b);
		}
		ck_assert_int_eq(wire_builder_begin(&b, WIRE_JOBS), 0);
		for (i = 0; i < 200; i++) {
			make_job(&j, i + round, pay, sizeof(pay));
			ck_assert_int_eq(wire_add_job(&b, &j), 0);
		}
		ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
		ck_assert_ptr_eq(b.buf, buf);
		ck_assert_uint_eq(b.cap, cap);
		ck_assert_int_eq(wire_decode(p, n, 0, &f, why,
		    sizeof(why)), 0);
		ck_assert_uint_eq(f.hdr.count, 200);
		ck_assert_int_eq(wire_next_job(&f, &g), 0);
		ck_assert(g.id == (round == 0 ? UINT64_MAX :
		    (uint64_t)round * 0x100000001ULL));
	}
	/* Single frames reuse it too. */
	ck_assert_int_eq(wire_encode_credit(&b, 3, &p, &n), 0);
	ck_assert_ptr_eq(p, buf);
	wire_builder_fini(&b);
}
END_TEST

/* ---- mutation -------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rng(void)
{
	/* xorshift64*: deterministic, so failures reproduce. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static int
inside(struct wire_bytes v, const uint8_t *p, size_t n)
{
	return v.len == 0 || (v.ptr >= p && v.len <= (size_t)(p + n - v.ptr));
}

/*
 * Flip random bytes of valid frames, decode exactly-sized copies.  The
 * decoder must refuse with a known code and a reason, or accept, and
 * then every view must lie inside the buffer and the iteration must
 * return exactly hdr.count records.
 */
START_TEST(test_mutation)
{
	struct wire_frame f;
	struct wire_job j;
	struct wire_result r;
	struct wire_output o;
	uint64_t id;
	uint8_t *p, *q;
	size_t n;
	uint32_t iter, k, flips, cnt;
	int type, rc;
	char why[WIRE_WHY_SIZE];

	for (type = 1; type <= WIRE_TYPE_MAX; type++) {
		p = sample(type, &n);
		for (iter = 0; iter < 3000; iter++) {
			q = dup_frame(p, n);
			flips = rng() % 4 + 1;
			for (k = 0; k < flips; k++) {
				/* Bias toward small values, like lengths. */
				q[rng() % n] = (uint8_t)(rng() % 3 ? rng() :
				    rng() % 8);
			}
			why[0] = '\0';
			rc = wire_decode(q, n, 0, &f, why, sizeof(why));
			if (rc != 0) {
				ck_assert(rc == CORUN_EPROTO ||
				    rc == CORUN_ENOTSUP || rc == CORUN_ERANGE);
				ck_assert(why[0] != '\0');
				free(q);
				continue;
			}
			cnt = 0;
			switch (f.hdr.type) {
			case WIRE_JOBS:
				while (wire_next_job(&f, &j) == 0) {
					ck_assert(inside(j.kind, q, n));
					ck_assert(inside(j.payload, q, n));
					ck_assert_uint_ge(j.kind.len, 1);
					cnt++;
				}
				break;
			case WIRE_RESULTS:
				while (wire_next_result(&f, &r) == 0) {
					ck_assert(inside(r.out, q, n));
					ck_assert(inside(r.err, q, n));
					ck_assert(inside(r.errmsg, q, n));
					cnt++;
				}
				break;
			case WIRE_CANCEL:
				while (wire_next_cancel(&f, &id) == 0) {
					cnt++;
				}
				break;
			case WIRE_OUTPUT:
				while (wire_next_output(&f, &o) == 0) {
					ck_assert(inside(o.data, q, n));
					ck_assert(o.stream >= 1 &&
					    o.stream <= 4);
					cnt++;
				}
				break;
			case WIRE_HELLO:
				ck_assert(inside(f.u.hello.token, q, n));
				ck_assert(inside(f.u.hello.name, q, n));
				break;
			default:
				break;
			}
			ck_assert_uint_eq(cnt, f.hdr.count);
			free(q);
		}
		free(p);
	}
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("codec");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_roundtrip);
	tcase_add_test(tc, test_small_frames_roundtrip);
	tcase_add_test(tc, test_golden_bytes);
	tcase_add_test(tc, test_jobs_roundtrip);
	tcase_add_test(tc, test_results_roundtrip);
	tcase_add_test(tc, test_cancel_roundtrip);
	tcase_add_test(tc, test_output_roundtrip);
	tcase_add_test(tc, test_output_file_streams);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_short_body);
	tcase_add_test(tc, test_body_length_mismatch);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_header_refusals);
	tcase_add_test(tc, test_record_count);
	tcase_add_test(tc, test_bad_field_lengths);
	tcase_add_test(tc, test_reason_buffer);
	tcase_add_test(tc, test_unaligned);
	tcase_add_test(tc, test_builder_full);
	tcase_add_test(tc, test_builder_state);
	tcase_add_test(tc, test_builder_reuse);
	tcase_add_test(tc, test_mutation);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(wire_suite());
}
