/* SPDX-License-Identifier: MIT */
/*
 * bench_corund.c - corund's costs.
 *
 * corund_add: adding a job to the durable store (src/daemon/store.c,
 * SQLite in WAL mode, synchronous=NORMAL as corund runs it), batched (one
 * transaction per 1000 jobs, as a submit batch) and one transaction per
 * job (one submit at a time), with 10 000 and with 1 000 000 jobs already
 * queued.  The target: flat, <= 20 us per job batched.
 *
 * corund_submit and corund_roundtrip: a real corund, started here on a
 * temporary state directory ($BENCH_BUILDDIR/corund, or $CORUND) and
 * stopped afterwards, driven over its control socket by one nng REQ
 * socket, as the corun client does.  Submit throughput is measured with
 * the daemon paused, so it is the cost of accepting jobs (parse, store,
 * reply), not of running them: batches of 1000 jobs in one request, and
 * one job per request.  The round trip is a noop job's submit with
 * "wait": true, from the request until its reply, which comes once the
 * result is recorded on disk; beside it, the same as two requests (a
 * submit, then a wait), corund's ping, and the floors: nng REQ/REP and
 * PAIR1 echoes between two processes (nng-floor.c), all measured in
 * interleaved rounds so they share the machine's noise.  Each daemon gets
 * a fresh state directory so one measure's backlog does not slow the
 * next.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "bench-util.h"
#include "daemon/daemon.h"
#include "nng-floor.h"

extern char **environ;

static void
rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_corund: cannot remove %s\n", dir);
	}
}

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
	rm_rf(dir);
}

/* ---- a real corund ------------------------------------------------ */

struct daemon {
	char dir[64];
	char url[128];
	pid_t pid;
	nng_socket sock;
	int open;
};

/* One request; returns the reply (the caller frees it), or exits. */
static json_t *
call(struct daemon *d, const char *req, size_t len)
{
	nng_msg *msg;
	json_error_t jerr;
	json_t *r;
	int rv;

	if ((rv = nng_msg_alloc(&msg, len)) != 0) {
		bench_fail("nng_msg_alloc", CORUN_ENOMEM);
	}
	memcpy(nng_msg_body(msg), req, len);
	if ((rv = nng_sendmsg(d->sock, msg, 0)) != 0 ||
	    (rv = nng_recvmsg(d->sock, &msg, 0)) != 0) {
		fprintf(stderr, "bench_corund: corund: %s\n", nng_strerror(rv));
		bench_fail("a request to corund", CORUN_ESYS);
	}
	r = json_loadb(nng_msg_body(msg), nng_msg_len(msg), 0, &jerr);
	nng_msg_free(msg);
	if (r == NULL || !json_is_true(json_object_get(r, "ok"))) {
		fprintf(stderr, "bench_corund: request %.80s failed\n", req);
		bench_fail("a request to corund", CORUN_EINVAL);
	}
	return r;
}

static void
call_ok(struct daemon *d, const char *req)
{
	json_decref(call(d, req, strlen(req)));
}

static const char *
corund_path(char *buf, size_t size)
{
	const char *p = getenv("CORUND"), *b = getenv("BENCH_BUILDDIR");

	if (p != NULL && *p != '\0') {
		return p;
	}
	snprintf(buf, size, "%s/corund", b != NULL && *b != '\0' ? b : ".");
	return buf;
}

/*
 * Start corund in the foreground as our child, before this process has
 * touched nng (it is not fork-safe; posix_spawn execs at once anyway),
 * then connect and wait until it answers.
 */
static void
daemon_start(struct daemon *d)
{
	char path[4096], state[96], log[96];
	char *argv[] = { path, "--foreground", "--state-dir", state,
	    "--socket", d->url, "--log", log, "--workers", "2", NULL };
	uint64_t deadline;
	int rv;

	snprintf(d->dir, sizeof(d->dir), "/tmp/bench-corund.XXXXXX");
	if (mkdtemp(d->dir) == NULL) {
		bench_fail("mkdtemp", CORUN_ESYS);
	}
	{
		char buf[4096];

		snprintf(path, sizeof(path), "%s", corund_path(buf,
		    sizeof(buf)));
	}
	snprintf(state, sizeof(state), "%s/state", d->dir);
	snprintf(log, sizeof(log), "%s/log", d->dir);
	snprintf(d->url, sizeof(d->url), "ipc://%s/ctl", d->dir);
	if ((rv = posix_spawn(&d->pid, path, NULL, NULL, argv,
	    environ)) != 0) {
		fprintf(stderr, "bench_corund: %s: %s\n", path, strerror(rv));
		bench_fail("start corund", CORUN_ESYS);
	}
	if (nng_req0_open(&d->sock) != 0) {
		bench_fail("nng_req0_open", CORUN_ESYS);
	}
	d->open = 1;
	/* A resent submit would add its jobs twice: never resend. */
	nng_socket_set_ms(d->sock, NNG_OPT_REQ_RESENDTIME,
	    NNG_DURATION_INFINITE);
	nng_socket_set_ms(d->sock, NNG_OPT_RECVTIMEO, 60000);
	deadline = bench_now_ns() + 20000000000ull;
	while (nng_dial(d->sock, d->url, NULL, 0) != 0) {
		if (bench_now_ns() > deadline ||
		    waitpid(d->pid, NULL, WNOHANG) != 0) {
			bench_fail("corund did not start", CORUN_ESYS);
		}
		usleep(20000);
	}
	call_ok(d, "{\"op\":\"ping\"}");
}

/* SIGTERM, bounded wait, then SIGKILL; remove its directory. */
static void
daemon_stop(struct daemon *d)
{
	uint64_t deadline = bench_now_ns() + 10000000000ull;
	int status;

	if (d->open) {
		nng_close(d->sock);
		d->open = 0;
	}
	kill(d->pid, SIGTERM);
	while (waitpid(d->pid, &status, WNOHANG) == 0) {
		if (bench_now_ns() > deadline) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	rm_rf(d->dir);
}

/* n noop jobs, batch per request, the daemon paused; ns per job. */
static double
submit_rate(struct daemon *d, size_t n, size_t batch)
{
	static const char job[] = "{\"kind\":\"noop\"}";
	size_t cap = 32 + batch * sizeof(job), len;
	char *buf = malloc(cap);
	uint64_t t0;

	if (buf == NULL) {
		bench_fail("malloc", CORUN_ENOMEM);
	}
	if (batch == 1) {
		len = (size_t)snprintf(buf, cap, "{\"op\":\"submit\",%s",
		    job + 1);
	} else {
		len = (size_t)snprintf(buf, cap, "{\"op\":\"submit\","
		    "\"jobs\":[");
		for (size_t i = 0; i < batch; i++) {
			memcpy(buf + len, job, sizeof(job) - 1);
			len += sizeof(job) - 1;
			buf[len++] = i + 1 < batch ? ',' : ']';
		}
		buf[len++] = '}';
	}
	t0 = bench_now_ns();
	for (size_t i = 0; i < n; i += batch) {
		json_decref(call(d, buf, len));
	}
	t0 = bench_now_ns() - t0;
	free(buf);
	return (double)t0 / (double)n;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A noop job's round trip as one request: submit with "wait". */
static uint64_t
submit_wait(struct daemon *d)
{
	static const char req[] = "{\"op\":\"submit\",\"kind\":\"noop\","
	    "\"wait\":30}";
	uint64_t t0 = bench_now_ns();
	json_t *r = call(d, req, sizeof(req) - 1);
	const char *state = json_string_value(json_object_get(json_object_get(
	    r, "job"), "state"));

	t0 = bench_now_ns() - t0;
	if (state == NULL || strcmp(state, "done") != 0) {
		bench_fail("submit with wait: the job is not done",
		    CORUN_EINVAL);
	}
	json_decref(r);
	return t0;
}

/* The same as two requests: submit, then wait for it. */
static uint64_t
submit_then_wait(struct daemon *d)
{
	static const char submit[] = "{\"op\":\"submit\",\"kind\":\"noop\"}";
	uint64_t t0 = bench_now_ns();
	char wait[128];
	json_t *r;
	json_int_t id;
	int len;

	r = call(d, submit, sizeof(submit) - 1);
	id = json_integer_value(json_object_get(r, "id"));
	json_decref(r);
	if (id <= 0) {
		bench_fail("submit gave no id", CORUN_EINVAL);
	}
	len = snprintf(wait, sizeof(wait), "{\"op\":\"wait\","
	    "\"ids\":[%lld],\"timeout\":30}", (long long)id);
	json_decref(call(d, wait, (size_t)len));
	return bench_now_ns() - t0;
}

enum { RT_WAIT, RT_TWO, RT_PING, RT_REQREP, RT_PAIR, RT_DIAL, RT_N };

/*
 * n of each, in rounds of n/10 taken in turn, so a burst of load from
 * elsewhere hits them all alike; each lat[k] sorted.
 */
static void
round_trips(struct daemon *d, struct floor *rr, struct floor *pr,
    const char *rurl, uint64_t *lat[RT_N], size_t n)
{
	static const char ping[] = "{\"op\":\"ping\"}";
	size_t per = n / 10 > 0 ? n / 10 : 1, done = 0;

	while (done < n) {
		size_t end = done + per < n ? done + per : n;

		for (size_t i = done; i < end; i++) {
			lat[RT_WAIT][i] = submit_wait(d);
		}
		for (size_t i = done; i < end; i++) {
			lat[RT_TWO][i] = submit_then_wait(d);
		}
		for (size_t i = done; i < end; i++) {
			uint64_t t0 = bench_now_ns();

			call_ok(d, ping);
			lat[RT_PING][i] = bench_now_ns() - t0;
		}
		for (size_t i = done; i < end; i++) {
			lat[RT_REQREP][i] = floor_once(rr, ping);
		}
		for (size_t i = done; i < end; i++) {
			lat[RT_PAIR][i] = floor_once(pr, ping);
		}
		for (size_t i = done; i < end; i++) {
			lat[RT_DIAL][i] = floor_dial_once(rurl, ping);
		}
		done = end;
	}
	for (int k = 0; k < RT_N; k++) {
		qsort(lat[k], n, sizeof(*lat[k]), cmp_u64);
	}
}

static double
pct_us(const uint64_t *lat, size_t n, unsigned pct)
{
	return (double)lat[n * pct / 100] / 1000.0;
}

static void
run_daemon(int quick, int only_rt)
{
	struct daemon d = { 0 };
	struct floor rr, pr;
	char dir[] = "/tmp/bench-floor.XXXXXX", rurl[64], purl[64];
	size_t nb = quick ? 5000 : 20000, ns = quick ? 500 : 2000;
	size_t nrt = quick ? 300 : 2000;
	uint64_t *lat[RT_N];
	pid_t rpid, ppid;
	double v;

	/* The echo servers first: forked before we use nng. */
	if (mkdtemp(dir) == NULL) {
		bench_fail("mkdtemp", CORUN_ESYS);
	}
	snprintf(rurl, sizeof(rurl), "ipc://%s/rep", dir);
	snprintf(purl, sizeof(purl), "ipc://%s/pair", dir);
	rpid = floor_start(0, rurl);
	ppid = floor_start(1, purl);
	for (int k = 0; k < RT_N; k++) {
		if ((lat[k] = calloc(nrt, sizeof(*lat[k]))) == NULL) {
			bench_fail("calloc", CORUN_ENOMEM);
		}
	}
	if (only_rt) {
		goto round_trip;
	}
	daemon_start(&d);
	call_ok(&d, "{\"op\":\"pause\"}");
	v = submit_rate(&d, nb, 1000);
	bench_emit("corund_submit", "corun", "batched-1000", 1e9 / v,
	    "jobs/s", nb, NULL);
	bench_emit("corund_submit", "corun", "batched-1000", v / 1000.0,
	    "us/job", nb, NULL);
	v = submit_rate(&d, ns, 1);
	bench_emit("corund_submit", "corun", "single", 1e9 / v, "jobs/s", ns,
	    NULL);
	bench_emit("corund_submit", "corun", "single", v / 1000.0, "us/job",
	    ns, NULL);
	daemon_stop(&d);
round_trip:
	daemon_start(&d);
	if (floor_open(&rr, 0, rurl) != 0 || floor_open(&pr, 1, purl) != 0) {
		bench_fail("connect to the echo servers", CORUN_ESYS);
	}
	round_trips(&d, &rr, &pr, rurl, lat, nrt / 10 < 50 ? nrt / 10 : 50);
	round_trips(&d, &rr, &pr, rurl, lat, nrt);
	bench_emit("corund_roundtrip", "corun", "p50", pct_us(lat[RT_WAIT],
	    nrt, 50), "us", nrt, "noop: one submit request with wait");
	bench_emit("corund_roundtrip", "corun", "p99", pct_us(lat[RT_WAIT],
	    nrt, 99), "us", nrt, "noop: one submit request with wait");
	bench_emit("corund_roundtrip", "corun", "two-requests-p50",
	    pct_us(lat[RT_TWO], nrt, 50), "us", nrt, "submit, then wait");
	bench_emit("corund_roundtrip", "corun", "two-requests-p99",
	    pct_us(lat[RT_TWO], nrt, 99), "us", nrt, "submit, then wait");
	bench_emit("corund_roundtrip", "corun", "ping-p50",
	    pct_us(lat[RT_PING], nrt, 50), "us", nrt, "corund's ping op");
	bench_emit("corund_roundtrip", "nng", "reqrep-p50",
	    pct_us(lat[RT_REQREP], nrt, 50), "us", nrt,
	    "floor: REQ/REP echo between two processes");
	bench_emit("corund_roundtrip", "nng", "pair1-p50",
	    pct_us(lat[RT_PAIR], nrt, 50), "us", nrt,
	    "floor: PAIR1 echo between two processes");
	bench_emit("corund_roundtrip", "nng", "reqrep-dial-p50",
	    pct_us(lat[RT_DIAL], nrt, 50), "us", nrt,
	    "floor: a new REQ socket per request, as the corun client");
	bench_emit("corund_roundtrip", "nng", "reqrep+pair1-p50",
	    pct_us(lat[RT_REQREP], nrt, 50) + pct_us(lat[RT_PAIR], nrt, 50),
	    "us", nrt, "floor: a request to a daemon and a job to a worker");
	floor_close(&rr);
	floor_close(&pr);
	daemon_stop(&d);
	floor_stop(rpid);
	floor_stop(ppid);
	rm_rf(dir);
	for (int k = 0; k < RT_N; k++) {
		free(lat[k]);
	}
}

int
main(int argc, char **argv)
{
	int quick = 0, only_rt = 0;

	for (int i = 1; i < argc; i++) {
		quick |= strcmp(argv[i], "--quick") == 0;
		/* The round trips alone (corund_roundtrip). */
		only_rt |= strcmp(argv[i], "--roundtrip") == 0;
	}
	/* The daemon first: it is started before we use nng ourselves. */
	run_daemon(quick, only_rt);
	if (only_rt) {
		return 0;
	}
	run(10000, "10k");
	run(quick ? 100000 : 1000000, quick ? "100k" : "1M");
	return 0;
}
