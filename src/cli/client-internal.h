/* SPDX-License-Identifier: MIT */
/*
 * client-internal.h - what the corund client commands share
 * (client-util.c), for client-cmds.c and client-submit.c.
 */
#ifndef CORUN_CLI_CLIENT_INTERNAL_H
#define CORUN_CLI_CLIENT_INTERNAL_H

#include <jansson.h>
#include <nng/nng.h>
#include <stdio.h>

/* Seconds to wait for corund's reply to a request that does not wait. */
#define CLI_CALL_TIMEOUT 60.0

/*
 * One request over ipc:// (client-ipc.c): text (len bytes) to the REP
 * socket at url, then its reply's body into a malloc'ed, NUL-terminated
 * *reply of *rlen bytes, waiting at most timeout seconds for it (< 0:
 * without limit).  Nothing is sent unless the server runs as our uid or
 * root.  0, or -1 with one line printed; the request is never resent.
 */
int cli_client_ipc_call(const char *url, const char *text, size_t len,
    double timeout, char **reply, size_t *rlen);

/* "usage: corun [-S URL] TEXT" on stderr; returns CLI_CLIENT_USAGE. */
int cli_client_usage(const char *text);

/*
 * Nonzero, with the usage line printed on stdout, when argv[1] is -h or
 * --help.
 */
int cli_client_want_help(int argc, char **argv, const char *text);

/* A job id (1 .. 2^62) into *out: 0, or -1 with a warning printed. */
int cli_client_parse_id(const char *s, json_int_t *out);

/* Take every --json after argv[0] out of argv; nonzero if there was one. */
int cli_client_json_flag(int *argc, char **argv);

/* A string field of o, or "-". */
const char *cli_client_jstr(json_t *o, const char *k);

/* An integer field of o, or 0. */
long long cli_client_jint(json_t *o, const char *k);

/*
 * A job's output (stdout and stderr as they were), or its record with
 * as_json; returns the exit status it means for us (result, submit
 * --wait): 0 done, its exit code, or CLI_CLIENT_FAILED.
 */
int cli_client_print_result(json_t *job, const char *id, int as_json);

/* client-when.c: now + secs, in seconds since the epoch. */
double cli_client_after_secs(double secs);
/*
 * submit --at: "HH:MM[:SS]" (today, or tomorrow when it has passed),
 * "YYYY-MM-DD[ HH:MM[:SS]]" (or with T), local time; "@SECONDS" since the
 * epoch.  0 with *epoch, or -1.
 */
int cli_client_parse_at(const char *s, double *epoch);

#endif /* CORUN_CLI_CLIENT_INTERNAL_H */
