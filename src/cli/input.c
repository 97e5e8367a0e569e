/* SPDX-License-Identifier: MIT */
/*
 * input.c - input sources and their cross product.
 *
 * Sources are ::: value lists, :::: files, -a files and, when none is
 * given, stdin.  Each one is a group; jobs are the cross product of the
 * groups with the LAST group varying fastest (GNU parallel's order), so
 * the first group can be streamed: only groups 2..n are read up front.
 * That keeps `cmd | corun run ...` from reading all of stdin first.
 *
 * The reader never blocks when asked not to: it polls the fd with a zero
 * timeout before each read(2), so the descriptor (often a terminal or a
 * pipe shared with other processes) is left in blocking mode.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CLI_READ_CHUNK 65536

int
cli_reader_open(struct cli_reader *r, const char *path, int sep,
    struct cli_err *e)
{
	memset(r, 0, sizeof(*r));
	r->sep = sep;
	if (strcmp(path, "-") == 0) {
		r->fd = STDIN_FILENO;
		r->name = "stdin";
		return 0;
	}
	r->name = path;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		return cli_errf(e, CORUN_ESYS, "%s: %s", path,
		    strerror(errno));
	}
	r->own = 1;
	return 0;
}

void
cli_reader_close(struct cli_reader *r)
{
	if (r->own && r->fd >= 0) {
		close(r->fd);
	}
	free(r->buf);
	r->buf = NULL;
	r->fd = -1;
	r->own = 0;
}

/* One read(2) into the buffer; EAGAIN if nonblock and nothing is ready. */
static int
fill(struct cli_reader *r, int nonblock, struct cli_err *e)
{
	struct pollfd pfd;
	ssize_t n;
	char *nb;
	size_t ncap;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	if (r->cap - r->len < CLI_READ_CHUNK / 2) {
		ncap = r->cap ? r->cap * 2 : CLI_READ_CHUNK;
		if ((nb = realloc(r->buf, ncap + 1)) == NULL) {
			return cli_errf(e, CORUN_ENOMEM, "%s: out of memory",
			    r->name);
		}
		r->buf = nb;
		r->cap = ncap;
	}
	if (nonblock) {
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 0) {
			return CORUN_EAGAIN;
		}
	}
	do {
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return CORUN_EAGAIN;
		}
		return cli_errf(e, CORUN_ESYS, "%s: %s", r->name,
		    strerror(errno));
	}
	if (n == 0) {
		r->eof = 1;
	}
	r->len += (size_t)n;
	return 0;
}

int
cli_reader_next(struct cli_reader *r, int nonblock, char **rec, size_t *len,
    struct cli_err *e)
{
	char *p;
	size_t scanned = 0;
	int rc;

	for (;;) {
		if (r->buf != NULL) {
			p = memchr(r->buf + r->off + scanned, r->sep,
			    r->len - r->off - scanned);
			if (p != NULL) {
				*p = '\0';
				*rec = r->buf + r->off;
				*len = (size_t)(p - *rec);
				r->off += *len + 1;
				r->lineno++;
				return 0;
			}
			scanned = r->len - r->off;
		}
		if (r->eof) {
			if (r->len > r->off) {
				/* A last record without a separator. */
				r->buf[r->len] = '\0';
				*rec = r->buf + r->off;
				*len = r->len - r->off;
				r->off = r->len;
				r->lineno++;
				return 0;
			}
			return CORUN_EDONE;
		}
		if ((rc = fill(r, nonblock, e)) != 0) {
			return rc;
		}
	}
}

/* Read a whole group file into vals. */
static int
load_file(const char *path, int sep, struct cli_strv *vals, struct cli_err *e)
{
	struct cli_reader r;
	char *rec;
	size_t len;
	int rc;

	if ((rc = cli_reader_open(&r, path, sep, e)) != 0) {
		return rc;
	}
	while ((rc = cli_reader_next(&r, 0, &rec, &len, e)) == 0) {
		if ((rc = cli_strv_pushn(vals, rec, len)) != 0) {
			cli_errf(e, rc, "%s: out of memory", r.name);
			break;
		}
	}
	cli_reader_close(&r);
	return rc == CORUN_EDONE ? 0 : rc;
}

/* Move the first record of vals (owned) to hdr; "" when empty. */
static int
take_header(struct cli_strv *vals, struct cli_strv *hdr)
{
	if (vals->n == 0) {
		return cli_strv_push(hdr, "");
	}
	if (cli_strv_take(hdr, vals->v[0]) != 0) {
		return CORUN_ENOMEM;
	}
	memmove(vals->v, vals->v + 1, (vals->n - 1) * sizeof(*vals->v));
	vals->n--;
	return 0;
}

static int
copy_strv(const struct cli_strv *from, struct cli_strv *to)
{
	size_t i;

	for (i = 0; i < from->n; i++) {
		if (cli_strv_push(to, from->v[i]) != 0) {
			return CORUN_ENOMEM;
		}
	}
	return 0;
}

/*
 * Linked groups (--link, :::+, ::::+): every group read up front, each
 * chain of linked groups one wheel of the odometer.  As GNU parallel,
 * --link runs to the longest group (a shorter one wraps around), :::+
 * and ::::+ stop at the shortest.
 */
static int
open_linked(struct cli_input *in, const struct cli_run_opts *o,
    const struct cli_group *groups, int sep, struct cli_err *e)
{
	size_t g, n = in->ngroups, c;
	int rc = 0;

	in->linked = 1;
	in->chain = calloc(n, sizeof(*in->chain));
	in->cidx = calloc(n, sizeof(*in->cidx));
	in->clen = calloc(n, sizeof(*in->clen));
	if (in->chain == NULL || in->cidx == NULL || in->clen == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	for (g = 0; g < n && rc == 0; g++) {
		if (groups[g].is_file) {
			rc = load_file(groups[g].path, sep, &in->vals[g], e);
		} else if (copy_strv(&groups[g].vals, &in->vals[g]) != 0) {
			rc = cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
		if (rc == 0 && o->g.header != NULL &&
		    take_header(&in->vals[g], &in->hdr) != 0) {
			rc = cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
		if (g > 0) {
			in->chain[g] = o->g.link || groups[g].linked ?
			    in->chain[g - 1] : in->chain[g - 1] + 1;
		}
		c = in->chain[g];
		in->nchains = c + 1;
		if (o->g.link ? in->vals[g].n > in->clen[c] :
		    g == 0 || in->chain[g - 1] != c ||
		    in->vals[g].n < in->clen[c]) {
			/* --link wraps the shorter; :::+ stops at it. */
			in->clen[c] = in->vals[g].n;
		}
		in->empty |= in->vals[g].n == 0;
	}
	return rc;
}

static int
next_linked(struct cli_input *in, const char ***args)
{
	size_t g, c = in->nchains;

	if (in->started) {
		while (c > 0) {
			c--;
			if (++in->cidx[c] < in->clen[c]) {
				break;
			}
			in->cidx[c] = 0;
			if (c == 0) {
				in->done = 1;
				return CORUN_EDONE;
			}
		}
	}
	in->started = 1;
	for (g = 0; g < in->ngroups; g++) {
		in->args[g] = in->vals[g].v[in->cidx[in->chain[g]] %
		    in->vals[g].n];
	}
	*args = in->args;
	return 0;
}

/* --header for a streamed group 0: its first record. */
static int
header0(struct cli_input *in, struct cli_err *e)
{
	char *rec;
	size_t len;
	int rc;

	if (in->lit0 != NULL) {
		rc = cli_strv_push(&in->hdr, in->lit0->n ? in->lit0->v[0] : "");
		in->lit0_idx = 1;
		return rc ? cli_errf(e, rc, "out of memory") : 0;
	}
	rc = cli_reader_next(&in->rd, 0, &rec, &len, e);
	if (rc == CORUN_EDONE) {
		rec = "";
		len = 0;
	} else if (rc != 0) {
		return rc;
	}
	return cli_strv_pushn(&in->hdr, rec, len) ? cli_errf(e, CORUN_ENOMEM,
	    "out of memory") : 0;
}

/* Groups 2..n read up front (borrowed when literal), headers taken. */
static int
load_rest(struct cli_input *in, const struct cli_run_opts *o,
    const struct cli_group *groups, int sep, struct cli_err *e)
{
	size_t g;
	int rc = 0;

	for (g = 1; g < in->ngroups; g++) {
		if (groups[g].is_file) {
			rc = load_file(groups[g].path, sep, &in->vals[g], e);
			if (rc != 0) {
				return rc;
			}
		} else if (o->g.header != NULL) {
			rc = copy_strv(&groups[g].vals, &in->vals[g]);
		} else {
			/* Borrowed from the options: not freed here. */
			in->vals[g] = groups[g].vals;
			in->borrowed[g] = 1;
		}
		if (o->g.header != NULL && (rc != 0 ||
		    take_header(&in->vals[g], &in->hdr) != 0)) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
		if (in->vals[g].n == 0) {
			in->empty = 1;
		}
	}
	return 0;
}

int
cli_input_open(struct cli_input *in, const struct cli_run_opts *o,
    struct cli_err *e)
{
	static struct cli_group stdin_group = { 1, "-", { 0 } };
	const struct cli_group *groups = o->groups;
	size_t g, n = o->ngroups;
	int sep = o->g.delim_given ? o->g.delim : o->null_sep ? '\0' : '\n';
	int rc = 0, link = o->g.link;

	memset(in, 0, sizeof(*in));
	in->rd.fd = -1;
	if (n == 0) {
		groups = &stdin_group;
		n = 1;
	}
	in->ngroups = n;
	in->vals = calloc(n, sizeof(*in->vals));
	in->idx = calloc(n, sizeof(*in->idx));
	in->args = calloc(n, sizeof(*in->args));
	in->borrowed = calloc(n, 1);
	if (in->vals == NULL || in->idx == NULL || in->args == NULL ||
	    in->borrowed == NULL) {
		cli_input_close(in);
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	for (g = 1; g < n; g++) {
		link |= groups[g].linked;
	}
	if (link && n > 1) {
		if ((rc = open_linked(in, o, groups, sep, e)) != 0) {
			cli_input_close(in);
		}
		return rc;
	}
	if ((rc = load_rest(in, o, groups, sep, e)) != 0) {
		cli_input_close(in);
		return rc;
	}
	if (groups[0].is_file) {
		rc = cli_reader_open(&in->rd, groups[0].path, sep, e);
		if (rc != 0) {
			cli_input_close(in);
			return rc;
		}
	} else {
		in->lit0 = &groups[0].vals;
	}
	if (o->g.header != NULL) {
		/* Group 0's header first: hdr is in group order. */
		size_t k = in->hdr.n;

		if ((rc = header0(in, e)) != 0) {
			cli_input_close(in);
			return rc;
		}
		if (k > 0) {
			char *h0 = in->hdr.v[k];

			memmove(in->hdr.v + 1, in->hdr.v, k * sizeof(char *));
			in->hdr.v[0] = h0;
		}
	}
	return 0;
}

/* Advance group 0; EDONE at its end. */
static int
next0(struct cli_input *in, int nonblock, struct cli_err *e)
{
	size_t len;
	int rc;

	if (in->lit0 != NULL) {
		if (in->lit0_idx >= in->lit0->n) {
			return CORUN_EDONE;
		}
		in->cur0 = in->lit0->v[in->lit0_idx++];
		return 0;
	}
	rc = cli_reader_next(&in->rd, nonblock, &in->cur0, &len, e);
	if (rc == 0 && in->ngroups > 1) {
		/* The reader's buffer moves on the next read: keep a copy. */
		free(in->copy0);
		if ((in->copy0 = strdup(in->cur0)) == NULL) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
		in->cur0 = in->copy0;
	}
	return rc;
}

int
cli_input_next(struct cli_input *in, int nonblock, const char ***args,
    struct cli_err *e)
{
	size_t g;
	int rc;

	if (in->done || in->empty) {
		return CORUN_EDONE;
	}
	if (in->linked) {
		return next_linked(in, args);
	}
	/* Odometer over groups 1..n-1; the last one turns fastest. */
	g = in->ngroups;
	if (in->started) {
		while (g > 1) {
			g--;
			if (++in->idx[g] < in->vals[g].n) {
				break;
			}
			in->idx[g] = 0;
			if (g == 1) {
				g = 0;
			}
		}
	}
	if (!in->started || g == 0 || in->ngroups == 1) {
		rc = next0(in, nonblock, e);
		if (rc == CORUN_EAGAIN && in->started && in->ngroups > 1) {
			/* Retry the same step later: wind the odometer back. */
			for (g = 1; g < in->ngroups; g++) {
				in->idx[g] = in->vals[g].n - 1;
			}
		}
		if (rc != 0) {
			if (rc == CORUN_EDONE) {
				in->done = 1;
			}
			return rc;
		}
		in->started = 1;
	}
	in->args[0] = in->cur0;
	for (g = 1; g < in->ngroups; g++) {
		in->args[g] = in->vals[g].v[in->idx[g]];
	}
	*args = in->args;
	return 0;
}

int
cli_input_fd(const struct cli_input *in)
{
	return in->lit0 == NULL && !in->linked ? in->rd.fd : -1;
}

void
cli_input_close(struct cli_input *in)
{
	size_t g;

	for (g = in->linked ? 0 : 1; g < in->ngroups && in->vals != NULL;
	    g++) {
		if (in->borrowed == NULL || !in->borrowed[g]) {
			cli_strv_free(&in->vals[g]);
		}
	}
	if (in->lit0 == NULL && !in->linked) {
		cli_reader_close(&in->rd);
	}
	free(in->chain);
	free(in->cidx);
	free(in->clen);
	cli_strv_free(&in->hdr);
	free(in->vals);
	free(in->idx);
	free(in->args);
	free(in->borrowed);
	free(in->copy0);
	memset(in, 0, sizeof(*in));
	in->rd.fd = -1;
}
