/* SPDX-License-Identifier: MIT */
/*
 * test_sockclose.c - closing a worker's socket (src/sup/sockclose.c)
 * while its peer floods it with messages and is killed: every close
 * ends, in bounded time, and so does every later one.
 *
 * nng 1.5.2 can hang for good when a pipe is closed while a message is
 * half read; once its reaper thread is stuck, every later close in the
 * process hangs too.  Each round here: six peer processes (this program,
 * re-executed with --flood URL) send messages as fast as they can,
 * readers take them as the loop would, the readers stop, the sockets are
 * closed mid-stream and the peers killed with SIGKILL; then every close
 * must end.  CR_ROUNDS=N sets the rounds (10).  CR_NAIVE_CLOSE=1 closes
 * at once, readers still running, as the pool did before: the race needs
 * nng's receive callback to run late, and several hundred such closes did
 * not hang here, so this test guards the new path rather than reproducing
 * the old hang (a loaded corund did: see src/sup/sockclose.c).
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

#define LINKS 6	/* at once: nng's threads get busy, its windows wider */

struct link {
	struct reader r;
	struct sup_sockwatch *sw;
	pthread_t tid;
	pid_t pid;
	char url[128];
};

static void
link_open(struct link *l, const char *dir, unsigned round, int k)
{
	char *argv[] = { self, "--flood", l->url, NULL };

	memset(l, 0, sizeof(*l));
	snprintf(l->url, sizeof(l->url), "ipc://%s/s%u.%d", dir, round, k);
	ck_assert_int_eq(nng_pair1_open(&l->r.sock), 0);
	ck_assert_int_eq(sup_sock_watch(l->r.sock, &l->sw), 0);
	nng_socket_set_int(l->r.sock, NNG_OPT_RECVBUF, 16);
	ck_assert_int_eq(nng_listen(l->r.sock, l->url, NULL, 0), 0);
	/* posix_spawn: an exec, so nng in the child starts afresh. */
	ck_assert_int_eq(posix_spawn(&l->pid, self, NULL, NULL, argv,
	    environ), 0);
	ck_assert_int_eq(pthread_create(&l->tid, NULL, reader_main, &l->r),
	    0);
}

START_TEST(close_under_flood)
{
	char dir[] = "/tmp/cr-sockclose.XXXXXX";
	const char *env = getenv("CR_ROUNDS");
	int naive = getenv("CR_NAIVE_CLOSE") != NULL;
	unsigned rounds = env != NULL ? (unsigned)atoi(env) : 10;
	unsigned naive_left = 0;
	struct link links[LINKS];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (unsigned round = 0; round < rounds; round++) {
		for (int k = 0; k < LINKS; k++) {
			link_open(&links[k], dir, round, k);
		}
		for (int k = 0; k < LINKS; k++) {
			for (int i = 0; i < 2000 && __atomic_load_n(
			    &links[k].r.got, __ATOMIC_SEQ_CST) < 50; i++) {
				sleep_ms(1);
			}
			ck_assert_uint_ge(__atomic_load_n(&links[k].r.got,
			    __ATOMIC_SEQ_CST), 50);
		}
		/* Close mid-stream, at a different moment each round. */
		sleep_ms((double)(round % 7) * 0.3);
		for (int k = 0; k < LINKS; k++) {
			struct link *l = &links[k];

			if (naive) {
				nng_socket *sp = malloc(sizeof(*sp));
				pthread_t ct;

				/* At once, the reader still taking messages. */
				*sp = l->r.sock;
				ck_assert_int_eq(pthread_create(&ct, NULL,
				    naive_close, sp), 0);
				pthread_detach(ct);
				/* l->sw leaks: its callbacks may run. */
				naive_left++;
			} else {
				/* As the pool does: the loop stops reading. */
				__atomic_store_n(&l->r.stop, 1,
				    __ATOMIC_SEQ_CST);
				pthread_join(l->tid, NULL);
				sup_sock_close(l->r.sock, l->sw, l->url);
			}
		}
		/* The peers die mid-stream, as killed workers do. */
		sleep_ms((double)(round % 5) * 0.2);
		for (int k = 0; k < LINKS; k++) {
			int status;

			kill(links[k].pid, SIGKILL);
			ck_assert_int_eq(waitpid(links[k].pid, &status, 0),
			    links[k].pid);
			if (naive) {
				__atomic_store_n(&links[k].r.stop, 1,
				    __ATOMIC_SEQ_CST);
				pthread_join(links[k].tid, NULL);
			}
		}
	}
	/* Every close ends, the last too (they queue behind a stuck one). */
	for (int i = 0; i < 1000 && sup_sock_closes_pending() > 0; i++) {
		sleep_ms(10);
	}
	ck_assert_uint_eq(sup_sock_closes_pending(), 0);
	if (naive) {
		/* One more close shows whether nng's reaper is stuck. */
		nng_socket s;
		struct sup_sockwatch *sw;

		ck_assert_int_eq(nng_pair1_open(&s), 0);
		ck_assert_int_eq(sup_sock_watch(s, &sw), 0);
		sup_sock_close(s, sw, NULL);
		for (int i = 0; i < 500 && sup_sock_closes_pending() > 0; i++) {
			sleep_ms(10);
		}
		ck_assert_msg(sup_sock_closes_pending() == 0, "nng_close hangs "
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
