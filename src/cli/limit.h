/* SPDX-License-Identifier: MIT */
/*
 * limit.h - `--limit "command"`: before each job starts, the command runs
 * (by the shell, with SSHLOGIN=":" in its environment) and its exit
 * status decides, as GNU parallel's --limit: 0 start the job; any other
 * status start none now (run-window.c asks again after CLI_LIMIT_RETRY
 * seconds or when a job ends).  While jobs run it is asked every
 * CLI_LIMIT_RETRY seconds too, and status 2, "way over the limit", kills
 * the youngest running job (which fails, as in parallel).  parallel's
 * built-in limits are measured here: "io N" (the busiest disk of
 * /proc/diskstats more than N % busy since the last look: 1), "load N"
 * (more than N processes runnable, as --load counts them: 1) and
 * "mem SIZE" (MemAvailable below SIZE: 1, below half of it: 2).
 * Called on the loop thread; a command runs while the loop waits.
 */
#ifndef CORUN_CLI_LIMIT_H
#define CORUN_CLI_LIMIT_H

#include "cli.h"

/* Seconds before a held start asks the command again. */
#define CLI_LIMIT_RETRY 0.2

/* Check --limit's command at parse time: 0, or CORUN_EINVAL in e. */
int cli_limit_check(const char *cmd, struct cli_err *e);
/*
 * Run the command and wait for it (or measure the built-in limit): its
 * exit status (0-255), 128+N for a signal N, or -1 when it could not be
 * started.
 */
int cli_limit_run(const char *cmd);
/*
 * A built-in limit's status: which 1 io, 2 load, 3 mem; n its number;
 * measured the value now (-1: unknown, taken as over the limit).
 */
int cli_limit_decide(int which, double n, double measured);
/*
 * The busiest disk's busy percentage (0-100) between two /proc/diskstats
 * texts taken ms milliseconds apart, or -1 when that cannot be told.
 */
double cli_io_busy(const char *prev, const char *now, double ms);

#endif /* CORUN_CLI_LIMIT_H */
