/* SPDX-License-Identifier: MIT */
/*
 * pipe-internal.h - the jobs of `corun run --pipe/--pipepart` as pipe.c
 * (the loop and the sources of blocks) and pipe-job.c (one job: spawn,
 * feed its stdin, collect its output, reap it) share them.  Everything
 * runs on the one thread of `corun run`.
 */
#ifndef CORUN_CLI_PIPE_INTERNAL_H
#define CORUN_CLI_PIPE_INTERNAL_H

#include <sys/types.h>

#include "common/buf.h"
#include "pipe.h"

/* A block: owned bytes, then (--pipepart) a range of the file. */
struct cli_pblock {
	char *p;		/* malloc'd, or NULL */
	size_t len;
	off_t foff, flen;	/* --pipepart: bytes of the file */
};

struct cli_pjob {
	int used;
	uint64_t seq;
	unsigned slot;
	pid_t pid;
	int pidfd, in, out, err;	/* -1 when closed */
	int exited, wstatus;
	/* what is left to write to stdin: the header, then the block */
	const char *hdr;
	size_t hlen;
	struct cli_pblock blk;
	size_t boff;
	int hungry;		/* --round-robin: block written, stdin open */
	char *path;		/* --cat / --fifo file */
	int fifo_wait;		/* --fifo: the reader has not opened it yet */
	struct cm_buf obuf, ebuf;
	double start, runtime;
	char *cmdline;
};

struct cli_prun {
	const struct cli_run_opts *o;
	unsigned jobs;
	int ffd;		/* --pipepart: the file */
	const char *hdr;	/* the header, kept for every block */
	size_t hlen;
	struct cli_pjob *job;	/* jobs[jobs] */
	uint64_t started, printed;
	unsigned rr_next;	/* --round-robin: the slot whose turn it is */
	struct cli_pjob **done;	/* -k: finished jobs by seq - printed */
	size_t ndone;
	FILE *joblog;
	struct cli_tally tally;
};

/* Blocks read and not yet given to a job. */
struct cli_pqueue {
	struct cli_pblock *b;
	size_t head, n, cap;
};

/* --pipe: stdin in parallel's rounds; --pipepart: the split points. */
struct cli_psrc {
	struct cli_split split;
	int fd, eof, done;
	char *buf;
	size_t cap, rs, len, want;
	double bs;
	struct cli_header hspec;
	int has_hdr;
	int hdr_done;
	int garbage_done;	/* -N --regexp: the first pass was made */
	struct cm_buf hdr;
	off_t *pos;
	size_t npos, ipos;
	struct cli_pqueue q;
};

int cli_pqueue_empty(const struct cli_pqueue *q);
/* Set s up from r->o (the header of --pipepart read): 0 or e told. */
int cli_psrc_open(struct cli_prun *r, struct cli_psrc *s, struct cli_err *e);
void cli_psrc_close(struct cli_psrc *s);
/* Standard input is readable: one read, blocks queued at a round's end. */
int cli_psrc_read(struct cli_prun *r, struct cli_psrc *s);
/* --pipepart: queue the next part (done set after the last). */
void cli_psrc_part(struct cli_psrc *s);

/* Start a job for blk (taken) as number seq in a free slot: 0 or -1. */
int cli_pjob_start(struct cli_prun *r, struct cli_pjob *j,
    struct cli_pblock *blk, uint64_t seq);
/* Give a running --round-robin job one more block (taken). */
void cli_pjob_feed(struct cli_pjob *j, struct cli_pblock *blk);
/* Write what the pipe takes now; close stdin when done (unless rr). */
void cli_pjob_write(struct cli_prun *r, struct cli_pjob *j);
/* Read what is there on fd (1 or 2). */
void cli_pjob_read(struct cli_pjob *j, int which);
/* The child exited: reap it. */
void cli_pjob_reap(struct cli_pjob *j, int block);
/* Finished: exited and its output closed. */
int cli_pjob_finished(const struct cli_pjob *j);
/* Try to open a --fifo for writing (the reader may not be there yet). */
void cli_pjob_fifo_open(struct cli_pjob *j);
/* Print (as -k orders it), log and free a finished job. */
void cli_pjob_end(struct cli_prun *r, struct cli_pjob *j);
/* Free a job's resources without printing. */
void cli_pjob_free(struct cli_pjob *j);
/* --joblog for the run (pipe-out.c): 0 or -1 (told). */
int cli_pipe_joblog_open(struct cli_prun *r);
/* The end of the run: kill and free what still runs, close the log. */
void cli_pipe_finish(struct cli_prun *r);

#endif /* CORUN_CLI_PIPE_INTERNAL_H */
