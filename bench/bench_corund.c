/*
 * bench_corund.c - the cost of adding a job to corund's durable store
 * (src/daemon/store.c, SQLite in WAL mode, synchronous=NORMAL as corund
 * runs it), batched (one transaction per 1000 jobs, as a submit batch)
 * and one transaction per job (one submit at a time), with 10 000 and
 * with 1 000 000 jobs already queued.  The target: flat, <= 20 us per
 * job batched.
 *
 * The daemon round trip (submit to result over the control socket) is
 * not measured here yet.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-util.h"
#include "daemon/daemon.h"

static void
fill(cd_store *s, size_t n)
{
	struct cd_jobspec js = { 0 };
	int64_t id;
	int existed;

	js.kind = "noop";
	for (size_t i = 0; i < n; i += 10000) {
		if (cd_store_begin(s) != 0) {
			bench_fail("begin", CORUN_ESYS);
		}
		for (size_t k = i; k < n && k < i + 10000; k++) {
			if (cd_store_add(s, &js, 1, &id, &existed) != 0) {
				bench_fail("add", CORUN_ESYS);
			}
		}
		cd_store_commit(s);
	}
}

/* ns per job for n adds, batch jobs per transaction. */
static double
measure(cd_store *s, size_t n, size_t batch)
{
	struct cd_jobspec js = { 0 };
	uint64_t t0;
	int64_t id;
	int existed;

	js.kind = "shell";
	js.payload = "true\0\0";
	js.len = 6;
	t0 = bench_now_ns();
	for (size_t i = 0; i < n; i += batch) {
		cd_store_begin(s);
		for (size_t k = i; k < n && k < i + batch; k++) {
			if (cd_store_add(s, &js, 2, &id, &existed) != 0) {
				bench_fail("add", CORUN_ESYS);
			}
		}
		cd_store_commit(s);
	}
	return (double)(bench_now_ns() - t0) / (double)n;
}

static void
run(size_t queued, const char *tag)
{
	char dir[] = "/tmp/bench-corund.XXXXXX", why[256], variant[64];
	char cmd[128];
	cd_store *s;

	if (mkdtemp(dir) == NULL ||
	    cd_store_open(dir, 0, &s, why, sizeof(why)) != 0) {
		bench_fail("open the store", CORUN_ESYS);
	}
	fill(s, queued);
	snprintf(variant, sizeof(variant), "batched-%s", tag);
	bench_emit("corund_add", "corun", variant, measure(s, 20000, 1000) /
	    1000.0, "us/job", 20000, NULL);
	snprintf(variant, sizeof(variant), "single-%s", tag);
	bench_emit("corund_add", "corun", variant, measure(s, 2000, 1) /
	    1000.0, "us/job", 2000, NULL);
	cd_store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_corund: cannot remove %s\n", dir);
	}
}

int
main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;

	run(10000, "10k");
	run(quick ? 100000 : 1000000, quick ? "100k" : "1M");
	return 0;
}
