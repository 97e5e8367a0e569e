/* SPDX-License-Identifier: MIT */
/*
 * test_co.c - stackful coroutines: switching, state, stacks, guard pages.
 */
#include "config.h"

#include <fenv.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corun/co.h>

#include "check-util.h"

/* ---- helpers --------------------------------------------------------- */

struct trace {
	char	 buf[64];
	size_t	 n;
};

static void
trace_add(struct trace *t, char c)
{
	if (t->n + 1 < sizeof(t->buf)) {
		t->buf[t->n++] = c;
		t->buf[t->n] = '\0';
	}
}

static corun_co *
co_new_ok(corun_co_fn fn, void *arg, size_t size)
{
	corun_co *co = NULL;

	ck_assert_int_eq(corun_co_new(fn, arg, size, &co), 0);
	ck_assert_ptr_nonnull(co);
	return co;
}

/* ---- basic switching ------------------------------------------------- */

static void
order_fn(void *arg)
{
	struct trace *t = arg;

	trace_add(t, 'a');
	ck_assert_int_eq(corun_co_suspend(), 0);
	trace_add(t, 'b');
	ck_assert_int_eq(corun_co_suspend(), 0);
	trace_add(t, 'c');
}

START_TEST(test_resume_order)
{
	struct trace t = { .n = 0 };
	corun_co *co = co_new_ok(order_fn, &t, 0);

	ck_assert(!corun_co_finished(co));
	ck_assert_str_eq(t.buf, "");	/* nothing runs before resume */
	trace_add(&t, '1');
	ck_assert_int_eq(corun_co_resume(co), 0);
	trace_add(&t, '2');
	ck_assert(!corun_co_finished(co));
	ck_assert_int_eq(corun_co_resume(co), 0);
	trace_add(&t, '3');
	ck_assert(!corun_co_finished(co));
	ck_assert_int_eq(corun_co_resume(co), 0);
	trace_add(&t, '4');
	ck_assert(corun_co_finished(co));
	ck_assert_str_eq(t.buf, "1a2b3c4");
	ck_assert_int_eq(corun_co_resume(co), CORUN_ESTATE);
	ck_assert_int_eq(corun_co_resume(co), CORUN_ESTATE);
	corun_co_free(co);
}
END_TEST

START_TEST(test_backend)
{
	const char *b = corun_co_backend();

#if defined(CORUN_CO_UCONTEXT)
	ck_assert_str_eq(b, "ucontext");
#elif defined(__x86_64__)
	ck_assert_str_eq(b, "x86_64-asm");
#elif defined(__aarch64__)
	ck_assert_str_eq(b, "aarch64-asm");
#endif
}
END_TEST

static void
self_fn(void *arg)
{
	corun_co **seen = arg;

	seen[0] = corun_co_self();
	corun_co_suspend();
	seen[1] = corun_co_self();
}

START_TEST(test_self_and_outside)
{
	corun_co *seen[2] = { NULL, NULL };
	corun_co *co;

	ck_assert_ptr_null(corun_co_self());
	ck_assert_int_eq(corun_co_suspend(), CORUN_ENOTCO);
	co = co_new_ok(self_fn, seen, 0);
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_ptr_eq(seen[0], co);
	ck_assert_ptr_null(corun_co_self());
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_ptr_eq(seen[1], co);
	ck_assert_ptr_null(corun_co_self());
	corun_co_free(co);
}
END_TEST

START_TEST(test_bad_args)
{
	corun_co *co = (corun_co *)&co;

	ck_assert_int_eq(corun_co_new(NULL, NULL, 0, &co), CORUN_EINVAL);
	ck_assert_int_eq(corun_co_new(order_fn, NULL, 0, NULL), CORUN_EINVAL);
	ck_assert_int_ne(corun_co_new(order_fn, NULL, SIZE_MAX, &co), 0);
	ck_assert_ptr_eq(co, (corun_co *)&co);	/* untouched on failure */
	ck_assert_int_eq(corun_co_resume(NULL), CORUN_EINVAL);
	ck_assert(!corun_co_finished(NULL));
	corun_co_free(NULL);
}
END_TEST

static void
data_fn(void *arg)
{
	corun_co *self = corun_co_self();

	*(void **)arg = corun_co_data(self);
	corun_co_set_data(self, arg);
}

START_TEST(test_data)
{
	void *got = (void *)&got;
	int x;
	corun_co *co = co_new_ok(data_fn, &got, 0);

	ck_assert_ptr_null(corun_co_data(co));
	corun_co_set_data(co, &x);
	ck_assert_ptr_eq(corun_co_data(co), &x);
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_ptr_eq(got, &x);
	ck_assert_ptr_eq(corun_co_data(co), &got);
	corun_co_free(co);
}
END_TEST

/* ---- registers and locals -------------------------------------------- */

#define SWITCHES 20000

/*
 * Many integer and floating-point values live across each suspend; the
 * compiler keeps them in callee-saved registers (rbx, r12-r15 / x19-x28,
 * d8-d15) or spills them, and both must survive the switch.
 */
static void
regs_fn(void *arg)
{
	double *out = arg;
	uint64_t a = 1, b = 2, c = 3, d = 5, e = 7, f = 11, g = 13, h = 17;
	double x = 0.5, y = 1.25, z = -3.0, w = 1e-3;
	double p = 2.0, q = 0.1, r = 7.75, s = -0.125;
	int i;

	for (i = 0; i < SWITCHES; i++) {
		a = a * 6364136223846793005ULL + 1;
		b ^= a >> 7; c += b; d ^= c << 3; e += d; f ^= e >> 5;
		g += f; h ^= g;
		x += 0.5; y *= 1.0000001; z -= 0.25; w += x * 1e-9;
		p += q; q += 0.001; r -= s; s *= 0.9999999;
		corun_co_suspend();
	}
	out[0] = (double)(a ^ b ^ c ^ d ^ e ^ f ^ g ^ h);
	out[1] = x + y + z + w + p + q + r + s;
}

/* The same computation without coroutines, for the expected values. */
static void
regs_ref(double *out)
{
	volatile int n = SWITCHES;
	uint64_t a = 1, b = 2, c = 3, d = 5, e = 7, f = 11, g = 13, h = 17;
	double x = 0.5, y = 1.25, z = -3.0, w = 1e-3;
	double p = 2.0, q = 0.1, r = 7.75, s = -0.125;
	int i;

	for (i = 0; i < n; i++) {
		a = a * 6364136223846793005ULL + 1;
		b ^= a >> 7; c += b; d ^= c << 3; e += d; f ^= e >> 5;
		g += f; h ^= g;
		x += 0.5; y *= 1.0000001; z -= 0.25; w += x * 1e-9;
		p += q; q += 0.001; r -= s; s *= 0.9999999;
	}
	out[0] = (double)(a ^ b ^ c ^ d ^ e ^ f ^ g ^ h);
	out[1] = x + y + z + w + p + q + r + s;
}

START_TEST(test_locals_survive)
{
	double got[2] = { 0, 0 }, want[2];
	/* The resumer's own registers must survive too. */
	uint64_t m1 = 0x1111, m2 = 0x2222, m3 = 0x3333;
	double f1 = 1.5, f2 = -2.5;
	int n = 0;
	corun_co *co = co_new_ok(regs_fn, got, 0);

	regs_ref(want);
	while (!corun_co_finished(co)) {
		ck_assert_int_eq(corun_co_resume(co), 0);
		m1 += 3; m2 ^= m1; m3 += m2;
		f1 *= 1.000001; f2 += 0.5;
		n++;
	}
	ck_assert_int_eq(n, SWITCHES + 1);
	ck_assert(got[0] == want[0]);
	ck_assert(got[1] == want[1]);
	ck_assert_uint_eq(m1, 0x1111 + 3 * (uint64_t)n);
	ck_assert(f2 == -2.5 + 0.5 * n);
	ck_assert(f1 > 1.5 && m2 != 0 && m3 != 0);
	corun_co_free(co);
}
END_TEST

#ifdef __x86_64__
static void
round_fn(void *arg)
{
	int *seen = arg;

	ck_assert_int_eq(fesetround(FE_UPWARD), 0);
	corun_co_suspend();
	seen[0] = fegetround();
	corun_co_suspend();
	seen[1] = fegetround();
}

/* MXCSR and the x87 control word belong to each context. */
START_TEST(test_fp_env_per_context)
{
	int seen[2] = { -1, -1 };
	corun_co *co;

	ck_assert_int_eq(fesetround(FE_TOWARDZERO), 0);
	co = co_new_ok(round_fn, seen, 0);
	ck_assert_int_eq(fesetround(FE_TONEAREST), 0);
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_int_eq(fegetround(), FE_TONEAREST);
	ck_assert_int_eq(fesetround(FE_DOWNWARD), 0);
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_int_eq(seen[0], FE_UPWARD);
	ck_assert_int_eq(fegetround(), FE_DOWNWARD);
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_int_eq(seen[1], FE_UPWARD);
	ck_assert_int_eq(fegetround(), FE_DOWNWARD);
	fesetround(FE_TONEAREST);
	corun_co_free(co);
}
END_TEST
#endif

/* ---- nesting ----------------------------------------------------------- */

struct nest {
	struct trace	 t;
	corun_co	*outer;
	corun_co	*inner;
	corun_co	*self_in_inner;
	int		 rc_resume_outer;
	int		 rc_resume_self;
};

static void
inner_fn(void *arg)
{
	struct nest *n = arg;

	n->self_in_inner = corun_co_self();
	/* The outer coroutine is running (it resumed us): not resumable. */
	n->rc_resume_outer = corun_co_resume(n->outer);
	n->rc_resume_self = corun_co_resume(n->inner);
	trace_add(&n->t, 'i');
	corun_co_suspend();		/* back to outer, not to main */
	trace_add(&n->t, 'j');
}

static void
outer_fn(void *arg)
{
	struct nest *n = arg;

	trace_add(&n->t, 'o');
	ck_assert_int_eq(corun_co_new(inner_fn, n, 0, &n->inner), 0);
	ck_assert_int_eq(corun_co_resume(n->inner), 0);
	ck_assert_ptr_eq(corun_co_self(), n->outer);
	trace_add(&n->t, 'p');
	corun_co_suspend();		/* back to main */
	trace_add(&n->t, 'q');
	ck_assert_int_eq(corun_co_resume(n->inner), 0);
	ck_assert(corun_co_finished(n->inner));
	corun_co_free(n->inner);
	trace_add(&n->t, 'r');
}

START_TEST(test_nested)
{
	struct nest n;

	memset(&n, 0, sizeof(n));
	n.outer = co_new_ok(outer_fn, &n, 0);
	ck_assert_int_eq(corun_co_resume(n.outer), 0);
	trace_add(&n.t, 'M');
	ck_assert_ptr_null(corun_co_self());
	ck_assert_int_eq(corun_co_resume(n.outer), 0);
	trace_add(&n.t, 'N');
	ck_assert_str_eq(n.t.buf, "oipMqjrN");
	ck_assert_ptr_eq(n.self_in_inner, n.inner);
	ck_assert_int_eq(n.rc_resume_outer, CORUN_ESTATE);
	ck_assert_int_eq(n.rc_resume_self, CORUN_ESTATE);
	ck_assert(corun_co_finished(n.outer));
	corun_co_free(n.outer);
}
END_TEST

/* A coroutine suspended by one resumer returns to whoever resumes it next. */
static void
count_fn(void *arg)
{
	int *count = arg;

	for (;;) {
		++*count;
		corun_co_suspend();
	}
}

static void
driver_fn(void *arg)
{
	corun_co *target = arg;

	ck_assert_int_eq(corun_co_resume(target), 0);
	ck_assert_ptr_eq(corun_co_self(), corun_co_data(target));
}

START_TEST(test_resumer_changes)
{
	int count = 0;
	corun_co *target = co_new_ok(count_fn, &count, 0);
	corun_co *driver = co_new_ok(driver_fn, target, 0);

	ck_assert_int_eq(corun_co_resume(target), 0);
	ck_assert_int_eq(count, 1);
	corun_co_set_data(target, driver);
	ck_assert_int_eq(corun_co_resume(driver), 0);
	ck_assert(corun_co_finished(driver));
	ck_assert_int_eq(count, 2);
	ck_assert_int_eq(corun_co_resume(target), 0);
	ck_assert_int_eq(count, 3);
	corun_co_free(driver);
	corun_co_free(target);	/* suspended forever: discarded */
}
END_TEST

static void
never_fn(void *arg)
{
	int *after = arg;

	corun_co_suspend();
	*after = 1;
}

START_TEST(test_free_suspended)
{
	int after = 0;
	corun_co *co = co_new_ok(never_fn, &after, 0);

	corun_co_free(co);		/* never started */
	co = co_new_ok(never_fn, &after, 0);
	ck_assert_int_eq(corun_co_resume(co), 0);
	corun_co_free(co);		/* suspended: code after never runs */
	ck_assert_int_eq(after, 0);
}
END_TEST

/* ---- stacks ------------------------------------------------------------ */

static size_t
round_page(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

START_TEST(test_stack_sizes)
{
	size_t min = round_page(CORUN_CO_STACK_MIN);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	corun_co *co;

	co = co_new_ok(order_fn, NULL, 0);
	ck_assert_uint_eq(corun_co_stack_size(co),
	    round_page(CORUN_CO_STACK_DEFAULT));
	corun_co_free(co);
	/* Below the minimum: raised to it. */
	co = co_new_ok(order_fn, NULL, 1);
	ck_assert_uint_eq(corun_co_stack_size(co), min);
	corun_co_free(co);
	co = co_new_ok(order_fn, NULL, CORUN_CO_STACK_MIN - 1);
	ck_assert_uint_eq(corun_co_stack_size(co), min);
	corun_co_free(co);
	/* Above it: rounded up to whole pages. */
	co = co_new_ok(order_fn, NULL, CORUN_CO_STACK_MIN + 1);
	ck_assert_uint_eq(corun_co_stack_size(co),
	    round_page(CORUN_CO_STACK_MIN + 1));
	ck_assert_uint_gt(corun_co_stack_size(co), CORUN_CO_STACK_MIN);
	corun_co_free(co);
	co = co_new_ok(order_fn, NULL, 100 * 1000);
	ck_assert_uint_eq(corun_co_stack_size(co) % page, 0);
	ck_assert_uint_ge(corun_co_stack_size(co), 100 * 1000);
	ck_assert_uint_lt(corun_co_stack_size(co), 100 * 1000 + page);
	corun_co_free(co);
}
END_TEST

static void
frame_fn(void *arg)
{
	*(uintptr_t *)arg = (uintptr_t)__builtin_frame_address(0);
}

static uintptr_t
frame_of_new_co(size_t size)
{
	uintptr_t frame = 0;
	corun_co *co = co_new_ok(frame_fn, &frame, size);

	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert(corun_co_finished(co));
	corun_co_free(co);
	ck_assert(frame != 0);
	return frame;
}

/* A freed default-size stack is handed to the next coroutine. */
START_TEST(test_stack_reuse)
{
	uintptr_t first, again;

	first = frame_of_new_co(0);
	again = frame_of_new_co(CORUN_CO_STACK_DEFAULT);
	ck_assert(first == again);
	again = frame_of_new_co(0);
	ck_assert(first == again);
}
END_TEST

static int
count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int c, n = 0;

	ck_assert_ptr_nonnull(f);
	while ((c = getc(f)) != EOF) {
		n += c == '\n';
	}
	fclose(f);
	return n;
}

static void *
churn_thread(void *arg)
{
	corun_co *cos[100];
	int i;

	for (i = 0; i < 100; i++) {
		cos[i] = co_new_ok(order_fn, NULL, 0);
	}
	*(int *)arg = count_mappings();
	for (i = 0; i < 100; i++) {
		corun_co_free(cos[i]);	/* the first 64 go to the cache */
	}
	return NULL;
}

static void *
idle_thread(void *arg)
{
	return arg;
}

/* A thread's cached stacks are unmapped when the thread exits. */
START_TEST(test_cache_freed_at_thread_exit)
{
	pthread_t t;
	int before, during = 0, after;

	/* A first thread lets libc and sanitizers set up what they keep. */
	ck_assert_int_eq(pthread_create(&t, NULL, idle_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	before = count_mappings();
	ck_assert_int_eq(pthread_create(&t, NULL, churn_thread, &during), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	after = count_mappings();
	/* 100 stacks are 100 or more mappings (guard + stack each). */
	ck_assert_int_ge(during - before, 100);
	/* 64 cached stacks left behind would be 128 mappings. */
	ck_assert_int_lt(after - before, 32);
}
END_TEST

static unsigned long
recurse(unsigned depth)
{
	volatile unsigned char pad[512];
	unsigned long sum;

	pad[0] = (unsigned char)depth;
	pad[sizeof(pad) - 1] = 1;
	if (depth == 0) {
		return pad[0] + pad[sizeof(pad) - 1];
	}
	sum = recurse(depth - 1);
	return sum + pad[0] + pad[sizeof(pad) - 1];
}

static void
deep_fn(void *arg)
{
	unsigned long *out = arg;

	*out = recurse(1000);
	corun_co_suspend();
	*out += recurse(1000);
}

START_TEST(test_deep_recursion_fits)
{
	unsigned long out = 0, want;
	corun_co *co = co_new_ok(deep_fn, &out, 1024 * 1024);

	/* sum over depth d of (d % 256) + 1, for d = 0..1000 */
	want = 0;
	for (unsigned d = 0; d <= 1000; d++) {
		want += (d & 0xff) + 1;
	}
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_uint_eq(out, want);
	ck_assert_int_eq(corun_co_resume(co), 0);
	ck_assert_uint_eq(out, 2 * want);
	ck_assert(corun_co_finished(co));
	corun_co_free(co);
}
END_TEST

#ifndef CORUN_SANITIZERS
static void
overflow_fn(void *arg)
{
	*(unsigned long *)arg = recurse(1000000);
}
#endif

/* Overflowing the stack hits the guard page: SIGSEGV, not corruption. */
START_TEST(test_guard_page_faults)
{
#ifdef CORUN_SANITIZERS
	/* ASan's own SEGV handler would report and exit instead. */
	return;
#else
	struct rlimit nocore = { 0, 0 };
	unsigned long out = 0;
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		corun_co *co;

		(void)setrlimit(RLIMIT_CORE, &nocore);
		signal(SIGSEGV, SIG_DFL);
		if (corun_co_new(overflow_fn, &out, CORUN_CO_STACK_MIN,
		    &co) != 0) {
			_exit(2);
		}
		(void)corun_co_resume(co);
		_exit(3);		/* should not get here */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status), "child exited with %d",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ck_assert_int_eq(WTERMSIG(status), SIGSEGV);
#endif
}
END_TEST

#define MANY 10000

static void
many_fn(void *arg)
{
	unsigned long *slot = arg;
	unsigned long mine = *slot;

	corun_co_suspend();
	*slot = mine * 3;
	corun_co_suspend();
	*slot += 1;
}

START_TEST(test_many_alive)
{
	static corun_co *cos[MANY];
	static unsigned long slot[MANY];
	int i, round;

	for (i = 0; i < MANY; i++) {
		slot[i] = (unsigned long)i;
		cos[i] = co_new_ok(many_fn, &slot[i], 0);
	}
	for (round = 0; round < 3; round++) {
		for (i = 0; i < MANY; i++) {
			ck_assert_int_eq(corun_co_resume(cos[i]), 0);
		}
	}
	for (i = 0; i < MANY; i++) {
		ck_assert(corun_co_finished(cos[i]));
		ck_assert_uint_eq(slot[i], (unsigned long)i * 3 + 1);
		corun_co_free(cos[i]);
	}
}
END_TEST

static Suite *
co_suite(void)
{
	Suite *s = suite_create("co");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_resume_order);
	tcase_add_test(tc, test_backend);
	tcase_add_test(tc, test_self_and_outside);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_data);
	tcase_add_test(tc, test_locals_survive);
#ifdef __x86_64__
	tcase_add_test(tc, test_fp_env_per_context);
#endif
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_resumer_changes);
	tcase_add_test(tc, test_free_suspended);
	tcase_add_test(tc, test_stack_sizes);
	tcase_add_test(tc, test_stack_reuse);
	tcase_add_test(tc, test_cache_freed_at_thread_exit);
	tcase_add_test(tc, test_deep_recursion_fits);
	tcase_add_test(tc, test_guard_page_faults);
	tcase_add_test(tc, test_many_alive);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(co_suite());
}
