/*
 * test_sockclose.c - closing a worker's socket (src/sup/sockclose.c)
 * while its peer floods it with messages and is killed: every close
 * ends, in bounded time, and so does every later one.
 *
 * nng 1.5.2 can hang for good when a pipe is closed while a message is
 * half read; once its reaper thread is stuck, every later close in the
 * process hangs too.  Each round here: a peer process (this program,
 * re-executed with --flood URL) sends messages as fast as it can, a
 * reader takes them as the loop would, the reader stops, the socket is
 * closed mid-stream and the peer is killed with SIGKILL; then every close
 * must end.  CR_ROUNDS=N sets the rounds (40).  CR_NAIVE_CLOSE=1 closes
 * at once, with the reader still running, as the pool did before: the
 * race needs nng's receive callback to run late, and on an idle machine
 * 600 such rounds did not hang, so this test guards the new path rather
 * than reproducing the old hang (a loaded corund did: see sockclose.c).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "check-util.h"
#include "sup/sup-internal.h"

extern char **environ;

static char self[4096];

/* The peer: dial, send until killed. */
static int
flood(const char *url)
{
	char buf[600];
	nng_socket s;

	memset(buf, 'x', sizeof(buf));
	if (nng_pair1_open(&s) != 0) {
		return 1;
	}
	for (int i = 0; nng_dial(s, url, NULL, 0) != 0; i++) {
		if (i > 500) {
			return 1;
		}
		usleep(2000);
	}
	for (unsigned i = 0;; i++) {
		/* Sizes vary, so reads end mid-message now and then. */
		(void)nng_send(s, buf, 16 + i % (sizeof(buf) - 16), 0);
	}
	return 0;
}

struct reader {
	nng_socket sock;
	int stop;		/* atomic */
	unsigned got;		/* atomic */
};

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	nng_msg *m;

	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		int rv = nng_recvmsg(r->sock, &m, NNG_FLAG_NONBLOCK);

		if (rv == 0) {
			nng_msg_free(m);
			__atomic_add_fetch(&r->got, 1, __ATOMIC_SEQ_CST);
		} else if (rv == NNG_EAGAIN) {
			sched_yield();
		} else {
			break;
		}
	}
	return NULL;
}

static void *
naive_close(void *arg)
{
	nng_close(*(nng_socket *)arg);
	free(arg);
	return NULL;
}

static void
sleep_ms(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	nanosleep(&ts, NULL);
}

START_TEST(close_under_flood)
{
	char dir[] = "/tmp/cr-sockclose.XXXXXX", url[128];
	int naive = getenv("CR_NAIVE_CLOSE") != NULL;
	unsigned rounds = getenv("CR_ROUNDS") ? (unsigned)atoi(getenv("CR_ROUNDS")) : 40;
	unsigned naive_left = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (unsigned round = 0; round < rounds; round++) {
		struct cr_sockwatch *sw = NULL;
		struct reader r;
		char *argv[] = { self, "--flood", url, NULL };
		pthread_t tid;
		pid_t pid;
		int status;

		memset(&r, 0, sizeof(r));
		snprintf(url, sizeof(url), "ipc://%s/s%u", dir, round);
		ck_assert_int_eq(nng_pair1_open(&r.sock), 0);
		ck_assert_int_eq(cr_sock_watch(r.sock, &sw), 0);
		nng_socket_set_int(r.sock, NNG_OPT_RECVBUF, 16);
		ck_assert_int_eq(nng_listen(r.sock, url, NULL, 0), 0);
		/* posix_spawn: an exec, so nng in the child starts afresh. */
		ck_assert_int_eq(posix_spawn(&pid, self, NULL, NULL, argv,
		    environ), 0);
		ck_assert_int_eq(pthread_create(&tid, NULL, reader_main, &r),
		    0);
		for (int i = 0; i < 2000 && __atomic_load_n(&r.got,
		    __ATOMIC_SEQ_CST) < 50; i++) {
			sleep_ms(1);
		}
		ck_assert_uint_ge(__atomic_load_n(&r.got, __ATOMIC_SEQ_CST),
		    50);
		/* Close mid-stream, at a different moment each round. */
		sleep_ms((double)(round % 7) * 0.3);
		if (naive) {
			nng_socket *sp = malloc(sizeof(*sp));
			pthread_t ct;

			/* At once, with the reader still taking messages. */
			*sp = r.sock;
			ck_assert_int_eq(pthread_create(&ct, NULL, naive_close,
			    sp), 0);
			pthread_detach(ct);
			naive_left++;	/* sw leaks: callbacks may still run */
		} else {
			/* As the pool does: the loop stops reading first. */
			__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
			pthread_join(tid, NULL);
			cr_sock_close(r.sock, sw, url);
		}
		/* The peer dies mid-stream, as a killed worker does. */
		sleep_ms((double)(round % 5) * 0.2);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (naive) {
			__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
			pthread_join(tid, NULL);
		}
	}
	/* Every close ends, the last ones too (they wait behind a stuck one). */
	for (int i = 0; i < 1000 && cr_sock_closes_pending() > 0; i++) {
		sleep_ms(10);
	}
	ck_assert_uint_eq(cr_sock_closes_pending(), 0);
	if (naive) {
		/* Closing one more socket shows whether nng's reaper is stuck. */
		nng_socket s;
		struct cr_sockwatch *sw;

		ck_assert_int_eq(nng_pair1_open(&s), 0);
		ck_assert_int_eq(cr_sock_watch(s, &sw), 0);
		cr_sock_close(s, sw, NULL);
		for (int i = 0; i < 500 && cr_sock_closes_pending() > 0; i++) {
			sleep_ms(10);
		}
		ck_assert_msg(cr_sock_closes_pending() == 0, "nng_close hangs "
		    "after %u naive closes", naive_left);
	}
	rmdir(dir);
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--flood") == 0) {
		return flood(argv[2]);
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		fprintf(stderr, "test_sockclose: /proc/self/exe: %s\n",
		    strerror(errno));
		return 77;
	}
	self[n] = '\0';
	s = suite_create("sockclose");
	tc = tcase_create("sockclose");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, close_under_flood);
	suite_add_tcase(s, tc);
	return cr_check_main(s);
}
