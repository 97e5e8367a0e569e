/* SPDX-License-Identifier: MIT */
/*
 * pipe-split.c - the pure part of --pipe and --pipepart: where a block
 * of records ends (--recstart, --recend, --regexp, -N), the --header
 * lines, the split points of a seekable file, and --block's sizes.  The
 * rules are GNU parallel's (20221122), so that the same input gives the
 * same blocks: see pipe.h.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipe.h"

/* parallel's printf escapes of a fixed --recstart/--recend. */
static char *
unescape(const char *in, size_t *len)
{
	static const char from[] = "0rnt'\"\\", to[] = "\0\r\n\t'\"\\";
	char *out = malloc(strlen(in) + 1), *o = out;
	const char *c, *k;

	for (c = in; out != NULL && *c != '\0'; c++) {
		if (c[0] == '\\' && c[1] != '\0' &&
		    (k = strchr(from, c[1])) != NULL) {
			*o++ = to[k - from];
			c++;
		} else {
			*o++ = *c;
		}
	}
	if (out != NULL) {
		*o = '\0';
		*len = (size_t)(o - out);
	}
	return out;
}

/* A --regexp --recstart/--recend: \n and \t become the characters, as
 * in perl's patterns; the other escapes stay the ERE's. */
static char *
re_unescape(const char *in, size_t *len)
{
	char *out = malloc(strlen(in) + 1), *o = out;
	const char *c;

	for (c = in; out != NULL && *c != '\0'; c++) {
		if (c[0] == '\\' && (c[1] == 'n' || c[1] == 't')) {
			*o++ = c[1] == 'n' ? '\n' : '\t';
			c++;
		} else if (c[0] == '\\' && c[1] != '\0') {
			*o++ = *c++;
			*o++ = *c;
		} else {
			*o++ = *c;
		}
	}
	if (out != NULL) {
		*o = '\0';
		*len = (size_t)(o - out);
	}
	return out;
}

static int
split_regexp(struct cli_split *s, struct cli_err *e)
{
	size_t n = s->lsep + 8;
	char *pat = malloc(n);
	int rc;

	if (pat == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	snprintf(pat, n, "(%s)(%s)", s->recend, s->recstart);
	rc = regcomp(&s->re, pat, REG_EXTENDED | REG_NEWLINE);
	if (rc == 0) {
		snprintf(pat, n, "(%s)", s->recstart);
		if ((rc = regcomp(&s->re_start, pat, REG_EXTENDED |
		    REG_NEWLINE)) != 0) {
			regfree(&s->re);
		}
	}
	free(pat);
	if (rc != 0) {
		s->regexp = 0;
		return cli_errf(e, CORUN_EINVAL, "--regexp: --recstart/--recend "
		    "is not a valid regular expression");
	}
	return 0;
}

unsigned
cli_pipe_records(const struct cli_run_opts *o)
{
	unsigned long long n = o->g.max_args;

	if (!o->g.n_given) {
		return 0;
	}
	n *= o->g.max_lines ? o->g.max_lines : 1;
	return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

int
cli_split_init(struct cli_split *s, const struct cli_run_opts *o,
    struct cli_err *e)
{
	const char *rs = o->recstart ? o->recstart : "";
	const char *re = o->recend ? o->recend : "";

	memset(s, 0, sizeof(*s));
	if (o->recstart == NULL && o->recend == NULL) {
		re = "\\n";
	}
	if (o->regexp && o->recstart == NULL && *re == '\0') {
		re = "(.|\n)";
	}
	s->records = cli_pipe_records(o);
	s->lines = o->g.n_given ? 0 : o->g.max_lines;
	s->regexp = o->regexp;
	if (s->regexp) {
		s->bufs[0] = re_unescape(rs, &s->lstart);
		s->bufs[1] = re_unescape(re, &s->lend);
	} else {
		s->bufs[0] = unescape(rs, &s->lstart);
		s->bufs[1] = unescape(re, &s->lend);
	}
	s->lsep = s->lend + s->lstart;
	if (s->bufs[0] == NULL || s->bufs[1] == NULL ||
	    (s->sep = malloc(s->lsep + 1)) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	s->recstart = s->bufs[0];
	s->recend = s->bufs[1];
	memcpy(s->sep, s->recend, s->lend);
	memcpy(s->sep + s->lend, s->recstart, s->lstart + 1);
	return s->regexp ? split_regexp(s, e) : 0;
}

void
cli_split_free(struct cli_split *s)
{
	if (s->regexp) {
		regfree(&s->re);
		regfree(&s->re_start);
	}
	free(s->sep);
	free(s->bufs[0]);
	free(s->bufs[1]);
	memset(s, 0, sizeof(*s));
}

/* The last occurrence of the separator in buf[0..len), or -1. */
static ptrdiff_t
last_sep(const struct cli_split *s, const char *buf, size_t len)
{
	const char *p;

	if (s->lsep == 0) {
		return (ptrdiff_t)len;	/* perl's rindex($buf, "") */
	}
	if (s->lsep == 1) {
		p = memrchr(buf, s->sep[0], len);
		return p ? p - buf : -1;
	}
	if (len < s->lsep) {
		return -1;
	}
	for (p = buf + len - s->lsep; ; p--) {
		if (*p == s->sep[0] && memcmp(p, s->sep, s->lsep) == 0) {
			return p - buf;
		}
		if (p == buf) {
			return -1;
		}
	}
}

/*
 * The split point of the last (recend)(recstart) match: the end of the
 * recend part.  regexec needs a NUL-terminated string: buf always has
 * room for one more byte (pipe.c and the tests keep it).
 */
static size_t
regexp_last(const struct cli_split *s, const char *buf, size_t len,
    int first)
{
	regmatch_t m[3];
	size_t off = 0, best = 0;
	char *b = (char *)buf;
	char save = b[len];

	b[len] = '\0';
	while (off < len && regexec(&s->re, b + off, 3, m,
	    off ? REG_NOTBOL : 0) == 0) {
		size_t at = off + (size_t)m[1].rm_eo;

		if (at > 0 && (m[1].rm_eo > 0 || off + m[0].rm_so > 0)) {
			best = at;
			if (first) {
				break;
			}
		}
		off += (size_t)m[0].rm_so + 1;
	}
	b[len] = save;
	return best;
}

/* -N: the end of the first `records` records, or 0. */
static size_t
pass_n(const struct cli_split *s, const char *buf, size_t len)
{
	size_t i = 0, k;
	const char *p;

	if (len == 0) {
		return 0;
	}
	if (s->lsep == 0) {
		/* perl's index($buf, "", $i + 1) is $i + 1 */
		return s->records <= len ? s->records : 0;
	}
	for (k = 0; k < s->records; k++) {
		if (i + 1 + s->lsep > len) {
			return 0;
		}
		p = memmem(buf + i + 1, len - i - 1, s->sep, s->lsep);
		if (p == NULL) {
			return 0;
		}
		i = (size_t)(p - buf);
	}
	return i + s->lend;
}

/* -L alone: the end of the last whole group of `lines` lines, or 0. */
static size_t
pass_lines(const struct cli_split *s, const char *buf, size_t len)
{
	size_t n = 0, want, k;
	const char *p = buf, *end = buf + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	if ((want = n - n % s->lines) == 0) {
		return 0;
	}
	for (p = buf, k = 0; ; p++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (++k == want) {
			return (size_t)(p - buf) + 1;
		}
	}
}

/* -N with --regexp: the end of the first `records` records, or 0. */
static size_t
pass_n_regexp(const struct cli_split *s, const char *buf, size_t len)
{
	size_t at = 0, x, k;

	for (k = 0; k < s->records; k++) {
		if (at >= len || (x = regexp_last(s, buf + at, len - at,
		    1)) == 0) {
			return 0;
		}
		at += x;
	}
	return at;
}

size_t
cli_split_garbage(const struct cli_split *s, const char *buf, size_t len)
{
	regmatch_t m[2];
	char *b = (char *)buf;
	char save;
	int starts;

	if (!s->regexp || s->records == 0 || len == 0) {
		return 0;
	}
	save = b[len];
	b[len] = '\0';
	starts = regexec(&s->re_start, b, 2, m, 0) == 0 && m[0].rm_so == 0;
	b[len] = save;
	return starts ? 0 : regexp_last(s, buf, len, 1);
}

size_t
cli_split_pass(const struct cli_split *s, const char *buf, size_t len,
    int eof)
{
	ptrdiff_t i;

	if (s->lines > 0 && s->records == 0) {
		return pass_lines(s, buf, len);
	}
	if (s->records > 0) {
		return s->regexp ? pass_n_regexp(s, buf, len) :
		    pass_n(s, buf, len);
	}
	if (eof) {
		return 0;
	}
	if (s->regexp) {
		return regexp_last(s, buf, len, 0);
	}
	if ((i = last_sep(s, buf, len)) < 0) {
		return 0;
	}
	return (size_t)i + s->lend;
}

int
cli_parse_size(const char *s, double *out)
{
	static const struct {
		const char *sfx;
		double mul;
	} sfx[] = {
		{ "ki", 1024.0 }, { "Ki", 1024.0 }, { "K", 1024.0 },
		{ "mi", 1048576.0 }, { "Mi", 1048576.0 }, { "M", 1048576.0 },
		{ "gi", 1073741824.0 }, { "Gi", 1073741824.0 },
		{ "G", 1073741824.0 }, { "Ti", 1099511627776.0 },
		{ "T", 1099511627776.0 }, { "k", 1e3 }, { "m", 1e6 },
		{ "g", 1e9 }, { "t", 1e12 }, { "p", 1e15 },
		{ "P", 1125899906842624.0 },
	};
	char *end;
	double v;
	size_t k;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v)) {
		return CORUN_EINVAL;
	}
	if (*end != '\0') {
		for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
			if (strcmp(end, sfx[k].sfx) == 0) {
				break;
			}
		}
		if (k == sizeof(sfx) / sizeof(sfx[0])) {
			return CORUN_EINVAL;
		}
		v *= sfx[k].mul;
	}
	*out = v;
	return 0;
}

int
cli_header_spec(const char *h, struct cli_header *hs, struct cli_err *e)
{
	unsigned long long n;
	struct cm_buf b = { 0 };
	const char *c;
	int rc;

	memset(hs, 0, sizeof(*hs));
	if (strcmp(h, ":") == 0) {
		hs->nlines = 1;
		return 0;
	}
	if (cli_parse_uint(h, 1000000, &n) == 0 && n > 0) {
		hs->nlines = (unsigned)n;
		return 0;
	}
	/* a regular expression matched at the start: \n and \t as C's */
	cm_buf_adds(&b, "^(");
	for (c = h; *c != '\0'; c++) {
		if (c[0] == '\\' && (c[1] == 'n' || c[1] == 't')) {
			cm_buf_addc(&b, c[1] == 'n' ? '\n' : '\t');
			c++;
		} else {
			cm_buf_addc(&b, *c);
		}
	}
	if (cm_buf_adds(&b, ")") != 0) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	rc = regcomp(&hs->re, b.p, REG_EXTENDED | REG_NEWLINE);
	cm_buf_free(&b);
	if (rc != 0) {
		return cli_errf(e, CORUN_EINVAL, "--header: \"%s\" is not "
		    ":, a number of lines or a regular expression", h);
	}
	hs->is_re = 1;
	return 0;
}

void
cli_header_free(struct cli_header *hs)
{
	if (hs->is_re) {
		regfree(&hs->re);
		hs->is_re = 0;
	}
}

size_t
cli_header_len(const struct cli_header *hs, char *buf, size_t len,
    int *complete)
{
	size_t off = 0;
	const char *p;
	unsigned k;

	*complete = 0;
	if (hs->is_re) {
		regmatch_t m;
		char save = buf[len];
		int rc;

		buf[len] = '\0';
		rc = regexec(&hs->re, buf, 1, &m, 0);
		buf[len] = save;
		if (rc != 0 || m.rm_so != 0) {
			return 0;
		}
		*complete = 1;
		return (size_t)m.rm_eo;
	}
	for (k = 0; k < hs->nlines; k++) {
		p = memchr(buf + off, '\n', len - off);
		if (p == NULL) {
			return 0;
		}
		off = (size_t)(p - buf) + 1;
	}
	*complete = 1;
	return off;
}

/* The first split point at or after pos: past the next separator. */
static int
next_split(int fd, off_t size, off_t *pos, const struct cli_split *s,
    char *buf, size_t cap, int *found)
{
	size_t have = 0;
	off_t at = *pos;

	*found = 0;
	while (at + (off_t)have < size) {
		ssize_t n = pread(fd, buf + have, cap - have - 1,
		    at + (off_t)have);
		const char *p;

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return n < 0 ? CORUN_ESYS : 0;
		}
		have += (size_t)n;
		p = s->regexp ? NULL : memmem(buf, have, s->sep, s->lsep);
		if (s->regexp) {
			size_t r = regexp_last(s, buf, have, 1);

			if (r > 0) {
				*pos = at + (off_t)r;
				*found = 1;
				return 0;
			}
		} else if (p != NULL) {
			*pos = at + (p - buf) + (off_t)s->lend;
			*found = 1;
			return 0;
		}
		if (have + 1 >= cap) {
			/* keep a separator's length of overlap */
			size_t keep = s->lsep < have ? s->lsep : have;

			memmove(buf, buf + have - keep, keep);
			at += (off_t)(have - keep);
			have = keep;
		}
	}
	return 0;
}

static int
push_pos(off_t **pos, size_t *n, off_t v)
{
	off_t *np = realloc(*pos, (*n + 1) * sizeof(**pos));

	if (np == NULL) {
		return CORUN_ENOMEM;
	}
	*pos = np;
	np[(*n)++] = v;
	return 0;
}

int
cli_pipepart_positions(int fd, off_t size, off_t skip, off_t block,
    const struct cli_split *s, off_t **pos, size_t *npos,
    struct cli_err *e)
{
	enum { CHUNK = 131072 };
	char *buf = malloc(CHUNK + 1);
	off_t p;
	int rc = 0, found;

	*pos = NULL;
	*npos = 0;
	if (buf == NULL || push_pos(pos, npos, skip) != 0) {
		free(buf);
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	for (p = block + skip; p < size && rc == 0; p += block) {
		if (s->lsep == 0) {
			rc = push_pos(pos, npos, p);
			continue;
		}
		if ((rc = next_split(fd, size, &p, s, buf, CHUNK + 1,
		    &found)) == 0 && found) {
			rc = push_pos(pos, npos, p);
		}
	}
	if (rc == 0 && (*pos)[*npos - 1] != size) {
		rc = push_pos(pos, npos, size);
	}
	free(buf);
	if (rc != 0) {
		free(*pos);
		*pos = NULL;
		return cli_errf(e, rc, "--pipepart: cannot read the file: %s",
		    strerror(errno));
	}
	return 0;
}
