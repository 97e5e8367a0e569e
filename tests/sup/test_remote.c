/* SPDX-License-Identifier: MIT */
/*
 * test_remote.c - remote workers through the pool API: configurations
 * that are refused, a real corun-worker attached over ipc:// running
 * every job (and holding one ahead while jobs are short), and raw nng
 * peers at the rendezvous and session sockets
 * (garbage, a wrong token, a wrong session key) that get nothing.
 * The challenge-response itself is tested in test_remote_auth.c.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/protocol/reqrep0/req.h>

#include <corun/corun.h>

#include "check-util.h"
#include "worker-path.h"
#include "remote-util.h"
#include "wire/wire.h"
#include "wire/wire-auth.h"

extern char **environ;

static corun_loop *loop;
static char dir[64], url[128];

static void
setup(void)
{
	ck_assert_int_eq(corun_loop_new(&loop), 0);
	snprintf(dir, sizeof(dir), "/tmp/crrt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(url, sizeof(url), "ipc://%s/rv", dir);
}

static void
teardown(void)
{
	corun_loop_free(loop);
	loop = NULL;
	(void)rmdir(dir);
}

static pid_t
spawn_worker(const char *token)
{
	const char *argv[] = { worker_path(), "--connect", url, "--model",
	    "async", "-j", "4", "--token", token, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL,
	    (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static struct corun_pool_opts
remote_opts(void)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;

	o.listen = url;
	o.token = "tok";
	o.no_local = 1;
	o.quiet = 1;
	o.worker_path = worker_path();
	return o;
}

START_TEST(test_bad_configs)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;
	int rc;

	o.quiet = 1;
	o.worker_path = worker_path();
	o.no_local = 1;		/* and nothing listens: nobody would run */
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), CORUN_EINVAL);
	o.no_local = 1;
	o.listen = "tcp://127.0.0.1:1";	/* plain tcp, no token */
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), CORUN_EINVAL);
	o.listen = "udp://127.0.0.1:1";
	o.insecure = 1;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), CORUN_EINVAL);
	o.listen = "tcp://127.0.0.1";	/* no port */
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), CORUN_EINVAL);
	o.listen = url;
	o.token = "";
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), CORUN_EINVAL);
	o.token = NULL;
	o.listen = "tls+tcp://127.0.0.1:1";	/* no certificate */
	rc = corun_pool_new(loop, &o, &p);
	ck_assert(rc == CORUN_EINVAL || rc == CORUN_ENOTSUP);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_remote_worker_runs_jobs)
{
	struct corun_pool_opts o = remote_opts();
	struct corun_job jobs[200];
	corun_future *f[200], *g = NULL, *done = NULL;
	struct corun_pool_stats st;
	corun_pool *p = NULL;
	pid_t pid;
	int status;

	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	memset(jobs, 0, sizeof(jobs));
	for (size_t i = 0; i < 200; i++) {
		jobs[i].kind = "noop";
		jobs[i].tag = i;
	}
	ck_assert_int_eq(corun_pool_map(p, jobs, 200, f), 0);
	pid = spawn_worker("tok");
	ck_assert_int_eq(corun_gather(loop, f, 200,
	    CORUN_GATHER_RETURN_ERRORS, &g), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), 0);
	corun_future_unref(g);
	for (size_t i = 0; i < 200; i++) {
		const struct corun_job_result *r = corun_pool_result(f[i]);

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->status, 0);
		ck_assert_uint_eq(r->tag, i);
		/* Run by the remote worker: its own pid, from its HELLO. */
		ck_assert_int_eq(r->worker_pid, (int)pid);
		corun_future_unref(f[i]);
	}
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.remote_alive, 1);
	ck_assert_uint_eq(st.completed, 200);
	ck_assert_uint_eq(st.procs, 0);
	/* Shut down: the remote worker is told to stop and leaves. */
	ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, done), 0);
	corun_future_unref(done);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	corun_pool_free(p);
}
END_TEST

/*
 * Held ahead: a remote worker of one slot (room for one more, its
 * default --prefetch 1) is sent its next job before the last one ends
 * while its jobs are short; never behind one of 100 ms or more, nor
 * under prefetch < 0 (a halt policy).  on_lease sees the jobs out at once.
 */
struct ahead {
	corun_pool *p;
	uint64_t leased;
	uint64_t most;		/* most jobs out at once */
};

static void
count_lease(void *arg, uint64_t tag, uint32_t attempt)
{
	struct ahead *a = arg;
	struct corun_pool_stats st;

	(void)tag;
	(void)attempt;
	corun_pool_stats(a->p, &st);
	a->leased++;
	if (a->leased - st.completed > a->most) {
		a->most = a->leased - st.completed;
	}
}

static uint64_t
most_out(int prefetch, const char *ms, size_t n)
{
	const char *argv[] = { worker_path(), "--connect", url, "--model",
	    "async", "-j", "1", "--token", "tok", NULL };
	struct corun_pool_opts o = remote_opts();
	struct ahead a = { NULL, 0, 0 };
	struct corun_job jobs[40];
	corun_future *f[40], *g = NULL, *done = NULL;
	pid_t pid;
	int status;

	ck_assert_uint_le(n, 40);
	o.prefetch = prefetch;
	o.on_lease = count_lease;
	o.lease_arg = &a;
	ck_assert_int_eq(corun_pool_new(loop, &o, &a.p), 0);
	memset(jobs, 0, sizeof(jobs));
	for (size_t i = 0; i < n; i++) {
		jobs[i].kind = "sleep";
		jobs[i].payload = ms;
		jobs[i].len = strlen(ms);
		jobs[i].tag = i;
	}
	ck_assert_int_eq(corun_pool_map(a.p, jobs, n, f), 0);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], NULL, NULL,
	    (char *const *)argv, environ), 0);
	ck_assert_int_eq(corun_gather(loop, f, n, CORUN_GATHER_RETURN_ERRORS,
	    &g), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), 0);
	corun_future_unref(g);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(corun_pool_result(f[i])->status, 0);
		corun_future_unref(f[i]);
	}
	ck_assert_uint_eq(a.leased, n);
	ck_assert_int_eq(corun_pool_shutdown(a.p, 1, 0, &done), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, done), 0);
	corun_future_unref(done);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	corun_pool_free(a.p);
	return a.most;
}

START_TEST(test_remote_holds_ahead)
{
	/* Short jobs: the next one is there as one ends. */
	ck_assert_uint_eq(most_out(0, "5", 20), 2);
	/* A halt policy decides after each result: nothing ahead. */
	ck_assert_uint_eq(most_out(-1, "5", 20), 1);
	/* Long jobs: a held one could have started elsewhere sooner. */
	ck_assert_uint_eq(most_out(0, "150", 3), 1);
}
END_TEST

/* Send one message on a REQ socket and take its WELCOME. */
static void
ask(nng_socket s, const void *msg, size_t len, struct wire_welcome *wel,
    char *text, size_t size)
{
	rv_ask(loop, s, msg, len, 100, wel, text, size);
}

static void
hello(struct wire_builder *b, const char *token, const uint8_t **frame,
    size_t *len)
{
	struct wire_hello h = rv_raw_hello(token);

	ck_assert_int_eq(wire_encode_hello(b, &h, frame, len), 0);
}

/*
 * The handshake with a token: a HELLO without it gets a challenge, whose
 * answer (an HMAC keyed by token) gets the WELCOME in *wel; key is the
 * session key both sides derive.
 */
static void
hello_with_token(nng_socket req, struct wire_builder *b, const char *token,
    struct wire_welcome *wel, char *text, size_t size, char *key)
{
	uint8_t sn[WIRE_RV_NONCE_LEN], cn[WIRE_RV_NONCE_LEN], mac[WIRE_SHA256_LEN];
	char ans[WIRE_RV_ANSWER_LEN];
	struct wire_hello h;
	const uint8_t *frame;
	size_t len;

	hello(b, "", &frame, &len);
	ask(req, frame, len, wel, text, size);
	ck_assert_int_eq(wel->accepted, 0);
	ck_assert_int_eq(wire_rv_parse_challenge((const uint8_t *)text,
	    strlen(text), sn), 0);
	ck_assert_int_eq(wire_auth_random(cn, sizeof(cn)), 0);
	memset(&h, 0, sizeof(h));
	h.max_version = WIRE_VERSION;
	h.pid = 4242;
	h.procs = h.threads = h.concurrency = h.capacity = 1;
	h.name.ptr = (const uint8_t *)"raw";
	h.name.len = 3;
	wire_rv_mac(token, sn, cn, &h, mac);
	wire_rv_format_answer(cn, mac, ans, sizeof(ans));
	hello(b, ans, &frame, &len);
	ask(req, frame, len, wel, text, size);
	wire_rv_session_key(token, sn, cn, key);
}

/*
 * A session socket that dials once: a redial after the pipe closes would
 * only be refused by the monogamous listener.
 */
static void
session_dial(nng_socket *s, const char *session_url)
{
	ck_assert_int_eq(nng_pair1_open(s), 0);
	ck_assert_int_eq(nng_socket_set_ms(*s, NNG_OPT_RECONNMINT, 60000), 0);
	ck_assert_int_eq(nng_socket_set_ms(*s, NNG_OPT_RECONNMAXT, 60000), 0);
	ck_assert_int_eq(nng_dial(*s, session_url, NULL, 0), 0);
}

START_TEST(test_refusals)
{
	struct corun_pool_opts o = remote_opts();
	struct wire_builder b;
	struct wire_welcome wel;
	struct corun_pool_stats st;
	corun_pool *p = NULL;
	const uint8_t *frame;
	nng_socket req, pair;
	nng_msg *m = NULL;
	char text[512], *sp, key[WIRE_RV_KEY_HEX + 1];
	size_t len;

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	ck_assert_int_eq(nng_req0_open(&req), 0);
	ck_assert_int_eq(nng_dial(req, url, NULL, 0), 0);

	/* Not a frame at all. */
	ask(req, "hello", 5, &wel, text, sizeof(text));
	ck_assert_int_eq(wel.accepted, 0);
	ck_assert_ptr_nonnull(strstr(text, "short"));
	/* A HELLO with the wrong token. */
	hello(&b, "not-it", &frame, &len);
	ask(req, frame, len, &wel, text, sizeof(text));
	ck_assert_int_eq(wel.accepted, 0);
	ck_assert_str_eq(text, "wrong token");
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.remote_refused, 2);

	/* The right token: a session URL and key; a wrong key there. */
	hello_with_token(req, &b, "tok", &wel, text, sizeof(text), key);
	ck_assert_int_eq(wel.accepted, 1);
	ck_assert_ptr_nonnull(sp = strchr(text, ' '));
	*sp = '\0';
	ck_assert_uint_eq(strlen(sp + 1), 32);
	session_dial(&pair, text);
	hello(&b, "0123456789abcdef0123456789abcdef", &frame, &len);
	ck_assert_int_eq(nng_send(pair, (void *)frame, len, 0), 0);
	rv_spin(loop, 0.3);
	ck_assert_int_eq(nng_recvmsg(pair, &m, NNG_FLAG_NONBLOCK), NNG_EAGAIN);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.remote_refused, 3);
	ck_assert_uint_eq(st.remote_alive, 0);
	/*
	 * Not nng_close: with messages in flight nng 1.5.2's close can
	 * hang (the pool closes its sockets on a thread for that reason);
	 * the process exits soon anyway.
	 */

	/* Again, with the key derived: welcomed. */
	hello_with_token(req, &b, "tok", &wel, text, sizeof(text), key);
	ck_assert_int_eq(wel.accepted, 1);
	ck_assert_ptr_nonnull(sp = strchr(text, ' '));
	*sp = '\0';
	session_dial(&pair, text);
	hello(&b, key, &frame, &len);
	ck_assert_int_eq(nng_send(pair, (void *)frame, len, 0), 0);
	rv_spin(loop, 0.3);
	ck_assert_int_eq(nng_recvmsg(pair, &m, NNG_FLAG_NONBLOCK), 0);
	ck_assert_int_eq(m != NULL && nng_msg_len(m) > 4 &&
	    ((uint8_t *)nng_msg_body(m))[4] == WIRE_WELCOME, 1);
	nng_msg_free(m);
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.remote_alive, 1);
	ck_assert_uint_eq(st.remote_refused, 3);

	nng_close(req);
	corun_pool_free(p);
	wire_builder_fini(&b);
}
END_TEST

/*
 * Two real remote workers; one is killed (SIGKILL) with jobs in hand.
 * The remote timeout is a minute, so only its connection closing can get
 * its jobs re-leased in time: every job still completes, once.
 */
START_TEST(test_killed_worker)
{
	struct corun_pool_opts o = remote_opts();
	struct corun_job jobs[40];
	corun_future *f[40], *g = NULL;
	struct corun_pool_stats st;
	corun_pool *p = NULL;
	pid_t a, b;
	int status;

	o.remote_timeout_ms = 60000;
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	memset(jobs, 0, sizeof(jobs));
	for (size_t i = 0; i < 40; i++) {
		jobs[i].kind = "sleep";
		jobs[i].payload = "100";
		jobs[i].len = 3;
		jobs[i].tag = i;
	}
	ck_assert_int_eq(corun_pool_map(p, jobs, 40, f), 0);
	a = spawn_worker("tok");
	b = spawn_worker("tok");
	for (int i = 0; i < 600; i++) {
		rv_spin(loop, 0.05);
		corun_pool_stats(p, &st);
		if (st.remote_alive == 2) {
			break;
		}
	}
	ck_assert_uint_eq(st.remote_alive, 2);
	rv_spin(loop, 0.1);
	ck_assert_int_eq(kill(a, SIGKILL), 0);
	ck_assert_int_eq(corun_gather(loop, f, 40, CORUN_GATHER_RETURN_ERRORS,
	    &g), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, g), 0);
	corun_future_unref(g);
	for (size_t i = 0; i < 40; i++) {
		const struct corun_job_result *r = corun_pool_result(f[i]);

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->status, 0);
		ck_assert_uint_eq(r->tag, i);
		corun_future_unref(f[i]);
	}
	corun_pool_stats(p, &st);
	ck_assert_uint_eq(st.completed, 40);
	ck_assert_uint_ge(st.lost, 1);		/* it held jobs */
	ck_assert_uint_eq(st.remote_alive, 1);
	corun_pool_free(p);
	ck_assert_int_eq(waitpid(a, &status, 0), a);
	ck_assert_int_eq(waitpid(b, &status, 0), b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("remote");
	TCase *tc = tcase_create("remote");

	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bad_configs);
	tcase_add_test(tc, test_remote_worker_runs_jobs);
	tcase_add_test(tc, test_remote_holds_ahead);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_killed_worker);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
