/* SPDX-License-Identifier: MIT */
/*
 * test_fault_wire.c - the frame codec under allocation failure.
 *
 * The codec allocates in one place, the builder's buffer growth.  One
 * operation builds a JOBS, a RESULTS and a CANCEL batch big enough to
 * grow the buffer several times, and single HELLO and BYE frames, each
 * on a fresh builder.  It runs with the Nth allocation failing, for
 * N = 1, 2, ... until a run reaches no failure, once and forever.
 * Each failure must come back as CORUN_ENOMEM with the open frame
 * unchanged (same length, same records, still decodable); a caller that
 * retries (once mode) ends with the whole frame.  Leaks: the builders
 * are finished on every path; run under valgrind or an ASan build to
 * see none.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-util.h"
#include "fault-internal.h"
#include "wire/wire.h"

#define NREC	300
#define MAXN	10000	/* a bound: the loop must end well before */

static uint8_t blob[4096];

/* The frame so far decodes and holds exactly count records. */
static void
check_partial(struct wire_builder *b, uint32_t count)
{
	struct wire_frame f;
	const uint8_t *p;
	size_t n;
	char why[WIRE_WHY_SIZE];

	if (b->type == 0) {
		ck_assert_uint_eq(count, 0);
		return;
	}
	ck_assert_int_eq(wire_builder_finish(b, &p, &n), 0);
	ck_assert_msg(wire_decode(p, n, 0, &f, why, sizeof(why)) == 0,
	    "partial frame does not decode: %s", why);
	ck_assert_uint_eq(f.hdr.count, count);
}

/*
 * Add record i of a batch of type; the caller's retry policy decides
 * what a CORUN_ENOMEM means.  Returns the add's code.
 */
static int
add_one(struct wire_builder *b, int type, uint32_t i)
{
	struct wire_job j;
	struct wire_result r;

	switch (type) {
	case WIRE_JOBS:
		memset(&j, 0, sizeof(j));
		j.id = i + 1;
		j.attempt = 1;
		j.kind.ptr = (const uint8_t *)"shell";
		j.kind.len = 5;
		j.payload.ptr = blob;
		j.payload.len = (i * 37) % sizeof(blob);
		return wire_add_job(b, &j);
	case WIRE_RESULTS:
		memset(&r, 0, sizeof(r));
		r.id = i + 1;
		r.attempt = 1;
		r.out.ptr = blob;
		r.out.len = (i * 53) % sizeof(blob);
		r.errmsg.ptr = (const uint8_t *)"no";
		r.errmsg.len = 2;
		return wire_add_result(b, &r);
	default:
		return wire_add_cancel(b, i + 1);
	}
}

/* One batch of type; returns the ENOMEM count it saw. */
static int
batch(int type, int forever)
{
	struct wire_builder b;
	struct wire_frame f;
	const uint8_t *p;
	size_t n, len;
	char why[WIRE_WHY_SIZE];
	uint32_t i = 0;
	int rc, seen = 0, tries = 0;

	ck_assert_int_eq(wire_builder_init(&b, 8u << 20, 0, 0), 0);
	while ((rc = wire_builder_begin(&b, type)) == CORUN_ENOMEM) {
		seen++;
		ck_assert_uint_eq(b.type, 0);
		if (forever || ++tries > 1) {
			wire_builder_fini(&b);
			return seen;
		}
	}
	ck_assert_int_eq(rc, 0);
	while (i < NREC) {
		uint32_t count = b.count;

		len = b.len;
		rc = add_one(&b, type, i);
		if (rc == CORUN_ENOMEM) {
			seen++;
			ck_assert_uint_eq(b.len, len);
			ck_assert_uint_eq(b.count, count);
			if (forever) {
				/* Every later growth fails too. */
				ck_assert_int_eq(add_one(&b, type, i),
				    CORUN_ENOMEM);
				seen++;
				check_partial(&b, count);
				wire_builder_fini(&b);
				return seen;
			}
			continue;	/* once: the retry must work */
		}
		ck_assert_int_eq(rc, 0);
		i++;
	}
	ck_assert_int_eq(wire_builder_finish(&b, &p, &n), 0);
	ck_assert_msg(wire_decode(p, n, 0, &f, why, sizeof(why)) == 0,
	    "%s", why);
	ck_assert_uint_eq(f.hdr.count, NREC);
	wire_builder_fini(&b);
	return seen;
}

/* HELLO and BYE on fresh builders (one growth each). */
static int
singles(int forever)
{
	struct wire_builder b;
	struct wire_hello h;
	struct wire_bye bye;
	const uint8_t *p;
	size_t n;
	int rc, seen = 0;

	memset(&h, 0, sizeof(h));
	h.max_version = WIRE_VERSION;
	h.pid = 1;
	h.procs = h.threads = h.concurrency = h.capacity = 1;
	h.name.ptr = (const uint8_t *)"w";
	h.name.len = 1;
	memset(&bye, 0, sizeof(bye));
	bye.reason.ptr = blob;
	bye.reason.len = 0;
	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	rc = wire_encode_hello(&b, &h, &p, &n);
	ck_assert(rc == 0 || rc == CORUN_ENOMEM);
	seen += rc == CORUN_ENOMEM;
	wire_builder_fini(&b);
	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	rc = wire_encode_bye(&b, &bye, &p, &n);
	ck_assert(rc == 0 || rc == CORUN_ENOMEM);
	seen += rc == CORUN_ENOMEM;
	wire_builder_fini(&b);
	(void)forever;
	return seen;
}

static int
operation(int forever)
{
	return batch(WIRE_JOBS, forever) + batch(WIRE_RESULTS,
	    forever) + batch(WIRE_CANCEL, forever) + singles(forever);
}

static void
loop(int forever)
{
	unsigned long n, hits;
	int seen;

	for (n = 1; n < MAXN; n++) {
		ck_assert_int_eq(cr_fault_set(CR_FAULT_ALLOC, n, forever), 0);
		seen = operation(forever);
		hits = cr_fault_hits(CR_FAULT_ALLOC);
		cr_fault_clear();
		/* Every injected failure was reported, none invented. */
		ck_assert_uint_eq((unsigned long)seen, hits);
		if (hits == 0) {
			break;
		}
	}
	ck_assert_uint_lt(n, MAXN);
	ck_assert_uint_gt(n, 10);	/* the batches did grow */
	printf("fault wire %s: %lu fault points\n", forever ? "forever" :
	    "once", n - 1);
}

START_TEST(test_wire_alloc_once)
{
	loop(0);
}
END_TEST

START_TEST(test_wire_alloc_forever)
{
	loop(1);
}
END_TEST

START_TEST(test_fault_spec)
{
	ck_assert_int_eq(cr_fault_parse("alloc:3"), 0);
	ck_assert(cr_fault(CR_FAULT_ALLOC) == 0);
	ck_assert(cr_fault(CR_FAULT_ALLOC) == 0);
	ck_assert(cr_fault(CR_FAULT_ALLOC) == 1);
	ck_assert(cr_fault(CR_FAULT_ALLOC) == 0);
	ck_assert(cr_fault(CR_FAULT_IO) == 0);
	ck_assert_uint_eq(cr_fault_hits(CR_FAULT_ALLOC), 1);
	cr_fault_clear();
	ck_assert_int_eq(cr_fault_parse("io:2:forever,net:1:once"), 0);
	ck_assert(cr_fault(CR_FAULT_IO) == 0);
	ck_assert(cr_fault(CR_FAULT_IO) == 1);
	ck_assert(cr_fault(CR_FAULT_IO) == 1);
	ck_assert(cr_fault(CR_FAULT_NET) == 1);
	ck_assert(cr_fault(CR_FAULT_NET) == 0);
	ck_assert(cr_fault(CR_FAULT_ALLOC) == 0);
	cr_fault_clear();
	ck_assert(cr_fault(CR_FAULT_IO) == 0);
	ck_assert_int_eq(cr_fault_parse(""), CORUN_EINVAL);
	ck_assert_int_eq(cr_fault_parse("disk:1"), CORUN_EINVAL);
	ck_assert_int_eq(cr_fault_parse("alloc:0"), CORUN_EINVAL);
	ck_assert_int_eq(cr_fault_parse("alloc:x"), CORUN_EINVAL);
	ck_assert_int_eq(cr_fault_parse("alloc:1:sometimes"), CORUN_EINVAL);
	ck_assert_int_eq(cr_fault_parse("alloc:1,io"), CORUN_EINVAL);
	ck_assert_int_eq(cr_fault_armed, 0);	/* nothing half-armed */
	{
		void *p = cr_malloc(1);	/* disarmed: the real malloc */

		ck_assert_ptr_nonnull(p);
		free(p);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fault_wire");
	TCase *tc = tcase_create("core");

	for (size_t i = 0; i < sizeof(blob); i++) {
		blob[i] = (uint8_t)(i * 7 + 1);
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fault_spec);
	tcase_add_test(tc, test_wire_alloc_once);
	tcase_add_test(tc, test_wire_alloc_forever);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
