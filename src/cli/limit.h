/* SPDX-License-Identifier: MIT */
/*
 * limit.h - `--limit "command"`: before each job starts, the command runs
 * (by the shell, with SSHLOGIN=":" in its environment) and its exit
 * status decides, as GNU parallel's --limit: 0 start the job; any other
 * status start none now (run-window.c asks again after CLI_LIMIT_RETRY
 * seconds or when a job ends).  Status 2, "way over the limit", holds
 * the start too, but does not kill the youngest running job as parallel
 * does; parallel's built-in "io", "load" and "mem" scripts are refused.
 * Called on the loop thread; the command runs while the loop waits.
 */
#ifndef CORUN_CLI_LIMIT_H
#define CORUN_CLI_LIMIT_H

#include "cli.h"

/* Seconds before a held start asks the command again. */
#define CLI_LIMIT_RETRY 0.2

/* Check --limit's command at parse time: 0, or CORUN_EINVAL in e. */
int cli_limit_check(const char *cmd, struct cli_err *e);
/*
 * Run the command and wait for it: its exit status (0-255), 128+N for a
 * signal N, or -1 when it could not be started.
 */
int cli_limit_run(const char *cmd);

#endif /* CORUN_CLI_LIMIT_H */
