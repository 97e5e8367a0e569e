/* SPDX-License-Identifier: MIT */
/*
 * bench_list.c - corund_list: the first page of `corun list` with
 * 1 000 000 jobs queued against 1000 queued.
 *
 * A state directory is filled through corund's store (src/daemon) with N
 * queued shell jobs in a paused group, then a real corund is started on
 * it ($BENCH_BUILDDIR/corund, or $CORUND) and asked for the first page:
 * the list operation (limit 100) over one nng REQ socket, and the whole
 * `corun list --last 100` process as a person runs it ($CORUN).  The two
 * sizes are measured in interleaved rounds; p50 and best of each.  The
 * target: the 1M page costs no more than 1.5 times the 1000 one.
 */
#include "config.h"

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "bench-util.h"
#include "daemon/daemon.h"

extern char **environ;

#define ROUNDS 15	/* interleaved rounds */
#define PER 20		/* op requests per round */

struct q {
	const char *tag;
	size_t n;
	char dir[64], url[128], state[96];
	pid_t pid;
	nng_socket sock;
	uint64_t op[ROUNDS * PER], proc[ROUNDS];
};

/* N queued shell jobs in group "hold", paused, in dir/state. */
static void
fill(struct q *q)
{
	struct cd_jobspec js = { 0 };
	char why[256];
	cd_store *s;
	int64_t id;
	int existed;

	snprintf(q->state, sizeof(q->state), "%s/state", q->dir);
	if (mkdir(q->state, 0700) != 0 || cd_store_open(q->state, 0, &s, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_list: %s\n", why);
		bench_fail("open the store", CORUN_ESYS);
	}
	js.kind = "shell";
	js.payload = "echo\0queued\0";
	js.len = 12;
	js.group = "hold";
	cd_store_set_paused(s, "hold", 1);
	for (size_t i = 0; i < q->n; i += 10000) {
		cd_store_begin(s);
		for (size_t k = i; k < q->n && k < i + 10000; k++) {
			if (cd_store_add(s, &js, 1, &id, &existed) != 0) {
				bench_fail("add", CORUN_ESYS);
			}
		}
		cd_store_commit(s);
	}
	cd_store_close(s);
}

static void
start(struct q *q)
{
	char path[4096], log[128];
	const char *b = getenv("BENCH_BUILDDIR"), *p = getenv("CORUND");
	char *argv[] = { path, "--foreground", "--state-dir", q->state,
	    "--socket", q->url, "--log", log, "--workers", "1", NULL };
	uint64_t deadline = bench_now_ns() + 120000000000ull;

	snprintf(path, sizeof(path), "%s", p != NULL && *p ? p : "");
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "%s/corund", b != NULL && *b ? b :
		    ".");
	}
	snprintf(log, sizeof(log), "%s/log", q->dir);
	snprintf(q->url, sizeof(q->url), "ipc://%s/ctl", q->dir);
	if (posix_spawn(&q->pid, path, NULL, NULL, argv, environ) != 0 ||
	    nng_req0_open(&q->sock) != 0) {
		bench_fail("start corund", CORUN_ESYS);
	}
	nng_socket_set_ms(q->sock, NNG_OPT_RECVTIMEO, 60000);
	while (nng_dial(q->sock, q->url, NULL, 0) != 0) {
		if (bench_now_ns() > deadline ||
		    waitpid(q->pid, NULL, WNOHANG) != 0) {
			bench_fail("corund did not start", CORUN_ESYS);
		}
		usleep(20000);
	}
}

/* One list request for the first page; ns. */
static uint64_t
list_op(struct q *q)
{
	static const char req[] = "{\"op\":\"list\",\"limit\":100}";
	uint64_t t0 = bench_now_ns();
	nng_msg *m;

	if (nng_msg_alloc(&m, sizeof(req) - 1) != 0) {
		bench_fail("nng_msg_alloc", CORUN_ENOMEM);
	}
	memcpy(nng_msg_body(m), req, sizeof(req) - 1);
	if (nng_sendmsg(q->sock, m, 0) != 0 || nng_recvmsg(q->sock, &m,
	    0) != 0) {
		bench_fail("list request", CORUN_ESYS);
	}
	if (nng_msg_len(m) < 100 || strstr(nng_msg_body(m),
	    "\"ok\":true") == NULL) {
		bench_fail("list reply", CORUN_EINVAL);
	}
	nng_msg_free(m);
	return bench_now_ns() - t0;
}

/* `corun list --last 100` to /dev/null; ns. */
static uint64_t
list_proc(struct q *q)
{
	const char *corun = getenv("CORUN");
	char *argv[] = { (char *)(corun != NULL ? corun : "corun"), "-S",
	    q->url, "list", "--last", "100", NULL };
	posix_spawn_file_actions_t fa;
	uint64_t t0 = bench_now_ns();
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0 ||
	    waitpid(pid, &st, 0) != pid || st != 0) {
		bench_fail("corun list", CORUN_ESYS);
	}
	posix_spawn_file_actions_destroy(&fa);
	return bench_now_ns() - t0;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
emit(struct q *q, const char *what, uint64_t *v, size_t n)
{
	char variant[64];

	qsort(v, n, sizeof(*v), cmp);
	snprintf(variant, sizeof(variant), "%s-%s-p50", what, q->tag);
	bench_emit("corund_list", "corun", variant, v[n / 2] / 1000.0, "us",
	    n, NULL);
	snprintf(variant, sizeof(variant), "%s-%s-best", what, q->tag);
	bench_emit("corund_list", "corun", variant, v[0] / 1000.0, "us", n,
	    NULL);
}

int
main(int argc, char **argv)
{
	struct q qs[2] = { { .tag = "1k", .n = 1000 },
	    { .tag = "1M", .n = 1000000 } };
	char cmd[128];

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		qs[1].n = 100000;
		qs[1].tag = "100k";
	}
	for (int i = 0; i < 2; i++) {
		snprintf(qs[i].dir, sizeof(qs[i].dir), "/tmp/bench-list.XXXXXX");
		if (mkdtemp(qs[i].dir) == NULL) {
			bench_fail("mkdtemp", CORUN_ESYS);
		}
		fill(&qs[i]);
		start(&qs[i]);
		list_op(&qs[i]);	/* warm */
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < 2; i++) {
			for (int k = 0; k < PER; k++) {
				qs[i].op[r * PER + k] = list_op(&qs[i]);
			}
			qs[i].proc[r] = list_proc(&qs[i]);
		}
	}
	for (int i = 0; i < 2; i++) {
		emit(&qs[i], "op", qs[i].op, ROUNDS * PER);
		emit(&qs[i], "process", qs[i].proc, ROUNDS);
		nng_close(qs[i].sock);
		kill(qs[i].pid, SIGKILL);
		waitpid(qs[i].pid, NULL, 0);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", qs[i].dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "bench_list: cannot remove %s\n",
			    qs[i].dir);
		}
	}
	return 0;
}
