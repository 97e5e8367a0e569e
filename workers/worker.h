/* SPDX-License-Identifier: MIT */
/*
 * worker.h - corun-worker internals shared by its files.
 *
 * One process: a main I/O loop (the connection, the session, results
 * batching, timers and signals) and, when T > 1, T job threads each
 * running its own loop.  With T == 1 jobs run on the main loop.
 *
 *   main.c      setup, signals, teardown (on top: calls the rest)
 *   options.c   the command line
 *   attach.c    a remote worker's rendezvous; procs.c: --procs P
 *   session.c   the protocol: handshake, frames, heartbeats, liveness,
 *               shutdown and exit; session-send.c: HELLO, BYE
 *   dispatch.c  slots, the job table, held jobs, starting, cancellation
 *   threads.c   the job threads and their loop-lag probes
 *   flush.c     coalescing finished jobs per loop iteration
 *   results.c   RESULTS frames and the credit they carry
 *   job.c       a held job's lifetime
 *   conn.c      the PAIR1 connection driven from the main loop: a local
 *               worker's ipc:// socket read and written there
 *               (lib/spipc.c), a remote one's nng socket (RECVFD,
 *               SENDFD, non-blocking sends with an outgoing queue)
 *   log.c       log messages
 *   kind-chunk.c  the chunk kind (registered in the kinds' registry)
 *
 * Calls go one way, down this list; conn.c and dispatch.c report upward
 * through the callbacks session.c installs (struct wk_conn_ops,
 * struct wk_dispatch_ops).
 *
 * Everything in struct wk_state is touched on the main loop's thread
 * only, except where a field says otherwise.
 */
#ifndef WK_WORKER_H
#define WK_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nng/nng.h>

#include <corun/future.h>
#include <corun/loop.h>

#include "wire/wire.h"

/* Exit statuses (mirrored in --help and corun-worker(8)). */
#define WK_EXIT_OK	0	/* shut down as asked */
#define WK_EXIT_SETUP	1	/* --load failed, refused */
#define WK_EXIT_PROTO	2	/* the supervisor broke the protocol */
#define WK_EXIT_LOST	3	/* supervisor unreachable or gone */
#define WK_EXIT_USAGE	255	/* bad option or argument (as corun's) */

#define WK_WORKER_MAX_THREADS	256
#define WK_WORKER_MAX_CONC	1000000	/* corun -j's promise, in one loop */
#define WK_WORKER_MAX_PREFETCH	65536
/* A remote worker's --prefetch unless given (options.c). */
#define WK_REMOTE_PREFETCH	1
#define WK_WORKER_MAX_CAPACITY	(1u << 20)

/* Seconds to wait for WELCOME after HELLO. */
#define WK_HANDSHAKE_TIMEOUT	10.0
/* Seconds to wait for BYE to leave before closing the socket anyway. */
#define WK_LINGER		1.0
/* Seconds a local worker's SIGINT waits for its supervisor to lead. */
#define WK_SIGNAL_GRACE		0.25
/* Seconds cancelled jobs get to report (shell jobs: TERM, grace, KILL). */
#define WK_CANCEL_WAIT		3.0

struct wk_job;
struct wk_jthread;
struct wk_state;

/*
 * What the connection reports, on the main loop's thread.  frame: one
 * message received (buf is valid during the call).  flushed: every
 * queued frame has left, after wk_conn_wait_flushed().  lost: the pipe
 * is gone or a send or receive failed (why: for the log).
 */
struct wk_conn_ops {
	void	(*frame)(struct wk_state *w, const uint8_t *buf, size_t len);
	void	(*flushed)(struct wk_state *w);
	void	(*lost)(struct wk_state *w, const char *why);
};

/*
 * What dispatching reports, on the main loop's thread.  idle: no job runs
 * and no flush is pending (called again and again; the session decides
 * what it means).  fatal: dispatching cannot go on (code, why: for BYE).
 */
struct wk_dispatch_ops {
	void	(*idle)(struct wk_state *w);
	void	(*fatal)(struct wk_state *w, int code, const char *why);
};

struct wk_worker_opts {
	const char	*url;
	unsigned	 threads;	/* T */
	unsigned	 concurrency;	/* C */
	unsigned	 prefetch;	/* jobs held beyond the slots */
	unsigned	 silence;	/* heartbeats missed before leaving */
	int		 offload;
	uint32_t	 id;		/* --id, for logs until WELCOME */
	const char	*name;
	pid_t		 parent;	/* --parent, 0 = none */
	int		 jobs_fd;	/* --jobs-fd, -1 = none */
	/* A remote worker (no --parent): attach.c */
	unsigned	 procs;		/* processes to run (--procs) */
	const char	*token;		/* --token, or read from --token-file */
	const char	*tls_cert, *tls_key, *tls_ca;
	int		 insecure;
	double		 wait;		/* keep trying to connect this long */
	const char	*url_file;	/* --url-file: url and token from it */
	const char	*url_why;	/* url NULL: why (the file is missing) */
	double		 rejoin;	/* --rejoin: seconds to try after a loss */
};

enum wk_wstate {
	WK_W_HELLO,		/* HELLO sent, waiting for WELCOME */
	WK_W_RUNNING,		/* taking jobs */
	WK_W_DRAINING,		/* no new jobs; waiting for running ones
				   (and, with drain, the held ones) */
	WK_W_ABORTING,		/* jobs cancelled, results dropped */
	WK_W_LINGER,		/* BYE handed to nng; waiting for it to leave */
	WK_W_DONE		/* main loop stopping */
};

struct wk_state {
	struct wk_worker_opts opt;
	corun_loop	*loop;		/* the main I/O loop */
	int		 exit_code;
	uint32_t	 capacity;	/* T * C: slots */
	uint32_t	 window;	/* slots + prefetch: credit granted */
	/* Installed by wk_session_init() before anything runs. */
	const struct wk_conn_ops *conn_ops;
	const struct wk_dispatch_ops *dispatch_ops;

	/* attach.c: the session a remote worker was given */
	void		*tls;		/* nng_tls_config * for dialing, or NULL */
	char		 session_url[300];
	char		 session_key[64];

	/* conn.c */
	nng_socket	 sock;		/* a remote worker's session */
	int		 sock_open;	/* sock or ipc is open */
	struct cr_spipc	*ipc;		/* a local worker's: lib/spipc.c */
	struct event	*rx_ev;
	struct event	*tx_ev;
	int		 tx_armed;
	int		 tx_inflight;	/* a message may still be in the pipe */
	nng_msg		**outq;		/* ring of frames waiting for SENDFD */
	size_t		 out_head, out_len, out_cap;
	int		 lost;		/* pipe gone: nothing more to send */

	/* session.c */
	enum wk_wstate	 state;
	struct wire_builder wb;	/* single frames and RESULTS */
	uint32_t	 worker_id;
	uint32_t	 heartbeat_ms;
	uint64_t	 last_rx_ns;
	uint64_t	 hb_seq;
	uint32_t	 granted;	/* credit the supervisor still holds */
	uint32_t	 first_jobs;	/* jobs read from --jobs-fd */
	corun_handle	*hb_timer;
	corun_handle	*watch_timer;
	corun_handle	*stop_timer;	/* drain deadline / cancel wait */
	corun_handle	*linger_timer;
	int		 drain;		/* DRAINING runs the held jobs too */
	int		 bye_code;
	char		 bye_reason[256];
	int		 sigterms;
	int		 handback;	/* handback.c: results go back unrun */
	int		 term_hold;	/* flush_timer holds a signalled result */
	char		 lost_why[320];	/* lost.c: told at the end, or not */

	/* main.c */
	corun_handle	*sig_timer;	/* SIGINT waits for the supervisor */
	/* TERM and INT outside the loop (main.c, set in its handler): */
	volatile sig_atomic_t leaving;	/* session over: note them, no more */
	volatile sig_atomic_t late_signal; /* one came then (no rejoin) */

	/* dispatch.c */
	struct wk_jthread *threads;
	unsigned	 nthreads;
	struct wk_job	**table;	/* id -> jobs held, chained */
	size_t		 table_mask;
	size_t		 running;	/* started, outcome not back yet */
	struct wk_job	*pend_head, *pend_tail;	/* prefetched, not started */
	size_t		 npending;
	struct wk_job	*done_head, *done_tail;
	size_t		 done_count;
	struct wk_outchunk *outp_head, *outp_tail; /* streamed output */
	int		 flush_scheduled;
	corun_handle	*flush_timer;	/* a delayed flush (see dispatch.c) */
};

/*
 * options.c: parse argv into o, the --load files into loads (room for
 * argc).  --help prints and exits 0; a bad command line prints the usage
 * and exits WK_EXIT_SETUP.
 */
void	wk_options_parse(int argc, char **argv, struct wk_worker_opts *o,
	    const char **loads, size_t *nloads);

/* kind-chunk.c: the internal kind of corun_pool_map_chunked(). */
extern const struct corun_job_kind wk_chunk_kind;

/* log.c: a warning, "worker N: " first once w has an id */
void	wk_log(struct wk_state *w, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A line at a level of src/lib/cr-log.h (CR_LOG_ERROR .. CR_LOG_DEBUG). */
void	wk_logl(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* attach.c */
/* Present HELLO at the rendezvous; on success w->opt.url is the session. */
int	wk_attach(struct wk_state *w, char *why, size_t whylen, int *exit_code);
/* Check the remote options; nonzero (why set) if they do not fit. */
int	wk_attach_check(const struct wk_worker_opts *o, char *why,
	    size_t whylen);
void	wk_attach_fini(struct wk_state *w);
/* procs.c: run P copies of this worker (argv + --procs 1); exit status. */
int	wk_procs_run(int argc, char **argv, unsigned procs);

/* conn.c: reports through w->conn_ops. */
int	wk_conn_open(struct wk_state *w, char *why, size_t whylen);
int	wk_conn_send(struct wk_state *w, const uint8_t *frame, size_t len);
/* Call w->conn_ops->flushed once every queued frame has left. */
void	wk_conn_wait_flushed(struct wk_state *w);
void	wk_conn_stop_rx(struct wk_state *w);
void	wk_conn_close(struct wk_state *w);
/*
 * The same, leaving an nng socket to the process exit: every frame was
 * handed to the kernel before the session ended (sends go out from the
 * sending thread; BYE waited for SENDFD), and nng_close would first wait
 * on nng's threads, a millisecond or more of each run's end.  A local
 * worker's ipc:// socket is closed (what the kernel holds still goes).
 */
void	wk_conn_leave(struct wk_state *w);

/* session-send.c */
/* The HELLO this worker sends, presenting token (NULL or "" = none). */
void	wk_session_hello(const struct wk_state *w, const char *token,
	    struct wire_hello *h);
/*
 * Send one frame; rc is its encoder's return (encode first, then call:
 * argument order), logged when not 0.  0, or why it was not sent.
 */
int	wk_session_send(struct wk_state *w, int rc, const uint8_t *frame,
	    size_t len);
/* Send BYE with w->bye_code and w->bye_reason. */
void	wk_session_send_bye(struct wk_state *w);

/* session.c */
/* Install the session's callbacks into w (before the loop runs). */
void	wk_session_init(struct wk_state *w);
/* Install the session's callbacks into w (before the loop runs). */
void	wk_session_init(struct wk_state *w);
int	wk_session_start(struct wk_state *w);
void	wk_session_frame(struct wk_state *w, const uint8_t *buf, size_t len);
void	wk_session_lost(struct wk_state *w, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	wk_session_fatal(struct wk_state *w, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	wk_session_shutdown(struct wk_state *w, int graceful,
	    uint32_t deadline_ms, const char *why);
void	wk_session_idle(struct wk_state *w);

/*
 * handback.c, on the main loop.  Once w->handback is set (SIGTERM to a
 * remote worker, main.c: its running jobs are cancelled, the held ones
 * refused), every result goes back as CORUN_ECLOSED (wk_handback_result
 * rewrites r), so the supervisor re-leases it without counting an
 * attempt.
 * wk_handback_hold: nonzero if j's result should wait WK_TERM_HOLD s
 * before it is sent (killed by SIGTERM or SIGKILL, not by us, in a remote
 * worker: the same signal to the worker may be on its way).
 */
#define WK_TERM_HOLD	0.2
struct wk_job;
struct wire_result;

/*
 * rejoin.c.  wk_url_file_load: the URL and token from o->url_file; 0,
 * 1 if the file does not exist (why set), -1 if it is bad (why set).
 * wk_rejoin_wait: on a rejoin, dial for at most a second at a time.
 * wk_rejoin_attached: a session began, the next loss gets a fresh grace.
 * wk_rejoin: the supervisor is gone; with --rejoin and time left, start
 * again (exec: returns only if it cannot); else return.
 */
int	wk_url_file_load(struct wk_worker_opts *o, char *why, size_t whylen);
void	wk_rejoin_wait(struct wk_worker_opts *o);
void	wk_rejoin_attached(void);
int	wk_rejoining(void);	/* this process is a rejoin attempt */
void	wk_rejoin(struct wk_state *w, char **argv);
int	wk_handback_hold(const struct wk_state *w, const struct wk_job *j);
void	wk_handback_result(const struct wk_state *w, struct wire_result *r);
void	wk_session_flushed(struct wk_state *w);
void	wk_session_fini(struct wk_state *w);

/*
 * lost.c: the supervisor gone.  wk_lost_expected: nonzero when that is
 * the end of an order (told to stop, or the local supervisor process has
 * ended) and says nothing.  wk_lost_note: keep msg (a remote worker: log
 * it now).  wk_lost_report: as the worker leaves, log what was kept if
 * the parent process is still there after a short wait (0.5 s at most).
 */
int	wk_lost_expected(const struct wk_state *w);
void	wk_lost_note(struct wk_state *w, const char *msg);
void	wk_lost_report(struct wk_state *w);

/* threads.c: start the job threads. */
int	wk_dispatch_init(struct wk_state *w, char *why, size_t whylen);
/* Stop and join the job threads; nonzero if jobs were abandoned. */
int	wk_dispatch_fini(struct wk_state *w);
/* Highest loop lag (ns) seen by any job loop since the last call. */
uint64_t wk_dispatch_take_lag(struct wk_state *w);

/* dispatch.c: reports through w->dispatch_ops. */
/* Start the jobs of a decoded JOBS frame (credit already checked). */
void	wk_dispatch_jobs(struct wk_state *w, struct wire_frame *f);
/* The --jobs-fd frame, taken before the session starts (main.c). */
void	wk_dispatch_first(struct wk_state *w, struct wire_frame *f);
void	wk_dispatch_cancel(struct wk_state *w, uint64_t id);
void	wk_dispatch_cancel_all(struct wk_state *w);
/* Send prefetched jobs back unstarted (CORUN_ECLOSED: re-lease them). */
void	wk_dispatch_refuse_pending(struct wk_state *w);
/* flush.c */
/* Send what results are in at the end of this loop iteration. */
void	wk_dispatch_schedule_flush(struct wk_state *w);

/* results.c */
/* Encode and send every finished result now. */
void	wk_dispatch_flush(struct wk_state *w);
/* Forget finished results and streamed output without sending them. */
void	wk_dispatch_drop_results(struct wk_state *w);
#endif /* WK_WORKER_H */
