/* SPDX-License-Identifier: MIT */
/*
 * jobspec-kinds.c - the payload and the display line of each kind of
 * job, from the kind's own fields (the payloads are described in
 * corun/job.h):
 *
 *   shell        "cmd" (a string: one word, run through sh -c when it
 *                holds shell syntax; or an array: argv), or "argv";
 *                "env" adds NAME=VALUE words
 *   sleep block  "ms"
 *   cpu          "ms" or "iter"
 *   net          "addr" (HOST:PORT) and "request"
 *   any kind     "payload", the raw bytes, instead of the fields above
 *
 * A command given as a single word holding shell syntax runs through
 * sh -c, as on corun run's and corun submit's command lines (and as GNU
 * parallel runs one quoted argument): "cmd" as a string, or as an array
 * of one such word, which is what corund has always done with it.
 * "argv" is words run exactly as given: a lone word with shell syntax
 * there becomes one quoted script for sh -c that runs exactly that word.
 * An empty word (which would end argv in the payload) does the same in
 * either form.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corun/error.h>

#include "fault-internal.h"
#include "jobspec-internal.h"

const char *
cm_jobspec_kind_fields(const char *kind)
{
	static const struct {
		const char *kind, *fields;
	} tab[] = {
		{ "shell", " cmd argv env payload " },
		{ "sleep", " ms payload " },
		{ "block", " ms payload " },
		{ "cpu", " ms iter payload " },
		{ "noop", " payload " },
		{ "net", " addr request payload " },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(kind, tab[i].kind) == 0) {
			return tab[i].fields;
		}
	}
	return " payload ";
}

/* ---- shell --------------------------------------------------------- */

/* The words of a shell job. */
struct words {
	const char **w;		/* borrowed from the JSON, or script */
	size_t n;
	char *script;		/* the quoted script, when made */
	int shell;		/* w[0] is a script for sh -c */
};

/*
 * An empty word, or with literal ("argv") a lone word with shell syntax:
 * one quoted script.  Else a lone word with shell syntax is for sh -c.
 */
static int
normalize(struct words *ws, int literal)
{
	struct cm_buf b = { 0 };
	size_t i;
	int lone_sh = ws->n == 1 && cm_has_shell_syntax(ws->w[0]);
	int need = literal && lone_sh;

	for (i = 0; i < ws->n; i++) {
		need |= ws->w[i][0] == '\0';
	}
	if (!need) {
		ws->shell = lone_sh;
		return 0;
	}
	cm_jobspec_shline(&b, ws->w, ws->n);
	if ((ws->script = cm_buf_steal(&b)) == NULL) {
		return CORUN_ENOMEM;
	}
	ws->w[0] = ws->script;
	ws->n = 1;
	ws->shell = 1;
	return 0;
}

/*
 * An argv from "cmd" or "argv" (name).  The messages of its words are
 * those each field had before they were one: cmd[1], "argv"[1].
 */
static int
argv_words(json_t *v, const char *name, struct words *ws,
    struct cm_jobspec_err *e)
{
	char label[64];
	json_t *x;
	size_t i;
	int is_cmd = strcmp(name, "cmd") == 0;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		return cm_jobspec_fail(e, CORUN_EINVAL, is_cmd ? "\"cmd\" must "
		    "be a non-empty string without NUL, or a non-empty array "
		    "of strings" : "\"argv\" must be a non-empty array of "
		    "strings");
	}
	if ((ws->w = cr_calloc(json_array_size(v), sizeof(*ws->w))) ==
	    NULL) {
		return cm_jobspec_oom(e);
	}
	json_array_foreach(v, i, x) {
		snprintf(label, sizeof(label), is_cmd ? "cmd[%zu]" :
		    "\"argv\"[%zu]", i);
		if ((ws->w[i] = cm_jobspec_str(x)) == NULL) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "%s must be a "
			    "string without NUL", label);
		}
		if (i == 0 && *ws->w[0] == '\0') {
			return cm_jobspec_fail(e, CORUN_EINVAL, "%s must not be "
			    "empty", label);
		}
	}
	ws->n = json_array_size(v);
	return normalize(ws, !is_cmd) != 0 ? cm_jobspec_oom(e) : 0;
}

static int
shell_words(json_t *o, struct words *ws, struct cm_jobspec_err *e)
{
	json_t *cmd = json_object_get(o, "cmd");
	json_t *argv = json_object_get(o, "argv");

	if ((cmd == NULL) == (argv == NULL)) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "a shell job needs "
		    "exactly one of \"cmd\" and \"argv\"");
	}
	if (argv != NULL) {
		return argv_words(argv, "argv", ws, e);
	}
	if (json_is_array(cmd)) {
		return argv_words(cmd, "cmd", ws, e);
	}
	if ((ws->w = cr_calloc(1, sizeof(*ws->w))) == NULL) {
		return cm_jobspec_oom(e);
	}
	ws->w[0] = cm_jobspec_str(cmd);
	if (ws->w[0] == NULL || *ws->w[0] == '\0') {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"cmd\" must be a "
		    "non-empty string without NUL, or a non-empty array of "
		    "strings");
	}
	ws->n = 1;
	ws->shell = cm_has_shell_syntax(ws->w[0]);
	return 0;
}

/* "env": NAME=VALUE words after an empty word. */
static int
shell_env(json_t *env, struct cm_buf *b, struct cm_jobspec_err *e)
{
	const char *key, *val;
	json_t *v;

	if (env == NULL) {
		return 0;
	}
	if (!json_is_object(env)) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"env\" must be an "
		    "object of strings");
	}
	json_object_foreach(env, key, v) {
		val = cm_jobspec_str(v);
		if (*key == '\0' || strchr(key, '=') != NULL || val == NULL) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "\"env\": \"%s\" "
			    "must be a name without '=' with a string value",
			    key);
		}
	}
	if (json_object_size(env) > 0) {
		cm_buf_addc(b, '\0');
	}
	json_object_foreach(env, key, v) {
		cm_buf_adds(b, key);
		cm_buf_addc(b, '=');
		cm_buf_add(b, json_string_value(v), json_string_length(v) +
		    1);
	}
	return 0;
}

static int
shell_job(json_t *o, struct cm_jobspec_desc *d, struct cm_jobspec_err *e)
{
	struct words ws = { 0 };
	struct cm_buf b = { 0 }, line = { 0 };
	size_t i;
	int rc;

	if ((rc = shell_words(o, &ws, e)) == 0) {
		for (i = 0; i < ws.n; i++) {
			cm_buf_add(&b, ws.w[i], strlen(ws.w[i]) + 1);
		}
		rc = shell_env(json_object_get(o, "env"), &b, e);
	}
	if (rc == 0) {
		if (ws.shell) {
			cm_buf_adds(&line, ws.w[0]);
		} else {
			cm_jobspec_shline(&line, ws.w, ws.n);
		}
		d->len = b.len;
		d->payload = cm_buf_steal(&b);
		d->line = cm_buf_steal(&line);
		if (d->payload == NULL || d->line == NULL) {
			rc = cm_jobspec_oom(e);
		}
	}
	cm_buf_free(&b);
	cm_buf_free(&line);
	free(ws.script);
	free(ws.w);
	return rc;
}

/* ---- the other kinds ----------------------------------------------- */

static int
get_uint(json_t *o, const char *key, json_int_t *out,
    struct cm_jobspec_err *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"%s\" must be a "
		    "non-negative integer", key);
	}
	*out = json_integer_value(v);
	return 0;
}

/* sleep, block: "MS"; cpu: "MSms" or "Niter". */
static int
ms_payload(json_t *o, const char *kind, struct cm_buf *b,
    struct cm_jobspec_err *e)
{
	int iter = strcmp(kind, "cpu") == 0 &&
	    json_object_get(o, "iter") != NULL;
	char num[64];
	json_int_t n = 0;
	int rc;

	if (iter && json_object_get(o, "ms") != NULL) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "a cpu job takes "
		    "\"ms\" or \"iter\", not both");
	}
	if ((rc = get_uint(o, iter ? "iter" : "ms", &n, e)) != 0) {
		return rc;
	}
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT "%s", n, iter ?
	    "iter" : strcmp(kind, "cpu") == 0 ? "ms" : "");
	return cm_buf_adds(b, num);
}

/* net: "HOST:PORT" NUL request. */
static int
net_payload(json_t *o, struct cm_buf *b, const char **addr,
    struct cm_jobspec_err *e)
{
	json_t *v = json_object_get(o, "request");
	const char *colon;
	char *end;
	unsigned long port;

	*addr = cm_jobspec_str(json_object_get(o, "addr"));
	colon = *addr != NULL ? strrchr(*addr, ':') : NULL;
	if (colon == NULL || colon == *addr || colon[1] < '0' ||
	    colon[1] > '9' || (port = strtoul(colon + 1, &end, 10)) == 0 ||
	    port > 65535 || *end != '\0') {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"addr\" must be a "
		    "string \"HOST:PORT\"");
	}
	if (v != NULL && !json_is_string(v)) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"request\" must be "
		    "a string");
	}
	cm_buf_add(b, *addr, strlen(*addr) + 1);
	if (v != NULL) {
		cm_buf_add(b, json_string_value(v), json_string_length(v));
	}
	return 0;
}

/* A field of the kind's own that "payload" replaces, or NULL. */
static const char *
payload_rival(json_t *o, const char *kind)
{
	const char *key, *fields = cm_jobspec_kind_fields(kind);
	char pat[40];
	json_t *v;

	json_object_foreach(o, key, v) {
		if (strcmp(key, "payload") != 0 && strlen(key) < 32) {
			snprintf(pat, sizeof(pat), " %s ", key);
			if (strstr(fields, pat) != NULL) {
				return key;
			}
		}
	}
	return NULL;
}

static int
raw_payload(json_t *o, const char *kind, struct cm_buf *b,
    struct cm_jobspec_err *e)
{
	json_t *v = json_object_get(o, "payload");
	const char *rival = payload_rival(o, kind);

	if (rival != NULL) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"payload\" and "
		    "\"%s\" exclude each other", rival);
	}
	if (!json_is_string(v)) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"payload\" must be "
		    "a string");
	}
	return cm_buf_add(b, json_string_value(v), json_string_length(v));
}

int
cm_jobspec_build(json_t *o, struct cm_jobspec_desc *d,
    struct cm_jobspec_err *e)
{
	struct cm_buf b = { 0 }, line = { 0 };
	const char *kind = d->kind, *addr = NULL;
	int rc = 0;

	if (json_object_get(o, "payload") != NULL) {
		rc = raw_payload(o, kind, &b, e);
	} else if (strcmp(kind, "shell") == 0) {
		return shell_job(o, d, e);
	} else if (strcmp(kind, "sleep") == 0 || strcmp(kind, "block") == 0 ||
	    strcmp(kind, "cpu") == 0) {
		rc = ms_payload(o, kind, &b, e);
	} else if (strcmp(kind, "net") == 0) {
		rc = net_payload(o, &b, &addr, e);
	}
	if (rc == CORUN_EINVAL) {
		cm_buf_free(&b);
		return rc;
	}
	cm_buf_adds(&line, kind);
	if (addr != NULL || b.len > 0) {
		cm_buf_addc(&line, ' ');
		cm_shquote(&line, addr != NULL ? addr : b.p);
	}
	d->len = b.len;
	d->payload = b.len > 0 ? cm_buf_steal(&b) : NULL;
	d->line = cm_buf_steal(&line);
	rc = b.oom || d->line == NULL || (d->len > 0 && d->payload == NULL);
	cm_buf_free(&b);
	return rc ? cm_jobspec_oom(e) : 0;
}
