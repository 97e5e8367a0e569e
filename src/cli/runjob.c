/* SPDX-License-Identifier: MIT */
/*
 * runjob.c - the two ends of a job in `corun run`: making it from the
 * input (template + values, or a jobs file line) and printing its
 * outcome (output, --json, --results, --joblog).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run-internal.h"

/* "KEY=" and n in decimal into buf (no snprintf: this runs per job). */
static char *
env_num(char *buf, const char *key, uint64_t n)
{
	char digits[24];
	size_t k = strlen(key), d = 0;

	do {
		digits[d++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	memcpy(buf, key, k);
	while (d > 0) {
		buf[k++] = digits[--d];
	}
	buf[k] = '\0';
	return buf;
}

/*
 * PARALLEL_SEQ and PARALLEL_PID in every job's environment, and
 * PARALLEL_JOBSLOT where the slot is tracked (see cli_run_open_sources).
 */
static int
job_payload(struct cli_run *r, const struct cli_cmd *c, uint64_t seq,
    unsigned slot, struct cm_buf *b)
{
	char seqs[48], js[48];
	char *ev[3] = { seqs, r->pid_env, js };
	struct cli_strv env = { ev, slot ? 3 : 2, 3 };

	env_num(seqs, "PARALLEL_SEQ=", seq);
	if (slot) {
		env_num(js, "PARALLEL_JOBSLOT=", slot);
	}
	return cli_shell_payload(c, &env, b);
}

/* A placeholder string expanded with the job's values, or NULL. */
static char *
expand_plain(const char *w, const char *const *args, size_t nargs,
    uint64_t seq, unsigned slot)
{
	struct cm_buf b = { 0 };

	if (cli_tmpl_expand_plain(w, args, nargs, seq, slot, &b) !=
	    0 || cm_buf_adds(&b, "") != 0) {
		cm_buf_free(&b);
		return NULL;
	}
	return cm_buf_steal(&b);
}

/*
 * -S: bind the job to a login with a free slot (--nonall: the seq-th);
 * on a remote one, c becomes the ssh script that runs it there.
 */
static int
to_login(struct cli_run *r, const char *const *args, size_t nargs,
    uint64_t seq, unsigned slot, struct cli_jobspec *js, struct cli_cmd *c)
{
	const struct cli_run_opts *o = r->o;
	struct cli_strv rets = { 0 };
	char *tf = NULL, *script = NULL;
	int i, rc = CORUN_ENOMEM;
	size_t k;

	if (o->nonall) {
		i = (int)((seq - 1) % r->logins.n);
		r->logins.v[i].busy++;
	} else if ((i = cli_logins_pick(&r->logins)) < 0) {
		/* more jobs queued than slots: the next login in turn */
		i = (int)(r->logins.next++ % r->logins.n);
		r->logins.v[i].busy++;
	}
	js->login = i + 1;
	if (r->logins.v[i].local || js->cmdline == NULL) {
		return js->cmdline == NULL ? CORUN_ENOMEM : 0;
	}
	if (o->transfer || o->transfer_file) {
		tf = expand_plain(o->transfer_file ? o->transfer_file :
		    "{}", args, nargs, seq, slot);
	}
	for (k = 0; k < o->returns.n; k++) {
		char *x = expand_plain(o->returns.v[k], args, nargs,
		    seq, slot);

		if (x == NULL || cli_strv_take(&rets, x) != 0) {
			goto out;
		}
	}
	script = cli_login_script(&r->logins.v[i], o->ssh ? o->ssh : "ssh",
	    js->cmdline, tf, &rets, o->cleanup);
	if (script != NULL) {
		cli_cmd_free(c);
		memset(c, 0, sizeof(*c));
		c->shell = 1;
		rc = cli_strv_take(&c->argv, script);
	}
out:
	free(tf);
	cli_strv_free(&rets);
	return rc;
}

/* Build the job for one input tuple. */
static int
job_from_args(struct cli_run *r, const char *const *args, size_t nargs,
    uint64_t seq, unsigned slot, struct cli_jobspec *js)
{
	struct cli_cmd c;
	struct cm_buf b = { 0 };
	size_t i;
	int rc;

	memset(js, 0, sizeof(*js));
	js->seq = seq;
	js->slot = slot;
	js->timeout = -1;
	js->retries = -1;
	if ((rc = cli_tmpl_expand(&r->tmpl, args, r->o->nonall ? 0 : nargs,
	    seq, slot, &c)) != 0) {
		return rc;
	}
	js->cmdline = cli_cmd_line(&c);
	if (r->logins.n > 0 && (rc = to_login(r, args, nargs, seq, slot, js,
	    &c)) != 0) {
		cli_cmd_free(&c);
		cli_jobspec_free(js);
		return rc;
	}
	rc = job_payload(r, &c, seq, slot, &b);
	js->len = b.len;
	js->payload = cm_buf_steal(&b);
	js->kind = strdup("shell");
	cli_cmd_free(&c);
	for (i = 0; i < nargs && rc == 0; i++) {
		rc = cli_strv_push(&js->args, args[i]);
		if (rc == 0) {
			rc = cm_buf_adds(&b, i ? " " : "");
		}
		if (rc == 0) {
			rc = cm_buf_adds(&b, args[i]);
		}
	}
	if (rc == 0 && r->o->tagstring != NULL) {
		b.len = 0;
		rc = cli_tmpl_expand_plain(r->o->tagstring, args, nargs,
		    seq, slot, &b);
		if (b.p != NULL) {
			b.p[b.len] = '\0';
		}
	}
	js->tagstr = cm_buf_steal(&b);
	if (rc == 0 && (js->payload == NULL || js->cmdline == NULL ||
	    js->kind == NULL || js->tagstr == NULL)) {
		rc = CORUN_ENOMEM;
	}
	if (rc != 0) {
		cli_jobspec_free(js);
	}
	return rc;
}

/* The next job from the input; CORUN_EAGAIN, CORUN_EDONE or an error. */
int
cli_run_next_job(struct cli_run *r, int nonblock, unsigned slot,
    struct cli_jobspec *js, struct cli_err *e)
{
	const char **args;
	size_t nargs;
	int rc;

	if (r->use_jf) {
		rc = cli_jobsfile_next(&r->jf, js, e);
		if (rc == 0) {
			js->seq = r->next_seq;
		}
		return rc;
	}
	rc = r->o->shuf ? cli_shuf_next(&r->shuf, &r->batch, &r->in,
	    nonblock, &args, &nargs, e) :
	    cli_batch_next(&r->batch, &r->in, nonblock, &args, &nargs, e);
	if (rc != 0) {
		return rc;
	}
	rc = job_from_args(r, args, nargs, r->next_seq, slot, js);
	if (rc == CORUN_ESYS) {
		return cli_errf(e, rc, "job %llu: the perl of {= =} is gone",
		    (unsigned long long)r->next_seq);
	}
	return rc ? cli_errf(e, rc, "out of memory") : 0;
}

int
cli_run_dry(struct cli_run *r)
{
	struct cli_jobspec js;
	struct cli_err e;
	int rc;

	for (r->next_seq = 1;; r->next_seq++) {
		rc = cli_run_next_job(r, 0, (unsigned)((r->next_seq - 1) % r->conc) +
		    1, &js, &e);
		if (rc == CORUN_EDONE) {
			break;
		}
		if (rc != 0) {
			cli_warn("%s", e.msg);
			return CLI_EXIT_ERROR;
		}
		printf("%s\n", js.cmdline);
		cli_jobspec_free(&js);
	}
	return fflush(stdout) == 0 ? 0 : CLI_EXIT_ERROR;
}

/*
 * One stream of a job's output, from its result or the file the worker
 * spilled it to (a job that wrote more than a little).
 */
static void
print_stream(struct cli_run *r, FILE *f, const char *tag, const char *data,
    size_t len, const char *file)
{
	if (file == NULL) {
		cli_write_tagged(f, tag, data, len, r->o->line_buffer);
	} else if (cli_write_file(f, tag, file, r->o->line_buffer) != 0 &&
	    errno != EPIPE) {
		cli_warn("the output in %s: %s", file, strerror(errno));
		r->failed_hard = 1;
	}
}

void
cli_run_print_outcome(struct cli_run *r, const struct cli_outcome *oc)
{
	const struct corun_job_result *res = oc->res;
	const char *tag = r->o->tag || r->o->tagstring ? oc->js->tagstr :
	    NULL;
	struct cli_logrow row;
	struct cli_err e;
	char *line;

	cli_progress_clear(&r->prog);
	if (r->o->files && res != NULL && !r->o->json &&
	    r->o->results == NULL) {
		/* --files: the name of a file holding the job's stdout */
		if ((line = cli_files_write(r->o->tmpdir, res->out,
		    res->out_len)) == NULL) {
			cli_warn("--files: %s: %s", r->o->tmpdir ?
			    r->o->tmpdir : "/tmp", strerror(errno));
			r->failed_hard = 1;
		} else {
			cli_write_tagged(stdout, tag, line, strlen(line), 0);
			fputc('\n', stdout);
			free(line);
		}
	} else if (r->o->json) {
		if ((line = cli_outcome_json(oc)) != NULL) {
			printf("%s\n", line);
			free(line);
		}
	} else if (res != NULL && !r->streaming && r->o->results == NULL) {
		/* with --results, parallel prints nothing of the job */
		print_stream(r, stdout, tag, res->out, res->out_len,
		    res->out_file);
		fflush(stdout);
		print_stream(r, stderr, tag, res->err, res->err_len,
		    res->err_file);
	}
	fflush(stdout);
	/*
	 * A command that ran and exited non-zero speaks for itself (its
	 * stderr, the exit status), as with GNU parallel; any other failure,
	 * one that could not even start its program included, is told here.
	 */
	if (oc->status == CORUN_EBROKEN) {
		/* The pool said why, once (the run stops: retire()). */
	} else if (oc->status != 0 && !(oc->status == CORUN_EFAILED &&
	    res != NULL &&
	    (res->exit_code >= 0 || res->signal > 0)) &&
	    !r->o->json && !oc->quiet &&
	    !(oc->status == CORUN_ECANCELED && r->stopping)) {
		/* One line: a command of 200 KB is not repeated whole. */
		const char *cmd = oc->js->cmdline;

		fprintf(stderr, "%s: job %" PRIu64 " %s: %.60s%s%s%s\n", CLI_PROG,
		    oc->js->seq, cli_status_name(oc->status), cmd,
		    strlen(cmd) > 60 ? "..." : "", *oc->message ? ": " : "",
		    oc->message);
	}
	if (r->results != NULL && cli_results_put(r->results, oc, &e) != 0) {
		cli_warn("%s", e.msg);
		r->failed_hard = 1;
	}
	if (r->joblog != NULL) {
		cli_outcome_logrow(oc, &row);
		if (cli_joblog_row(r->joblog, &row) != 0) {
			cli_warn("--joblog: %s: %s", r->o->joblog,
			    strerror(errno));
			r->failed_hard = 1;
		}
	}
}

int
cli_run_open_sources(struct cli_run *r, struct cli_err *e)
{
	struct cli_run_opts *o = r->o;
	int rc;

	if (o->jobs_file != NULL) {
		r->use_jf = 1;
		return cli_jobsfile_open(&r->jf, o->jobs_file, e);
	}
	if (o->ngroups == 0 && isatty(STDIN_FILENO)) {
		cli_warn("reading the input from the terminal (end it with "
		    "Ctrl-D; or give ::: values, :::: files or -a)");
	}
	env_num(r->pid_env, "PARALLEL_PID=", (uint64_t)getpid());
	if ((rc = cli_input_open(&r->in, o, e)) != 0) {
		return rc;
	}
	r->in_open = 1;
	if ((rc = cli_batch_open(&r->batch, &o->g, e)) != 0) {
		return rc;
	}
	if (o->g.header != NULL &&
	    (rc = cli_batch_names(&r->batch, &r->in.hdr, e)) != 0) {
		return rc;
	}
	rc = cli_tmpl_setup(&r->tmpl, o->cmd, o->ncmd, o->ngroups ?
	    o->ngroups : 1, &o->g, &r->batch.names, e);
	if (rc != 0) {
		return rc;
	}
	if (!r->tmpl.has_slot && r->tmpl.text != NULL &&
	    strstr(r->tmpl.text, "PARALLEL_JOBSLOT") != NULL) {
		/* Slots are tracked (and the window kept to them) only
		   for a command that asks for them. */
		r->tmpl.has_slot = 1;
	}
	if (r->tmpl.wants_total || r->tmpl.has_perl) {
		/* {##}, {0#} and perl's total_jobs() */
		rc = cli_batch_count(o, &r->tmpl.total, e);
	}
	if (rc == 0 && r->tmpl.has_perl) {
		if ((rc = cli_perl_start(&r->perl, &r->tmpl, e)) != 0) {
			return rc;
		}
		r->perl.total = r->tmpl.total;
		r->tmpl.perl = cli_perl_eval;
		r->tmpl.perl_arg = &r->perl;
	}
	cli_batch_measure(&r->batch, &r->tmpl);
	return rc;
}
