/* SPDX-License-Identifier: MIT */
/*
 * test_wire_chunk.c - the chunk payload and output codec
 * (src/wire/wire-chunk.h): round trips, the kind shorthand, NULs after
 * byte fields, refusals of bad jobs, and every truncation and bad length
 * refused rather than read past the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-util.h"
#include "wire/wire-chunk.h"

static struct corun_job
mkjob(const char *kind, const char *payload, double timeout, int retries)
{
	struct corun_job j = { 0 };

	j.kind = kind;
	j.payload = payload;
	j.len = payload != NULL ? strlen(payload) : 0;
	j.timeout = timeout;
	j.retries = retries;
	return j;
}

/* Three jobs: a kind repeated (stored once) and a payload with a NUL. */
static void
build_payload(struct wire_chunk_buf *b)
{
	struct corun_job j[3];
	char kind2[] = "sleep";		/* same text, another pointer */

	j[0] = mkjob("sleep", "10", 0.25, 2);
	j[1] = mkjob(kind2, "20", 0, 0);
	j[2] = mkjob("shell", NULL, 0, 0);
	j[2].payload = "sh\0-c\0true";
	j[2].len = 10;
	ck_assert_int_eq(wire_chunk_begin(b), 0);
	ck_assert_int_eq(wire_chunk_add_job(b, &j[0], NULL), 0);
	ck_assert_int_eq(wire_chunk_add_job(b, &j[1], j[0].kind), 0);
	ck_assert_int_eq(wire_chunk_add_job(b, &j[2], j[1].kind), 0);
	wire_chunk_finish(b, 3);
}

START_TEST(test_payload_roundtrip)
{
	struct wire_chunk_buf b = { NULL, 0, 0 };
	struct wire_chunk_iter it;
	struct wire_chunk_job j;

	build_payload(&b);
	/*
	 * flags, timeout, retries, kind, payload; flags, payload (kind
	 * inherited); flags, kind, payload.
	 */
	ck_assert_uint_eq(b.len, 4 + (1 + 4 + 4 + 6 + 7) + (1 + 7) +
	    (1 + 6 + 15));
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	ck_assert_uint_eq(it.count, 3);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), 0);
	ck_assert_uint_eq(j.kind_len, 5);
	ck_assert_int_eq(memcmp(j.kind, "sleep", 5), 0);
	ck_assert_str_eq(j.payload, "10");
	ck_assert_uint_eq(j.timeout_ms, 250);
	ck_assert_uint_eq(j.retries, 2);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), 0);
	ck_assert_int_eq(memcmp(j.kind, "sleep", 5), 0);	/* inherited */
	ck_assert_str_eq(j.payload, "20");
	ck_assert_uint_eq(j.timeout_ms, 0);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), 0);
	ck_assert_uint_eq(j.kind_len, 5);
	ck_assert_int_eq(memcmp(j.kind, "shell", 5), 0);
	ck_assert_uint_eq(j.len, 10);
	ck_assert_int_eq(memcmp(j.payload, "sh\0-c\0true", 11), 0);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), CORUN_EDONE);
	wire_chunk_buf_free(&b);
}
END_TEST

START_TEST(test_payload_refusals)
{
	struct wire_chunk_buf b = { NULL, 0, 0 };
	struct corun_job j;
	char *big;

	ck_assert_int_eq(wire_chunk_begin(&b), 0);
	j = mkjob("", NULL, 0, 0);
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, NULL), CORUN_EINVAL);
	j = mkjob(NULL, NULL, 0, 0);
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, NULL), CORUN_EINVAL);
	j = mkjob("noop", NULL, -1, 0);
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, NULL), CORUN_EINVAL);
	j = mkjob("noop", NULL, 0, -1);
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, NULL), CORUN_EINVAL);
	j = mkjob("noop", NULL, 0, 0);
	j.len = 3;		/* a length without bytes */
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, NULL), CORUN_EINVAL);
	ck_assert_uint_eq(b.len, 4);	/* nothing was appended */
	/* Too large for any chunk, and full once something is in. */
	big = calloc(1, WIRE_CHUNK_MAX_PAYLOAD);
	memset(big, 'x', WIRE_CHUNK_MAX_PAYLOAD - 1);
	j = mkjob("noop", big, 0, 0);
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, NULL), CORUN_ERANGE);
	j.len = WIRE_CHUNK_MAX_PAYLOAD / 2;
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, NULL), 0);
	ck_assert_int_eq(wire_chunk_add_job(&b, &j, "noop"), CORUN_EAGAIN);
	free(big);
	wire_chunk_buf_free(&b);
}
END_TEST

/* Every prefix of a valid payload is refused, never read past. */
START_TEST(test_payload_truncation)
{
	struct wire_chunk_buf b = { NULL, 0, 0 };
	struct wire_chunk_iter it;
	struct wire_chunk_job j;
	uint8_t *copy;
	int rc;

	build_payload(&b);
	for (size_t len = 0; len < b.len; len++) {
		/* An exact-size heap copy, so ASan sees any overread. */
		copy = malloc(len > 0 ? len : 1);
		memcpy(copy, b.p, len);
		if (wire_chunk_iter_init(&it, copy, len) != 0) {
			ck_assert_uint_lt(len, 4);
			free(copy);
			continue;
		}
		while ((rc = wire_chunk_next_job(&it, &j)) == 0) {
			continue;
		}
		ck_assert_msg(rc == CORUN_EPROTO, "prefix of %zu bytes: %d",
		    len, rc);
		free(copy);
	}
	wire_chunk_buf_free(&b);
}
END_TEST

START_TEST(test_payload_bad_fields)
{
	struct wire_chunk_buf b = { NULL, 0, 0, 0 };
	struct wire_chunk_iter it;
	struct wire_chunk_job j;

	/* Item 0 is at 4: flags, timeout (5), retries (9), kind_len (13),
	 * kind (14), payload_len (19), payload (23), NUL (25). */
	/* The first item says "the previous kind". */
	build_payload(&b);
	b.p[4] &= ~0x04;
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), CORUN_EPROTO);
	wire_chunk_buf_free(&b);
	/* Flags this version does not know. */
	build_payload(&b);
	b.p[4] |= 0x80;
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), CORUN_EPROTO);
	wire_chunk_buf_free(&b);
	/* A payload without its NUL. */
	build_payload(&b);
	ck_assert_int_eq(b.p[25], 0);
	b.p[25] = 'x';
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), CORUN_EPROTO);
	wire_chunk_buf_free(&b);
	/* An empty kind, and a payload length past the end. */
	build_payload(&b);
	b.p[13] = 0;
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), CORUN_EPROTO);
	wire_chunk_buf_free(&b);
	build_payload(&b);
	memset(b.p + 19, 0xff, 4);
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), CORUN_EPROTO);
	wire_chunk_buf_free(&b);
	/* More records announced than there are. */
	build_payload(&b);
	b.p[0] = 4;
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(wire_chunk_next_job(&it, &j), 0);
	}
	ck_assert_int_eq(wire_chunk_next_job(&it, &j), CORUN_EPROTO);
	wire_chunk_buf_free(&b);
}
END_TEST

START_TEST(test_output_roundtrip_and_truncation)
{
	struct wire_chunk_buf b = { NULL, 0, 0 };
	struct wire_chunk_result r, got;
	struct wire_chunk_iter it;
	uint8_t *copy;
	int rc;

	ck_assert_int_eq(wire_chunk_begin(&b), 0);
	memset(&r, 0, sizeof(r));
	r.status = CORUN_EFAILED;
	r.exit_code = -1;
	r.signal = 9;
	r.attempts = 2;
	r.start_ns = 1234567890123ull;
	r.end_ns = 1234567899999ull;
	r.out = "o\0t";
	r.out_len = 3;
	r.err = "e";
	r.err_len = 1;
	r.msg = "killed by signal 9";
	r.msg_len = (uint32_t)strlen(r.msg);
	ck_assert_int_eq(wire_chunk_add_result(&b, &r), 0);
	memset(&r, 0, sizeof(r));	/* one that did not run */
	ck_assert_int_eq(wire_chunk_add_result(&b, &r), 0);
	r.exit_code = -1;		/* the defaults: one byte and times */
	r.attempts = 1;
	r.start_ns = 1234567899999ull;
	r.end_ns = 1234567900100ull;
	ck_assert_int_eq(wire_chunk_add_result(&b, &r), 0);
	wire_chunk_finish(&b, 3);
	/*
	 * flags, status, signal, attempts, out, err, msg, two varints;
	 * flags, exit code, attempts, varints (back to 0, and 0);
	 * flags and varints (6 bytes for a time, 2 for 101 ns).
	 */
	ck_assert_uint_eq(b.len, 4 + (1 + 4 + 4 + 4 + 8 + 6 + 23 + 6 + 3) +
	    (1 + 4 + 4 + 6 + 1) + (1 + 6 + 2));
	ck_assert_int_eq(wire_chunk_iter_init(&it, b.p, b.len), 0);
	ck_assert_int_eq(wire_chunk_next_result(&it, &got), 0);
	ck_assert_uint_eq(got.status, CORUN_EFAILED);
	ck_assert_int_eq(got.exit_code, -1);
	ck_assert_uint_eq(got.signal, 9);
	ck_assert_uint_eq(got.attempts, 2);
	ck_assert(got.start_ns == 1234567890123ull);
	ck_assert(got.end_ns == 1234567899999ull);
	ck_assert_uint_eq(got.out_len, 3);
	ck_assert_int_eq(memcmp(got.out, "o\0t\0", 4), 0);
	ck_assert_str_eq(got.err, "e");
	ck_assert_str_eq(got.msg, "killed by signal 9");
	ck_assert_int_eq(wire_chunk_next_result(&it, &got), 0);
	ck_assert_uint_eq(got.status, 0);
	ck_assert_int_eq(got.exit_code, 0);
	ck_assert_uint_eq(got.attempts, 0);
	ck_assert(got.start_ns == 0 && got.end_ns == 0);
	ck_assert_str_eq(got.out, "");
	ck_assert_str_eq(got.msg, "");
	ck_assert_int_eq(wire_chunk_next_result(&it, &got), 0);
	ck_assert_int_eq(got.exit_code, -1);
	ck_assert_uint_eq(got.attempts, 1);
	ck_assert(got.start_ns == 1234567899999ull);
	ck_assert(got.end_ns == 1234567900100ull);
	ck_assert_uint_eq(got.out_len, 0);
	ck_assert_str_eq(got.err, "");
	ck_assert_int_eq(wire_chunk_next_result(&it, &got), CORUN_EDONE);
	for (size_t len = 4; len < b.len; len++) {
		copy = malloc(len);
		memcpy(copy, b.p, len);
		ck_assert_int_eq(wire_chunk_iter_init(&it, copy, len), 0);
		while ((rc = wire_chunk_next_result(&it, &got)) == 0) {
			continue;
		}
		ck_assert_msg(rc == CORUN_EPROTO, "prefix of %zu bytes: %d",
		    len, rc);
		free(copy);
	}
	wire_chunk_buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("wire_chunk");
	TCase *tc = tcase_create("wire_chunk");

	tcase_add_test(tc, test_payload_roundtrip);
	tcase_add_test(tc, test_payload_refusals);
	tcase_add_test(tc, test_payload_truncation);
	tcase_add_test(tc, test_payload_bad_fields);
	tcase_add_test(tc, test_output_roundtrip_and_truncation);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
