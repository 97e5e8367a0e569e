/* SPDX-License-Identifier: MIT */
/*
 * shuf.h - `--shuf`: every job's values are gathered from the input
 * first, then handed out in a random order (GNU parallel's --shuf).  As
 * with parallel, {#} and the joblog's Seq count in the order the jobs
 * run, not the order of the input.
 *
 * Contract: single-threaded (the loop thread); the values returned stay
 * valid until the next cli_shuf_next() or cli_shuf_free().
 */
#ifndef CORUN_CLI_SHUF_H
#define CORUN_CLI_SHUF_H

#include <stddef.h>

#include "cli.h"
#include "argbatch.h"

struct cli_shuf {
	char ***sets;		/* each job's values, NULL-terminated */
	size_t *lens;		/* how many values each set holds */
	size_t count, cap, next;
	int ready;		/* all read and shuffled */
};

/*
 * As cli_batch_next(): 0 with the next job's values, CORUN_EAGAIN while
 * the input is still being read (nonblock), CORUN_EDONE after the last,
 * or an error (CORUN_ENOMEM, or the input's).
 */
int cli_shuf_next(struct cli_shuf *s, struct cli_batch *b,
    struct cli_input *in, int nonblock, const char ***args, size_t *nargs,
    struct cli_err *e);
void cli_shuf_free(struct cli_shuf *s);

#endif /* CORUN_CLI_SHUF_H */
