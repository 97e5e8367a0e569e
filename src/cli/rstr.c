/* SPDX-License-Identifier: MIT */
/*
 * rstr.c - replacement strings, as GNU parallel names them: recognising
 * one in a command template ({} {.} {/} {//} {/.} {#} {%}, their
 * positional forms {n} {n.} ..., the names -I and its kin give them,
 * --plus's {+/} {+.} {..} {##} {0#} ..., a --header column {name}, and
 * {= perl =}), and the transforms they apply to a value.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const rs_default[CLI_RS_N] = {
	"{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}"
};
static const char *const rs_op[CLI_RS_N] = { "", ".", "/", "//", "/." };

/* The transforms after a position ({1.}); --plus adds the second row. */
static const char *const ops_base[] = { "", ".", "/", "//", "/.", NULL };
static const char *const ops_plus[] = { "+/", "+.", "+..", "+...", "..",
	"...", "/..", "/...", NULL };

static int
find_op(const char *const *ops, const char *s, size_t n, char *op)
{
	for (; *ops != NULL; ops++) {
		if (strlen(*ops) == n && strncmp(s, *ops, n) == 0) {
			memcpy(op, *ops, n + 1);
			return 1;
		}
	}
	return 0;
}

static int
known_op(const struct cli_gnu *g, const char *s, size_t n, char *op)
{
	return find_op(ops_base, s, n, op) ||
	    (g != NULL && g->plus && find_op(ops_plus, s, n, op));
}

/* {n}, {n.} ...: 1 if s[0..close) is one. */
static int
positional(const struct cli_gnu *g, const char *s, const char *close,
    struct cli_ph *ph)
{
	const char *p = s + 1;
	size_t n = 0;

	if (*p < '1' || *p > '9') {
		return 0;
	}
	while (*p >= '0' && *p <= '9' && n < 1000000) {
		n = n * 10 + (size_t)(*p++ - '0');
	}
	if (!known_op(g, p, (size_t)(close - p), ph->op)) {
		return 0;
	}
	ph->type = CLI_PH_GROUP;
	ph->group = n;
	return 1;
}

/* A renamed or default string of the table at s. */
static int
named(const struct cli_gnu *g, const char *s, struct cli_ph *ph)
{
	size_t i, n, best = 0;
	const char *name;
	int hit = -1;

	for (i = 0; i < CLI_RS_N; i++) {
		name = g != NULL && g->rs[i] != NULL ? g->rs[i] : rs_default[i];
		n = strlen(name);
		if (n > best && strncmp(s, name, n) == 0) {
			best = n;
			hit = (int)i;
		}
	}
	if (hit < 0) {
		return 0;
	}
	ph->len = best;
	if (hit == CLI_RS_SEQ || hit == CLI_RS_SLOT) {
		ph->type = hit == CLI_RS_SEQ ? CLI_PH_SEQ : CLI_PH_SLOT;
	} else {
		ph->type = CLI_PH_ALL;
		strcpy(ph->op, rs_op[hit]);
	}
	return 1;
}

/* --plus's own strings at s..close. */
static int
plus_word(const char *s, const char *close, struct cli_ph *ph)
{
	size_t n = (size_t)(close - s) + 1;

	if (n == 4 && strncmp(s, "{##}", 4) == 0) {
		ph->type = CLI_PH_TOTAL;
	} else if (n == 4 && strncmp(s, "{0#}", 4) == 0) {
		ph->type = CLI_PH_SEQ;
		ph->zero = 1;
	} else if (n == 4 && strncmp(s, "{0%}", 4) == 0) {
		ph->type = CLI_PH_SLOT;
		ph->zero = 1;
	} else if (find_op(ops_plus, s + 1, n - 2, ph->op)) {
		ph->type = CLI_PH_ALL;
	} else {
		return 0;
	}
	return 1;
}

/* {name} of a --header column. */
static int
column(const struct cli_strv *names, const char *s, const char *close,
    struct cli_ph *ph)
{
	size_t i, n = (size_t)(close - s) - 1;

	for (i = 0; names != NULL && i < names->n; i++) {
		if (strlen(names->v[i]) == n &&
		    strncmp(names->v[i], s + 1, n) == 0) {
			ph->type = CLI_PH_GROUP;
			ph->group = i + 1;
			return 1;
		}
	}
	return 0;
}

int
cli_ph_parse(const struct cli_gnu *g, const struct cli_strv *names,
    const char *s, struct cli_ph *ph)
{
	const char *close;

	memset(ph, 0, sizeof(*ph));
	if (strncmp(s, "{=", 2) == 0 && (close = strstr(s + 2, "=}")) != NULL) {
		ph->type = CLI_PH_PERL;
		ph->perl = s + 2;
		ph->perl_len = (size_t)(close - s) - 2;
		ph->len = (size_t)(close - s) + 2;
		return 1;
	}
	if (named(g, s, ph)) {
		return 1;
	}
	if (*s != '{' || (close = strchr(s, '}')) == NULL) {
		return 0;
	}
	ph->len = (size_t)(close - s) + 1;
	if (positional(g, s, close, ph) || column(names, s, close, ph)) {
		return 1;
	}
	return g != NULL && g->plus && plus_word(s, close, ph);
}

/*
 * Where the last k extensions (each "." and any characters other than
 * "/" and ".") of v[0..n) start, or n if v has fewer.
 */
static size_t
ext_start(const char *v, size_t n, int k)
{
	size_t i = n;

	while (k-- > 0) {
		while (i > 0 && v[i - 1] != '/' && v[i - 1] != '.') {
			i--;
		}
		if (i == 0 || v[i - 1] != '.') {
			return n;
		}
		i--;
	}
	return i;
}

static char *
dirname_of(const char *v, size_t n)
{
	size_t e = n;

	while (e > 1 && v[e - 1] == '/') {
		e--;
	}
	while (e > 0 && v[e - 1] != '/') {
		e--;
	}
	if (e == 0) {
		return strdup(".");
	}
	while (e > 1 && v[e - 1] == '/') {
		e--;
	}
	return strndup(v, e);
}

/* --plus's {+/} {+.} {+..} {+...}: the part the plain string drops. */
static char *
plus_rest(const char *v, size_t n, const char *op)
{
	const char *slash;
	size_t k = strlen(op) - 1, s;

	if (strcmp(op, "+/") == 0) {
		slash = strrchr(v, '/');
		return strndup(v, slash ? (size_t)(slash - v) : 0);
	}
	if (k == 1) {
		const char *dot = strrchr(v, '.');

		return strdup(dot ? dot + 1 : "");
	}
	s = ext_start(v, n, (int)k);
	return strdup(s < n ? v + s + 1 : "");
}

char *
cli_xform(const char *v, const char *op)
{
	size_t n = strlen(v), b, k;
	const char *slash;

	if (op[0] == '\0') {
		return strdup(v);
	}
	if (op[0] == '+') {
		return plus_rest(v, n, op);
	}
	if (op[0] == '.') {
		k = strlen(op);
		return strndup(v, k == 1 ? ext_start(v, n, 1) :
		    ext_start(v, n, (int)k));
	}
	if (strcmp(op, "//") == 0) {
		return dirname_of(v, n);
	}
	/* "/", "/.", "/..", "/...": the part after the last slash. */
	slash = strrchr(v, '/');
	b = slash ? (size_t)(slash - v) + 1 : 0;
	k = strlen(op) - 1;
	return strndup(v + b, k == 0 ? n - b : ext_start(v + b, n - b,
	    (int)k));
}
