/* SPDX-License-Identifier: MIT */
/*
 * onall.h - --onall with -S (onall.c): every job on every login, as GNU
 * parallel runs it, an outer run of one job per login whose jobs are
 * inner runs of the same command line.
 */
#ifndef CORUN_CLI_ONALL_H
#define CORUN_CLI_ONALL_H

#include "cli.h"

/*
 * cli_onall_inner(): in the inner run of one login
 * (CORUN_ONALL_LOGIN set), make o that login's sequential run.
 * cli_onall_outer(): the outer run's arguments (from "run") in *out, one
 * job per login running the inner run of argv[0..argc) (the arguments
 * after "run"); *tmp a file holding stdin, for the caller to remove
 * (malloc'd, or NULL).
 */
int cli_onall_inner(struct cli_run_opts *o, struct cli_err *e);
int cli_onall_outer(const struct cli_run_opts *o, int argc, char **argv,
    struct cli_strv *out, char **tmp, struct cli_err *e);

#endif /* CORUN_CLI_ONALL_H */
