/* SPDX-License-Identifier: MIT */
/*
 * main.c - corun-worker: setup, signals, the run, teardown (options in
 * options.c).
 *
 * The supervisor listens on a private nng URL and starts
 *
 *   corun-worker --connect URL --threads T --concurrency C [--offload]
 *       [--load FILE.so]... [--id N] [--name NAME] [--parent PID]
 *
 * The worker dials back, introduces itself (HELLO), and runs the jobs it
 * is sent until it is told to stop or its supervisor goes away.  Signals
 * arrive through the main loop (libevent signal events); no handler does
 * work of its own (outside the loop, one only notes a late TERM or INT).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <event2/event.h>

#include "kinds.h"
#include "worker.h"
#ifdef CR_NNG_THREADS
#include "nng-threads.h"
#endif

/*
 * Signals come through the loop: nothing runs in a real handler (but see
 * outside_loop below, before and after the loop).  A signal is an order
 * (the supervisor's SIGTERM before HELLO or SIGINT as it frees the pool,
 * PDEATHSIG when it is gone, an operator or a batch system stopping the
 * step), not a fault: it is obeyed without a word.
 *
 * TERM: finish what runs.  INT, or a second signal: stop it now.  Either
 * way the jobs held here that never started go back to be re-leased (or
 * dropped by a supervisor that is stopping too), not reported cancelled.
 */
static void
obey_signal(struct wk_state *w, int sig, int first)
{
	if (w->state < WK_W_ABORTING) {
		wk_dispatch_refuse_pending(w);
	}
	if (first && sig == SIGTERM && w->opt.parent == 0) {
		/* A batch system ends us: the jobs go back (handback.c). */
		w->handback = w->state < WK_W_ABORTING;
		wk_session_shutdown(w, WIRE_SHUTDOWN_CANCEL, 0,
		    "terminated by signal; running jobs handed back");
	} else if (first && sig == SIGTERM) {
		wk_session_shutdown(w, 1, 0, "terminated by signal");
	} else if (first && sig == SIGINT) {
		wk_session_shutdown(w, 0, 0, "interrupted");
	} else {
		wk_session_shutdown(w, 0, 0, "terminated by signal");
	}
}

/*
 * TERM and INT outside the loop.  Before the loop watches them they act
 * as they always do: the handler puts the default action back and raises
 * the signal again.  Once the session is over (w->leaving) they are an
 * order already obeyed, arriving late: a batch system signals every
 * process of the step, and a worker with --procs hears it again from its
 * parent passing it on, which may come as the worker exits.  Killed by
 * it, the worker would lose the exit status it had (0 after handing its
 * jobs back; the --procs parent reports a death by signal as 3, a lost
 * supervisor).  So it is noted (w->late_signal: no rejoin after it) and
 * the worker leaves as it was leaving.  libevent saves this handler when
 * it starts watching a signal and puts it back when it stops, so no such
 * signal ever finds the default action in between.  A signal ignored
 * when we started stays ignored.
 */
static struct wk_state *outside_w;

static void
outside_loop(int sig)
{
	int e = errno;

	if (outside_w->leaving) {
		outside_w->late_signal = sig;
	} else {
		signal(sig, SIG_DFL);
		raise(sig);	/* acts when the handler returns */
	}
	errno = e;
}

static void
catch_outside_loop(struct wk_state *w)
{
	static const int sigs[] = { SIGTERM, SIGINT };
	struct sigaction sa, old;
	size_t i;

	outside_w = w;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = outside_loop;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL) {
			(void)sigaction(sigs[i], &sa, NULL);
		}
	}
}

static void
sig_timer_clear(struct wk_state *w)
{
	if (w->sig_timer != NULL) {
		(void)corun_handle_cancel(w->sig_timer);
		corun_handle_release(w->sig_timer);
		w->sig_timer = NULL;
	}
}

/* The supervisor did not stop us within WK_SIGNAL_GRACE: obey alone. */
static void
grace_over(void *arg)
{
	struct wk_state *w = arg;

	corun_handle_release(w->sig_timer);
	w->sig_timer = NULL;
	obey_signal(w, SIGINT, 1);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct wk_state *w = arg;
	int first = ++w->sigterms == 1;

	(void)what;
	if (w->sig_timer != NULL) {
		sig_timer_clear(w);	/* a second signal: now */
		obey_signal(w, (int)sig, 0);
		return;
	}
	/*
	 * A SIGINT to a running local worker whose supervisor lives is most
	 * often a Ctrl-C or a batch system reaching every process of the
	 * step, the supervisor too: let the supervisor lead (its SHUTDOWN
	 * arrives within WK_SIGNAL_GRACE), so that the jobs it then cancels
	 * are ones it knows it cancelled, and act alone only if it does not.
	 */
	if (first && sig == SIGINT && w->state == WK_W_RUNNING &&
	    w->opt.parent != 0 && getppid() == w->opt.parent &&
	    corun_call_later(w->loop, WK_SIGNAL_GRACE, grace_over, w,
	    &w->sig_timer) == 0) {
		return;
	}
	w->sig_timer = NULL;
	obey_signal(w, (int)sig, first);
}

static void
default_name(struct wk_state *w, char *buf, size_t len)
{
	const char *node = getenv("SLURMD_NODENAME");
	char host[128];

	if (node != NULL && *node != '\0' && strlen(node) < sizeof(host)) {
		/* A Slurm node: its name, which sinfo and squeue show. */
		snprintf(host, sizeof(host), "%s", node);
	} else if (gethostname(host, sizeof(host)) != 0) {
		snprintf(host, sizeof(host), "localhost");
	}
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, len, "%s:%ld", host, (long)getpid());
	w->opt.name = buf;
}

/*
 * --jobs-fd: the supervisor writes one JOBS frame (or nothing) to this
 * pipe and closes it.  Read to end of file, start the jobs, and give the
 * loop two turns so that they have spawned their processes before the
 * connection is set up (nng's threads and the dial take a millisecond).
 * Their results wait for the session; the rest of the window is granted
 * with HELLO.  A frame that does not decode is a setup error.
 */
#define WK_FIRST_MAX (64u << 10)	/* the supervisor writes 48 KiB at most */

static int
first_jobs(struct wk_state *w)
{
	struct wire_frame f;
	char why[WIRE_WHY_SIZE];
	uint8_t *buf;
	size_t len = 0;
	ssize_t n;
	int rc = 0;

	if ((buf = malloc(WK_FIRST_MAX + 1)) == NULL) {
		wk_log(w, "--jobs-fd: out of memory");
		return -1;
	}
	while (len <= WK_FIRST_MAX && ((n = read(w->opt.jobs_fd, buf + len,
	    WK_FIRST_MAX + 1 - len)) > 0 || (n < 0 && errno == EINTR))) {
		len += n > 0 ? (size_t)n : 0;
	}
	close(w->opt.jobs_fd);
	w->opt.jobs_fd = -1;
	if (len > WK_FIRST_MAX) {
		wk_log(w, "--jobs-fd: more than %u bytes", WK_FIRST_MAX);
		rc = -1;
	} else if (len > 0) {
		if (wire_decode(buf, len, WIRE_MAX_FRAME, &f, why,
		    sizeof(why)) != 0) {
			wk_log(w, "--jobs-fd: %s", why);
			rc = -1;
		} else if (f.hdr.type != WIRE_JOBS ||
		    f.hdr.count > w->window) {
			wk_log(w, "--jobs-fd: not a JOBS frame of at most %u "
			    "jobs", w->window);
			rc = -1;
		} else {
			w->first_jobs = f.hdr.count;
			wk_dispatch_first(w, &f);
			(void)corun_loop_run_once(w->loop, 0);
			(void)corun_loop_run_once(w->loop, 0);
		}
	}
	free(buf);
	return rc;
}

/* Leave with the supervisor (--parent); nonzero if it is gone already. */
static int
watch_parent(struct wk_state *w)
{
	if (w->opt.parent == 0) {
		return 0;
	}
#ifdef __linux__
	/* Leave with the supervisor, then close the race. */
	/* Like SIGINT: cancel the jobs (kill their groups), leave. */
	(void)prctl(PR_SET_PDEATHSIG, SIGINT);
#endif
	if (getppid() != w->opt.parent) {
		/* Its supervisor stopped before it ran: nothing to say. */
		return -1;
	}
	return 0;
}

/* Load the --load plugins, the codec and the loops; 0 or an exit status. */
static int
setup(struct wk_state *w, const char **loads, size_t nloads)
{
	char why[512];
	size_t i;
	int rc;

	wk_kinds_set_chunk(&wk_chunk_kind);
	for (i = 0; i < nloads; i++) {
		if (wk_kinds_load(loads[i], why, sizeof(why)) != 0) {
			wk_log(w, "--load %s: %s", loads[i], why);
			return WK_EXIT_SETUP;
		}
	}
	if ((rc = wire_builder_init(&w->wb, 0, 0, 0)) != 0 ||
	    (rc = corun_loop_new(&w->loop)) != 0) {
		wk_log(w, "setup failed: %s", corun_strerror(rc));
		return WK_EXIT_SETUP;
	}
	if (wk_dispatch_init(w, why, sizeof(why)) != 0) {
		wk_log(w, "setup failed: %s", why);
		return WK_EXIT_SETUP;
	}
	if (w->opt.parent == 0) {
		const char *rendezvous = w->opt.url;

		if (rendezvous == NULL) {
			if (!wk_rejoining()) {			/* --url-file */
				wk_log(w, "%s", w->opt.url_why);
			}
			(void)wk_dispatch_fini(w);
			return WK_EXIT_LOST;
		}
		if (wk_attach(w, why, sizeof(why), &rc) != 0) {
			if (!wk_rejoining() || rc != WK_EXIT_LOST) {
				wk_log(w, "%s", why);
			}
			wk_attach_fini(w);
			(void)wk_dispatch_fini(w);
			return rc;
		}
		wk_log(w, "let in at %s: session %s, %u job slot(s), room "
		    "for %u ahead", rendezvous, w->opt.url, w->capacity,
		    w->window - w->capacity);
	}
	return 0;
}

static int
watch_signals(struct wk_state *w, struct event **sigev)
{
	size_t i;

	sigev[0] = evsignal_new(corun_loop_base(w->loop), SIGTERM, on_signal,
	    w);
	sigev[1] = evsignal_new(corun_loop_base(w->loop), SIGINT, on_signal,
	    w);
	for (i = 0; i < 2; i++) {
		if (sigev[i] == NULL || event_add(sigev[i], NULL) != 0) {
			wk_log(w, "cannot watch signals");
			return -1;
		}
	}
	return 0;
}

/* No supervisor to connect to: stop first jobs, free, exit status. */
static int
no_supervisor(struct wk_state *w, struct event **sigev, const char *why)
{
	size_t i;

	wk_lost_note(w, why);
	if (w->running > 0) {
		/* First jobs run: kill their groups before leaving. */
		wk_session_lost(w, "no supervisor");
		(void)corun_loop_run_forever(w->loop);
	}
	w->leaving = 1;		/* before the loop stops watching signals */
	for (i = 0; i < 2; i++) {
		event_free(sigev[i]);
	}
	wk_conn_close(w);
	(void)wk_dispatch_fini(w);
	wk_lost_report(w);
	return WK_EXIT_LOST;
}

/* Run the session to its end (w->exit_code says how it ended). */
static void
run_session(struct wk_state *w)
{
	if (wk_session_start(w) == 0) {
		(void)corun_loop_run_forever(w->loop);
		return;
	}
	if (w->running > 0) {
		wk_session_lost(w, "cannot start the session");
		(void)corun_loop_run_forever(w->loop);
	}
	if (w->exit_code == 0) {
		w->exit_code = WK_EXIT_LOST;
	}
}

/* After the session: free what remains, unless jobs are stuck. */
static int
teardown(struct wk_state *w, struct event **sigev)
{
	size_t i;

	w->leaving = 1;		/* before the loop stops watching signals */
	for (i = 0; i < 2; i++) {
		event_free(sigev[i]);
	}
	sig_timer_clear(w);
	wk_conn_leave(w);
	if (wk_dispatch_fini(w)) {
		/* Jobs stuck in blocking code keep their threads: skip the
		 * teardown and leave at once. */
		fflush(NULL);
		_exit(w->exit_code);
	}
	wk_session_fini(w);
	wk_attach_fini(w);
	corun_loop_free(w->loop);
	return w->exit_code;
}

int
main(int argc, char **argv)
{
	static struct wk_state wk;
	struct wk_state *w = &wk;
	struct event *sigev[2] = { NULL, NULL };
	char why[512], name[200];
	const char **loads;
	size_t nloads = 0;
	int rc;

	wk_session_init(w);
	w->opt.threads = 1;
	w->opt.concurrency = 1;
	w->opt.silence = 3;
	if ((loads = calloc((size_t)argc + 1, sizeof(*loads))) == NULL) {
		perror("corun-worker");
		return WK_EXIT_SETUP;
	}
	w->opt.wait = 10;
	w->opt.jobs_fd = -1;
	wk_options_parse(argc, argv, &w->opt, loads, &nloads);
	if (w->opt.procs > 1) {
		/* P processes, each attached on its own. */
		free(loads);
		return wk_procs_run(argc, argv, w->opt.procs);
	}
	if (w->opt.name == NULL) {
		default_name(w, name, sizeof(name));
	}
	w->capacity = w->opt.threads * w->opt.concurrency;
	w->window = w->capacity + w->opt.prefetch;
	signal(SIGPIPE, SIG_IGN);
#ifdef CR_NNG_THREADS
	/* One connection: two task threads and one timeout thread will do. */
	cr_nng_cpus = 1;
#endif
	catch_outside_loop(w);
	if (watch_parent(w) != 0) {
		free(loads);
		return WK_EXIT_LOST;
	}
	rc = setup(w, loads, nloads);
	free(loads);
	if (rc == WK_EXIT_LOST) {
		wk_rejoin(w, argv);	/* no supervisor (yet) */
	}
	if (rc != 0) {
		return rc;
	}
	if (watch_signals(w, sigev) != 0) {
		return WK_EXIT_SETUP;
	}
	if (w->opt.jobs_fd >= 0 && first_jobs(w) != 0) {
		return WK_EXIT_SETUP;
	}
	if (wk_conn_open(w, why, sizeof(why)) != 0) {
		rc = no_supervisor(w, sigev, why);
		wk_rejoin(w, argv);	/* returns if it does not */
		return rc;
	}
	wk_rejoin_attached();
	run_session(w);
	wk_lost_report(w);
	rc = teardown(w, sigev);
	if (rc == WK_EXIT_LOST) {
		wk_rejoin(w, argv);
	}
	return rc;
}
