/*
 * pipe-split.c - the pure part of --pipe and --pipepart: where a block
 * of records ends (--recstart, --recend, --regexp, -N), the --header
 * lines, the split points of a seekable file, and --block's sizes.  The
 * rules are GNU parallel's (20221122), so that the same input gives the
 * same blocks: see pipe.h.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipe.h"

int
cli_split_init(struct cli_split *s, const struct cli_run_opts *o,
    struct cli_err *e)
{
	memset(s, 0, sizeof(*s));
	s->recstart = o->recstart ? o->recstart : "";
	s->recend = o->recend ? o->recend : "";
	if (o->recstart == NULL && o->recend == NULL) {
		s->recend = "\n";
	}
	if (o->regexp && o->recstart == NULL && *s->recend == '\0') {
		s->recend = "(.|\n)";
	}
	s->lstart = strlen(s->recstart);
	s->lend = strlen(s->recend);
	s->records = o->pipe_records;
	s->regexp = o->regexp;
	s->lsep = s->lend + s->lstart;
	if ((s->sep = malloc(s->lsep + 1)) == NULL) {
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	memcpy(s->sep, s->recend, s->lend);
	memcpy(s->sep + s->lend, s->recstart, s->lstart + 1);
	if (s->regexp) {
		size_t n = s->lsep + 8;
		char *pat = malloc(n);
		int rc;

		if (pat == NULL) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
		snprintf(pat, n, "(%s)(%s)", s->recend, s->recstart);
		rc = regcomp(&s->re, pat, REG_EXTENDED | REG_NEWLINE);
		free(pat);
		if (rc != 0) {
			free(s->sep);
			s->sep = NULL;
			s->regexp = 0;
			return cli_errf(e, CORUN_EINVAL, "--regexp: "
			    "--recstart/--recend is not a valid regular "
			    "expression");
		}
	}
	return 0;
}

void
cli_split_free(struct cli_split *s)
{
	if (s->regexp) {
		regfree(&s->re);
	}
	free(s->sep);
	s->sep = NULL;
}

/* The last occurrence of the separator in buf[0..len), or -1. */
static ptrdiff_t
last_sep(const struct cli_split *s, const char *buf, size_t len)
{
	const char *p;

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

size_t
cli_split_pass(const struct cli_split *s, const char *buf, size_t len,
    int eof)
{
	ptrdiff_t i;

	if (s->records > 0 && !s->regexp) {
		return pass_n(s, buf, len);
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
cli_header_spec(const char *h, unsigned *nlines, struct cli_err *e)
{
	unsigned long long n;

	if (strcmp(h, ":") == 0) {
		*nlines = 1;
		return 0;
	}
	if (cli_parse_uint(h, 1000000, &n) != 0 || n == 0) {
		return cli_errf(e, CORUN_EINVAL, "--header: \"%s\": with "
		    "--pipe, give \":\" (one line) or a number of lines", h);
	}
	*nlines = (unsigned)n;
	return 0;
}

size_t
cli_header_len(unsigned nlines, const char *buf, size_t len, int *complete)
{
	size_t off = 0;
	const char *p;
	unsigned k;

	*complete = 0;
	for (k = 0; k < nlines; k++) {
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
