/* SPDX-License-Identifier: MIT */
/*
 * bench_sleep.c - sleep_100k: 100 000 concurrent tasks each sleeping 100 ms
 * in one loop.
 *
 * Figures: the wall time from the first spawn until the last task is done,
 * and the peak resident set size per task above the baseline (VmRSS after
 * the loop is created and before the first task; peak = VmHWM at the end).
 * Each variant runs in a fresh process (this program re-executes itself),
 * so the peaks of the variants do not mix.
 *
 *	variant "step"      callback-style tasks: corun_task_spawn_step whose
 *	                    step calls corun_step_sleep once; the only
 *	                    per-task state besides the task is one byte
 *	variant "stackful"  corun_task_spawn with stack_size
 *	                    CORUN_CO_STACK_MIN and a body calling corun_sleep;
 *	                    also run with 30 000 tasks ("stackful-30000"),
 *	                    which fit under the default vm.max_map_count
 *	                    when every stack costs two mappings
 *
 * Usage: bench_sleep [-n TASKS] [-v step|stackful]
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corun/corun.h>

#include "bench-util.h"

#define SLEEP_SECONDS	0.1
#define NTASKS		100000	/* the nominal count; others are labelled */
#define NSTACKFUL_FIT	30000	/* fits under vm.max_map_count 65530 */

static size_t	 sl_ran;	/* tasks whose sleep returned 0 */

static int
sleep_step(corun_future *self, void *state, int wake)
{
	unsigned char *phase = state;
	int err;

	if (*phase == 0) {
		*phase = 1;
		if ((err = corun_step_sleep(self, SLEEP_SECONDS)) != 0) {
			return err;
		}
		return CORUN_PENDING;
	}
	if (wake == 0) {
		sl_ran++;
	}
	return wake;
}

static int
sleep_body(void *arg)
{
	int err;

	if ((err = corun_sleep(SLEEP_SECONDS)) == 0) {
		sl_ran++;
	}
	return err;
}

/* The limit on mappings per process: two per guarded stack. */
static long
max_map_count(void)
{
	long v = -1;
	FILE *fp;

	if ((fp = fopen("/proc/sys/vm/max_map_count", "r")) != NULL) {
		if (fscanf(fp, "%ld", &v) != 1) {
			v = -1;
		}
		fclose(fp);
	}
	return v;
}

static int
run_variant(const char *variant, size_t n)
{
	struct corun_task_opts opts = { CORUN_CO_STACK_MIN, NULL };
	unsigned char *phase = NULL;
	size_t base, peak, spawned;
	corun_loop *loop;
	char note[320], label[64];
	int stackful, spawn_errno = 0, err = 0;
	uint64_t t0;
	double wall;

	if (strcmp(variant, "step") == 0) {
		stackful = 0;
	} else if (strcmp(variant, "stackful") == 0) {
		stackful = 1;
	} else {
		fprintf(stderr, "bench_sleep: unknown variant '%s'\n",
		    variant);
		return 2;
	}
	if ((err = corun_loop_new(&loop)) != 0) {
		bench_fail("corun_loop_new", err);
	}
	base = bench_status_bytes("VmRSS");

	t0 = bench_now_ns();
	if (!stackful && (phase = calloc(n, 1)) == NULL) {
		perror("bench_sleep");
		return 1;
	}
	for (spawned = 0; spawned < n; spawned++) {
		if (stackful) {
			err = corun_task_spawn(loop, sleep_body, NULL, &opts,
			    NULL);
		} else {
			err = corun_task_spawn_step(loop, sleep_step,
			    &phase[spawned], NULL);
		}
		if (err != 0) {
			spawn_errno = errno;
			break;
		}
	}
	while (corun_loop_task_count(loop) > 0) {
		corun_loop_run_once(loop, CORUN_NO_TIMEOUT);
	}
	wall = (double)(bench_now_ns() - t0) / 1e9;
	peak = bench_peak_rss();

	note[0] = '\0';
	if (err != 0) {
		snprintf(note, sizeof(note), "spawn failed after %zu tasks: "
		    "%s (%s; vm.max_map_count %ld); those ran in %.3f s; ",
		    spawned, corun_strerror(err), strerror(spawn_errno),
		    max_map_count(), wall);
	}
	if (sl_ran != spawned) {
		snprintf(note + strlen(note), sizeof(note) - strlen(note),
		    "only %zu of %zu sleeps completed; ", sl_ran, spawned);
	}
	snprintf(note + strlen(note), sizeof(note) - strlen(note),
	    "baseline %zu KiB, peak %zu KiB", base / 1024, peak / 1024);

	/*
	 * A failed spawn (e.g. vm.max_map_count reached) is a finding, not a
	 * failure of the benchmark: the wall time is not comparable and is
	 * left out, the memory per task is for the tasks that ran.
	 */
	if (n != NTASKS) {
		snprintf(label, sizeof(label), "%s-%zu", variant, n);
		variant = label;
	}
	bench_emit("sleep_100k", "corun", variant,
	    sl_ran == n ? wall : -1, "s", spawned, note);
	bench_emit("sleep_100k", "corun", variant,
	    spawned > 0 && peak > base ?
	    (double)(peak - base) / (double)spawned : -1,
	    "B/task", spawned, note);

	corun_loop_free(loop);
	free(phase);
	return sl_ran == spawned ? 0 : 1;
}

/* Run one variant in a child process: this program, re-executed. */
static int
spawn_variant(const char *self, const char *variant, const char *count)
{
	char *args[] = { (char *)self, "-v", (char *)variant, "-n",
	    (char *)count, NULL };
	int status;
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("bench_sleep: fork");
		return 1;
	}
	if (pid == 0) {
		execv("/proc/self/exe", args);
		perror("bench_sleep: exec /proc/self/exe");
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			perror("bench_sleep: waitpid");
			return 1;
		}
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	size_t n = bench_opt_size(argc, argv, 'n', NTASKS);
	const char *variant = NULL;
	char count[32];
	int i, rc;

	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			variant = argv[i + 1];
		}
	}
	if (variant != NULL) {
		return run_variant(variant, n);
	}
	snprintf(count, sizeof(count), "%zu", n);
	rc = spawn_variant(argv[0], "step", count);
	rc |= spawn_variant(argv[0], "stackful", count);
	if (n > NSTACKFUL_FIT) {
		/* A count whose stacks fit in the default mapping limit. */
		snprintf(count, sizeof(count), "%d", NSTACKFUL_FIT);
		rc |= spawn_variant(argv[0], "stackful", count);
	}
	return rc;
}
