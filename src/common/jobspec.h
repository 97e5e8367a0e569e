/* SPDX-License-Identifier: MIT */
/*
 * jobspec.h - the one job specification: a job as a JSON object (a line
 * of a jobs file, a corund submit request, one job of a batch), parsed
 * and checked the same way for corun run --jobs-file, corun submit and
 * corund, so that the same line means the same job everywhere and is
 * refused with the same message; then handed to corun run, to corund's
 * store or to the pool API (struct corun_job).
 *
 * The forms of a job (the full list of fields is in jobspec.c):
 *
 *   {"kind":"shell","cmd":"make -C x"}     one word, sh -c if it needs it
 *   {"cmd":["ls","-l"]}                    argv, run directly ("kind"
 *   {"kind":"shell","argv":["ls","-l"]}    "shell" may be left out)
 *
 * A command of a single word holding shell syntax goes through sh -c in
 * "cmd", a string or an array ({"cmd":["a | b"]} is a pipe, as `corun run
 * 'a | b'`, `corun submit 'a | b'` and GNU parallel's one quoted
 * argument); "argv" words are always run as given (["a | b"] is a program
 * of that name).
 *   {"kind":"sleep","ms":10} {"kind":"cpu","ms":50|"iter":N} {"kind":"noop"}
 *   {"kind":"net","addr":"HOST:PORT","request":"..."}
 *   {"kind":"NAME","payload":"..."}        any kind, its raw payload
 *
 * with, on any job: "timeout" (seconds), "retries"; for corun run only
 * "id"; for corund only "group", "priority", "key", "after".
 *
 * Errors: a CORUN_E* code and a message naming the field, prefixed by
 * "WHERE: " when the caller gives a place ("jobs.jsonl:3", "jobs[2]").
 */
#ifndef CM_COMMON_JOBSPEC_H
#define CM_COMMON_JOBSPEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <corun/job.h>

/* Who reads the job: each takes fields the other does not. */
#define CM_JOBSPEC_RUN		0x1	/* corun run: "id" */
#define CM_JOBSPEC_CORUND	0x2	/* corund: group priority key after */
/* The object is a corund request too: its "op" and "wait" are skipped. */
#define CM_JOBSPEC_REQUEST	0x4

/* Limits of the corund fields (its store's). */
#define CM_JOBSPEC_NAME_MAX	255	/* group, key, kind bytes */
#define CM_JOBSPEC_AFTER_MAX	1000	/* ids in "after" */
#define CM_JOBSPEC_PRIORITY_MAX	1000000	/* |priority| */
#define CM_JOBSPEC_RETRIES_MAX	1000
#define CM_JOBSPEC_CORUND_TIMEOUT_MAX 4e6 /* seconds, for corund */

struct cm_jobspec_err {
	char msg[512];
};

/*
 * One job, checked.  Every pointer is owned (cm_jobspec_desc_free).  The
 * payload is the kind's bytes as the worker takes them (corun/job.h):
 * for a shell job the words, NUL-terminated, then "" and the NAME=VALUE
 * words when there is an environment.
 */
struct cm_jobspec_desc {
	char *kind;		/* "shell", "sleep", ... or a plugin's */
	char *payload;		/* NULL when len is 0 */
	size_t len;
	char *line;		/* the job as one line, for people */
	char *id;		/* "id" as a string, or NULL */
	double timeout;		/* seconds; < 0 when absent */
	int retries;		/* < 0 when absent */
	char *group;		/* NULL when absent */
	int priority;		/* 0 when absent */
	char *key;		/* NULL when absent */
	int64_t *after;		/* job ids, nafter of them */
	size_t nafter;
	int64_t *after_any;	/* job ids, nafter_any of them */
	size_t nafter_any;
};

/*
 * Parse one JSON object of len bytes (a line without its newline) for
 * the readers in flags (CM_JOBSPEC_RUN or CM_JOBSPEC_CORUND).  where
 * (may be NULL) starts the message.  Returns 0 and fills *d, or a
 * CORUN_E* code (CORUN_EPROTO: not JSON; CORUN_EINVAL: a bad job;
 * CORUN_ENOMEM) with the message in *e and *d empty.
 */
int cm_jobspec_parse_line(const char *line, size_t len, const char *where,
    unsigned flags, struct cm_jobspec_desc *d, struct cm_jobspec_err *e);

/* The same for an object already parsed (corund's requests). */
int cm_jobspec_parse_json(json_t *o, const char *where, unsigned flags,
    struct cm_jobspec_desc *d, struct cm_jobspec_err *e);

/* Free what *d owns and empty it (an empty *d may be freed again). */
void cm_jobspec_desc_free(struct cm_jobspec_desc *d);

/* ---- what each reader keeps ---------------------------------------- */

/* corun run's job: owned strings, as in its struct cli_jobspec. */
struct cm_jobspec_run {
	char *kind;
	char *payload;
	size_t len;
	char *cmdline;		/* for display, joblog, --json */
	char *id;		/* or NULL */
	double timeout;		/* < 0: corun run's --timeout */
	int retries;		/* < 0: corun run's --retries */
};

/* Move the job into *r; *d is left empty. */
void cm_jobspec_take_run(struct cm_jobspec_desc *d, struct cm_jobspec_run *r);

/*
 * corund's job: borrowed from *d, which must outlive it; the fields of
 * its store's job (src/daemon's struct cd_jobspec), with corund's
 * defaults for what the job left out.
 */
struct cm_jobspec_queued {
	const char *kind;
	const void *payload;
	size_t len;
	const char *group;	/* "" = the default group */
	int priority;
	double timeout;		/* 0 = none */
	int retries;
	const char *key;	/* or NULL */
	const int64_t *after;
	size_t nafter;
	const int64_t *after_any;
	size_t nafter_any;
};

void cm_jobspec_queued(const struct cm_jobspec_desc *d,
    struct cm_jobspec_queued *q);

/*
 * The job as the pool API takes it (corun/job.h), borrowed from *d: a
 * timeout or retries the job left out are def_timeout and def_retries
 * (corun run's --timeout and --retries).  tag and flags are 0: the
 * caller's.  Reads only kind, payload, len, timeout and retries of *d, so
 * a caller that keeps the job elsewhere (corun run's struct cli_jobspec)
 * may fill just those, borrowed.
 */
void cm_jobspec_pool_job(const struct cm_jobspec_desc *d, double def_timeout,
    int def_retries, struct corun_job *j);

#endif /* CM_COMMON_JOBSPEC_H */
