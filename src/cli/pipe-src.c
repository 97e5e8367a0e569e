/* SPDX-License-Identifier: MIT */
/*
 * pipe-src.c - the sources of blocks of `corun run --pipe/--pipepart`:
 * standard input read in GNU parallel's rounds (fill to a multiple of
 * --block, cut at the last record boundary, the header first), or a
 * seekable file's split points; and the queue of blocks read and not
 * yet given to a job.  See pipe-internal.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipe-internal.h"

#define TWO_GB 2147483647.0

static int
q_push(struct cli_pqueue *q, const struct cli_pblock *b)
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

int
cli_pqueue_empty(const struct cli_pqueue *q)
{
	return q->head == q->n;
}

/* Room for len + want + 1 bytes. */
static int
src_room(struct cli_psrc *s)
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
src_round(struct cli_psrc *s)
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
src_take(struct cli_psrc *s, size_t end)
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
src_pass(struct cli_psrc *s)
{
	int any = 0;
	size_t end;

	if (!s->garbage_done) {
		/* -N --regexp: what comes before the first --recstart */
		s->garbage_done = 1;
		if ((end = cli_split_garbage(&s->split, s->buf + s->rs,
		    s->len - s->rs)) > 0) {
			if (src_take(s, end) != 0) {
				return -1;
			}
			any = 1;
		}
	}
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

		s->bs = ceil(s->bs * 1.3 + 1);
		if (s->bs > TWO_GB) {
			s->bs = TWO_GB;
		}
		cli_warn("A record was longer than %.0f. Increasing to "
		    "--blocksize %.0f.", old, s->bs);
	}
	return src_round(s);
}

/* The header lines, before the first round. */
static int
src_header(struct cli_prun *r, struct cli_psrc *s)
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
int
cli_psrc_read(struct cli_prun *r, struct cli_psrc *s)
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
void
cli_psrc_part(struct cli_psrc *s)
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

/* ---- setup ----------------------------------------------------------- */

/* --pipepart -a FILE: its header and split points. */
static int
src_open_part(struct cli_prun *r, struct cli_psrc *s, struct cli_err *e)
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

int
cli_psrc_open(struct cli_prun *r, struct cli_psrc *s, struct cli_err *e)
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
	if (o->pipepart && o->g.max_lines && !o->g.n_given) {
		return cli_errf(e, CORUN_EINVAL, "-L with --pipepart (records "
		    "of n lines) is not supported; -N counts records");
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
	if (o->g.header != NULL) {
		if ((rc = cli_header_spec(o->g.header, &s->hspec, e)) != 0) {
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

void
cli_psrc_close(struct cli_psrc *s)
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

