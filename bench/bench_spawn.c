/* SPDX-License-Identifier: MIT */
/*
 * bench_spawn.c - the floor of a job runner: a plain posix_spawn loop
 * that keeps J children in flight and reaps them with waitpid.
 *
 *	spawn_true  2000 x true with 2 in flight: milliseconds per job
 *	            (the wall time / the jobs).  Like the job runners, which
 *	            run `true N`, it gives true an argument: with one, GNU
 *	            true calls setlocale() and reads the locale files.
 *	sleep_j8    200 x sleep 0.01 with 8 in flight: the added cost per
 *	            job, (wall - ideal) / jobs, where ideal = 200 / 8 x 10 ms
 *
 * These are the "floor" rows of the two benchmarks whose other rows (corun
 * run, xargs -P, GNU parallel) come from bench/drive_runners.py.  Each
 * figure is the best of three runs (after a short warm-up run), so that a
 * single preemption on a shared machine does not decide it.
 *
 * --once: no warm-up run, only the loop itself, so that a driver can time
 * the whole process as a user's floor (bench/drive_spawn_user.py).
 *
 * Usage: bench_spawn [-p spawn_true|sleep_j8] [-n JOBS] [-j INFLIGHT]
 *                    [--once]
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-util.h"

extern char **environ;

/* The full path of prog found on $PATH (done once, outside the clock). */
static int
find_path(const char *prog, char *out, size_t outlen)
{
	const char *path = getenv("PATH"), *p, *colon;
	size_t len;

	if (path == NULL || *path == '\0') {
		path = "/usr/bin:/bin";
	}
	for (p = path; ; p = colon + 1) {
		colon = strchr(p, ':');
		len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (len > 0 && (size_t)snprintf(out, outlen, "%.*s/%s",
		    (int)len, p, prog) < outlen && access(out, X_OK) == 0) {
			return 0;
		}
		if (colon == NULL) {
			break;
		}
	}
	fprintf(stderr, "bench_spawn: %s: not found on $PATH\n", prog);
	return -1;
}

/* Reap one child; 0 if it exited with status 0. */
static int
reap(void)
{
	int status;

	while (waitpid(-1, &status, 0) == -1) {
		if (errno != EINTR) {
			perror("bench_spawn: waitpid");
			exit(1);
		}
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * Run argv n times with at most inflight children at once; return the
 * wall time in seconds, or -1 if a child failed.
 */
static double
run_loop(char *const argv[], size_t n, unsigned inflight)
{
	size_t started = 0, running = 0;
	uint64_t t0;
	pid_t pid;
	int err, bad = 0;

	t0 = bench_now_ns();
	while (started < n || running > 0) {
		if (started < n && running < inflight) {
			err = posix_spawn(&pid, argv[0], NULL, NULL, argv,
			    environ);
			if (err != 0) {
				fprintf(stderr, "bench_spawn: posix_spawn "
				    "%s: %s\n", argv[0], strerror(err));
				exit(1);
			}
			started++;
			running++;
			continue;
		}
		bad |= reap();
		running--;
	}
	return bad ? -1 : (double)(bench_now_ns() - t0) / 1e9;
}

static int once;	/* --once: no warm-up */

static double
timed(char *const argv[], size_t n, unsigned inflight)
{
	if (!once) {
		run_loop(argv, n / 10 > 0 ? n / 10 : 1, inflight);
	}
	return run_loop(argv, n, inflight);
}

static int
spawn_true(size_t n, unsigned inflight)
{
	char path[4096], arg[] = "1", note[320];
	char *argv[] = { path, arg, NULL };
	double s;

	if (find_path("true", path, sizeof(path)) != 0) {
		return 1;
	}
	s = timed(argv, n, inflight);
	snprintf(note, sizeof(note), "posix_spawn %.200s 1 + waitpid, %u in "
	    "flight", path, inflight);
	bench_emit("spawn_true", "floor", NULL, s < 0 ? -1 : s * 1e3 /
	    (double)n, "ms/job", n, note);
	return s < 0;
}

static int
sleep_j8(size_t n, unsigned inflight)
{
	char path[4096], arg[] = "0.01", note[320];
	char *argv[] = { path, arg, NULL };
	double s, ideal;

	if (find_path("sleep", path, sizeof(path)) != 0) {
		return 1;
	}
	ideal = (double)((n + inflight - 1) / inflight) * 0.010;
	s = timed(argv, n, inflight);
	snprintf(note, sizeof(note), "posix_spawn %.200s 0.01 + waitpid, %u in "
	    "flight; wall %.3f s, ideal %.3f s", path, inflight, s, ideal);
	bench_emit("sleep_j8", "floor", NULL, s < 0 ? -1 : (s - ideal) *
	    1e3 / (double)n, "ms/job", n, note);
	return s < 0;
}

int
main(int argc, char **argv)
{
	const char *part = NULL;
	size_t n;
	unsigned j;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "-p") == 0) {
			part = argv[i + 1];
		}
		once |= strcmp(argv[i], "--once") == 0;
	}
	n = bench_opt_size(argc, argv, 'n', 0);
	j = (unsigned)bench_opt_size(argc, argv, 'j', 0);
	if (part == NULL || strcmp(part, "spawn_true") == 0) {
		rc |= spawn_true(n > 0 ? n : 2000, j > 0 ? j : 2);
	}
	if (part == NULL || strcmp(part, "sleep_j8") == 0) {
		rc |= sleep_j8(n > 0 ? n : 200, j > 0 ? j : 8);
	}
	return rc;
}
