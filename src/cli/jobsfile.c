/*
 * jobsfile.c - --jobs-file FILE|-: one JSON object per line.
 *
 *   {"kind":"shell","cmd":"make -C x"}     one shell word (sh -c if needed)
 *   {"kind":"shell","argv":["ls","-l"]}    words run directly
 *   {"kind":"sleep","ms":10}  {"kind":"cpu","ms":50}  {"kind":"noop"}
 *   {"kind":"net","addr":"127.0.0.1:8080","request":"GET / ...\r\n\r\n"}
 *   {"kind":"mykind","payload":"..."}     kinds from --load plugins
 *
 * Optional on every line: "id" (string or integer, shown by --tag, --json
 * and --results), "timeout" (seconds), "retries"; "env":{"K":"V"} for
 * shell jobs.  Blank lines are skipped.  Unknown fields are errors, so a
 * misspelt "timout" does not silently run without a timeout.
 *
 * The whole file is checked before anything runs (a bad line 7 must not
 * leave jobs 1-6 half done).  A regular file is then read again from the
 * start; a pipe is copied to an unlinked temporary file while checking,
 * so memory stays bounded either way.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Fields each kind accepts besides kind, id, timeout, retries. */
static const char *
kind_fields(const char *kind)
{
	if (strcmp(kind, "shell") == 0) {
		return " cmd argv env ";
	}
	if (strcmp(kind, "sleep") == 0 || strcmp(kind, "block") == 0) {
		return " ms ";
	}
	if (strcmp(kind, "cpu") == 0) {
		return " ms iter ";
	}
	if (strcmp(kind, "noop") == 0) {
		return " ";
	}
	if (strcmp(kind, "net") == 0) {
		return " addr request ";
	}
	return " payload ";
}

static int
field_ok(const char *kind, const char *key)
{
	char pat[64];

	if (strcmp(key, "kind") == 0 || strcmp(key, "id") == 0 ||
	    strcmp(key, "timeout") == 0 || strcmp(key, "retries") == 0) {
		return 1;
	}
	/* A space would let "ms iter" match the list below. */
	if (strlen(key) > 32 || strchr(key, ' ') != NULL) {
		return 0;
	}
	snprintf(pat, sizeof(pat), " %s ", key);
	return strstr(kind_fields(kind), pat) != NULL;
}

static int
valid_kind_name(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 255) {
		return 0;
	}
	for (; *k != '\0'; k++) {
		if (!isalnum((unsigned char)*k) && !strchr("_-.:", *k)) {
			return 0;
		}
	}
	return 1;
}

static int
get_uint(json_t *o, const char *key, json_int_t *out, struct cr_err *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		return cr_errf(e, CORUN_EINVAL, "\"%s\" must be a "
		    "non-negative integer", key);
	}
	*out = json_integer_value(v);
	return 0;
}

static int
shell_job(json_t *o, struct cr_jobspec *js, struct cr_err *e)
{
	json_t *cmd = json_object_get(o, "cmd");
	json_t *argv = json_object_get(o, "argv");
	json_t *env = json_object_get(o, "env"), *v;
	struct cr_strv envv = { 0 };
	struct cr_cmd c = { { 0 }, 0 };
	struct cr_buf b = { 0 };
	const char *key;
	size_t i;
	int rc = 0;

	if ((cmd == NULL) == (argv == NULL)) {
		return cr_errf(e, CORUN_EINVAL, "a shell job needs exactly "
		    "one of \"cmd\" and \"argv\"");
	}
	if (cmd != NULL) {
		if (!json_is_string(cmd) || json_string_length(cmd) == 0 ||
		    strlen(json_string_value(cmd)) !=
		    json_string_length(cmd)) {
			return cr_errf(e, CORUN_EINVAL, "\"cmd\" must be a "
			    "non-empty string without NUL");
		}
		rc = cr_strv_push(&c.argv, json_string_value(cmd));
		c.shell = cr_has_shell_syntax(json_string_value(cmd));
	} else {
		if (!json_is_array(argv) || json_array_size(argv) == 0) {
			return cr_errf(e, CORUN_EINVAL, "\"argv\" must be a "
			    "non-empty array of strings");
		}
		json_array_foreach(argv, i, v) {
			if (!json_is_string(v) || strlen(json_string_value(v))
			    != json_string_length(v)) {
				cr_cmd_free(&c);
				return cr_errf(e, CORUN_EINVAL, "\"argv\"[%zu] "
				    "must be a string without NUL", i);
			}
			if ((rc = cr_strv_push(&c.argv,
			    json_string_value(v))) != 0) {
				break;
			}
		}
		if (rc == 0 && json_string_length(json_array_get(argv, 0)) ==
		    0) {
			cr_cmd_free(&c);
			return cr_errf(e, CORUN_EINVAL, "\"argv\"[0] must not "
			    "be empty");
		}
		if (rc == 0) {
			rc = cr_cmd_normalize(&c);
		}
	}
	if (rc == 0 && env != NULL) {
		if (!json_is_object(env)) {
			cr_cmd_free(&c);
			return cr_errf(e, CORUN_EINVAL, "\"env\" must be an "
			    "object of strings");
		}
		json_object_foreach(env, key, v) {
			if (*key == '\0' || strchr(key, '=') != NULL ||
			    !json_is_string(v) || strlen(json_string_value(v))
			    != json_string_length(v)) {
				cr_strv_free(&envv);
				cr_cmd_free(&c);
				return cr_errf(e, CORUN_EINVAL, "\"env\": \"%s\" "
				    "must be a name without '=' with a string "
				    "value", key);
			}
			cr_buf_adds(&b, key);
			cr_buf_addc(&b, '=');
			cr_buf_adds(&b, json_string_value(v));
			if ((rc = cr_strv_take(&envv, cr_buf_steal(&b))) !=
			    0) {
				break;
			}
		}
	}
	if (rc == 0) {
		rc = cr_shell_payload(&c, &envv, &b);
	}
	if (rc == 0) {
		js->len = b.len;
		js->payload = cr_buf_steal(&b);
		js->cmdline = cr_cmd_line(&c);
		rc = js->cmdline ? 0 : CORUN_ENOMEM;
	}
	cr_buf_free(&b);
	cr_strv_free(&envv);
	cr_cmd_free(&c);
	return rc ? cr_errf(e, rc, "out of memory") : 0;
}

/* The payload and display line of the non-shell kinds. */
static int
other_job(json_t *o, struct cr_jobspec *js, struct cr_err *e)
{
	struct cr_buf b = { 0 }, line = { 0 };
	json_t *v;
	json_int_t n;
	const char *addr = NULL, *colon;
	char num[64];
	unsigned long long port;
	int rc;

	/* The display line is built last: an error returns before it. */
	if (strcmp(js->kind, "noop") == 0) {
		/* Nothing. */
	} else if (strcmp(js->kind, "sleep") == 0 ||
	    strcmp(js->kind, "block") == 0 ||
	    (strcmp(js->kind, "cpu") == 0 &&
	    json_object_get(o, "iter") == NULL)) {
		if ((rc = get_uint(o, "ms", &n, e)) != 0) {
			return rc;
		}
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT "%s", n,
		    strcmp(js->kind, "cpu") == 0 ? "ms" : "");
		cr_buf_adds(&b, num);
	} else if (strcmp(js->kind, "cpu") == 0) {
		if (json_object_get(o, "ms") != NULL) {
			return cr_errf(e, CORUN_EINVAL, "a cpu job takes "
			    "\"ms\" or \"iter\", not both");
		}
		if ((rc = get_uint(o, "iter", &n, e)) != 0) {
			return rc;
		}
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT "iter", n);
		cr_buf_adds(&b, num);
	} else if (strcmp(js->kind, "net") == 0) {
		v = json_object_get(o, "addr");
		addr = json_string_value(v);
		colon = addr ? strrchr(addr, ':') : NULL;
		if (colon == NULL || colon == addr || cr_parse_uint(colon + 1,
		    65535, &port) != 0 || port == 0 || strlen(addr) !=
		    json_string_length(v)) {
			return cr_errf(e, CORUN_EINVAL, "\"addr\" must be a "
			    "string \"HOST:PORT\"");
		}
		cr_buf_add(&b, addr, strlen(addr) + 1);
		v = json_object_get(o, "request");
		if (v != NULL && !json_is_string(v)) {
			cr_buf_free(&b);
			return cr_errf(e, CORUN_EINVAL, "\"request\" must be "
			    "a string");
		}
		if (v != NULL) {
			cr_buf_add(&b, json_string_value(v),
			    json_string_length(v));
		}
	} else {
		v = json_object_get(o, "payload");
		if (v != NULL && !json_is_string(v)) {
			return cr_errf(e, CORUN_EINVAL, "\"payload\" must be "
			    "a string");
		}
		if (v != NULL) {
			cr_buf_add(&b, json_string_value(v),
			    json_string_length(v));
		}
	}
	cr_buf_adds(&line, js->kind);
	if (addr != NULL) {
		cr_buf_addc(&line, ' ');
		cr_shquote(&line, addr);
	} else if (b.len > 0) {
		cr_buf_addc(&line, ' ');
		cr_shquote(&line, b.p);
	}
	js->len = b.len;
	js->payload = b.len ? cr_buf_steal(&b) : NULL;
	js->cmdline = cr_buf_steal(&line);
	cr_buf_free(&b);
	return js->cmdline ? 0 : cr_errf(e, CORUN_ENOMEM, "out of memory");
}

static int
parse_object(json_t *o, struct cr_jobspec *js, struct cr_err *e)
{
	json_t *v;
	const char *key, *kind;
	json_int_t n;
	char num[32];
	int rc;

	if (!json_is_object(o)) {
		return cr_errf(e, CORUN_EINVAL, "a line must be a JSON "
		    "object");
	}
	v = json_object_get(o, "kind");
	kind = json_string_value(v);
	if (kind == NULL) {
		return cr_errf(e, CORUN_EINVAL, "\"kind\" (a string) is "
		    "missing");
	}
	/* A NUL (allowed in strings) would hide the rest of the name. */
	if (!valid_kind_name(kind) || strlen(kind) != json_string_length(v)) {
		return cr_errf(e, CORUN_EINVAL, "\"kind\": \"%s\" is not a "
		    "kind name (1-255 of A-Z a-z 0-9 _ - . :)", kind);
	}
	json_object_foreach(o, key, v) {
		if (!field_ok(kind, key)) {
			return cr_errf(e, CORUN_EINVAL, "unknown field \"%s\" "
			    "for kind \"%s\"", key, kind);
		}
	}
	js->timeout = -1;
	js->retries = -1;
	if ((v = json_object_get(o, "timeout")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1e9) {
			return cr_errf(e, CORUN_EINVAL, "\"timeout\" must be a "
			    "non-negative number of seconds");
		}
		js->timeout = json_number_value(v);
	}
	if (json_object_get(o, "retries") != NULL) {
		if ((rc = get_uint(o, "retries", &n, e)) != 0) {
			return rc;
		}
		if (n > 1000) {
			return cr_errf(e, CORUN_EINVAL, "\"retries\" must be "
			    "at most 1000");
		}
		js->retries = (int)n;
	}
	if ((v = json_object_get(o, "id")) != NULL) {
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
			js->id = strdup(num);
		} else if (json_is_string(v) && strlen(json_string_value(v))
		    == json_string_length(v)) {
			js->id = strdup(json_string_value(v));
		} else {
			return cr_errf(e, CORUN_EINVAL, "\"id\" must be a "
			    "string or an integer");
		}
		if (js->id == NULL) {
			return cr_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	if ((js->kind = strdup(kind)) == NULL) {
		return cr_errf(e, CORUN_ENOMEM, "out of memory");
	}
	if (strcmp(kind, "shell") == 0) {
		rc = shell_job(o, js, e);
	} else {
		rc = other_job(o, js, e);
	}
	if (rc == 0) {
		js->tagstr = strdup(js->id ? js->id : js->cmdline);
		if (js->tagstr == NULL) {
			rc = cr_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	return rc;
}

int
cr_jobsfile_parse_line(const char *line, size_t len, struct cr_jobspec *js,
    struct cr_err *e)
{
	json_error_t jerr;
	json_t *o;
	int rc;

	memset(js, 0, sizeof(*js));
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (o == NULL) {
		return cr_errf(e, CORUN_EPROTO, "invalid JSON at column %d: %s",
		    jerr.column, jerr.text);
	}
	rc = parse_object(o, js, e);
	json_decref(o);
	if (rc != 0) {
		cr_jobspec_free(js);
	}
	return rc;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isspace((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

int
cr_jobsfile_open(struct cr_jobsfile *jf, const char *path, struct cr_err *e)
{
	struct cr_jobspec js;
	struct cr_err pe;
	off_t start;
	char *rec;
	size_t len;
	int rc;

	memset(jf, 0, sizeof(*jf));
	if ((rc = cr_reader_open(&jf->rd, path, '\n', e)) != 0) {
		return rc;
	}
	jf->name = jf->rd.name;
	start = lseek(jf->rd.fd, 0, SEEK_CUR);
	if (start < 0 && (jf->spool = tmpfile()) == NULL) {
		rc = cr_errf(e, CORUN_ESYS, "%s: temporary file: %s",
		    jf->name, strerror(errno));
		cr_jobsfile_close(jf);
		return rc;
	}
	while ((rc = cr_reader_next(&jf->rd, 0, &rec, &len, e)) == 0) {
		if (jf->spool != NULL && (fwrite(rec, 1, len, jf->spool) !=
		    len || fputc('\n', jf->spool) == EOF)) {
			rc = cr_errf(e, CORUN_ESYS, "%s: temporary file: %s",
			    jf->name, strerror(errno));
			break;
		}
		if (blank(rec, len)) {
			continue;
		}
		if ((rc = cr_jobsfile_parse_line(rec, len, &js, &pe)) != 0) {
			rc = cr_errf(e, rc, "%s:%" PRIu64 ": %s", jf->name,
			    jf->rd.lineno, pe.msg);
			break;
		}
		if (strcmp(js.kind, "cpu") == 0 ||
		    strcmp(js.kind, "block") == 0) {
			jf->cpu_bound = 1;
		}
		cr_jobspec_free(&js);
	}
	if (rc != CORUN_EDONE) {
		cr_jobsfile_close(jf);
		return rc;
	}
	/* Read it again, from the copy or from where it started. */
	free(jf->rd.buf);
	jf->rd.buf = NULL;
	jf->rd.len = jf->rd.off = jf->rd.cap = 0;
	jf->rd.eof = 0;
	jf->rd.lineno = 0;
	if (jf->spool != NULL) {
		if (jf->rd.own) {
			close(jf->rd.fd);
		}
		if (fflush(jf->spool) != 0) {
			rc = cr_errf(e, CORUN_ESYS, "%s: temporary file: %s",
			    jf->name, strerror(errno));
			cr_jobsfile_close(jf);
			return rc;
		}
		jf->rd.fd = fileno(jf->spool);
		jf->rd.own = 0;
		start = 0;
	}
	if (lseek(jf->rd.fd, start, SEEK_SET) < 0) {
		rc = cr_errf(e, CORUN_ESYS, "%s: %s", jf->name,
		    strerror(errno));
		cr_jobsfile_close(jf);
		return rc;
	}
	return 0;
}

int
cr_jobsfile_next(struct cr_jobsfile *jf, struct cr_jobspec *js,
    struct cr_err *e)
{
	struct cr_err pe;
	char *rec;
	size_t len;
	int rc;

	while ((rc = cr_reader_next(&jf->rd, 0, &rec, &len, e)) == 0) {
		if (blank(rec, len)) {
			continue;
		}
		if ((rc = cr_jobsfile_parse_line(rec, len, js, &pe)) != 0) {
			return cr_errf(e, rc, "%s:%" PRIu64 ": %s", jf->name,
			    jf->rd.lineno, pe.msg);
		}
		return 0;
	}
	return rc;
}

void
cr_jobsfile_close(struct cr_jobsfile *jf)
{
	cr_reader_close(&jf->rd);
	if (jf->spool != NULL) {
		fclose(jf->spool);
	}
	memset(jf, 0, sizeof(*jf));
	jf->rd.fd = -1;
}
