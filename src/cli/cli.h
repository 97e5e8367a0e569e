/* SPDX-License-Identifier: MIT */
/*
 * cli.h - internal declarations shared by the corun command's files.
 *
 * The pure parts (option parsing, input expansion, templates, the jobs
 * file, halt policy, joblog rows, exit status) take and return plain data
 * so that tests/cli/test_*.c can check them without a pool.  Errors
 * are reported as an int code plus a message written into a caller's
 * buffer (struct cli_err), which already names what and where; the caller
 * prints it with the "corun: " prefix.
 */
#ifndef CORUN_CLI_H
#define CORUN_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <corun/error.h>
#include <corun/pool.h>

#include "common/buf.h"
#include "common/shquote.h"
#include "gnu.h"

#define CLI_PROG "corun"

/* Exit status of "other errors" (bad options, bad input), as parallel. */
#define CLI_EXIT_ERROR 255
/*
 * --heartbeat-timeout's default, as corund.conf's heartbeat-timeout; off
 * (0) by default for a --jobs-file run without --offload, where a
 * blocking kind holds its worker's loop, and its heartbeats, while it
 * runs.  CLI_RUN_HEARTBEAT_UNSET: not given.
 */
#define CLI_RUN_HEARTBEAT_MS 30000
#define CLI_RUN_HEARTBEAT_UNSET 0xffffffffu

/* ---- small utilities (util.c) -------------------------------------- */

struct cli_err {
	char msg[512];
};

int cli_errf(struct cli_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print "corun: " and the message to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable vector of owned strings. */
struct cli_strv {
	char **v;
	size_t n, cap;
};

void cli_strv_free(struct cli_strv *sv);
int cli_strv_push(struct cli_strv *sv, const char *s);
int cli_strv_pushn(struct cli_strv *sv, const char *s, size_t len);
/* Take ownership of s (freed on failure). */
int cli_strv_take(struct cli_strv *sv, char *s);

/* Strict number parsing: the whole string, no sign, in range. */
int cli_parse_uint(const char *s, unsigned long long max,
    unsigned long long *out);
int cli_parse_double(const char *s, double *out);

/* ---- options (args.c) ---------------------------------------------- */

enum cli_halt_when { CLI_HALT_NEVER = 0, CLI_HALT_SOON, CLI_HALT_NOW };
enum cli_halt_why { CLI_HALT_FAIL = 0, CLI_HALT_SUCCESS, CLI_HALT_DONE };

struct cli_halt {
	enum cli_halt_when when;
	enum cli_halt_why why;
	double value;		/* a count, or a percentage if percent */
	int percent;
};

/* One input group: the values after a :::, or a file (:::: or -a). */
struct cli_group {
	int is_file;
	const char *path;	/* "-" is stdin */
	struct cli_strv vals;	/* ::: values (literal groups) */
	int linked;		/* :::+ or ::::+: linked to the group before */
};

struct cli_run_opts {
	unsigned jobs;		/* -j; 0 = cores */
	enum corun_model model;
	unsigned procs, threads, concurrency;
	int offload;
	struct cli_strv load;	/* --load */
	/* Supervision: the pool's options of the same names (ms; 0 = its
	   default); the heartbeat 0 when turned off, CLI_RUN_HEARTBEAT_UNSET
	   when not given. */
	unsigned heartbeat_ms, restart_max, restart_window_ms;
	int keep_order, tag, line_buffer, json, bar, progress, dry_run;
	int null_sep;		/* -0 */
	const char *joblog, *results, *jobs_file;
	double timeout;
	double timeout_pct;	/* --timeout N%: N, 0 = off (median.h) */
	int retries;
	struct cli_halt halt;
	const char *const *cmd;	/* the command template words */
	size_t ncmd;
	struct cli_group *groups;
	size_t ngroups;
	int help, version;
	/* Remote workers (remote-cmd.c). */
	const char *listen, *token, *token_file;
	const char *tls_cert, *tls_key, *tls_ca;
	int insecure, remote_only;
	unsigned remote_slots;	/* window room for remote workers */
	double remote_timeout;
	struct cli_strv worker_cmds;	/* --worker-cmd templates */
	struct cli_strv worker_hosts;	/* --worker-host: {host} values */
	/* Slurm (slurm.c) and the URL for workers started apart. */
	int slurm;
	unsigned slurm_workers;	/* sbatch array size, outside allocations */
	const char *sbatch_opt;	/* passed to srun or sbatch as is */
	const char *url_file;	/* --url-file: the URL and the token's way */
	const char *http;	/* --http HOST:PORT (run-web.c), or NULL */
	struct cli_gnu g;	/* GNU parallel's command forming (gnu.h) */
	/* --pipe / --pipepart (pipe.c) */
	int pipe, pipepart, round_robin, pipe_cat, pipe_fifo, regexp;
	int ungroup;		/* -u: job output straight through */
	const char *block;	/* --block as given */
	const char *recstart, *recend;
	int resume, resume_failed, retry_failed;	/* resume.c */
	int shuf;		/* --shuf: jobs in a random order (shuf.h) */
	const char *limit;	/* --limit command (limit.h), or NULL */
	/* output modes (output.c, progress.c) */
	const char *tagstring;	/* --tagstring: tag each line with it */
	const char *tmpdir;	/* --tmpdir: where --files (and --cat) go */
	int files, group, eta;	/* --files, --group, --eta */
	/* --semaphore (sem.c) */
	int semaphore, sem_fg, sem_bg, sem_wait;
	const char *sem_id;	/* --id / --semaphorename */
	double sem_timeout;	/* --st: > 0 take anyway, < 0 give up */
	/* pacing (pace.c) */
	double delay, memfree;	/* --delay secs, --memfree bytes */
	double max_load;	/* --load N (cli_load_parse), 0 = off */
	int nice, nice_set;	/* --nice n */
	/* remote logins (sshlogin.c) */
	struct cli_strv sshlogins, sshloginfiles, returns;
	const char *ssh;	/* --ssh: the ssh command (default "ssh") */
	const char *transfer_file;	/* --transferfile (--transfer: {}) */
	int transfer, cleanup, nonall, onall;
};

int cli_model_parse(const char *s, enum corun_model *out);
void cli_run_opts_free(struct cli_run_opts *o);
/* Parse the arguments after "run". */
int cli_run_opts_parse(int argc, char **argv, struct cli_run_opts *o,
    struct cli_err *e);
void cli_run_usage(FILE *f);

/* ---- halt policy and exit status (halt.c) -------------------------- */

int cli_halt_parse(const char *s, struct cli_halt *h, struct cli_err *e);

struct cli_tally {
	uint64_t total;		/* jobs read so far (all of them if at_eof) */
	int at_eof;
	uint64_t done, failed, succeeded;
	int last_fail_exit;	/* exit code of the last failed job, or -1 */
};

/* Nonzero if the policy says to halt after this tally. */
int cli_halt_triggered(const struct cli_halt *h, const struct cli_tally *t);

/*
 * The command's exit status, as GNU parallel: 0 when all succeeded (or a
 * success= halt fired), the number of failed jobs (101 above 100), the
 * percentage failed for a fail=Y% halt, the failing job's exit code for a
 * fail=1 halt; signo != 0 (interrupted) gives 128 + signo.
 */
int cli_exit_status(const struct cli_halt *h, const struct cli_tally *t,
    int halted, int signo);

/* ---- templates, placeholders, quoting (template.c) ----------------- */

/* cm_shquote() and cm_has_shell_syntax(): common/shquote.h. */

/* A replacement string found in a template (rstr.c). */
enum {
	CLI_PH_NONE = 0,
	CLI_PH_ALL,		/* {} and its transforms: every value */
	CLI_PH_GROUP,		/* {n}, {colname}: one value */
	CLI_PH_SEQ,		/* {#} */
	CLI_PH_SLOT,		/* {%} */
	CLI_PH_TOTAL,		/* {##} */
	CLI_PH_PERL		/* {= perl =} */
};

struct cli_ph {
	int type;
	size_t group;		/* CLI_PH_GROUP: 1-based; PERL: its index */
	char op[6];		/* "", ".", "/", "//", "/.", "+/", ".." ... */
	int zero;		/* {0#} {0%}: zero-padded */
	const char *perl;	/* CLI_PH_PERL: the expression */
	size_t perl_len;
	size_t len;		/* bytes of the string in the template */
};

/*
 * 1 if a replacement string starts at s (g: the names -I and its kin
 * give them, --plus; names: --header's column names; either NULL).
 */
int cli_ph_parse(const struct cli_gnu *g, const struct cli_strv *names,
    const char *s, struct cli_ph *ph);

/* cmdshell.c: does template text s[0..n) need a shell? */
int cli_sh_text_needs(const char *s, size_t n, int word_start,
    int first_word);
/* Is the first word w[0..n) a shell keyword or builtin (1), or an
 * exported bash function (2)?  0 if neither. */
int cli_sh_word_needs(const char *w, size_t n);
/* The shell to run lines with (malloc'd), NULL for /bin/sh. */
char *cli_sh_pick(int need_bash);

struct cli_tpart {
	int lit;		/* literal text, else a replacement string */
	const char *s;
	size_t len;
	struct cli_ph ph;
};

/* A blank-separated word of the joined template. */
struct cli_tword {
	const char *sep;	/* the blanks before it */
	size_t seplen, first, n;	/* its parts */
	int has_input;		/* holds {} or {n} (-X repeats it) */
};

struct cli_tmpl {
	const char *const *words;
	size_t nwords;
	int shell;		/* run the joined line through a shell */
	char *sh;		/* that shell; NULL: /bin/sh */
	int has_input_ph;	/* uses a replacement string (else {} is
				   appended) */
	int has_slot;		/* uses {%} */
	int has_perl;		/* uses {= =} */
	size_t nperl;		/* how many (ph.group numbers them) */
	size_t max_group;	/* highest {n} used */
	const struct cli_gnu *g;
	char *text;		/* the joined template */
	struct cli_tpart *parts;
	size_t nparts;
	struct cli_tword *tw;
	size_t ntw;
	int wants_total;	/* uses {##} or {0#} */
	uint64_t total;		/* {##}: jobs in all (0: unknown) */
	unsigned nslots;	/* {0%}: the widest slot */
	/* {= =}: evaluate expression i on value v (perlexpr.c). */
	char *(*perl)(void *arg, size_t i, const char *v, uint64_t seq,
	    unsigned slot);
	void *perl_arg;
};

int cli_tmpl_init(struct cli_tmpl *t, const char *const *words, size_t n,
    size_t ngroups, struct cli_err *e);
/*
 * As cli_tmpl_init, with GNU parallel's options g and --header's column
 * names (either may be NULL).  cli_tmpl_free() frees it.
 */
int cli_tmpl_setup(struct cli_tmpl *t, const char *const *words, size_t n,
    size_t ngroups, const struct cli_gnu *g, const struct cli_strv *names,
    struct cli_err *e);
void cli_tmpl_free(struct cli_tmpl *t);

/*
 * The command for one job: argv words ready for the shell kind (in shell
 * mode, one word: the line), with values substituted.
 */
struct cli_cmd {
	struct cli_strv argv;
	int shell;		/* argv[0] is a line for a shell */
	const char *sh;		/* that shell (NULL: /bin/sh) */
};

int cli_tmpl_expand(const struct cli_tmpl *t, const char *const *args,
    size_t nargs, uint64_t seq, unsigned slot, struct cli_cmd *c);
void cli_cmd_free(struct cli_cmd *c);
/* w with its placeholders replaced by the plain values (--tagstring). */
int cli_tmpl_expand_plain(const char *w, const char *const *args,
    size_t nargs, uint64_t seq, unsigned slot, struct cm_buf *b);

/*
 * Make argv safe for the shell kind's payload: a lone word with shell
 * syntax, or an empty word (the payload's terminator), is turned into one
 * quoted script, so arguments are never run as shell code.
 */
int cli_cmd_normalize(struct cli_cmd *c);

/* The command as one shell-quoted line (dry run, joblog). */
char *cli_cmd_line(const struct cli_cmd *c);

/* The shell kind's payload: words NUL-terminated, "", KEY=VALUE words. */
int cli_shell_payload(const struct cli_cmd *c, const struct cli_strv *env,
    struct cm_buf *out);

/* The placeholder transforms: {.} {/} {//} {/.}. */
char *cli_xform(const char *v, const char *op);

/* ---- a job ready to submit (shared by input and jobs file) --------- */

struct cli_jobspec {
	uint64_t seq;
	char *kind;
	char *payload;
	size_t len;
	char *cmdline;		/* for display, joblog, --json */
	char *tagstr;		/* --tag prefix (without the TAB) */
	struct cli_strv args;	/* the input values (empty for jobs files) */
	char *id;		/* jobs file "id", or NULL */
	double timeout;		/* < 0: use the default */
	int retries;		/* < 0: use the default */
	unsigned slot;		/* {%} slot, 0 if unused */
	int login;		/* -S: index + 1 of its login, 0 if none */
};

void cli_jobspec_free(struct cli_jobspec *js);

/* ---- input sources (input.c) --------------------------------------- */

/* A buffered reader of separator-terminated records. */
struct cli_reader {
	int fd;
	int own;		/* close fd at the end */
	int eof;
	int sep;
	const char *name;	/* for messages */
	char *buf;
	size_t len, off, cap;
	uint64_t lineno;	/* records returned so far */
};

int cli_reader_open(struct cli_reader *r, const char *path, int sep,
    struct cli_err *e);
void cli_reader_close(struct cli_reader *r);
/*
 * Next record (separator stripped, NUL-terminated, valid until the next
 * call).  nonblock: return CORUN_EAGAIN instead of waiting for input.
 * CORUN_EDONE at the end.
 */
int cli_reader_next(struct cli_reader *r, int nonblock, char **rec,
    size_t *len, struct cli_err *e);

/*
 * The cross product of the groups, the last group varying fastest (as
 * GNU parallel).  Group 0 is streamed; the others are read up front.
 * With no groups, the values are the lines of stdin.
 */
struct cli_input {
	size_t ngroups;
	struct cli_strv *vals;	/* vals[g] for g >= 1 */
	size_t *idx;		/* odometer over groups 1..n-1 */
	struct cli_reader rd;	/* group 0 if it is a file */
	const struct cli_strv *lit0; /* group 0 if it is literal */
	size_t lit0_idx;
	char *cur0;		/* current value of group 0 */
	char *copy0;		/* its copy when other groups cycle */
	char *borrowed;		/* borrowed[g]: vals[g] is the options' */
	const char **args;	/* the tuple returned */
	int started, empty, done;
	/* Linked groups (--link, :::+): all read up front; chain[g] is
	   group g's chain, the odometer turns over chains. */
	int linked;
	size_t *chain, nchains, *cidx, *clen;
	struct cli_strv hdr;	/* --header: each group's first record */
};

int cli_input_open(struct cli_input *in, const struct cli_run_opts *o,
    struct cli_err *e);
int cli_input_next(struct cli_input *in, int nonblock, const char ***args,
    struct cli_err *e);
/* The fd to wait on after CORUN_EAGAIN, or -1. */
int cli_input_fd(const struct cli_input *in);
void cli_input_close(struct cli_input *in);

/* ---- the jobs file (jobsfile.c) ------------------------------------ */

/*
 * Parse one JSON-lines record into js (seq is left to the caller).  The
 * message names the field; the caller adds "file:line: ".
 */
int cli_jobsfile_parse_line(const char *line, size_t len,
    struct cli_jobspec *js, struct cli_err *e);

struct cli_jobsfile {
	struct cli_reader rd;
	FILE *spool;		/* copy of a non-seekable input */
	const char *name;
	uint64_t lineno;
	int cpu_bound;		/* some job is of kind cpu or block */
};

/* Open and validate every line; nothing is run before this succeeds. */
int cli_jobsfile_open(struct cli_jobsfile *jf, const char *path,
    struct cli_err *e);
/* Next job (blank lines skipped); CORUN_EDONE at the end. */
int cli_jobsfile_next(struct cli_jobsfile *jf, struct cli_jobspec *js,
    struct cli_err *e);
void cli_jobsfile_close(struct cli_jobsfile *jf);

/*
 * js as the pool takes it (borrowed from js), through the job
 * specification's cm_jobspec_pool_job(): a timeout or retries the job
 * left out (< 0) are def_timeout and def_retries.  tag and flags are 0.
 */
void cli_jobsfile_pool_job(const struct cli_jobspec *js, double def_timeout,
    int def_retries, struct corun_job *j);

/* ---- joblog (joblog.c) --------------------------------------------- */

struct cli_logrow {
	uint64_t seq;
	double start;		/* epoch seconds */
	double runtime;		/* seconds */
	uint64_t receive;	/* bytes of stdout */
	int exitval;		/* -1: killed, lost, cancelled */
	int signal;
	const char *command;
	const char *host;	/* NULL: this machine (":") */
};

void cli_joblog_header(FILE *f);
/*
 * Open --joblog PATH as parallel: "-" is stdout, "+FILE" appends to FILE
 * (never a header, as parallel), else FILE is truncated and the header
 * written.  0, or an error naming the file in e.
 */
int cli_joblog_open(const char *path, FILE **out, struct cli_err *e);
/* Append to PATH ("+" optional) without a header (--resume*). */
int cli_joblog_append(const char *path, FILE **out, struct cli_err *e);
/* One row; tabs and newlines in the command are written as \t and \n. */
int cli_joblog_row(FILE *f, const struct cli_logrow *r);

/* ---- resuming from a joblog (resume.c) ----------------------------- */

enum { CLI_RESUME_NONE = 0, CLI_RESUME_ALL, CLI_RESUME_FAILED,
    CLI_RESUME_RETRY };

struct cli_resume {
	int mode;		/* CLI_RESUME_* */
	int had_header;		/* the log exists with a header: append */
	unsigned char *done;	/* done[seq]: skip it */
	size_t cap;
	struct cli_strv cmds;	/* --retry-failed: commands by Seq - 1 */
};

/*
 * Read PATH (a missing file is an empty log) for mode: --resume marks
 * every Seq done, --resume-failed those with Exitval and Signal 0,
 * --retry-failed as the latter and keeps each row's command.  0 or an
 * error naming the file and line.
 */
int cli_resume_load(struct cli_resume *rs, const char *path, int mode,
    struct cli_err *e);
/* Nonzero if job seq was done in the earlier run (rs may be NULL). */
int cli_resume_skip(const struct cli_resume *rs, uint64_t seq);
void cli_resume_free(struct cli_resume *rs);

/* ---- output (output.c) --------------------------------------------- */

struct cli_outcome {
	const struct cli_jobspec *js;
	const struct corun_job_result *res; /* NULL if it never ran */
	int status;		/* 0 or CORUN_E* */
	const char *message;	/* the error's message, or "" */
	int quiet;		/* no "job N cancelled" line on stderr */
};

/* "ok", "failed", "timeout", "cancelled", "lost", ... */
const char *cli_status_name(int status);
/* Write data, prefixing every line with prefix + TAB when tag != NULL. */
int cli_write_tagged(FILE *f, const char *tag, const char *data, size_t len,
    int flush_lines);
/*
 * The same for the output a job spilled to the file at path (its
 * result's out_file, err_file): copied in the kernel when untagged, else
 * in 64 KiB pieces.  0, or CORUN_ESYS with errno set.
 */
int cli_write_file(FILE *f, const char *tag, const char *path,
    int flush_lines);
/* The --json record of one job (a malloc'd line without newline). */
char *cli_outcome_json(const struct cli_outcome *oc);
/* ---- --results in parallel's layout (results.c) */
enum { CLI_RESULTS_DIR = 0, CLI_RESULTS_CSV, CLI_RESULTS_TSV,
    CLI_RESULTS_JSON };

struct cli_results {
	const char *dir;
	int kind;		/* CLI_RESULTS_* from dir's ending */
	FILE *f;		/* the .csv/.tsv/.json file */
	int header_done;
};

/* Open (a .csv/.tsv/.json file is created now, truncated). */
int cli_results_open(struct cli_results *rs, const char *dir,
    struct cli_err *e);
/* One finished job: DIR/1/V1/.../{seq,stdout,stderr}, or a row. */
int cli_results_put(struct cli_results *rs, const struct cli_outcome *oc,
    struct cli_err *e);
int cli_results_close(struct cli_results *rs);
/* A joblog row for an outcome. */
void cli_outcome_logrow(const struct cli_outcome *oc, struct cli_logrow *r);

/* ---- progress (progress.c) ----------------------------------------- */

struct cli_progress {
	int enabled, bar;
	int shown;		/* a status line is on the terminal */
	double t0, last;
};

void cli_progress_init(struct cli_progress *p, int bar, int progress,
    double now);
/* Format the status line into buf (pure; for tests). */
void cli_progress_format(char *buf, size_t len, int bar, uint64_t done,
    uint64_t total, int total_known, double elapsed);
void cli_progress_update(struct cli_progress *p, uint64_t done, uint64_t total,
    int total_known, double now, int final);
/*
 * Take the status line off the terminal (before job output is printed,
 * or at an interrupt): the next update draws it again.
 */
void cli_progress_clear(struct cli_progress *p);
/* --files: data into a new file in tmpdir; its name (malloc'd) or NULL. */
char *cli_files_write(const char *tmpdir, const char *data, size_t len);

/* ---- remote logins (sshlogin.c) ------------------------------------- */

struct cli_login {
	char *host;		/* as given after N/: user@host, or ":" */
	unsigned slots, busy;
	int local;		/* ":": this machine */
};

struct cli_logins {
	struct cli_login *v;
	size_t n, next;
	unsigned total;		/* the slots of all of them */
};

/* The logins of -S and --sshloginfile (none: n == 0). */
int cli_logins_init(struct cli_logins *l, const struct cli_run_opts *o,
    struct cli_err *e);
void cli_logins_free(struct cli_logins *l);
/* A login with a free slot, taken (round robin), or -1. */
int cli_logins_pick(struct cli_logins *l);
void cli_logins_release(struct cli_logins *l, int i);
/*
 * The local shell script that runs cmdline on lg through ssh (a command
 * line, e.g. "ssh -F cfg"), with its --transfer file (or NULL), its
 * --return files and --cleanup; malloc'd, NULL when out of memory.
 */
char *cli_login_script(const struct cli_login *lg, const char *ssh,
    const char *cmdline, const char *transfer_file,
    const struct cli_strv *returns, int cleanup);

/* ---- commands (run.c, main.c) -------------------------------------- */

int cli_cmd_run(int argc, char **argv);
/* --semaphore: take a slot of the named semaphore, run the command. */
int cli_sem_run(const struct cli_run_opts *o);
void cli_usage(FILE *f);

#endif /* CORUN_CLI_H */
