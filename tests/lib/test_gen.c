/* SPDX-License-Identifier: MIT */
/*
 * test_gen.c - generators: values in order, exhaustion, return codes,
 * closing a suspended generator.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <corun/co.h>

#include "check-util.h"

#define V(i)	((void *)(uintptr_t)(i))

static corun_gen *
gen_new_ok(corun_gen_fn fn, void *arg)
{
	corun_gen *gen = NULL;

	ck_assert_int_eq(corun_gen_new(fn, arg, 0, &gen), 0);
	ck_assert_ptr_nonnull(gen);
	return gen;
}

/* Yields 1..*arg, then returns 0. */
static int
count_body(corun_gen *gen, void *arg)
{
	int n = *(int *)arg, i;

	for (i = 1; i <= n; i++) {
		if (corun_gen_yield(gen, V(i)) != 0) {
			break;
		}
	}
	return 0;
}

START_TEST(test_values_in_order)
{
	int n = 5, i;
	void *v;
	corun_gen *gen = gen_new_ok(count_body, &n);

	for (i = 1; i <= n; i++) {
		v = NULL;
		ck_assert_int_eq(corun_gen_next(gen, &v), 0);
		ck_assert_ptr_eq(v, V(i));
	}
	v = V(99);
	ck_assert_int_eq(corun_gen_next(gen, &v), CORUN_EDONE);
	ck_assert_ptr_eq(v, V(99));	/* untouched when nothing yielded */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(corun_gen_next(gen, &v), CORUN_EDONE);
	}
	corun_gen_free(gen);
}
END_TEST

START_TEST(test_empty_and_null_value)
{
	int n = 0;
	corun_gen *gen = gen_new_ok(count_body, &n);

	ck_assert_int_eq(corun_gen_next(gen, NULL), CORUN_EDONE);
	ck_assert_int_eq(corun_gen_next(gen, NULL), CORUN_EDONE);
	corun_gen_free(gen);
	n = 2;
	gen = gen_new_ok(count_body, &n);
	ck_assert_int_eq(corun_gen_next(gen, NULL), 0);
	corun_gen_free(gen);
}
END_TEST

static int
fail_body(corun_gen *gen, void *arg)
{
	corun_gen_yield(gen, V(10));
	corun_gen_yield(gen, V(20));
	return CORUN_EFAILED;
}

START_TEST(test_return_code_once)
{
	void *v = NULL;
	corun_gen *gen = gen_new_ok(fail_body, NULL);

	ck_assert_int_eq(corun_gen_next(gen, &v), 0);
	ck_assert_ptr_eq(v, V(10));
	ck_assert_int_eq(corun_gen_next(gen, &v), 0);
	ck_assert_ptr_eq(v, V(20));
	ck_assert_int_eq(corun_gen_next(gen, &v), CORUN_EFAILED);
	ck_assert_int_eq(corun_gen_next(gen, &v), CORUN_EDONE);
	ck_assert_int_eq(corun_gen_next(gen, &v), CORUN_EDONE);
	corun_gen_free(gen);
}
END_TEST

/* Holds a resource while suspended; releases it when closed. */
struct holder {
	int	 cleaned;
	int	 yield_rc;
	int	 after_second_yield;
	int	 yield_again;
};

static int
holding_body(corun_gen *gen, void *arg)
{
	struct holder *h = arg;
	char *buf = malloc(4096);
	int rc, i = 0;

	ck_assert_ptr_nonnull(buf);
	while ((rc = corun_gen_yield(gen, V(++i))) == 0) {
		buf[i % 4096] = (char)i;
	}
	h->yield_rc = rc;
	free(buf);
	h->cleaned = 1;
	if (h->yield_again) {
		/* Yielding while being closed: the body is discarded here. */
		corun_gen_yield(gen, V(-1));
		h->after_second_yield = 1;
	}
	return rc;
}

START_TEST(test_free_runs_cleanup)
{
	struct holder h = { 0, 0, 0, 0 };
	void *v;
	corun_gen *gen = gen_new_ok(holding_body, &h);

	ck_assert_int_eq(corun_gen_next(gen, &v), 0);
	ck_assert_int_eq(corun_gen_next(gen, &v), 0);
	ck_assert_ptr_eq(v, V(2));
	ck_assert_int_eq(h.cleaned, 0);
	corun_gen_free(gen);
	ck_assert_int_eq(h.cleaned, 1);
	ck_assert_int_eq(h.yield_rc, CORUN_ECANCELED);
}
END_TEST

START_TEST(test_free_yield_again_discards)
{
	struct holder h = { 0, 0, 0, 1 };
	void *v;
	corun_gen *gen = gen_new_ok(holding_body, &h);

	ck_assert_int_eq(corun_gen_next(gen, &v), 0);
	corun_gen_free(gen);
	ck_assert_int_eq(h.cleaned, 1);
	ck_assert_int_eq(h.yield_rc, CORUN_ECANCELED);
	ck_assert_int_eq(h.after_second_yield, 0);
}
END_TEST

static int
flag_body(corun_gen *gen, void *arg)
{
	*(int *)arg = 1;
	return 0;
}

START_TEST(test_free_unstarted_and_exhausted)
{
	int ran = 0;
	corun_gen *gen = gen_new_ok(flag_body, &ran);

	corun_gen_free(gen);		/* a body never started never runs */
	ck_assert_int_eq(ran, 0);
	gen = gen_new_ok(flag_body, &ran);
	ck_assert_int_eq(corun_gen_next(gen, NULL), CORUN_EDONE);
	ck_assert_int_eq(ran, 1);
	corun_gen_free(gen);
	corun_gen_free(NULL);
}
END_TEST

/* A generator that consumes another one: squares of count_body's values. */
static int
square_body(corun_gen *gen, void *arg)
{
	corun_gen *src = arg;
	void *v;
	int rc;

	while ((rc = corun_gen_next(src, &v)) == 0) {
		uintptr_t x = (uintptr_t)v;

		if ((rc = corun_gen_yield(gen, V(x * x))) != 0) {
			return rc;
		}
	}
	return rc == CORUN_EDONE ? 0 : rc;
}

START_TEST(test_nested_generators)
{
	int n = 4, i;
	void *v;
	corun_gen *src = gen_new_ok(count_body, &n);
	corun_gen *sq = gen_new_ok(square_body, src);

	for (i = 1; i <= n; i++) {
		ck_assert_int_eq(corun_gen_next(sq, &v), 0);
		ck_assert_ptr_eq(v, V(i * i));
		ck_assert_ptr_null(corun_co_self());
	}
	ck_assert_int_eq(corun_gen_next(sq, &v), CORUN_EDONE);
	corun_gen_free(sq);
	corun_gen_free(src);
}
END_TEST

struct misuse {
	corun_gen	*other;
	int		 rc_next_self;
	int		 rc_yield_other;
};

static int
misuse_body(corun_gen *gen, void *arg)
{
	struct misuse *m = arg;

	m->rc_next_self = corun_gen_next(gen, NULL);
	m->rc_yield_other = corun_gen_yield(m->other, V(1));
	corun_gen_free(gen);		/* refused while running */
	return corun_gen_yield(gen, V(7));
}

START_TEST(test_misuse)
{
	int n = 1;
	struct misuse m;
	void *v = NULL;
	corun_gen *gen, *out = (corun_gen *)&m;

	ck_assert_int_eq(corun_gen_new(NULL, NULL, 0, &out), CORUN_EINVAL);
	ck_assert_ptr_eq(out, (corun_gen *)&m);
	ck_assert_int_eq(corun_gen_next(NULL, &v), CORUN_EINVAL);
	m.other = gen_new_ok(count_body, &n);
	ck_assert_int_eq(corun_gen_yield(m.other, V(1)), CORUN_ENOTCO);
	gen = gen_new_ok(misuse_body, &m);
	ck_assert_int_eq(corun_gen_next(gen, &v), 0);
	ck_assert_ptr_eq(v, V(7));
	ck_assert_int_eq(m.rc_next_self, CORUN_ESTATE);
	ck_assert_int_eq(m.rc_yield_other, CORUN_ESTATE);
	ck_assert_int_eq(corun_gen_next(gen, &v), CORUN_EDONE);
	corun_gen_free(gen);
	corun_gen_free(m.other);
}
END_TEST

START_TEST(test_many_generators)
{
	enum { N = 2000 };
	static corun_gen *gens[N];
	int n = 3, i, k;
	void *v;

	for (i = 0; i < N; i++) {
		gens[i] = gen_new_ok(count_body, &n);
	}
	for (k = 1; k <= n; k++) {
		for (i = 0; i < N; i++) {
			ck_assert_int_eq(corun_gen_next(gens[i], &v), 0);
			ck_assert_ptr_eq(v, V(k));
		}
	}
	for (i = 0; i < N; i++) {
		if (i % 2 == 0) {
			ck_assert_int_eq(corun_gen_next(gens[i], &v),
			    CORUN_EDONE);
		}
		corun_gen_free(gens[i]);	/* odd ones still suspended */
	}
}
END_TEST

/* ---- send, throw, close (Python's generator methods) --------------- */

/* Yields the running sum of what is sent in; stops when sent NULL. */
static int
summer(corun_gen *gen, void *arg)
{
	intptr_t sum = 0;

	(void)arg;
	for (;;) {
		int rc = corun_gen_yield(gen, (void *)sum);

		if (rc == CORUN_EPROTO) {
			sum = -1;	/* handled: yields -1 next */
			continue;
		}
		if (rc != 0) {
			return rc;
		}
		if (corun_gen_sent(gen) == NULL) {
			return 0;
		}
		sum += (intptr_t)corun_gen_sent(gen);
	}
}

START_TEST(test_send_values_in)
{
	corun_gen *g;
	void *v = NULL;

	ck_assert_int_eq(corun_gen_new(summer, NULL, 0, &g), 0);
	ck_assert_int_eq(corun_gen_send(g, (void *)1, &v), CORUN_ESTATE);
	ck_assert_int_eq(corun_gen_send(g, NULL, &v), 0);
	ck_assert_ptr_eq(v, (void *)0);
	ck_assert_int_eq(corun_gen_send(g, (void *)5, &v), 0);
	ck_assert_ptr_eq(v, (void *)5);
	ck_assert_int_eq(corun_gen_send(g, (void *)3, &v), 0);
	ck_assert_ptr_eq(v, (void *)8);
	ck_assert_int_eq(corun_gen_send(g, NULL, &v), CORUN_EDONE);
	corun_gen_free(g);
}
END_TEST

START_TEST(test_throw_errors_in)
{
	corun_gen *g;
	void *v = NULL;

	ck_assert_int_eq(corun_gen_new(summer, NULL, 0, &g), 0);
	ck_assert_int_eq(corun_gen_next(g, &v), 0);
	/* Handled by the body: it yields again. */
	ck_assert_int_eq(corun_gen_throw(g, CORUN_EPROTO, &v), 0);
	ck_assert_ptr_eq(v, (void *)-1);
	/* Not handled: the body returns it. */
	ck_assert_int_eq(corun_gen_throw(g, CORUN_EIO, &v), CORUN_EIO);
	ck_assert_int_eq(corun_gen_next(g, &v), CORUN_EDONE);
	corun_gen_free(g);
	/* Thrown into one not started: its body never runs. */
	ck_assert_int_eq(corun_gen_new(summer, NULL, 0, &g), 0);
	ck_assert_int_eq(corun_gen_throw(g, CORUN_EIO, &v), CORUN_EIO);
	ck_assert_int_eq(corun_gen_next(g, &v), CORUN_EDONE);
	corun_gen_free(g);
}
END_TEST

static int
stubborn(corun_gen *gen, void *arg)
{
	(void)arg;
	for (;;) {
		(void)corun_gen_yield(gen, NULL);	/* ignores close */
	}
	return 0;
}

START_TEST(test_close_reports_yield_after_close)
{
	corun_gen *g;

	ck_assert_int_eq(corun_gen_new(stubborn, NULL, 0, &g), 0);
	ck_assert_int_eq(corun_gen_next(g, NULL), 0);
	/* Python: RuntimeError, generator ignored GeneratorExit. */
	ck_assert_int_eq(corun_gen_close(g), CORUN_ESTATE);
	corun_gen_free(g);
	ck_assert_int_eq(corun_gen_new(summer, NULL, 0, &g), 0);
	ck_assert_int_eq(corun_gen_next(g, NULL), 0);
	ck_assert_int_eq(corun_gen_close(g), 0);
	ck_assert_int_eq(corun_gen_next(g, NULL), CORUN_EDONE);
	corun_gen_free(g);
}
END_TEST

static Suite *
gen_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_values_in_order);
	tcase_add_test(tc, test_send_values_in);
	tcase_add_test(tc, test_throw_errors_in);
	tcase_add_test(tc, test_close_reports_yield_after_close);
	tcase_add_test(tc, test_empty_and_null_value);
	tcase_add_test(tc, test_return_code_once);
	tcase_add_test(tc, test_free_runs_cleanup);
	tcase_add_test(tc, test_free_yield_again_discards);
	tcase_add_test(tc, test_free_unstarted_and_exhausted);
	tcase_add_test(tc, test_nested_generators);
	tcase_add_test(tc, test_misuse);
	tcase_add_test(tc, test_many_generators);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(gen_suite());
}
