/* SPDX-License-Identifier: MIT */
/*
 * bench_task.c - task_spawn: spawn, run and complete a trivial task.
 *
 * Tasks are spawned in batches; each batch is run to completion before the
 * next one is spawned, and the figure is the total wall time divided by the
 * number of tasks (spawn + first step + completion + release).
 *
 *	variant "step"       corun_task_spawn_step, a step that returns 0;
 *	                     the batch runs with run_forever until the last
 *	                     task stops the loop (the cheapest form)
 *	variant "step-gather" the same tasks gathered with corun_gather and
 *	                     run with run_until_complete, as the asyncio peer
 *	                     does (it holds a reference to every task)
 *	variant "stackful"   corun_task_spawn with a trivial body, default
 *	                     stack size
 *	variant "stackful-b32" the same in batches of 32, so that every stack
 *	                     comes from the loop thread's stack cache
 *
 * Usage: bench_task [-n TASKS] [-b BATCH] [-s STACKFUL_TASKS]
 *	[-v step|step-gather|stackful|stackful-b32]
 *
 * -v runs one variant only (for perf).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corun/corun.h>

#include "bench-util.h"

struct spawn_state {
	corun_loop	*loop;
	size_t		 left;
};

static int
step_done(corun_future *self, void *state, int wake)
{
	struct spawn_state *st = state;

	if (--st->left == 0) {
		corun_loop_stop(st->loop);
	}
	return 0;
}

static int
step_plain(corun_future *self, void *state, int wake)
{
	return 0;
}

static int
body_done(void *arg)
{
	struct spawn_state *st = arg;

	if (--st->left == 0) {
		corun_loop_stop(st->loop);
	}
	return 0;
}

/* One batch of step tasks, run with run_forever + stop. */
static void
batch_step(corun_loop *loop, size_t batch)
{
	struct spawn_state st = { loop, batch };
	size_t i;
	int err;

	for (i = 0; i < batch; i++) {
		err = corun_task_spawn_step(loop, step_done, &st, NULL);
		if (err != 0) {
			bench_fail("corun_task_spawn_step", err);
		}
	}
	if ((err = corun_loop_run_forever(loop)) != 0) {
		bench_fail("corun_loop_run_forever", err);
	}
	if (st.left != 0) {
		fprintf(stderr, "bench_task: %zu step tasks did not run\n",
		    st.left);
		exit(1);
	}
}

/* One batch of step tasks, gathered and run with run_until_complete. */
static void
batch_gather(corun_loop *loop, corun_future **futs, size_t batch)
{
	corun_future *all;
	size_t i;
	int err;

	for (i = 0; i < batch; i++) {
		err = corun_task_spawn_step(loop, step_plain, NULL, &futs[i]);
		if (err != 0) {
			bench_fail("corun_task_spawn_step", err);
		}
	}
	if ((err = corun_gather(loop, futs, batch, 0, &all)) != 0) {
		bench_fail("corun_gather", err);
	}
	if ((err = corun_loop_run_until_complete(loop, all)) != 0) {
		bench_fail("corun_loop_run_until_complete", err);
	}
	if ((err = corun_future_status(all)) != 0) {
		bench_fail("gathered step tasks", err);
	}
	corun_future_unref(all);
	for (i = 0; i < batch; i++) {
		corun_future_unref(futs[i]);
	}
}

/* One batch of stackful tasks, run with run_forever + stop. */
static void
batch_stackful(corun_loop *loop, size_t batch)
{
	struct spawn_state st = { loop, batch };
	size_t i;
	int err;

	for (i = 0; i < batch; i++) {
		err = corun_task_spawn(loop, body_done, &st, NULL, NULL);
		if (err != 0) {
			bench_fail("corun_task_spawn", err);
		}
	}
	if ((err = corun_loop_run_forever(loop)) != 0) {
		bench_fail("corun_loop_run_forever", err);
	}
	if (st.left != 0) {
		fprintf(stderr, "bench_task: %zu stackful tasks did not run\n",
		    st.left);
		exit(1);
	}
}

enum variant { V_STEP, V_GATHER, V_STACKFUL };

static double
run_variant(corun_loop *loop, enum variant v, size_t total, size_t batch,
    corun_future **futs)
{
	uint64_t t0;
	size_t done, b;

	/* Warm up: caches, allocator arenas, the stack cache. */
	for (done = 0; done < 2 * batch && done < total; done += batch) {
		if (v == V_STEP) {
			batch_step(loop, batch);
		} else if (v == V_GATHER) {
			batch_gather(loop, futs, batch);
		} else {
			batch_stackful(loop, batch);
		}
	}
	t0 = bench_now_ns();
	for (done = 0; done < total; done += b) {
		b = total - done < batch ? total - done : batch;
		if (v == V_STEP) {
			batch_step(loop, b);
		} else if (v == V_GATHER) {
			batch_gather(loop, futs, b);
		} else {
			batch_stackful(loop, b);
		}
	}
	return (double)(bench_now_ns() - t0) / (double)total;
}

int
main(int argc, char **argv)
{
	size_t ntasks = bench_opt_size(argc, argv, 'n', 1000000);
	size_t batch = bench_opt_size(argc, argv, 'b', 10000);
	size_t nstack = bench_opt_size(argc, argv, 's', 50000);
	corun_future **futs;
	corun_loop *loop;
	const char *only = NULL;
	char note[128];
	double ns;
	int i, err;

	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			only = argv[i + 1];
		}
	}

	if ((futs = calloc(batch, sizeof(*futs))) == NULL) {
		perror("bench_task");
		return 1;
	}
	if ((err = corun_loop_new(&loop)) != 0) {
		bench_fail("corun_loop_new", err);
	}
	snprintf(note, sizeof(note), "batches of %zu", batch);

	if (only == NULL || strcmp(only, "step") == 0) {
		ns = run_variant(loop, V_STEP, ntasks, batch, NULL);
		bench_emit("task_spawn", "corun", "step", ns, "ns/task",
		    ntasks, note);
	}
	if (only == NULL || strcmp(only, "step-gather") == 0) {
		ns = run_variant(loop, V_GATHER, ntasks, batch, futs);
		bench_emit("task_spawn", "corun", "step-gather", ns,
		    "ns/task", ntasks, note);
	}
	if (only == NULL || strcmp(only, "stackful") == 0) {
		ns = run_variant(loop, V_STACKFUL, nstack, batch, NULL);
		bench_emit("task_spawn", "corun", "stackful", ns, "ns/task",
		    nstack, note);
	}
	if (only == NULL || strcmp(only, "stackful-b32") == 0) {
		ns = run_variant(loop, V_STACKFUL, ntasks, 32, NULL);
		bench_emit("task_spawn", "corun", "stackful-b32", ns,
		    "ns/task", ntasks, "batches of 32 (stacks from the cache)");
	}

	corun_loop_free(loop);
	free(futs);
	return 0;
}
