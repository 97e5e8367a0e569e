/*
 * template.c - the command template: placeholders, quoting, and the shell
 * kind's payload.
 *
 * Two modes, chosen once from the template:
 *
 *  - words (the usual case, as xargs -I): each template word stays one
 *    argument; values are put in verbatim, so quotes, $(...), ; and
 *    newlines in a value reach the command literally.  A word that is
 *    exactly {} or {n}-like with several input groups... see ph_word().
 *  - shell: the template is ONE word with shell syntax ('grep x {} | wc');
 *    it runs through /bin/sh -c and every value is shell-quoted before it
 *    is put in, so a value is never run as shell code either.
 *
 * Placeholders: {} {.} {/} {//} {/.} {#} {%} and {n} {n.} {n/} {n//}
 * {n/.}.  Anything else in braces (${HOME}, {a,b}) is left alone.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What a placeholder stands for. */
enum {
	PH_NONE = 0,
	PH_ALL,			/* {} and its transforms: every group */
	PH_GROUP,		/* {n}: one group */
	PH_SEQ,			/* {#} */
	PH_SLOT			/* {%} */
};

struct ph {
	int type;
	size_t group;		/* PH_GROUP: 1-based */
	char op[3];		/* "", ".", "/", "//", "/." */
	size_t len;		/* bytes of the placeholder */
};

static int
parse_op(const char *s, size_t n, char *op)
{
	static const char *const ops[] = { "", ".", "/", "//", "/." };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strlen(ops[i]) == n && strncmp(s, ops[i], n) == 0) {
			memcpy(op, ops[i], n + 1);
			return 1;
		}
	}
	return 0;
}

/* Recognise a placeholder at s (which starts with '{'). */
static int
ph_parse(const char *s, struct ph *ph)
{
	const char *close = strchr(s, '}');
	const char *p = s + 1;
	size_t g = 0;

	memset(ph, 0, sizeof(*ph));
	if (close == NULL) {
		return 0;
	}
	ph->len = (size_t)(close - s) + 1;
	if (close == p + 1 && (*p == '#' || *p == '%')) {
		ph->type = *p == '#' ? PH_SEQ : PH_SLOT;
		return 1;
	}
	if (*p >= '1' && *p <= '9') {
		while (*p >= '0' && *p <= '9' && g < 1000000) {
			g = g * 10 + (size_t)(*p - '0');
			p++;
		}
		if (!parse_op(p, (size_t)(close - p), ph->op)) {
			return 0;
		}
		ph->type = PH_GROUP;
		ph->group = g;
		return 1;
	}
	if (!parse_op(p, (size_t)(close - p), ph->op)) {
		return 0;
	}
	ph->type = PH_ALL;
	return 1;
}

/* The length of v without its extension ({.}): \.[^/.]*$ removed. */
static size_t
noext_len(const char *v, size_t n)
{
	size_t i = n;

	while (i > 0 && v[i - 1] != '/' && v[i - 1] != '.') {
		i--;
	}
	if (i > 0 && v[i - 1] == '.') {
		return i - 1;
	}
	return n;
}

char *
cli_xform(const char *v, const char *op)
{
	size_t n = strlen(v), b, e;
	const char *slash;

	if (op[0] == '\0') {
		return strdup(v);
	}
	if (strcmp(op, ".") == 0) {
		return strndup(v, noext_len(v, n));
	}
	if (strcmp(op, "//") == 0) {
		/* dirname(1): drop trailing slashes, the last part, slashes. */
		e = n;
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
	/* "/" and "/.": the part after the last slash. */
	slash = strrchr(v, '/');
	b = slash ? (size_t)(slash - v) + 1 : 0;
	if (strcmp(op, "/") == 0) {
		return strdup(v + b);
	}
	return strndup(v + b, noext_len(v + b, n - b));
}

int
cli_tmpl_init(struct cli_tmpl *t, const char *const *words, size_t n,
    size_t ngroups, struct cli_err *e)
{
	const char *s;
	struct ph ph;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->words = words;
	t->nwords = n;
	t->shell = n == 1 && cm_has_shell_syntax(words[0]);
	for (i = 0; i < n; i++) {
		for (s = strchr(words[i], '{'); s != NULL;
		    s = strchr(s + 1, '{')) {
			if (!ph_parse(s, &ph)) {
				continue;
			}
			if (ph.type == PH_ALL) {
				t->has_input_ph = 1;
			} else if (ph.type == PH_GROUP) {
				t->has_input_ph = 1;
				if (ph.group > t->max_group) {
					t->max_group = ph.group;
				}
			} else if (ph.type == PH_SLOT) {
				t->has_slot = 1;
			}
		}
	}
	if (t->max_group > ngroups) {
		return cli_errf(e, CORUN_EINVAL, "placeholder {%zu} but there "
		    "%s only %zu input source%s", t->max_group,
		    ngroups == 1 ? "is" : "are", ngroups,
		    ngroups == 1 ? "" : "s");
	}
	return 0;
}

/* Add value v, transformed by op, shell-quoted in shell mode. */
static int
add_value(struct cm_buf *b, const char *v, const char *op, int shell)
{
	char *x = cli_xform(v, op);
	int rc;

	if (x == NULL) {
		return CORUN_ENOMEM;
	}
	rc = shell ? cm_shquote(b, x) : cm_buf_adds(b, x);
	free(x);
	return rc;
}

/* Expand one word into b; values of {} are joined with spaces. */
static int
expand_word(const struct cli_tmpl *t, const char *w, const char *const *args,
    size_t nargs, uint64_t seq, unsigned slot, struct cm_buf *b)
{
	char num[32];
	struct ph ph;
	size_t i;
	int rc = 0;

	while (*w != '\0' && rc == 0) {
		if (*w != '{' || !ph_parse(w, &ph)) {
			rc = cm_buf_addc(b, *w++);
			continue;
		}
		w += ph.len;
		switch (ph.type) {
		case PH_SEQ:
		case PH_SLOT:
			snprintf(num, sizeof(num), "%llu", ph.type == PH_SEQ ?
			    (unsigned long long)seq : (unsigned long long)slot);
			rc = cm_buf_adds(b, num);
			break;
		case PH_GROUP:
			rc = add_value(b, ph.group <= nargs ?
			    args[ph.group - 1] : "", ph.op, t->shell);
			break;
		default:
			for (i = 0; i < nargs && rc == 0; i++) {
				if (i > 0) {
					rc = cm_buf_addc(b, ' ');
				}
				if (rc == 0) {
					rc = add_value(b, args[i], ph.op,
					    t->shell);
				}
			}
			break;
		}
	}
	return rc;
}

int
cli_tmpl_expand_plain(const char *w, const char *const *args, size_t nargs,
    uint64_t seq, unsigned slot, struct cm_buf *b)
{
	struct cli_tmpl t;

	memset(&t, 0, sizeof(t));
	return expand_word(&t, w, args, nargs, seq, slot, b);
}

/*
 * In words mode a word that is exactly {} (or {.} ...) with several groups
 * becomes one argument per group, as GNU parallel passes them.
 */
static int
all_word(const char *w, struct ph *ph)
{
	return w[0] == '{' && ph_parse(w, ph) && ph->type == PH_ALL &&
	    w[ph->len] == '\0';
}

int
cli_tmpl_expand(const struct cli_tmpl *t, const char *const *args,
    size_t nargs, uint64_t seq, unsigned slot, struct cli_cmd *c)
{
	struct cm_buf b = { 0 };
	struct ph ph;
	size_t i, k;
	int rc = 0;
	char *x;

	memset(c, 0, sizeof(*c));
	c->shell = t->shell;
	for (i = 0; i < t->nwords && rc == 0; i++) {
		if (!t->shell && nargs != 1 && all_word(t->words[i], &ph)) {
			for (k = 0; k < nargs && rc == 0; k++) {
				x = cli_xform(args[k], ph.op);
				rc = cli_strv_take(&c->argv, x);
			}
			continue;
		}
		rc = expand_word(t, t->words[i], args, nargs, seq, slot, &b);
		if (rc == 0 && t->shell && !t->has_input_ph) {
			for (k = 0; k < nargs && rc == 0; k++) {
				rc = cm_buf_addc(&b, ' ');
				if (rc == 0) {
					rc = cm_shquote(&b, args[k]);
				}
			}
		}
		if (rc == 0) {
			rc = cli_strv_take(&c->argv, cm_buf_steal(&b));
		}
	}
	if (t->nwords == 0) {
		/* No command: the input line is the command (sh -c). */
		for (k = 0; k < nargs && rc == 0; k++) {
			if (k > 0) {
				rc = cm_buf_addc(&b, ' ');
			}
			if (rc == 0) {
				rc = cm_buf_adds(&b, args[k]);
			}
		}
		if (rc == 0) {
			rc = cli_strv_take(&c->argv, cm_buf_steal(&b));
		}
		c->shell = 1;
	} else if (!t->shell && !t->has_input_ph) {
		for (k = 0; k < nargs && rc == 0; k++) {
			rc = cli_strv_push(&c->argv, args[k]);
		}
	}
	cm_buf_free(&b);
	if (rc == 0 && !c->shell) {
		rc = cli_cmd_normalize(c);
	}
	if (rc != 0) {
		cli_cmd_free(c);
	}
	return rc;
}

void
cli_cmd_free(struct cli_cmd *c)
{
	cli_strv_free(&c->argv);
	c->shell = 0;
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
