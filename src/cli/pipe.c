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

#define TWO_GB 2147483647.0

/* Blocks read and not yet given to a job. */
struct pqueue {
	struct cli_pblock *b;
	size_t head, n, cap;
};

/* --pipe: stdin in parallel's rounds; --pipepart: the split points. */
struct psrc {
	struct cli_split split;
	int fd, eof, done;
	char *buf;
	size_t cap, rs, len, want;
	double bs;
	struct cli_header hspec;
	int has_hdr;
	int hdr_done;
	struct cm_buf hdr;
	off_t *pos;
	size_t npos, ipos;
	struct pqueue q;
};

static int
q_push(struct pqueue *q, const struct cli_pblock *b)
{
	if (q->head > 0 && q->head == q->n) {
		q->head = q->n = 0;
	}
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 16;
		struct cli_pblock *nb = realloc(q->b, nc * sizeof(*nb));

		if (nb == NULL) {
			return -1;
		}
		q->b = nb;
		q->cap = nc;
	}
	q->b[q->n++] = *b;
	return 0;
}

static int
q_empty(const struct pqueue *q)
{
	return q->head == q->n;
}

/* Room for len + want + 1 bytes. */
static int
src_room(struct psrc *s)
{
	size_t need = s->len + s->want + 1;
	char *nb;

	if (need <= s->cap) {
		return 0;
	}
	if ((nb = realloc(s->buf, need)) == NULL) {
		return -1;
	}
	s->buf = nb;
	s->cap = need;
	return 0;
}

/* A new round: what is left moves to the front, read up to a block. */
static int
src_round(struct psrc *s)
{
	size_t bs = (size_t)s->bs;

	if (s->rs > 0) {
		memmove(s->buf, s->buf + s->rs, s->len - s->rs);
		s->len -= s->rs;
		s->rs = 0;
	}
	s->want = bs - s->len % bs;
	return src_room(s);
}

/* Take buf[rs..rs+end) as a block. */
static int
src_take(struct psrc *s, size_t end)
{
	struct cli_pblock b = { 0 };

	if (s->rs == 0 && s->split.records == 0) {
		/* the whole buffer's front: hand it over, copy the rest */
		char *nb = malloc(s->cap);

		if (nb == NULL) {
			return -1;
		}
		memcpy(nb, s->buf + end, s->len - end);
		b.p = s->buf;
		b.len = end;
		s->buf = nb;
		s->len -= end;
		return q_push(&s->q, &b);
	}
	if ((b.p = malloc(end ? end : 1)) == NULL) {
		return -1;
	}
	memcpy(b.p, s->buf + s->rs, end);
	b.len = end;
	s->rs += end;
	return q_push(&s->q, &b);
}

/* The end of a round: parallel's pass(), then the rest at eof. */
static int
src_pass(struct psrc *s)
{
	int any = 0;
	size_t end;

	while ((end = cli_split_pass(&s->split, s->buf + s->rs,
	    s->len - s->rs, s->eof)) > 0) {
		if (src_take(s, end) != 0) {
			return -1;
		}
		any = 1;
		if (s->split.records == 0) {
			break;
		}
	}
	if (s->eof) {
		s->done = 1;
		return s->len > s->rs ? src_take(s, s->len - s->rs) : 0;
	}
	if (!any && s->bs < TWO_GB) {
		double old = s->bs;

		s->bs = fmin(ceil(s->bs * 1.3 + 1), TWO_GB);
		cli_warn("A record was longer than %.0f. Increasing to "
		    "--blocksize %.0f.", old, s->bs);
	}
	return src_round(s);
}

/* The header lines, before the first round. */
static int
src_header(struct cli_prun *r, struct psrc *s)
{
	int complete;
	size_t h = cli_header_len(&s->hspec, s->buf, s->len, &complete);

	if (!complete && !s->eof) {
		s->want = (size_t)s->bs;
		return src_room(s);
	}
	s->hdr_done = 1;
	cm_buf_add(&s->hdr, s->buf, h);
	r->hdr = s->hdr.p;
	r->hlen = h;
	s->rs = h;
	return s->eof ? src_pass(s) : src_round(s);
}

/* stdin is readable: one read, and the end of a round if it is one. */
static int
src_read(struct cli_prun *r, struct psrc *s)
{
	ssize_t n = read(s->fd, s->buf + s->len, s->want);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			return 0;
		}
		cli_warn("--pipe: reading stdin: %s", strerror(errno));
		s->eof = 1;
		n = 0;
	}
	if (n == 0) {
		s->eof = 1;
	}
	s->len += (size_t)n;
	s->want -= (size_t)n;
	if (!s->hdr_done) {
		return src_header(r, s);
	}
	return s->want == 0 || s->eof ? src_pass(s) : 0;
}

/* --pipepart: the next part of the file, queued. */
static void
src_part(struct psrc *s)
{
	struct cli_pblock b = { 0 };

	if (s->ipos + 1 >= s->npos) {
		s->done = 1;
		return;
	}
	b.foff = s->pos[s->ipos];
	b.flen = s->pos[s->ipos + 1] - b.foff;
	s->ipos++;
	(void)q_push(&s->q, &b);
}

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
dispatch(struct cli_prun *r, struct psrc *s)
{
	struct cli_pjob *j;
	int start = 1;

	while (!q_empty(&s->q)) {
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
build_poll(struct cli_prun *r, struct psrc *s, struct pollfd *pf,
    struct pwatch *pw, int *fifo)
{
	size_t n = 0;
	unsigned k;

	*fifo = 0;
	if (s->fd >= 0 && !s->done && q_empty(&s->q)) {
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
loop(struct cli_prun *r, struct psrc *s)
{
	size_t cap = 1 + 4 * (size_t)r->jobs, n, k;
	struct pollfd *pf = calloc(cap, sizeof(*pf));
	struct pwatch *pw = calloc(cap, sizeof(*pw));
	int fifo, rc = 0;

	while (rc == 0 && pf != NULL && pw != NULL) {
		do {
			if (s->fd < 0 && q_empty(&s->q) && !s->done) {
				src_part(s);
			}
			if ((rc = dispatch(r, s)) != 0) {
				break;
			}
		} while (s->fd < 0 && q_empty(&s->q) && !s->done);
		if (rc != 0) {
			break;
		}
		if (s->done && q_empty(&s->q) && !running(r)) {
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
				rc = src_read(r, s);
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

/* ---- setup ----------------------------------------------------------- */

/* --pipepart -a FILE: its header and split points. */
static int
src_open_part(struct cli_prun *r, struct psrc *s, struct cli_err *e)
{
	const struct cli_run_opts *o = r->o;
	const char *path = o->groups[0].path;
	struct stat st;
	int complete;
	size_t h = 0;

	if ((r->ffd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return cli_errf(e, CORUN_EINVAL, "--pipepart: %s: %s", path,
		    strerror(errno));
	}
	if (fstat(r->ffd, &st) != 0 || !S_ISREG(st.st_mode)) {
		return cli_errf(e, CORUN_EINVAL, "--pipepart only works on "
		    "seekable files, not streams/pipes: %s is not a seekable "
		    "file", path);
	}
	if (s->bs < 0) {
		/* -N per job slot: the file in jobs * N parts */
		s->bs = 1 + floor((double)st.st_size / r->jobs / -s->bs);
	}
	if (s->has_hdr) {
		char *b = malloc((1 << 20) + 1);
		ssize_t n = b ? pread(r->ffd, b, 1 << 20, 0) : -1;

		h = n > 0 ? cli_header_len(&s->hspec, b, (size_t)n,
		    &complete) : 0;
		cm_buf_add(&s->hdr, b, h);
		free(b);
		r->hdr = s->hdr.p;
		r->hlen = h;
	}
	s->fd = -1;
	return cli_pipepart_positions(r->ffd, st.st_size, (off_t)h,
	    (off_t)s->bs, &s->split, &s->pos, &s->npos, e);
}

static int
src_open(struct cli_prun *r, struct psrc *s, struct cli_err *e)
{
	const struct cli_run_opts *o = r->o;
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = 0;
	if (o->pipepart && (o->ngroups != 1 || !o->groups[0].is_file ||
	    strcmp(o->groups[0].path, "-") == 0)) {
		return cli_errf(e, CORUN_EINVAL, "--pipepart needs one "
		    "seekable file: -a FILE");
	}
	if (o->pipe && !o->pipepart && o->ngroups > 0) {
		return cli_errf(e, CORUN_EINVAL, "--pipe reads stdin: it "
		    "takes no :::, :::: or -a input");
	}
	if (o->ncmd == 0) {
		return cli_errf(e, CORUN_EINVAL, "--pipe needs a command");
	}
	if (o->regexp && o->pipe_records > 0) {
		return cli_errf(e, CORUN_EINVAL, "-N with --regexp is not "
		    "supported");
	}
	if ((rc = cli_split_init(&s->split, o, e)) != 0) {
		return rc;
	}
	s->bs = o->pipepart && !o->block ? -10 : 1048576;
	if (o->pipepart && o->round_robin && !o->block) {
		s->bs = -1;
	}
	if (o->block != NULL && (cli_parse_size(o->block, &s->bs) != 0 ||
	    s->bs == 0 || (!o->pipepart && s->bs < 1))) {
		return cli_errf(e, CORUN_EINVAL, "--block: \"%s\" is not a "
		    "size (e.g. 1M, 500k, 10M)", o->block);
	}
	s->bs = floor(s->bs);
	if (!o->pipepart && s->bs > TWO_GB) {
		cli_warn("--blocksize >= 2G causes problems. Using 2G-1.");
		s->bs = TWO_GB;
	}
	if (o->header != NULL) {
		if ((rc = cli_header_spec(o->header, &s->hspec, e)) != 0) {
			return rc;
		}
		s->has_hdr = 1;
	}
	s->hdr_done = !s->has_hdr;
	if (o->pipepart) {
		return src_open_part(r, s, e);
	}
	s->want = s->hdr_done ? (size_t)s->bs : (size_t)s->bs;
	return src_room(s) ? cli_errf(e, CORUN_ENOMEM, "out of memory") : 0;
}

static void
src_close(struct psrc *s)
{
	size_t k;

	for (k = s->q.head; k < s->q.n; k++) {
		free(s->q.b[k].p);
	}
	free(s->q.b);
	free(s->buf);
	free(s->pos);
	cm_buf_free(&s->hdr);
	cli_header_free(&s->hspec);
	cli_split_free(&s->split);
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
	struct psrc s;
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
	    src_open(&r, &s, &e) != 0) {
		cli_warn("%s", r.job ? e.msg : "out of memory");
		src_close(&s);
		free(r.job);
		return CLI_EXIT_ERROR;
	}
	if (o->joblog != NULL && cli_pipe_joblog_open(&r) != 0) {
		rc = CLI_EXIT_ERROR;
	} else {
		rc = loop(&r, &s) == 0 ? 0 : CLI_EXIT_ERROR;
	}
	cli_pipe_finish(&r);
	src_close(&s);
	if (r.ffd >= 0) {
		close(r.ffd);
	}
	if (rc == 0) {
		r.tally.at_eof = 1;
		rc = cli_exit_status(&o->halt, &r.tally, 0, 0);
	}
	return rc;
}
