/* SPDX-License-Identifier: MIT */
/*
 * pipe.c - `corun run --pipe` and `--pipepart`: the sources of blocks
 * (stdin read in parallel's rounds, or a seekable file's split points)
 * and the one poll(2) loop that starts a job per block (-j at a time;
 * --round-robin: -j jobs that take block after block), feeds their
 * stdin, gathers their output and prints each job as it ends (-k: in
 * input order).  Memory stays flat: at most one block per job slot and
 * one being read, whatever the input's size.  See pipe.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipe-internal.h"

/* ---- the loop -------------------------------------------------------- */

struct pwatch {
	struct cli_pjob *j;
	int what;		/* 0 stdin of the job, 1 out, 2 err, 3 exit */
};

static struct cli_pjob *
free_slot(struct cli_prun *r)
{
	unsigned k;

	for (k = 0; k < r->jobs; k++) {
		if (!r->job[k].used) {
			return &r->job[k];
		}
	}
	return NULL;
}

/*
 * --round-robin: the next slot in turn that takes a block now (a hungry
 * job, or a slot not started yet), *start set for the latter.
 */
static struct cli_pjob *
robin_job(struct cli_prun *r, int *start)
{
	unsigned k;

	for (k = 0; k < r->jobs; k++) {
		struct cli_pjob *j = &r->job[(r->rr_next + k) % r->jobs];

		if ((j->used && j->hungry && j->in >= 0) || !j->used) {
			r->rr_next = (r->rr_next + k + 1) % r->jobs;
			*start = !j->used;
			return j;
		}
	}
	return NULL;
}

static struct cli_pjob *
hungry_job(struct cli_prun *r)
{
	unsigned k;

	for (k = 0; k < r->jobs; k++) {
		if (r->job[k].used && r->job[k].hungry && r->job[k].in >= 0) {
			return &r->job[k];
		}
	}
	return NULL;
}

/* Give queued blocks to jobs: 0, or -1 when a job cannot start. */
static int
dispatch(struct cli_prun *r, struct cli_psrc *s)
{
	struct cli_pjob *j;
	int start = 1;

	while (!cli_pqueue_empty(&s->q)) {
		struct cli_pblock *b = &s->q.b[s->q.head];

		if (r->o->round_robin) {
			j = robin_job(r, &start);
		} else {
			j = free_slot(r);
		}
		if (j != NULL && !start) {
			cli_pjob_feed(j, b);
		} else if (j != NULL &&
		    r->started - r->printed < 64 + 4 * (uint64_t)r->jobs) {
			if (cli_pjob_start(r, j, b, ++r->started) != 0) {
				cli_pjob_free(j);
				return -1;
			}
		} else {
			return 0;
		}
		s->q.head++;
		cli_pjob_write(r, j);
	}
	if (s->done && r->o->round_robin) {
		while ((j = hungry_job(r)) != NULL) {
			close(j->in);
			j->in = -1;
			j->hungry = 0;
		}
	}
	return 0;
}

static void
watch(struct pollfd *pf, struct pwatch *pw, size_t *n, int fd, short ev,
    struct cli_pjob *j, int what)
{
	pf[*n].fd = fd;
	pf[*n].events = ev;
	pf[*n].revents = 0;
	pw[*n].j = j;
	pw[*n].what = what;
	(*n)++;
}

/* The descriptors to wait on; *fifo set when a --fifo awaits its reader. */
static size_t
build_poll(struct cli_prun *r, struct cli_psrc *s, struct pollfd *pf,
    struct pwatch *pw, int *fifo)
{
	size_t n = 0;
	unsigned k;

	*fifo = 0;
	if (s->fd >= 0 && !s->done && cli_pqueue_empty(&s->q)) {
		watch(pf, pw, &n, s->fd, POLLIN, NULL, 0);
	}
	for (k = 0; k < r->jobs; k++) {
		struct cli_pjob *j = &r->job[k];

		if (!j->used) {
			continue;
		}
		if (j->fifo_wait) {
			*fifo = 1;
		}
		if (j->in >= 0 && !j->hungry) {
			watch(pf, pw, &n, j->in, POLLOUT, j, 0);
		}
		if (j->out >= 0) {
			watch(pf, pw, &n, j->out, POLLIN, j, 1);
		}
		if (j->err >= 0) {
			watch(pf, pw, &n, j->err, POLLIN, j, 2);
		}
		if (j->pidfd >= 0) {
			watch(pf, pw, &n, j->pidfd, POLLIN, j, 3);
		}
	}
	return n;
}

static int
running(const struct cli_prun *r)
{
	unsigned k;

	for (k = 0; k < r->jobs; k++) {
		if (r->job[k].used) {
			return 1;
		}
	}
	return 0;
}

/* After poll: jobs whose child ended without a pidfd, and the ends. */
static void
sweep(struct cli_prun *r)
{
	unsigned k;

	for (k = 0; k < r->jobs; k++) {
		struct cli_pjob *j = &r->job[k];

		if (!j->used) {
			continue;
		}
		if (j->fifo_wait) {
			cli_pjob_fifo_open(j);
			cli_pjob_write(r, j);
		}
		if (j->pidfd < 0 && !j->exited && j->out < 0 && j->err < 0 &&
		    j->in < 0) {
			cli_pjob_reap(j, 1);
		}
		if (j->fifo_wait && j->exited) {
			j->fifo_wait = 0;
		}
		if (cli_pjob_finished(j)) {
			cli_pjob_end(r, j);
		}
	}
}

static int
loop(struct cli_prun *r, struct cli_psrc *s)
{
	size_t cap = 1 + 4 * (size_t)r->jobs, n, k;
	struct pollfd *pf = calloc(cap, sizeof(*pf));
	struct pwatch *pw = calloc(cap, sizeof(*pw));
	int fifo, rc = 0;

	while (rc == 0 && pf != NULL && pw != NULL) {
		do {
			if (s->fd < 0 && cli_pqueue_empty(&s->q) && !s->done) {
				cli_psrc_part(s);
			}
			if ((rc = dispatch(r, s)) != 0) {
				break;
			}
		} while (s->fd < 0 && cli_pqueue_empty(&s->q) && !s->done);
		if (rc != 0) {
			break;
		}
		if (s->done && cli_pqueue_empty(&s->q) && !running(r)) {
			break;
		}
		n = build_poll(r, s, pf, pw, &fifo);
		if (poll(pf, n, fifo ? 5 : -1) < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (k = 0; k < n && rc == 0; k++) {
			struct cli_pjob *j = pw[k].j;

			if (pf[k].revents == 0) {
				continue;
			}
			if (j == NULL) {
				rc = cli_psrc_read(r, s);
			} else if (pw[k].what == 0) {
				cli_pjob_write(r, j);
			} else if (pw[k].what == 3) {
				cli_pjob_reap(j, 0);
			} else {
				cli_pjob_read(j, pw[k].what);
			}
		}
		sweep(r);
	}
	free(pf);
	free(pw);
	return rc;
}

static unsigned
default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

int
cli_pipe_run(const struct cli_run_opts *o)
{
	struct cli_prun r;
	struct cli_psrc s;
	struct cli_err e;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	r.o = o;
	r.ffd = -1;
	r.jobs = o->jobs ? o->jobs : default_jobs();
	r.tally.last_fail_exit = -1;
	signal(SIGPIPE, SIG_IGN);
	if ((r.job = calloc(r.jobs, sizeof(*r.job))) == NULL ||
	    cli_psrc_open(&r, &s, &e) != 0) {
		cli_warn("%s", r.job ? e.msg : "out of memory");
		cli_psrc_close(&s);
		free(r.job);
		return CLI_EXIT_ERROR;
	}
	if (o->joblog != NULL && cli_pipe_joblog_open(&r) != 0) {
		rc = CLI_EXIT_ERROR;
	} else {
		rc = loop(&r, &s) == 0 ? 0 : CLI_EXIT_ERROR;
	}
	cli_pipe_finish(&r);
	cli_psrc_close(&s);
	if (r.ffd >= 0) {
		close(r.ffd);
	}
	if (rc == 0) {
		r.tally.at_eof = 1;
		rc = cli_exit_status(&o->halt, &r.tally, 0, 0);
	}
	return rc;
}
