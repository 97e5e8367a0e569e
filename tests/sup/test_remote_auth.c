/* SPDX-License-Identifier: MIT */
/*
 * test_remote_auth.c - the rendezvous challenge-response: SHA-256 and
 * HMAC-SHA256 against published vectors, then a real pool listening on
 * tcp://127.0.0.1 with a token.  A real corun-worker attaches through a
 * recording relay (the token never appears in what it sends); the
 * recorded handshake replayed on a new connection gets no WELCOME; a
 * wrong token, a nonce answered twice, late or on another connection,
 * and a nonce pushed out by a flood of challenges are refused; a relay that
 * forges the supervisor's proof, or a supervisor that never asks for the
 * token, is left by the worker.
 */
#define _GNU_SOURCE		/* memmem */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <corun/corun.h>

#include "check-util.h"
#include "worker-path.h"
#include "remote-util.h"
#include "wire/wire.h"
#include "wire/wire-auth.h"

#define TOKEN	"the-shared-token-1234567890"

extern char **environ;

static corun_loop *loop;
static char url[64];

/* ---- digests ---------------------------------------------------------- */

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		sprintf(out + 2 * i, "%02x", b[i]);
	}
}

static void
unhex(const char *s, uint8_t *out, size_t *n)
{
	*n = strlen(s) / 2;
	for (size_t i = 0; i < *n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

START_TEST(test_sha256_vectors)
{
	uint8_t d[WIRE_SHA256_LEN];
	char h[2 * WIRE_SHA256_LEN + 1];
	struct wire_sha256 c;
	static char million[1000000];

	/* FIPS 180-4 examples (NIST CSRC, SHA256.pdf). */
	wire_sha256("abc", 3, d);
	hex(d, sizeof(d), h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	wire_sha256("", 0, d);
	hex(d, sizeof(d), h);
	ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	wire_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, d);
	hex(d, sizeof(d), h);
	ck_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	/* A million 'a', fed in uneven pieces. */
	memset(million, 'a', sizeof(million));
	wire_sha256_init(&c);
	for (size_t off = 0, n = 1; off < sizeof(million); off += n, n++) {
		if (n > sizeof(million) - off) {
			n = sizeof(million) - off;
		}
		wire_sha256_update(&c, million + off, n);
	}
	wire_sha256_final(&c, d);
	hex(d, sizeof(d), h);
	ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* RFC 4231, section 4: keys and data in hex, the HMAC-SHA-256 outputs. */
static const struct {
	const char *key, *data, *mac;
	size_t maclen;
} rfc4231[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "4869205468657265",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	  32 },
	{ "4a656665",
	  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	  32 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	  "dddddddddddddddddddddddddddddddddddd",
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	  32 },
	{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	  32 },
	{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
	  "546573742057697468205472756e636174696f6e",
	  "a3b6167473100ee06e0c796c2955552b", 16 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa",
	  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
	  "65204b6579202d2048617368204b6579204669727374",
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	  32 },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa",
	  "5468697320697320612074657374207573696e672061206c6172676572207468"
	  "616e20626c6f636b2d73697a65206b657920616e642061206c61726765722074"
	  "68616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565"
	  "647320746f20626520686173686564206265666f7265206265696e6720757365"
	  "642062792074686520484d414320616c676f726974686d2e",
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	  32 },
};

START_TEST(test_hmac_rfc4231)
{
	uint8_t key[200], data[200], mac[WIRE_SHA256_LEN];
	char h[2 * WIRE_SHA256_LEN + 1];
	size_t klen, dlen;

	for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		unhex(rfc4231[i].key, key, &klen);
		unhex(rfc4231[i].data, data, &dlen);
		wire_hmac_sha256(key, klen, data, dlen, mac);
		hex(mac, rfc4231[i].maclen, h);
		ck_assert_msg(strcmp(h, rfc4231[i].mac) == 0,
		    "RFC 4231 test case %zu: %s", i + 1, h);
	}
}
END_TEST

START_TEST(test_text_forms)
{
	uint8_t sn[WIRE_RV_NONCE_LEN], cn[WIRE_RV_NONCE_LEN], mac[WIRE_SHA256_LEN];
	uint8_t sn2[WIRE_RV_NONCE_LEN], cn2[WIRE_RV_NONCE_LEN], mac2[WIRE_SHA256_LEN];
	char text[160], ans[WIRE_RV_ANSWER_LEN], k1[33], k2[33], pr[33];

	ck_assert_int_eq(wire_auth_random(sn, sizeof(sn)), 0);
	ck_assert_int_eq(wire_auth_random(cn, sizeof(cn)), 0);
	memset(mac, 0x5a, sizeof(mac));
	wire_rv_format_challenge(sn, text, sizeof(text));
	ck_assert_int_eq(wire_rv_parse_challenge((uint8_t *)text, strlen(text),
	    sn2), 0);
	ck_assert_mem_eq(sn, sn2, sizeof(sn));
	ck_assert_int_eq(wire_rv_parse_challenge((uint8_t *)text,
	    strlen(text) - 1, sn2), -1);
	wire_rv_format_answer(cn, mac, ans, sizeof(ans));
	ck_assert_uint_eq(strlen(ans), WIRE_RV_ANSWER_LEN - 1);
	ck_assert_int_eq(wire_rv_parse_answer((uint8_t *)ans, strlen(ans), cn2,
	    mac2), 0);
	ck_assert_mem_eq(cn, cn2, sizeof(cn));
	ck_assert_mem_eq(mac, mac2, sizeof(mac));
	ans[20] = 'X';
	ck_assert_int_eq(wire_rv_parse_answer((uint8_t *)ans, strlen(ans), cn2,
	    mac2), -1);
	ck_assert_int_eq(wire_rv_parse_answer((uint8_t *)TOKEN, strlen(TOKEN),
	    cn2, mac2), -1);
	/* Key and proof differ, and both change with a nonce. */
	wire_rv_session_key(TOKEN, sn, cn, k1);
	wire_rv_proof(TOKEN, sn, cn, pr);
	ck_assert_uint_eq(strlen(k1), WIRE_RV_KEY_HEX);
	ck_assert_str_ne(k1, pr);
	cn[0] ^= 1;
	wire_rv_session_key(TOKEN, sn, cn, k2);
	ck_assert_str_ne(k1, k2);
	ck_assert_int_eq(wire_auth_equal("abc", "abc", 3), 1);
	ck_assert_int_eq(wire_auth_equal("abc", "abd", 3), 0);
}
END_TEST

/* ---- a pool with a token on tcp://127.0.0.1 ---------------------------- */

/* A TCP port nothing listens on now (the kernel's pick). */
static unsigned
free_port(void)
{
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	ck_assert_int_ge(fd, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
setup(void)
{
	ck_assert_int_eq(corun_loop_new(&loop), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", free_port());
}

static void
teardown(void)
{
	corun_loop_free(loop);
	loop = NULL;
}

/* timeout_ms: the remote timeout, which nonces live for; 0: default. */
static corun_pool *
token_pool_t(unsigned timeout_ms)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;

	o.remote_timeout_ms = timeout_ms;
	o.listen = url;
	o.token = TOKEN;
	o.no_local = 1;
	o.quiet = 1;
	o.worker_path = worker_path();
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	return p;
}

static corun_pool *
token_pool(void)
{
	return token_pool_t(0);
}

static nng_socket
req_dial(void)
{
	nng_socket s;

	ck_assert_int_eq(nng_req0_open(&s), 0);
	ck_assert_int_eq(nng_dial(s, url, NULL, 0), 0);
	return s;
}

/* Send a request, run the loop until its answer: a WELCOME, in text. */
static struct wire_welcome
ask(nng_socket s, const void *msg, size_t len, char *text, size_t size)
{
	struct wire_welcome w;

	rv_ask(loop, s, msg, len, 200, &w, text, size);
	return w;
}

/* Ask s for a challenge: its nonce. */
static void
challenge(nng_socket s, struct wire_builder *b, uint8_t *sn)
{
	struct wire_hello h = rv_raw_hello("");
	struct wire_welcome w;
	const uint8_t *frame;
	char text[200];
	size_t len;

	ck_assert_int_eq(wire_encode_hello(b, &h, &frame, &len), 0);
	w = ask(s, frame, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_int_eq(wire_rv_parse_challenge((uint8_t *)text, strlen(text),
	    sn), 0);
}

/* The answer to nonce sn with token, as a HELLO frame copied to out. */
static size_t
answer(struct wire_builder *b, const char *token, const uint8_t *sn,
    uint8_t *cn, uint8_t *out, size_t size)
{
	uint8_t mac[WIRE_SHA256_LEN];
	char ans[WIRE_RV_ANSWER_LEN];
	struct wire_hello h = rv_raw_hello("");
	const uint8_t *frame;
	size_t len;

	ck_assert_int_eq(wire_auth_random(cn, WIRE_RV_NONCE_LEN), 0);
	wire_rv_mac(token, sn, cn, &h, mac);
	wire_rv_format_answer(cn, mac, ans, sizeof(ans));
	h = rv_raw_hello(ans);
	ck_assert_int_eq(wire_encode_hello(b, &h, &frame, &len), 0);
	ck_assert_uint_le(len, size);
	memcpy(out, frame, len);
	return len;
}

static struct corun_pool_stats
stats(corun_pool *p)
{
	struct corun_pool_stats st;

	corun_pool_stats(p, &st);
	return st;
}

START_TEST(test_raw_refusals)
{
	corun_pool *p = token_pool();
	struct wire_builder b;
	struct wire_welcome w;
	struct wire_hello h;
	uint8_t sn[WIRE_RV_NONCE_LEN], cn[WIRE_RV_NONCE_LEN], msg[512];
	char text[200], proof[33];
	const uint8_t *frame;
	nng_socket a, c;
	size_t len;

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	a = req_dial();
	c = req_dial();
	/* The token itself, in clear, is no longer enough. */
	h = rv_raw_hello(TOKEN);
	ck_assert_int_eq(wire_encode_hello(&b, &h, &frame, &len), 0);
	w = ask(a, frame, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_str_eq(text, "wrong token");
	/* A wrong token's answer. */
	challenge(a, &b, sn);
	len = answer(&b, "not-the-token", sn, cn, msg, sizeof(msg));
	w = ask(a, msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_str_eq(text, "wrong token");
	ck_assert_uint_eq(stats(p).remote_refused, 2);
	/* An answer on another connection than its challenge's. */
	challenge(a, &b, sn);
	len = answer(&b, TOKEN, sn, cn, msg, sizeof(msg));
	w = ask(c, msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_str_eq(text, "wrong token");
	/* The right answer on the right one: welcomed, with the proof. */
	challenge(a, &b, sn);
	len = answer(&b, TOKEN, sn, cn, msg, sizeof(msg));
	w = ask(a, msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 1);
	wire_rv_proof(TOKEN, sn, cn, proof);
	ck_assert_ptr_nonnull(strstr(text, proof));
	ck_assert_uint_eq(stats(p).remote_refused, 3);
	/* The same nonce answered twice: the second gets nothing. */
	w = ask(a, msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_str_eq(text, "wrong token");
	ck_assert_uint_eq(stats(p).remote_refused, 4);
	corun_pool_free(p);
	wire_builder_fini(&b);
}
END_TEST

/* A challenge expires with the remote timeout; no token is logged so. */
START_TEST(test_expired_and_missing)
{
	corun_pool *p = token_pool_t(300);
	struct wire_builder b;
	struct wire_welcome w;
	struct wire_hello h;
	uint8_t sn[WIRE_RV_NONCE_LEN], cn[WIRE_RV_NONCE_LEN], msg[512];
	const uint8_t *frame;
	char text[200];
	nng_socket a;
	size_t len;

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	a = req_dial();
	challenge(a, &b, sn);
	len = answer(&b, TOKEN, sn, cn, msg, sizeof(msg));
	rv_spin(loop, 0.6);
	w = ask(a, msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_str_eq(text, "wrong token");
	/* In time, the same steps are welcomed. */
	challenge(a, &b, sn);
	len = answer(&b, TOKEN, sn, cn, msg, sizeof(msg));
	w = ask(a, msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 1);
	/* A worker that has no token says so and is refused. */
	challenge(a, &b, sn);
	h = rv_raw_hello(WIRE_RV_NO_TOKEN);
	ck_assert_int_eq(wire_encode_hello(&b, &h, &frame, &len), 0);
	w = ask(a, frame, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_str_eq(text, "no token (this supervisor requires one)");
	ck_assert_uint_eq(stats(p).remote_refused, 2);
	corun_pool_free(p);
	wire_builder_fini(&b);
}
END_TEST

/*
 * More challenges than the supervisor keeps: the oldest nonce gives way,
 * so its answer is refused; the newest is still good.
 */
START_TEST(test_challenge_flood)
{
	enum { N = 72 };	/* > SUP_RV_OUTSTANDING (64) */
	corun_pool *p = token_pool();
	struct wire_builder b;
	struct wire_welcome w;
	uint8_t sn[N][WIRE_RV_NONCE_LEN], cn[WIRE_RV_NONCE_LEN], msg[512];
	nng_socket s[N];
	char text[200];
	size_t len;

	ck_assert_int_eq(wire_builder_init(&b, 0, 0, 0), 0);
	for (int i = 0; i < N; i++) {
		s[i] = req_dial();
		challenge(s[i], &b, sn[i]);
	}
	len = answer(&b, TOKEN, sn[0], cn, msg, sizeof(msg));
	w = ask(s[0], msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	len = answer(&b, TOKEN, sn[N - 1], cn, msg, sizeof(msg));
	w = ask(s[N - 1], msg, len, text, sizeof(text));
	ck_assert_int_eq(w.accepted, 1);
	corun_pool_free(p);
	wire_builder_fini(&b);
}
END_TEST

/* ---- a real worker through a recording relay -------------------------- */

struct relay {
	nng_socket rep, req;
	char url[64];
	nng_msg *sent[8];	/* what the worker sent, in order */
	nng_msg *got[8];	/* what it was answered */
	int n;
	int forge;		/* spoil the proof in an accepting WELCOME */
	pthread_t th;
};

static void *
relay_run(void *arg)
{
	struct relay *r = arg;
	nng_msg *m, *a;

	while (r->n < 8 && nng_recvmsg(r->rep, &m, 0) == 0) {
		ck_assert_int_eq(nng_msg_dup(&r->sent[r->n], m), 0);
		if (nng_sendmsg(r->req, m, 0) != 0) {
			nng_msg_free(m);
			break;
		}
		if (nng_recvmsg(r->req, &a, 0) != 0) {
			break;
		}
		if (r->forge && nng_msg_len(a) > 40 &&
		    ((uint8_t *)nng_msg_body(a))[16] == 1) {
			uint8_t *end = (uint8_t *)nng_msg_body(a) +
			    nng_msg_len(a) - 1;

			*end = *end == '0' ? '1' : '0';
		}
		ck_assert_int_eq(nng_msg_dup(&r->got[r->n], a), 0);
		r->n++;
		if (nng_sendmsg(r->rep, a, 0) != 0) {
			nng_msg_free(a);
			break;
		}
	}
	return NULL;
}

static void
relay_start(struct relay *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->url, sizeof(r->url), "tcp://127.0.0.1:%u", free_port());
	ck_assert_int_eq(nng_rep0_open(&r->rep), 0);
	ck_assert_int_eq(nng_listen(r->rep, r->url, NULL, 0), 0);
	r->req = req_dial();
	ck_assert_int_eq(pthread_create(&r->th, NULL, relay_run, r), 0);
}

/* Stop the relay and free what it kept. */
static void
relay_stop(struct relay *r)
{
	nng_close(r->rep);
	pthread_join(r->th, NULL);
	nng_close(r->req);
	for (int i = 0; i < r->n; i++) {
		nng_msg_free(r->sent[i]);
		nng_msg_free(r->got[i]);
	}
	if (r->n < 8 && r->sent[r->n] != NULL) {
		nng_msg_free(r->sent[r->n]);	/* sent, never answered */
	}
}

static pid_t
spawn_worker(const char *at, const char *token)
{
	const char *argv[] = { worker_path(), "--connect", at, "--model",
	    "async", "-j", "2", "--token", token, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL,
	    (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static int
has_bytes(nng_msg *m, const char *s)
{
	return memmem(nng_msg_body(m), nng_msg_len(m), s, strlen(s)) != NULL;
}

START_TEST(test_replayed_handshake)
{
	corun_pool *p = token_pool();
	corun_future *done = NULL;
	struct wire_welcome w;
	struct relay r;
	char text[200];
	nng_socket s;
	pid_t pid;
	int status;

	relay_start(&r);
	pid = spawn_worker(r.url, TOKEN);
	for (int i = 0; i < 400 && stats(p).remote_alive == 0; i++) {
		rv_spin(loop, 0.05);
	}
	ck_assert_uint_eq(stats(p).remote_alive, 1);
	/* Two requests (HELLO, then the answer); neither holds the token. */
	ck_assert_int_eq(r.n, 2);
	for (int i = 0; i < r.n; i++) {
		ck_assert(!has_bytes(r.sent[i], TOKEN));
		ck_assert(!has_bytes(r.got[i], TOKEN));
	}
	ck_assert(has_bytes(r.sent[1], WIRE_RV_AUTH_NAME " "));
	/* Replayed on a new connection, in order: no WELCOME. */
	s = req_dial();
	w = ask(s, nng_msg_body(r.sent[0]), nng_msg_len(r.sent[0]), text,
	    sizeof(text));
	ck_assert_int_eq(w.accepted, 0);	/* a fresh challenge */
	w = ask(s, nng_msg_body(r.sent[1]), nng_msg_len(r.sent[1]), text,
	    sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_str_eq(text, "wrong token");
	/* The answer alone, on another new connection: nothing either. */
	nng_close(s);
	s = req_dial();
	w = ask(s, nng_msg_body(r.sent[1]), nng_msg_len(r.sent[1]), text,
	    sizeof(text));
	ck_assert_int_eq(w.accepted, 0);
	ck_assert_uint_eq(stats(p).remote_alive, 1);
	ck_assert_uint_eq(stats(p).remote_refused, 2);
	/* The genuine worker still runs; shut down, it leaves cleanly. */
	ck_assert_int_eq(corun_pool_shutdown(p, 1, 0, &done), 0);
	ck_assert_int_eq(corun_loop_run_until_complete(loop, done), 0);
	corun_future_unref(done);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	corun_pool_free(p);
	relay_stop(&r);
}
END_TEST

/* A supervisor that cannot show it knows the token is left at once. */
START_TEST(test_forged_proof)
{
	corun_pool *p = token_pool();
	struct relay r;
	pid_t pid;
	int status = 0;

	relay_start(&r);
	r.forge = 1;
	pid = spawn_worker(r.url, TOKEN);
	for (int i = 0; i < 400 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		rv_spin(loop, 0.05);
	}
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 2);	/* WK_EXIT_PROTO */
	ck_assert_uint_eq(stats(p).remote_alive, 0);
	corun_pool_free(p);
	relay_stop(&r);
}
END_TEST

/* A worker with a token leaves a supervisor that does not ask for it. */
START_TEST(test_unasked_token)
{
	struct corun_pool_opts o = CORUN_POOL_OPTS_INIT;
	corun_pool *p = NULL;
	pid_t pid;
	int status = 0;

	o.listen = url;
	o.insecure = 1;
	o.no_local = 1;
	o.quiet = 1;
	o.worker_path = worker_path();
	ck_assert_int_eq(corun_pool_new(loop, &o, &p), 0);
	pid = spawn_worker(url, TOKEN);
	for (int i = 0; i < 400 && waitpid(pid, &status, WNOHANG) == 0; i++) {
		rv_spin(loop, 0.05);
	}
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 1);	/* WK_EXIT_SETUP */
	ck_assert_uint_eq(stats(p).remote_alive, 0);
	corun_pool_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("remote_auth");
	TCase *tc = tcase_create("digests");
	TCase *tp = tcase_create("pool");

	signal(SIGPIPE, SIG_IGN);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_hmac_rfc4231);
	tcase_add_test(tc, test_text_forms);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_set_timeout(tp, 60);
	tcase_add_test(tp, test_raw_refusals);
	tcase_add_test(tp, test_expired_and_missing);
	tcase_add_test(tp, test_challenge_flood);
	tcase_add_test(tp, test_replayed_handshake);
	tcase_add_test(tp, test_forged_proof);
	tcase_add_test(tp, test_unasked_token);
	suite_add_tcase(s, tp);
	return cr_check_main(s);
}
