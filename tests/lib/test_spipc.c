/* SPDX-License-Identifier: MIT */
/*
 * test_spipc.c - the PAIR1-over-ipc connection on the loop (lib/spipc.c)
 * against real nng PAIR1 sockets both ways (nng's wire, big messages
 * too), a bad or partial greeting and a second peer refused without
 * harm, back-pressure (sends queue in order, drained later), a message
 * over the limit and the peer's close.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include <corun/error.h>

#include "check-util.h"
#include "lib/cr-spipc.h"

struct peer {
	unsigned msgs, closes, drained;
	uint8_t *last;
	size_t last_len;
	uint32_t next_seq;		/* back-pressure: the order kept */
	int out_of_order;
	char why[128];
};

static void
on_msg(void *arg, const uint8_t *buf, size_t len)
{
	struct peer *pr = arg;

	free(pr->last);
	pr->last = malloc(len + 1);
	memcpy(pr->last, buf, len);
	pr->last_len = len;
	if (len >= 4) {
		uint32_t seq;

		memcpy(&seq, buf, 4);
		if (seq != pr->next_seq) {
			pr->out_of_order++;
		}
		pr->next_seq = seq + 1;
	}
	pr->msgs++;
}

static void
on_close(void *arg, const char *why)
{
	struct peer *pr = arg;

	pr->closes++;
	snprintf(pr->why, sizeof(pr->why), "%s", why);
}

static void
on_drained(void *arg)
{
	((struct peer *)arg)->drained++;
}

static const struct cr_spipc_ops ops = {
	.on_msg = on_msg, .on_close = on_close, .on_drained = on_drained,
};

static char path[108], url[120];

static void
new_path(void)
{
	static int n;

	snprintf(path, sizeof(path), "/tmp/test_spipc.%ld.%d", (long)getpid(),
	    n++);
	snprintf(url, sizeof(url), "ipc://%s", path);
	unlink(path);
}

static void
nap_ms(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

/* Run the loop until *flag reaches want (at most 5 s). */
static void
pump_until(struct event_base *base, const unsigned *flag, unsigned want)
{
	for (int i = 0; i < 5000 && *flag < want; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (*flag < want) {
			nap_ms();
		}
	}
	ck_assert_uint_ge(*flag, want);
}

/* Run the loop until nng has a message for us; its body. */
static nng_msg *
pump_recv(struct event_base *base, nng_socket s)
{
	nng_msg *m = NULL;

	for (int i = 0; i < 5000; i++) {
		if (nng_recvmsg(s, &m, NNG_FLAG_NONBLOCK) == 0) {
			return m;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		nap_ms();
	}
	ck_abort_msg("nothing arrived from spipc");
	return NULL;
}

static uint8_t *
pattern(size_t len, unsigned seed)
{
	uint8_t *b = malloc(len);

	for (size_t i = 0; i < len; i++) {
		b[i] = (uint8_t)(i * 31 + seed + (i >> 11));
	}
	return b;
}

static nng_socket
nng_peer(void)
{
	nng_socket s;

	ck_assert_int_eq(nng_pair1_open(&s), 0);
	ck_assert_int_eq(nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0), 0);
	return s;
}

/* Both ways: a small message and one of several MiB (partial I/O). */
static void
exchange(struct event_base *base, struct cr_spipc *c, struct peer *pr,
    nng_socket s)
{
	size_t big = 5u << 20;
	uint8_t *b = pattern(big, 7);
	unsigned before = pr->msgs;
	nng_msg *m;

	ck_assert_int_eq(nng_send(s, "world", 5, 0), 0);
	pump_until(base, &pr->msgs, before + 1);
	ck_assert_uint_eq(pr->last_len, 5);
	ck_assert_mem_eq(pr->last, "world", 5);

	ck_assert_int_eq(cr_spipc_send(c, b, big), 0);
	m = pump_recv(base, s);
	ck_assert_uint_eq(nng_msg_len(m), big);
	ck_assert_int_eq(memcmp(nng_msg_body(m), b, big), 0);
	nng_msg_free(m);

	ck_assert_int_eq(nng_send(s, b, big, 0), 0);
	pump_until(base, &pr->msgs, before + 2);
	ck_assert_uint_eq(pr->last_len, big);
	ck_assert_int_eq(memcmp(pr->last, b, big), 0);
	free(b);
}

START_TEST(test_nng_dials_the_listener)
{
	struct event_base *base = event_base_new();
	struct peer pr = { 0 };
	struct cr_spipc *c;
	nng_socket s = nng_peer();
	nng_msg *m;

	new_path();
	ck_assert_int_eq(cr_spipc_listen(base, path, 16u << 20, &ops, &pr,
	    &c), 0);
	/* Sent before anyone is there: it waits for the peer. */
	ck_assert_int_eq(cr_spipc_send(c, (const uint8_t *)"hello", 5), 0);
	ck_assert_uint_eq(cr_spipc_queued(c), 13 + 5);
	ck_assert_int_eq(nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK), 0);
	m = pump_recv(base, s);
	ck_assert_uint_eq(nng_msg_len(m), 5);
	ck_assert_mem_eq(nng_msg_body(m), "hello", 5);
	nng_msg_free(m);
	exchange(base, c, &pr, s);
	cr_spipc_close(c);
	ck_assert_int_ne(access(path, F_OK), 0);	/* the file went */
	nng_close(s);
	free(pr.last);
	event_base_free(base);
}
END_TEST

START_TEST(test_dials_an_nng_listener)
{
	struct event_base *base = event_base_new();
	struct peer pr = { 0 };
	struct cr_spipc *c;
	nng_socket s = nng_peer();
	nng_msg *m;

	new_path();
	ck_assert_int_eq(cr_spipc_dial(base, path, 1024, &ops, &pr, &c),
	    ENOENT);
	ck_assert_int_eq(nng_listen(s, url, NULL, 0), 0);
	ck_assert_int_eq(cr_spipc_dial(base, path, 16u << 20, &ops, &pr, &c),
	    0);
	ck_assert_int_eq(cr_spipc_send(c, (const uint8_t *)"hi", 2), 0);
	m = pump_recv(base, s);
	ck_assert_uint_eq(nng_msg_len(m), 2);
	ck_assert_mem_eq(nng_msg_body(m), "hi", 2);
	nng_msg_free(m);
	exchange(base, c, &pr, s);
	/* The peer's end is told once; sends fail from then on. */
	nng_close(s);
	pump_until(base, &pr.closes, 1);
	ck_assert_str_eq(pr.why, "the connection closed");
	ck_assert_int_eq(cr_spipc_send(c, (const uint8_t *)"x", 1),
	    CORUN_ECLOSED);
	cr_spipc_close(c);
	free(pr.last);
	event_base_free(base);
}
END_TEST

/* A raw client of path: sends what, returns the socket. */
static int
raw_client(const void *what, size_t len)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (len > 0) {
		ck_assert_int_eq(send(fd, what, len, 0), (ssize_t)len);
	}
	return fd;
}

/* Run the loop until fd reads its end; the bytes read before it. */
static size_t
pump_eof(struct event_base *base, int fd)
{
	size_t got = 0;
	char buf[256];

	for (int i = 0; i < 5000; i++) {
		ssize_t n;

		event_base_loop(base, EVLOOP_NONBLOCK);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0) {
			close(fd);
			return got;
		}
		if (n > 0) {
			got += (size_t)n;
		} else {
			nap_ms();
		}
	}
	ck_abort_msg("the listener did not close the connection");
	return 0;
}

START_TEST(test_bad_greetings_refused)
{
	static const uint8_t req0[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };
	struct event_base *base = event_base_new();
	struct peer pr = { 0 };
	struct cr_spipc *c;
	nng_socket s = nng_peer();
	nng_msg *m;
	int fd, fd2;

	new_path();
	ck_assert_int_eq(cr_spipc_listen(base, path, 1024, &ops, &pr, &c), 0);
	ck_assert_int_eq(cr_spipc_send(c, (const uint8_t *)"kept", 4), 0);
	/* Garbage: our greeting (8 bytes), then the end. */
	ck_assert_uint_eq(pump_eof(base, raw_client("GET / HT", 8)), 8);
	/* Another protocol's greeting (REQ). */
	ck_assert_uint_eq(pump_eof(base, raw_client(req0, 8)), 8);
	/* Half a greeting, then gone. */
	fd = raw_client("\0SP", 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	close(fd);
	for (int i = 0; i < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		nap_ms();
	}
	ck_assert_uint_eq(pr.closes, 0);	/* none was a peer */
	ck_assert_uint_eq(pr.msgs, 0);
	/* The real peer still comes in and gets what waited. */
	ck_assert_int_eq(nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK), 0);
	m = pump_recv(base, s);
	ck_assert_uint_eq(nng_msg_len(m), 4);
	ck_assert_mem_eq(nng_msg_body(m), "kept", 4);
	nng_msg_free(m);
	/* A second peer meanwhile is closed at once, unanswered. */
	fd2 = raw_client(NULL, 0);
	ck_assert_uint_eq(pump_eof(base, fd2), 0);
	ck_assert_int_eq(nng_send(s, "still", 5, 0), 0);
	pump_until(base, &pr.msgs, 1);
	ck_assert_mem_eq(pr.last, "still", 5);
	/* Over the limit (1024): the connection is dropped. */
	{
		uint8_t *b = pattern(4096, 1);

		ck_assert_int_eq(nng_send(s, b, 4096, 0), 0);
		free(b);
	}
	pump_until(base, &pr.closes, 1);
	ck_assert_str_eq(pr.why, "message over the size limit");
	cr_spipc_close(c);
	nng_close(s);
	free(pr.last);
	event_base_free(base);
}
END_TEST

/* Sends the socket does not take wait, in order, and drain later. */
START_TEST(test_backpressure_keeps_order)
{
	struct event_base *base = event_base_new();
	struct peer lp = { 0 }, dp = { 0 };
	struct cr_spipc *l, *d;
	size_t len = 64 * 1024;
	uint8_t *b = pattern(len, 3);
	unsigned n = 200;

	new_path();
	ck_assert_int_eq(cr_spipc_listen(base, path, 1u << 20, &ops, &lp, &l),
	    0);
	ck_assert_int_eq(cr_spipc_dial(base, path, 1u << 20, &ops, &dp, &d),
	    0);
	for (uint32_t i = 0; i < n; i++) {
		memcpy(b, &i, 4);
		ck_assert_int_eq(cr_spipc_send(d, b, len), 0);
	}
	ck_assert_uint_gt(cr_spipc_queued(d), 0);	/* the kernel is full */
	cr_spipc_notify_drained(d);
	pump_until(base, &lp.msgs, n);
	ck_assert_int_eq(lp.out_of_order, 0);
	ck_assert_uint_eq(lp.last_len, len);
	pump_until(base, &dp.drained, 1);
	ck_assert_uint_eq(cr_spipc_queued(d), 0);
	/* The listener's end is the dialler's loss. */
	cr_spipc_close(l);
	pump_until(base, &dp.closes, 1);
	cr_spipc_close(d);
	free(b);
	free(lp.last);
	event_base_free(base);
}
END_TEST

static Suite *
spipc_suite(void)
{
	Suite *s = suite_create("spipc");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_nng_dials_the_listener);
	tcase_add_test(tc, test_dials_an_nng_listener);
	tcase_add_test(tc, test_bad_greetings_refused);
	tcase_add_test(tc, test_backpressure_keeps_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(spipc_suite());
}
