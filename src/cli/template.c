/* SPDX-License-Identifier: MIT */
/*
 * template.c - the command template, as GNU parallel forms a command:
 * the words are joined into one line, each replacement string is put in
 * with its value shell-quoted, and with no replacement string the values
 * are appended.  The line runs through a shell only when the template's
 * own text needs one (cmdshell.c); otherwise the same words are run
 * directly, the values put in verbatim, which a user cannot tell apart.
 * -q quotes the template too: each of its words stays one argument.
 *
 * Replacement strings are rstr.c's; {= perl =} is perlexpr.c's through
 * t->perl.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
add_part(struct cli_tmpl *t, int lit, const char *s, size_t len,
    const struct cli_ph *ph)
{
	struct cli_tpart *np;

	if (lit && t->nparts > 0 && t->parts[t->nparts - 1].lit &&
	    t->tw[t->ntw - 1].n > 0 &&
	    t->parts[t->nparts - 1].s + t->parts[t->nparts - 1].len == s) {
		t->parts[t->nparts - 1].len += len;
		return 0;
	}
	np = realloc(t->parts, (t->nparts + 1) * sizeof(*np));
	if (np == NULL) {
		return CORUN_ENOMEM;
	}
	t->parts = np;
	np = &t->parts[t->nparts++];
	memset(np, 0, sizeof(*np));
	np->lit = lit;
	np->s = s;
	np->len = len;
	if (ph != NULL) {
		np->ph = *ph;
	}
	t->tw[t->ntw - 1].n++;
	return 0;
}

static int
add_word(struct cli_tmpl *t, const char *sep, size_t seplen)
{
	struct cli_tword *nw = realloc(t->tw, (t->ntw + 1) * sizeof(*nw));

	if (nw == NULL) {
		return CORUN_ENOMEM;
	}
	t->tw = nw;
	nw = &t->tw[t->ntw++];
	memset(nw, 0, sizeof(*nw));
	nw->sep = sep;
	nw->seplen = seplen;
	nw->first = t->nparts;
	return 0;
}

/* Note what a replacement string found in word w means for t. */
static void
note_ph(struct cli_tmpl *t, struct cli_tword *w, const struct cli_ph *ph)
{
	t->has_input_ph = 1;
	if (ph->type == CLI_PH_ALL || ph->type == CLI_PH_GROUP) {
		w->has_input = 1;
	}
	if (ph->type == CLI_PH_GROUP && ph->group > t->max_group) {
		t->max_group = ph->group;
	}
	t->has_slot |= ph->type == CLI_PH_SLOT;
	t->wants_total |= ph->type == CLI_PH_TOTAL ||
	    (ph->type == CLI_PH_SEQ && ph->zero);
	t->has_perl |= ph->type == CLI_PH_PERL;
}

/*
 * Split text s into words and parts; split: at blanks (else s is one
 * word, for -q).
 */
static int
scan(struct cli_tmpl *t, const struct cli_strv *names, const char *s,
    int split)
{
	const char *p = s, *b;
	struct cli_ph ph;
	int rc = 0;

	if (t->ntw == 0 || !split) {
		rc = add_word(t, " ", t->ntw ? 1 : 0);
	}
	while (*p != '\0' && rc == 0) {
		if (split && is_blank(*p)) {
			for (b = p; is_blank(*p); p++) {
			}
			if (*p != '\0' && t->tw[t->ntw - 1].n > 0) {
				rc = add_word(t, b, (size_t)(p - b));
			} else if (*p != '\0') {
				t->tw[t->ntw - 1].sep = b;
				t->tw[t->ntw - 1].seplen = (size_t)(p - b);
			}
			continue;
		}
		if (cli_ph_parse(t->g, names, p, &ph)) {
			if (ph.type == CLI_PH_PERL) {
				ph.group = t->nperl++;
			}
			note_ph(t, &t->tw[t->ntw - 1], &ph);
			rc = add_part(t, 0, p, ph.len, &ph);
			p += ph.len;
			continue;
		}
		rc = add_part(t, 1, p++, 1, NULL);
	}
	return rc;
}

/* Decide once whether the template needs a shell (cmdshell.c). */
static int
decide_shell(struct cli_tmpl *t)
{
	const struct cli_tword *w;
	const struct cli_tpart *pt;
	size_t i, k;
	int need = 0, bash = 0;

	for (i = 0; i < t->ntw && !need; i++) {
		w = &t->tw[i];
		for (k = 0; k < w->n && !need; k++) {
			pt = &t->parts[w->first + k];
			need = pt->lit && cli_sh_text_needs(pt->s, pt->len,
			    k == 0, i == 0);
		}
	}
	w = t->ntw ? &t->tw[0] : NULL;
	if (!need && w != NULL && w->n == 1 && t->parts[w->first].lit) {
		pt = &t->parts[w->first];
		need = cli_sh_word_needs(pt->s, pt->len);
		bash = need == 2;
	}
	t->shell = need;
	if (need) {
		t->sh = cli_sh_pick(bash);
	}
	return 0;
}

int
cli_tmpl_setup(struct cli_tmpl *t, const char *const *words, size_t n,
    size_t ngroups, const struct cli_gnu *g, const struct cli_strv *names,
    struct cli_err *e)
{
	struct cm_buf b = { 0 };
	static const struct cli_ph all = { CLI_PH_ALL, 0, "", 0, NULL, 0, 2 };
	size_t i;
	int rc = 0, quote = g != NULL && g->quote;

	memset(t, 0, sizeof(*t));
	t->words = words;
	t->nwords = n;
	t->g = g;
	for (i = 0; i < n && rc == 0; i++) {
		rc = cm_buf_adds(&b, i ? " " : "");
		if (rc == 0) {
			rc = cm_buf_adds(&b, words[i]);
		}
	}
	if (rc == 0 && (t->text = cm_buf_steal(&b)) == NULL) {
		t->text = strdup("");
	}
	if (rc != 0 || t->text == NULL) {
		cm_buf_free(&b);
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	if (quote) {
		/* -q: every word one argument, whatever it holds. */
		for (i = 0; i < n && rc == 0; i++) {
			rc = scan(t, names, words[i], 0);
		}
	} else if (n > 0) {
		rc = scan(t, names, t->text, 1);
	}
	if (rc == 0 && n > 0 && !t->has_input_ph) {
		/* No replacement string: the values go at the end. */
		rc = add_word(t, " ", 1);
		if (rc == 0) {
			rc = add_part(t, 0, "{}", 2, &all);
			t->tw[t->ntw - 1].has_input = 1;
		}
	}
	if (rc != 0) {
		cli_tmpl_free(t);
		return cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	if (!quote && n > 0) {
		decide_shell(t);
	}
	if (t->max_group > ngroups && (g == NULL || (g->colsep == NULL &&
	    !g->n_given && g->multi == CLI_MULTI_NONE && !g->max_lines))) {
		rc = cli_errf(e, CORUN_EINVAL, "placeholder {%zu} but there "
		    "%s only %zu input source%s", t->max_group,
		    ngroups == 1 ? "is" : "are", ngroups,
		    ngroups == 1 ? "" : "s");
		cli_tmpl_free(t);
	}
	return rc;
}

int
cli_tmpl_init(struct cli_tmpl *t, const char *const *words, size_t n,
    size_t ngroups, struct cli_err *e)
{
	return cli_tmpl_setup(t, words, n, ngroups, NULL, NULL, e);
}

void
cli_tmpl_free(struct cli_tmpl *t)
{
	free(t->text);
	free(t->parts);
	free(t->tw);
	free(t->sh);
	memset(t, 0, sizeof(*t));
}

/* The command being built: argv words (direct) or one line (shell). */
struct out {
	struct cli_cmd *c;
	struct cm_buf cur;
	int shell, started, rc;
	int plain;		/* one text, values verbatim (expand_plain) */
};

static void
out_text(struct out *o, const char *s, size_t n)
{
	if (o->rc == 0) {
		o->rc = cm_buf_add(&o->cur, s, n);
	}
	o->started = 1;
}

static void
out_break(struct out *o)
{
	char *w;

	if (o->shell || o->plain) {
		out_text(o, " ", 1);
		return;
	}
	if (o->started && o->rc == 0) {
		w = cm_buf_steal(&o->cur);
		o->rc = cli_strv_take(&o->c->argv, w != NULL ? w : strdup(""));
	}
	o->started = 0;
}

/* A value, transformed by op; quoted for the shell in a line. */
static void
out_value(struct out *o, const char *v, const char *op)
{
	char *x = op[0] == '\0' ? NULL : cli_xform(v, op);
	const char *y = op[0] == '\0' ? v : x;

	if (y == NULL) {
		o->rc = CORUN_ENOMEM;
		return;
	}
	if (o->shell && o->rc == 0) {
		o->rc = cm_shquote(&o->cur, y);
	} else {
		out_text(o, y, strlen(y));
	}
	o->started = 1;
	free(x);
}

static void
out_number(struct out *o, unsigned long long n, unsigned long long width)
{
	char num[32], w[32];
	int pad = width ? snprintf(w, sizeof(w), "%llu", width) : 0;

	snprintf(num, sizeof(num), "%0*llu", pad, n);
	out_text(o, num, strlen(num));
}

struct vals {
	const char *const *v;
	size_t n;
	uint64_t seq;
	unsigned slot;
};

static void
out_ph(struct out *o, const struct cli_tmpl *t, const struct cli_ph *ph,
    const struct vals *a)
{
	size_t i;
	char *x;

	switch (ph->type) {
	case CLI_PH_SEQ:
		out_number(o, a->seq, ph->zero ? t->total : 0);
		break;
	case CLI_PH_SLOT:
		out_number(o, a->slot, ph->zero ? t->nslots : 0);
		break;
	case CLI_PH_TOTAL:
		out_number(o, t->total, 0);
		break;
	case CLI_PH_GROUP:
		out_value(o, ph->group <= a->n ? a->v[ph->group - 1] : "",
		    ph->op);
		break;
	case CLI_PH_PERL:
		for (i = 0; i < (a->n ? a->n : 1) && o->rc == 0; i++) {
			x = t->perl == NULL ? NULL : t->perl(t->perl_arg,
			    ph->group, a->n ? a->v[i] : "", a->seq, a->slot);
			if (x == NULL) {
				o->rc = CORUN_ESYS;
				break;
			}
			if (i > 0) {
				out_break(o);
			}
			out_value(o, x, "");
			free(x);
		}
		break;
	default:
		for (i = 0; i < a->n; i++) {
			if (i > 0) {
				out_break(o);
			}
			out_value(o, a->v[i], ph->op);
		}
		break;
	}
}

/* One template word; -X repeats a word that holds {} for each value. */
static void
out_word(struct out *o, const struct cli_tmpl *t, const struct cli_tword *w,
    const struct vals *a)
{
	struct vals one = *a;
	size_t i, k, reps = 1;
	const struct cli_tpart *pt;

	if (t->g != NULL && t->g->multi == CLI_MULTI_X && w->has_input) {
		reps = a->n;
		one.n = 1;
	}
	for (i = 0; i < reps; i++) {
		if (reps > 1) {
			one.v = a->v + i;
			if (i > 0) {
				out_break(o);
			}
		}
		for (k = 0; k < w->n; k++) {
			pt = &t->parts[w->first + k];
			if (pt->lit) {
				out_text(o, pt->s, pt->len);
			} else {
				out_ph(o, t, &pt->ph, reps > 1 ? &one : a);
			}
		}
	}
}

int
cli_tmpl_expand(const struct cli_tmpl *t, const char *const *args,
    size_t nargs, uint64_t seq, unsigned slot, struct cli_cmd *c)
{
	struct vals a = { args, nargs, seq, slot };
	struct out o;
	size_t i;

	memset(c, 0, sizeof(*c));
	memset(&o, 0, sizeof(o));
	o.c = c;
	o.shell = t->shell || t->nwords == 0;
	if (t->nwords == 0) {
		/* No command: the input line is the command. */
		for (i = 0; i < nargs; i++) {
			out_text(&o, i ? " " : "", i ? 1 : 0);
			out_text(&o, args[i], strlen(args[i]));
		}
	}
	for (i = 0; i < t->ntw; i++) {
		if (i > 0 && o.shell) {
			out_text(&o, t->tw[i].sep, t->tw[i].seplen);
		} else if (i > 0) {
			out_break(&o);
		}
		out_word(&o, t, &t->tw[i], &a);
	}
	if (o.shell) {
		c->shell = 1;
		c->sh = t->sh;
		o.started = 1;
		o.shell = 0;
	}
	out_break(&o);
	cm_buf_free(&o.cur);
	if (o.rc == 0 && !c->shell) {
		o.rc = cli_cmd_normalize(c);
	}
	if (o.rc != 0) {
		cli_cmd_free(c);
	}
	return o.rc;
}

int
cli_tmpl_expand_plain(const char *w, const char *const *args, size_t nargs,
    uint64_t seq, unsigned slot, struct cm_buf *b)
{
	struct vals a = { args, nargs, seq, slot };
	struct cli_tmpl t;
	struct out o;

	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	o.plain = 1;
	o.rc = scan(&t, NULL, w, 0);
	if (o.rc == 0) {
		out_word(&o, &t, &t.tw[0], &a);
	}
	if (o.rc == 0) {
		o.rc = cm_buf_add(b, o.cur.p != NULL ? o.cur.p : "", o.cur.len);
	}
	cm_buf_free(&o.cur);
	cli_tmpl_free(&t);
	return o.rc;
}

void
cli_cmd_free(struct cli_cmd *c)
{
	cli_strv_free(&c->argv);
	c->shell = 0;
	c->sh = NULL;
}

/* Quote every word and join them with spaces. */
static char *
quoted_line(const struct cli_strv *sv)
{
	struct cm_buf b = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < sv->n && rc == 0; i++) {
		if (i > 0) {
			rc = cm_buf_addc(&b, ' ');
		}
		if (rc == 0) {
			rc = cm_shquote(&b, sv->v[i]);
		}
	}
	if (rc != 0) {
		cm_buf_free(&b);
		return NULL;
	}
	return cm_buf_steal(&b);
}

int
cli_cmd_normalize(struct cli_cmd *c)
{
	size_t i;
	int need = 0;
	char *line;

	if (c->shell || c->argv.n == 0) {
		return 0;
	}
	for (i = 0; i < c->argv.n; i++) {
		if (c->argv.v[i][0] == '\0') {
			need = 1;
		}
	}
	if (c->argv.n == 1 && cm_has_shell_syntax(c->argv.v[0])) {
		need = 1;
	}
	if (!need) {
		return 0;
	}
	/*
	 * The worker runs a lone word with shell syntax through sh -c, and
	 * an empty word ends argv in the payload: hand sh a quoted script
	 * that runs exactly these words instead.
	 */
	if ((line = quoted_line(&c->argv)) == NULL) {
		return CORUN_ENOMEM;
	}
	cli_strv_free(&c->argv);
	c->shell = 1;
	return cli_strv_take(&c->argv, line);
}

char *
cli_cmd_line(const struct cli_cmd *c)
{
	if (c->shell) {
		return strdup(c->argv.n ? c->argv.v[0] : "");
	}
	return quoted_line(&c->argv);
}

int
cli_shell_payload(const struct cli_cmd *c, const struct cli_strv *env,
    struct cm_buf *out)
{
	size_t i;
	int rc = 0;

	if (c->shell && c->sh != NULL) {
		/* Another shell than /bin/sh: run it as a program. */
		rc = cm_buf_add(out, c->sh, strlen(c->sh) + 1);
		if (rc == 0) {
			rc = cm_buf_add(out, "-c", 3);
		}
	}
	for (i = 0; i < c->argv.n && rc == 0; i++) {
		rc = cm_buf_add(out, c->argv.v[i], strlen(c->argv.v[i]) + 1);
	}
	if (env != NULL && env->n > 0 && rc == 0) {
		rc = cm_buf_addc(out, '\0');
		for (i = 0; i < env->n && rc == 0; i++) {
			rc = cm_buf_add(out, env->v[i],
			    strlen(env->v[i]) + 1);
		}
	}
	return rc;
}
