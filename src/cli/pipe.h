/* SPDX-License-Identifier: MIT */
/*
 * pipe.h - `corun run --pipe` and `--pipepart`: a stream (or a seekable
 * file) cut into blocks of whole records, each block the stdin of one
 * job, as GNU parallel does.
 *
 * pipe-split.c is the pure part (where a block ends, the header, the
 * split points of a file, the size suffixes); pipe.c runs the jobs.  The
 * --pipe path is apart from the ordinary job path: jobs are spawned
 * directly by corun (posix_spawn of /bin/sh -c), their stdin fed from
 * corun's buffers, so the pool and its workers are not involved.
 */
#ifndef CORUN_CLI_PIPE_H
#define CORUN_CLI_PIPE_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"

/* How a buffer is cut into records: parallel's recstartrecend(). */
struct cli_split {
	const char *recstart, *recend;	/* escapes undone unless regexp */
	size_t lstart, lend;
	char *bufs[2];		/* what recstart and recend point to */
	char *sep;		/* recend followed by recstart */
	size_t lsep;
	unsigned records;	/* -N: records per block, 0 = by --block */
	unsigned lines;		/* -L without -N: records of that many
				   lines (recstart/recend unused) */
	int regexp;		/* --regexp: recstart/recend are EREs */
	regex_t re;		/* (recend)(recstart) when regexp */
	regex_t re_start;	/* (recstart) when regexp and -N */
};

int cli_split_init(struct cli_split *s, const struct cli_run_opts *o,
    struct cli_err *e);
/*
 * Records per block with --pipe: -N or -n (the options that give a
 * command several arguments otherwise), times -L, as parallel; 0 (-N0,
 * or none given): blocks by --block.
 */
unsigned cli_pipe_records(const struct cli_run_opts *o);
void cli_split_free(struct cli_split *s);

/*
 * One "pass" of parallel's reading loop over buf[0..len): the end of the
 * next block (0: none).  Without -N only the last record boundary of the
 * buffer counts (one block per pass, none at eof: the rest is the last
 * block); with -N the end of the first N records; with -L alone the
 * end of the last whole group of L lines (at eof too).
 */
size_t cli_split_pass(const struct cli_split *s, const char *buf, size_t len,
    int eof);
/*
 * -N with --regexp, before the first pass: input that does not start
 * with --recstart is a record of its own up to the first split point,
 * as parallel's "garbage"; its end, or 0.
 */
size_t cli_split_garbage(const struct cli_split *s, const char *buf,
    size_t len);

/*
 * A size with parallel's suffixes (k=10^3, K=Ki=2^10, M=Mi=2^20, m=10^6,
 * G, g, T, t, P, p); a fraction is allowed ("1.5M"), a leading "-" gives
 * a negative value (--pipepart: that many blocks per job slot).
 */
int cli_parse_size(const char *s, double *out);

/*
 * --header with --pipe: ":" (one line), N (N lines) or a regular
 * expression (POSIX ERE, \n and \t as in C) matched at the start.
 */
struct cli_header {
	unsigned nlines;
	int is_re;
	regex_t re;
};

int cli_header_spec(const char *h, struct cli_header *hs,
    struct cli_err *e);
void cli_header_free(struct cli_header *hs);
/*
 * The length of the header at the start of buf[0..len) (buf has room
 * for one more byte); *complete is 0 when more input is needed.
 */
size_t cli_header_len(const struct cli_header *hs, char *buf, size_t len,
    int *complete);

/*
 * --pipepart: the split points of fd (size bytes) into blocks of at
 * least block bytes, starting after skip bytes, each point the end of a
 * record.  *pos (malloc'd) gets pos[0] = skip ... pos[n-1] = size.
 */
int cli_pipepart_positions(int fd, off_t size, off_t skip, off_t block,
    const struct cli_split *s, off_t **pos, size_t *npos,
    struct cli_err *e);

/* Run `corun run --pipe/--pipepart`: the command's exit status. */
int cli_pipe_run(const struct cli_run_opts *o);

#endif /* CORUN_CLI_PIPE_H */
