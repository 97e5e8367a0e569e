/* SPDX-License-Identifier: MIT */
/*
 * bench_co.c - co_switch: the cost of one coroutine switch.
 *
 * A coroutine that suspends in a loop is resumed N times; one resume +
 * suspend round trip is two switches, so the figure is time / (2 N).
 *
 *	impl "corun"      corun_co_resume / corun_co_suspend (the backend
 *	                  compiled in: corun_co_backend())
 *	impl "corun", variant "gen"
 *	                  corun_gen_next / corun_gen_yield (a generator
 *	                  handing a value over each round trip)
 *	impl "ucontext"   swapcontext ping-pong written here, the fallback a
 *	                  portable C coroutine library would use
 *
 * N is calibrated so each measurement takes about 0.2 s; the best of three
 * measurements is reported.
 *
 * Usage: bench_co
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <corun/corun.h>

#include "bench-util.h"

#define UC_STACK	(64 * 1024)

static corun_co	*co_target;
static corun_gen *gen_target;
static ucontext_t uc_main, uc_co;

static void
co_loop(void *arg)
{
	for (;;) {
		corun_co_suspend();
	}
}

static int
gen_loop(corun_gen *gen, void *arg)
{
	uintptr_t i = 0;

	while (corun_gen_yield(gen, (void *)i) == 0) {
		i++;
	}
	return 0;
}

static void
uc_loop(void)
{
	for (;;) {
		swapcontext(&uc_co, &uc_main);
	}
}

static void
run_co(size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if ((err = corun_co_resume(co_target)) != 0) {
			bench_fail("corun_co_resume", err);
		}
	}
}

static void
run_gen(size_t n)
{
	void *value;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if ((err = corun_gen_next(gen_target, &value)) != 0) {
			bench_fail("corun_gen_next", err);
		}
	}
}

static void
run_uc(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		swapcontext(&uc_main, &uc_co);
	}
}

/* ns per switch: best of three runs of about 0.2 s each. */
static double
measure(void (*fn)(size_t), size_t *np)
{
	double best = 0, ns;
	size_t n = 1000;
	uint64_t t0, dt;
	int i;

	for (;;) {
		t0 = bench_now_ns();
		fn(n);
		dt = bench_now_ns() - t0;
		if (dt >= 50000000u) {
			break;
		}
		n *= dt < 5000000u ? 10 : 2;
	}
	n = (size_t)((double)n * 2e8 / (double)dt) + 1;
	for (i = 0; i < 3; i++) {
		t0 = bench_now_ns();
		fn(n);
		ns = (double)(bench_now_ns() - t0) / (2.0 * (double)n);
		if (i == 0 || ns < best) {
			best = ns;
		}
	}
	*np = n;
	return best;
}

int
main(void)
{
	char note[64];
	double ns;
	void *stack;
	size_t n;
	int err;

	if ((err = corun_co_new(co_loop, NULL, 0, &co_target)) != 0) {
		bench_fail("corun_co_new", err);
	}
	ns = measure(run_co, &n);
	snprintf(note, sizeof(note), "backend %s", corun_co_backend());
	bench_emit("co_switch", "corun", NULL, ns, "ns/switch", n, note);
	corun_co_free(co_target);

	if ((err = corun_gen_new(gen_loop, NULL, 0, &gen_target)) != 0) {
		bench_fail("corun_gen_new", err);
	}
	ns = measure(run_gen, &n);
	bench_emit("co_switch", "corun", "gen", ns, "ns/switch", n, note);
	corun_gen_free(gen_target);

	if ((stack = malloc(UC_STACK)) == NULL || getcontext(&uc_co) == -1) {
		perror("bench_co: ucontext");
		return 1;
	}
	uc_co.uc_stack.ss_sp = stack;
	uc_co.uc_stack.ss_size = UC_STACK;
	uc_co.uc_link = NULL;
	makecontext(&uc_co, uc_loop, 0);
	ns = measure(run_uc, &n);
	bench_emit("co_switch", "ucontext", NULL, ns, "ns/switch", n,
	    "swapcontext (saves the signal mask: a syscall per switch)");
	free(stack);
	return 0;
}
