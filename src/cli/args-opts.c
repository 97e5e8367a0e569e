/* SPDX-License-Identifier: MIT */
/*
 * args-opts.c - the options of `corun run`: their table (long name,
 * short letter, whether a value follows, handler), the handlers, and the
 * usage they add up to.  The command line's grammar is args.c's.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pace.h"
#include "args-internal.h"
#include "help.h"
#include "cr-log.h"
#include "limit.h"
#include "pipe.h"

static opt_fn set_flag, set_str, set_nonempty, set_count, push_nonempty;
static opt_fn opt_model, opt_load, opt_results, opt_timeout, opt_retries,
    opt_halt, opt_argfile, opt_remote_timeout, set_ms, opt_log_level;
static opt_fn opt_sem_timeout, opt_trc;
static opt_fn opt_limit;

#define OFF(f) offsetof(struct cli_run_opts, f)

static const struct opt opts[] = {
	/* the pool */
	{ "jobs", 'j', 1, cli_opt_jobs, OFF(jobs), 0, 1000000 },
	{ "model", 0, 1, opt_model, 0, 0, 0 },
	{ "procs", 0, 1, set_count, OFF(procs), 1, 1024 },
	{ "threads", 0, 1, set_count, OFF(threads), 1, 256 },
	{ "concurrency", 0, 1, set_count, OFF(concurrency), 1, 1000000 },
	{ "offload", 0, 0, set_flag, OFF(offload), 0, 0 },
	{ "plugin", 0, 1, opt_load, 0, 0, 0 },
	{ "load", 0, 1, opt_load, 0, 0, 0 },
	/* supervision (ranges in ms) */
	{ "heartbeat-timeout", 0, 1, set_ms, OFF(heartbeat_ms), 0,
	    86400000 },
	{ "restart-max", 0, 1, set_count, OFF(restart_max), 1, 100000 },
	{ "restart-window", 0, 1, set_ms, OFF(restart_window_ms), 100,
	    86400000 },
	/* output */
	{ "keep-order", 'k', 0, set_flag, OFF(keep_order), 0, 0 },
	{ "joblog", 0, 1, set_str, OFF(joblog), 0, 0 },
	{ "results", 0, 1, opt_results, 0, 0, 0 },
	/* each job */
	{ "timeout", 0, 1, opt_timeout, 0, 0, 0 },
	{ "retries", 0, 1, opt_retries, 0, 0, 0 },
	{ "halt", 0, 1, opt_halt, 0, 0, 0 },
	{ "halt-on-error", 0, 1, opt_halt, 0, 0, 0 },
	/* output */
	{ "tag", 0, 0, set_flag, OFF(tag), 0, 0 },
	{ "line-buffer", 0, 0, set_flag, OFF(line_buffer), 0, 0 },
	{ "lb", 0, 0, set_flag, OFF(line_buffer), 0, 0 },
	{ "json", 0, 0, set_flag, OFF(json), 0, 0 },
	{ "bar", 0, 0, set_flag, OFF(bar), 0, 0 },
	{ "progress", 0, 0, set_flag, OFF(progress), 0, 0 },
	{ "dry-run", 0, 0, set_flag, OFF(dry_run), 0, 0 },
	/* input */
	{ "arg-file", 'a', 1, opt_argfile, 0, 0, 0 },
	{ "null", '0', 0, set_flag, OFF(null_sep), 0, 0 },
	{ "jobs-file", 0, 1, set_str, OFF(jobs_file), 0, 0 },
	{ "help", 'h', 0, set_flag, OFF(help), 0, 0 },
	{ "version", 0, 0, set_flag, OFF(version), 0, 0 },
	/* remote workers */
	{ "listen", 0, 1, set_nonempty, OFF(listen), 0, 0 },
	{ "token", 0, 1, set_nonempty, OFF(token), 0, 0 },
	{ "token-file", 0, 1, set_nonempty, OFF(token_file), 0, 0 },
	{ "insecure", 0, 0, set_flag, OFF(insecure), 0, 0 },
	{ "tls-cert", 0, 1, set_nonempty, OFF(tls_cert), 0, 0 },
	{ "tls-key", 0, 1, set_nonempty, OFF(tls_key), 0, 0 },
	{ "tls-ca", 0, 1, set_nonempty, OFF(tls_ca), 0, 0 },
	{ "worker-cmd", 0, 1, push_nonempty, OFF(worker_cmds), 0, 0 },
	{ "worker-host", 0, 1, push_nonempty, OFF(worker_hosts), 0, 0 },
	{ "remote-only", 0, 0, set_flag, OFF(remote_only), 0, 0 },
	{ "remote-slots", 0, 1, set_count, OFF(remote_slots), 1, 65536 },
	{ "remote-timeout", 0, 1, opt_remote_timeout, 0, 0, 0 },
	{ "slurm", 0, 0, set_flag, OFF(slurm), 0, 0 },
	{ "slurm-workers", 0, 1, set_count, OFF(slurm_workers), 1, 100000 },
	{ "sbatch-opt", 0, 1, set_nonempty, OFF(sbatch_opt), 0, 0 },
	{ "url-file", 0, 1, set_nonempty, OFF(url_file), 0, 0 },
	{ "log-level", 0, 1, opt_log_level, 0, 0, 0 },
	/* the dashboard */
	{ "http", 0, 1, set_nonempty, OFF(http), 0, 0 },
	/* GNU parallel's command forming (args-gnu.c, gnu.h) */
	{ "max-procs", 'P', 1, cli_opt_jobs, 0, 0, 0 },
	{ "max-args", 'n', 1, cli_opt_maxargs, 0, 0, 0 },
	{ "max-replace-args", 'N', 1, cli_opt_maxargs, 0, 0, 0 },
	{ "xargs", 0, 0, cli_opt_multi, 0, CLI_MULTI_M, 0 },
	{ "m", 'm', 0, cli_opt_multi, 0, CLI_MULTI_M, 0 },
	{ "X", 'X', 0, cli_opt_multi, 0, CLI_MULTI_X, 0 },
	{ "max-lines", 'L', 1, cli_opt_maxlines, 0, 0, 0 },
	{ "max-chars", 's', 1, cli_opt_maxchars, 0, 0, 0 },
	{ "colsep", 'C', 1, cli_opt_gstr, GOFF(colsep), 0, 0 },
	{ "header", 0, 1, cli_opt_gstr, GOFF(header), 0, 0 },
	{ "trim", 0, 1, cli_opt_trim, 0, 0, 0 },
	{ "link", 0, 0, cli_opt_gflag, GOFF(link), 0, 0 },
	{ "xapply", 0, 0, cli_opt_gflag, GOFF(link), 0, 0 },
	{ "delimiter", 'd', 1, cli_opt_delim, 0, 0, 0 },
	{ "replace", 'I', 1, cli_opt_rs, 0, CLI_RS_ALL, 0 },
	{ "extensionreplace", 0, 1, cli_opt_rs, 0, CLI_RS_NOEXT, 0 },
	{ "er", 0, 1, cli_opt_rs, 0, CLI_RS_NOEXT, 0 },
	{ "basenamereplace", 0, 1, cli_opt_rs, 0, CLI_RS_BASE, 0 },
	{ "bnr", 0, 1, cli_opt_rs, 0, CLI_RS_BASE, 0 },
	{ "dirnamereplace", 0, 1, cli_opt_rs, 0, CLI_RS_DIR, 0 },
	{ "dnr", 0, 1, cli_opt_rs, 0, CLI_RS_DIR, 0 },
	{ "basenameextensionreplace", 0, 1, cli_opt_rs, 0, CLI_RS_BASENOEXT,
	    0 },
	{ "bner", 0, 1, cli_opt_rs, 0, CLI_RS_BASENOEXT, 0 },
	{ "seqreplace", 0, 1, cli_opt_rs, 0, CLI_RS_SEQ, 0 },
	{ "slotreplace", 0, 1, cli_opt_rs, 0, CLI_RS_SLOT, 0 },
	{ "plus", 0, 0, cli_opt_gflag, GOFF(plus), 0, 0 },
	{ "quote", 'q', 0, cli_opt_gflag, GOFF(quote), 0, 0 },
	{ "no-run-if-empty", 'r', 0, cli_opt_gflag, GOFF(no_empty), 0, 0 },
	{ "env", 0, 1, cli_opt_gstr, GOFF(env), 0, 0 },
	/* --pipe / --pipepart (pipe.c) */
	{ "pipe", 0, 0, set_flag, OFF(pipe), 0, 0 },
	{ "spreadstdin", 0, 0, set_flag, OFF(pipe), 0, 0 },
	{ "pipepart", 0, 0, set_flag, OFF(pipepart), 0, 0 },
	{ "block", 0, 1, set_nonempty, OFF(block), 0, 0 },
	{ "block-size", 0, 1, set_nonempty, OFF(block), 0, 0 },
	{ "blocksize", 0, 1, set_nonempty, OFF(block), 0, 0 },
	{ "recstart", 0, 1, set_str, OFF(recstart), 0, 0 },
	{ "recend", 0, 1, set_str, OFF(recend), 0, 0 },
	{ "regexp", 0, 0, set_flag, OFF(regexp), 0, 0 },
	{ "round-robin", 0, 0, set_flag, OFF(round_robin), 0, 0 },
	{ "roundrobin", 0, 0, set_flag, OFF(round_robin), 0, 0 },
	{ "cat", 0, 0, set_flag, OFF(pipe_cat), 0, 0 },
	{ "fifo", 0, 0, set_flag, OFF(pipe_fifo), 0, 0 },
	{ "ungroup", 'u', 0, set_flag, OFF(ungroup), 0, 0 },
	{ "jl", 0, 1, set_str, OFF(joblog), 0, 0 },
	/* output modes */
	{ "tagstring", 0, 1, set_str, OFF(tagstring), 0, 0 },
	{ "tmpdir", 0, 1, set_nonempty, OFF(tmpdir), 0, 0 },
	{ "files", 0, 0, set_flag, OFF(files), 0, 0 },
	{ "group", 0, 0, set_flag, OFF(group), 0, 0 },
	{ "eta", 0, 0, set_flag, OFF(eta), 0, 0 },
	/* --semaphore (sem.c) */
	{ "semaphore", 0, 0, set_flag, OFF(semaphore), 0, 0 },
	{ "id", 0, 1, set_nonempty, OFF(sem_id), 0, 0 },
	{ "semaphorename", 0, 1, set_nonempty, OFF(sem_id), 0, 0 },
	{ "fg", 0, 0, set_flag, OFF(sem_fg), 0, 0 },
	{ "bg", 0, 0, set_flag, OFF(sem_bg), 0, 0 },
	{ "wait", 0, 0, set_flag, OFF(sem_wait), 0, 0 },
	{ "st", 0, 1, opt_sem_timeout, 0, 0, 0 },
	{ "semaphoretimeout", 0, 1, opt_sem_timeout, 0, 0, 0 },
	/* pacing (pace.c) */
	{ "delay", 0, 1, cli_opt_delay, 0, 0, 0 },
	{ "memfree", 0, 1, cli_opt_memfree, 0, 0, 0 },
	{ "nice", 0, 1, cli_opt_nice, 0, 0, 0 },
	/* remote logins (sshlogin.c) */
	{ "sshlogin", 'S', 1, push_nonempty, OFF(sshlogins), 0, 0 },
	{ "sshloginfile", 0, 1, push_nonempty, OFF(sshloginfiles), 0, 0 },
	{ "slf", 0, 1, push_nonempty, OFF(sshloginfiles), 0, 0 },
	{ "ssh", 0, 1, set_nonempty, OFF(ssh), 0, 0 },
	{ "transfer", 0, 0, set_flag, OFF(transfer), 0, 0 },
	{ "transferfile", 0, 1, set_nonempty, OFF(transfer_file), 0, 0 },
	{ "tf", 0, 1, set_nonempty, OFF(transfer_file), 0, 0 },
	{ "return", 0, 1, push_nonempty, OFF(returns), 0, 0 },
	{ "cleanup", 0, 0, set_flag, OFF(cleanup), 0, 0 },
	{ "trc", 0, 1, opt_trc, 0, 0, 0 },
	{ "nonall", 0, 0, set_flag, OFF(nonall), 0, 0 },
	{ "onall", 0, 0, set_flag, OFF(onall), 0, 0 },
	/* resuming from --joblog (resume.c) */
	{ "resume", 0, 0, set_flag, OFF(resume), 0, 0 },
	{ "resume-failed", 0, 0, set_flag, OFF(resume_failed), 0, 0 },
	{ "retry-failed", 0, 0, set_flag, OFF(retry_failed), 0, 0 },
	/* pacing (shuf.c) */
	{ "shuf", 0, 0, set_flag, OFF(shuf), 0, 0 },
	{ "limit", 0, 1, opt_limit, 0, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0, 0 }
};

void
cli_run_usage(FILE *f)
{
	fputs(
"usage: corun run [-0hk] [-a file] [-j n] [--bar] [--concurrency c]\n"
"                 [--dry-run] [--halt when,why=n[%]] [--joblog file]\n"
"                 [--json] [--line-buffer] [--plugin file.so]\n"
"                 [--load max-load]\n"
"                 [--model process|thread|async|hybrid] [--offload]\n"
"                 [--procs p] [--progress] [--results dir]\n"
"                 [--retries n] [--tag] [--threads t] [--timeout secs|n%]\n"
"                 [-u] [--delay duration] [--eta] [--files [--tmpdir dir]]\n"
"                 [--group] [--jl file] [--memfree size] [--nice n]\n"
"                 [--resume | --resume-failed | --retry-failed]\n"
"                 [--tagstring str] [--shuf] [--limit command]\n"
"                 [command [arg ...]] [::: value ... | :::: file ...] ...\n"
"       corun run [options] --pipe | --pipepart -a file [-N records]\n"
"                 [-L lines] [--block size] [--cat | --fifo]\n"
"                 [--header lines] [--recend str] [--recstart str]\n"
"                 [--regexp] [--round-robin] command\n"
"       corun run [options] -S [n/]host|:[,...] [--sshloginfile file]\n"
"                 [--ssh command] [--transfer | --transferfile file]\n"
"                 [--return file] [--cleanup] [--trc file]\n"
"                 [--nonall | --onall] ...\n"
"       corun sem [--id name] [-j n] [--fg | --bg] [--st secs]\n"
"                 command | --wait\n"
"       corun run [options] --jobs-file file|-\n"
"Supervision:    [--heartbeat-timeout secs] [--restart-max n]\n"
"                 [--restart-window secs]\n"
"Remote workers: --listen url [--token t | --token-file f] [--insecure]\n"
"                 [--tls-cert f [--tls-key f]] [--tls-ca f]\n"
"                 [--worker-cmd template [--worker-host host] ...]\n"
"                 [--remote-only] [--remote-slots n] [--remote-timeout secs]\n"
"                 [--url-file file]\n"
"Slurm:          --slurm [--slurm-workers n] [--sbatch-opt 'options']\n"
"                 [--listen url] [--token t | --token-file f] [--url-file f]\n"
"Logs:           [--log-level error|warn|info|debug]\n"
"Dashboard:      [--http host:port]  (/metrics, the live page; read-only)\n"
"\n"
"Command forming, as GNU parallel:\n"
"                 [-mqrX] [-C|--colsep regexp] [-d delim] [-I string]\n"
"                 [-L n] [-N|-n n] [-P n] [-s n] [--env var]\n"
"                 [--header regexp] [--link] [--plus] [--trim n|l|r|lr]\n"
"                 [--xargs] [--er s] [--bnr s] [--dnr s] [--bner s]\n"
"                 [--seqreplace s] [--slotreplace s]\n"
"                 -j n, n%, +n, -n, 0 (as many as can run) or a file\n"
"                 (read again after each job)\n"
"                 ::: values, :::+ linked values, :::: files, ::::+\n"
"Placeholders: {} {.} {/} {//} {/.} {#} {%} {n} {n.} {n/} {n//} {n/.}\n"
"  {colname} (--header); --plus: {+/} {+.} {..} {+..} {...} {+...}\n"
"  {/..} {/...} {##} {0#} {0%}.  The command's words are joined into\n"
"  one line for the shell, values quoted (-q: each word one argument).\n"
"Input: ::: values, :::: files, -a files (cross product, last group\n"
"fastest), else lines of stdin.  Exit: 0 all ok, 1-100 failed jobs,\n"
"101 more than 100 failed, 255 a bad option or other errors.\n", f);
	cli_help_options(f, "run");
}

int
cli_model_parse(const char *s, enum corun_model *out)
{
	static const struct {
		const char *name;
		enum corun_model m;
	} models[] = {
		{ "process", CORUN_MODEL_PROCESS },
		{ "thread", CORUN_MODEL_THREAD },
		{ "async", CORUN_MODEL_ASYNC },
		{ "hybrid", CORUN_MODEL_HYBRID },
	};
	size_t i;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		if (strcmp(s, models[i].name) == 0) {
			*out = models[i].m;
			return 0;
		}
	}
	return CORUN_EINVAL;
}

void
cli_run_opts_free(struct cli_run_opts *o)
{
	size_t g;

	for (g = 0; g < o->ngroups; g++) {
		cli_strv_free(&o->groups[g].vals);
	}
	free(o->groups);
	cli_strv_free(&o->load);
	cli_strv_free(&o->worker_cmds);
	cli_strv_free(&o->worker_hosts);
	cli_strv_free(&o->sshlogins);
	cli_strv_free(&o->sshloginfiles);
	cli_strv_free(&o->returns);
	memset(o, 0, sizeof(*o));
}

struct cli_group *
cli_run_add_group(struct cli_run_opts *o, int is_file, const char *path)
{
	struct cli_group *ng;

	ng = realloc(o->groups, (o->ngroups + 1) * sizeof(*ng));
	if (ng == NULL) {
		return NULL;
	}
	o->groups = ng;
	ng = &o->groups[o->ngroups++];
	memset(ng, 0, sizeof(*ng));
	ng->is_file = is_file;
	ng->path = path;
	return ng;
}

static int
uint_opt(const char *name, const char *v, unsigned long long min,
    unsigned long long max, unsigned *out, struct cli_err *e)
{
	unsigned long long x;
	int rc = cli_parse_uint(v, max, &x);

	if (rc == 0 && x < min) {
		rc = CORUN_ERANGE;
	}
	if (rc != 0) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not an integer "
		    "from %llu to %llu", name, v, min, max);
	}
	*out = (unsigned)x;
	return 0;
}

/* ---- the handlers: shared ones, then one per option that needs it -- */

#define FIELD(o, op, type) ((type *)(void *)((char *)(o) + (op)->off))

static int
set_flag(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	*FIELD(o, op, int) = 1;
	return 0;
}

static int
set_str(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	*FIELD(o, op, const char *) = v;
	return 0;
}

static int
set_nonempty(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	if (*v == '\0') {
		return cli_errf(e, CORUN_EINVAL, "%s: empty value", name);
	}
	*FIELD(o, op, const char *) = v;
	return 0;
}

static int
set_count(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	return uint_opt(name, v, op->min, op->max, FIELD(o, op, unsigned), e);
}

static int
push_nonempty(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	if (*v == '\0') {
		return cli_errf(e, CORUN_EINVAL, "%s: empty value", name);
	}
	return cli_strv_push(FIELD(o, op, struct cli_strv), v) ? cli_errf(e,
	    CORUN_ENOMEM, "out of memory") : 0;
}

static int
opt_model(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	if (cli_model_parse(v, &o->model) != 0) {
		return cli_errf(e, CORUN_EINVAL, "%s: unknown model \"%s\" "
		    "(process, thread, async or hybrid)", name, v);
	}
	return 0;
}

static int
opt_load(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	size_t n = strlen(v);
	long cores;

	if (*v == '\0') {
		return cli_errf(e, CORUN_EINVAL, "%s: empty file name", name);
	}
	/*
	 * --plugin FILE.so; --load is that too when it names a file (a
	 * path with a slash, or FILE.so), else parallel's --load N.
	 */
	if (strcmp(op->lng, "load") == 0 && strchr(v, '/') == NULL &&
	    (n < 3 || strcmp(v + n - 3, ".so") != 0)) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		if (cli_load_parse(v, cores > 0 ? (unsigned)cores : 1,
		    &o->max_load) != 0) {
			return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is "
			    "neither a load (N, N%%, +N, -N) nor a plugin "
			    "(a path with a /, or FILE.so)", name, v);
		}
		return 0;
	}
	return cli_strv_push(&o->load, v) ? cli_errf(e, CORUN_ENOMEM,
	    "out of memory") : 0;
}

static int
opt_results(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	if (*v == '\0') {
		return cli_errf(e, CORUN_EINVAL, "%s: empty directory name",
		    name);
	}
	o->results = v;
	return 0;
}

static int
opt_timeout(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	size_t n = strlen(v);

	if (n > 1 && n < 64 && v[n - 1] == '%') {
		/* N%: N percent of the median runtime so far (median.h). */
		char buf[64];

		memcpy(buf, v, n - 1);
		buf[n - 1] = '\0';
		if (cli_parse_double(buf, &o->timeout_pct) != 0 ||
		    o->timeout_pct <= 0 || o->timeout_pct > 1e9) {
			return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not "
			    "a positive percentage", name, v);
		}
		o->timeout = 0;
		return 0;
	}
	o->timeout_pct = 0;
	if (cli_parse_double(v, &o->timeout) != 0 || o->timeout <= 0 ||
	    o->timeout > 1e9) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a positive "
		    "number of seconds", name, v);
	}
	return 0;
}

static int
opt_retries(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	unsigned u = 0;
	int rc = uint_opt(name, v, 0, 1000, &u, e);

	/* As GNU parallel: --retries N runs a failing job N times in all
	   (0 and 1: once); the pool counts the runs after the first. */
	o->retries = u > 0 ? (int)u - 1 : 0;
	return rc;
}

static int
opt_halt(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	int rc;

	if ((rc = cli_halt_parse(v, &o->halt, e)) != 0) {
		char m[sizeof(e->msg)];

		memcpy(m, e->msg, sizeof(m));
		return cli_errf(e, rc, "%s: %s", name, m);
	}
	return 0;
}

static int
opt_argfile(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	return cli_run_add_group(o, 1, v) ? 0 : cli_errf(e, CORUN_ENOMEM,
	    "out of memory");
}

/* Seconds, kept in ms in an unsigned field; op's range is in ms. */
static int
set_ms(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	double secs;

	if (cli_parse_double(v, &secs) != 0 || secs * 1000 < op->min ||
	    secs * 1000 > op->max) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a number "
		    "of seconds from %g to %g", name, v, op->min / 1000.0,
		    op->max / 1000.0);
	}
	*(unsigned *)((char *)o + op->off) = (unsigned)(secs * 1000 + 0.5);
	return 0;
}

static int
opt_remote_timeout(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	if (cli_parse_double(v, &o->remote_timeout) != 0 ||
	    o->remote_timeout < 0.1 || o->remote_timeout > 86400) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a number "
		    "of seconds from 0.1 to 86400", name, v);
	}
	return 0;
}

/* The level of the pool's and the workers' log lines (cr-log.h). */
static int
opt_log_level(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	int l = cr_log_level_parse(v);

	if (l < 0) {
		return cli_errf(e, CORUN_EINVAL, "%s: unknown level \"%s\" "
		    "(error, warn, info or debug)", name, v);
	}
	cr_log_set_level(l);
	return 0;
}

static int
opt_sem_timeout(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e)
{
	int neg = v[0] == '-';

	if (cli_parse_double(v + neg, &o->sem_timeout) != 0) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a number "
		    "of seconds", name, v);
	}
	o->sem_timeout = neg ? -o->sem_timeout : o->sem_timeout;
	return 0;
}

/* --trc FILE: --transfer --return FILE --cleanup */
static int
opt_trc(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	if (*v == '\0') {
		return cli_errf(e, CORUN_EINVAL, "%s: empty value", name);
	}
	o->transfer = o->cleanup = 1;
	return cli_strv_push(&o->returns, v) ? cli_errf(e, CORUN_ENOMEM,
	    "out of memory") : 0;
}

const struct opt *
cli_run_opt_long(const char *s, size_t n)
{
	const struct opt *op;

	for (op = opts; op->lng != NULL; op++) {
		if (strlen(op->lng) == n && strncmp(op->lng, s, n) == 0) {
			return op;
		}
	}
	return NULL;
}

const struct opt *
cli_run_opt_short(char c)
{
	const struct opt *op;

	for (op = opts; op->lng != NULL; op++) {
		if (op->shrt == c) {
			return op;
		}
	}
	return NULL;
}

const char *
cli_run_opt_name(size_t i)
{
	return i < sizeof(opts) / sizeof(opts[0]) ? opts[i].lng : NULL;
}

static int
opt_limit(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	if (cli_limit_check(v, e) != 0) {
		return CORUN_EINVAL;
	}
	o->limit = v;
	return 0;
}
