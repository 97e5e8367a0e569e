/* SPDX-License-Identifier: MIT */
/*
 * argbatch.h - the values of one job gathered from the input's tuples
 * (argbatch.c): -N, -L, -X/-m/--xargs, --colsep, --trim, -r.
 *
 * Contract: single-threaded; the values returned are valid until the
 * next cli_batch_next() or cli_batch_close().
 */
#ifndef CORUN_CLI_ARGBATCH_H
#define CORUN_CLI_ARGBATCH_H

#include <regex.h>

#include "cli.h"

struct cli_batch {
	const struct cli_gnu *g;
	const char *trim;	/* --trim, with --colsep's default */
	int copy;		/* values are gathered (else passed through) */
	int have_re, open;
	regex_t re;		/* --colsep */
	struct cli_strv vals;	/* the job's values */
	struct cli_strv pend;	/* a tuple that did not fit the last job */
	struct cli_strv names;	/* --header's column names */
	char *cont;		/* -L: a line going on */
	size_t ntuples, len, base, max;
};

/* 0 or an error in e (a bad --colsep). */
int cli_batch_open(struct cli_batch *b, const struct cli_gnu *g,
    struct cli_err *e);
/* -X/-m: measure t's line without values (after cli_tmpl_setup). */
void cli_batch_measure(struct cli_batch *b, const struct cli_tmpl *t);
/* --header's records (in->hdr), split as values are, into b->names. */
int cli_batch_names(struct cli_batch *b, const struct cli_strv *hdr,
    struct cli_err *e);
/*
 * The next job's values (flattened tuples): 0, CORUN_EAGAIN (nonblock,
 * a partial job is kept for the next call), CORUN_EDONE or an error.
 */
int cli_batch_next(struct cli_batch *b, struct cli_input *in, int nonblock,
    const char ***vals, size_t *nvals, struct cli_err *e);
void cli_batch_close(struct cli_batch *b);
/*
 * {##}: how many jobs o's input makes, read through once on its own
 * (stdin cannot be read twice: *n is 0 then).  0 or an error in e.
 */
int cli_batch_count(const struct cli_run_opts *o, uint64_t *n,
    struct cli_err *e);

#endif /* CORUN_CLI_ARGBATCH_H */
