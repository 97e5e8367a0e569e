/*
 * output.c - what a finished job prints: its output (whole, or line by
 * line with --tag), its --json record, its --results directory and its
 * joblog row.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char *
cli_status_name(int status)
{
	switch (status) {
	case 0:
		return "ok";
	case CORUN_EFAILED:
		return "failed";
	case CORUN_ETIMEDOUT:
		return "timeout";
	case CORUN_ECANCELED:
		return "cancelled";
	case CORUN_ELOST:
		return "lost";
	case CORUN_EBROKEN:
		return "broken";
	default:
		return "error";
	}
}

int
cli_write_tagged(FILE *f, const char *tag, const char *data, size_t len,
    int flush_lines)
{
	const char *nl;
	size_t n;

	if (tag == NULL) {
		if (len > 0 && fwrite(data, 1, len, f) != len) {
			return CORUN_ESYS;
		}
		return 0;
	}
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl ? (size_t)(nl - data) + 1 : len;
		fputs(tag, f);
		fputc('\t', f);
		if (fwrite(data, 1, n, f) != n) {
			return CORUN_ESYS;
		}
		if (nl == NULL) {
			/* Finish a last line without a newline. */
			fputc('\n', f);
		}
		if (flush_lines && fflush(f) != 0) {
			return CORUN_ESYS;
		}
		data += n;
		len -= n;
	}
	return 0;
}

/* A JSON string of arbitrary bytes: invalid UTF-8 becomes U+FFFD. */
static json_t *
jstr(const char *s, size_t len)
{
	struct cm_buf b = { 0 };
	json_t *j;
	size_t i = 0, k, n;
	unsigned char c;

	if ((j = json_stringn(s, len)) != NULL) {
		return j;
	}
	while (i < len) {
		c = (unsigned char)s[i];
		n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
		    (c >> 3) == 30 ? 4 : 0;
		for (k = 1; n > 0 && k < n; k++) {
			if (i + k >= len ||
			    ((unsigned char)s[i + k] >> 6) != 2) {
				n = 0;
			}
		}
		if (n == 0) {
			cm_buf_adds(&b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		cm_buf_add(&b, s + i, n);
		i += n;
	}
	j = json_stringn(b.p ? b.p : "", b.len);
	if (j == NULL) {
		/* Overlong forms and surrogates: give up on the text. */
		j = json_string("\xef\xbf\xbd");
	}
	cm_buf_free(&b);
	return j;
}

static double
ns_to_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* The fields shared by --json and meta.json. */
static json_t *
outcome_obj(const struct cli_outcome *oc, int with_output)
{
	const struct corun_job_result *r = oc->res;
	const struct cli_jobspec *js = oc->js;
	json_t *o = json_object(), *a;
	size_t i;

	if (o == NULL) {
		return NULL;
	}
	json_object_set_new(o, "seq", json_integer((json_int_t)js->seq));
	if (js->id != NULL) {
		json_object_set_new(o, "id", jstr(js->id, strlen(js->id)));
	}
	json_object_set_new(o, "kind", json_string(js->kind));
	json_object_set_new(o, "command", jstr(js->cmdline,
	    strlen(js->cmdline)));
	if (js->args.n > 0) {
		a = json_array();
		for (i = 0; i < js->args.n; i++) {
			json_array_append_new(a, jstr(js->args.v[i],
			    strlen(js->args.v[i])));
		}
		json_object_set_new(o, "args", a);
	}
	json_object_set_new(o, "status", json_string(cli_status_name(
	    oc->status)));
	json_object_set_new(o, "exit", json_integer(r ? r->exit_code : -1));
	json_object_set_new(o, "signal", json_integer(r ? r->signal : 0));
	if (with_output) {
		json_object_set_new(o, "stdout", r ? jstr(r->out,
		    r->out_len) : json_string(""));
		json_object_set_new(o, "stderr", r ? jstr(r->err,
		    r->err_len) : json_string(""));
	}
	json_object_set_new(o, "start", r ? json_real(ns_to_s(
	    r->start_ns)) : json_null());
	json_object_set_new(o, "runtime", json_real(r && r->end_ns >=
	    r->start_ns ? ns_to_s(r->end_ns - r->start_ns) : 0));
	json_object_set_new(o, "attempts", json_integer(r ? r->attempts :
	    0));
	json_object_set_new(o, "worker_pid", json_integer(r ? r->worker_pid :
	    0));
	if (oc->message != NULL && *oc->message != '\0') {
		json_object_set_new(o, "error", jstr(oc->message,
		    strlen(oc->message)));
	}
	return o;
}

char *
cli_outcome_json(const struct cli_outcome *oc)
{
	json_t *o = outcome_obj(oc, 1);
	char *s;

	if (o == NULL) {
		return NULL;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(o);
	return s;
}

void
cli_outcome_logrow(const struct cli_outcome *oc, struct cli_logrow *row)
{
	const struct corun_job_result *r = oc->res;

	memset(row, 0, sizeof(*row));
	row->seq = oc->js->seq;
	row->command = oc->js->cmdline;
	row->exitval = -1;
	if (r != NULL) {
		row->start = ns_to_s(r->start_ns);
		row->runtime = r->end_ns >= r->start_ns ?
		    ns_to_s(r->end_ns - r->start_ns) : 0;
		row->receive = r->out_len;
		row->signal = r->signal;
		/* A kind without a process: exit 0 if it worked, else 1. */
		row->exitval = r->exit_code;
		if (r->exit_code < 0 && r->signal == 0 && oc->status == 0) {
			row->exitval = 0;
		} else if (r->exit_code < 0 && r->signal == 0 &&
		    oc->status == CORUN_EFAILED) {
			row->exitval = 1;
		}
	}
}

char *
cli_files_write(const char *tmpdir, const char *data, size_t len)
{
	struct cm_buf b = { 0 };
	char *name;
	int fd, ok;

	cm_buf_adds(&b, tmpdir != NULL ? tmpdir : "/tmp");
	if ((name = (cm_buf_adds(&b, "/parXXXXXX.par"), cm_buf_steal(&b))) ==
	    NULL || (fd = mkstemps(name, 4)) < 0) {
		free(name);
		return NULL;
	}
	ok = len == 0 || write(fd, data, len) == (ssize_t)len;
	if (close(fd) != 0 || !ok) {
		unlink(name);
		free(name);
		return NULL;
	}
	return name;
}
