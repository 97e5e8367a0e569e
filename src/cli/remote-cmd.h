/* SPDX-License-Identifier: MIT */
/*
 * remote-cmd.h - the token and the --worker-cmd commands of
 * `corun run --listen URL` (remote-cmd.c).  The run owns a struct
 * cli_rcmds and learns what the commands need to tell it through the
 * callbacks it installs: remote-cmd.c knows nothing of the run.
 */
#ifndef CORUN_CLI_REMOTE_CMD_H
#define CORUN_CLI_REMOTE_CMD_H

#include <corun/loop.h>

#include "cli.h"

struct cli_rcmds;

/*
 * What the commands ask of the run that started them.  Both are called
 * on the loop thread, from the half-second watch of the commands.
 */
struct cli_rcmds_ops {
	/*
	 * Nonzero while the run still waits for remote workers: it is not
	 * stopping and none is attached.
	 */
	int (*unattended)(void *arg);
	/*
	 * --remote-only: every command has exited and unattended() holds
	 * (the warning is already printed).  The run should stop now.
	 * Called at most once.
	 */
	void (*give_up)(void *arg);
};

/*
 * Read the token (--token or --token-file) and check every --worker-cmd
 * template, before the pool starts.  *rcp is set as soon as it is
 * allocated, even on error: cli_rcmds_finish() frees it.  0, or -1 with
 * e set.
 */
int cli_rcmds_start(const struct cli_run_opts *o, struct cli_rcmds **rcp,
    struct cli_err *e);

/*
 * The pool listens at url (corun_pool_listen_url: the real port; NULL
 * means o->listen): write --url-file, run the commands, and watch them
 * every half second on loop, reporting through ops (with arg).  o and
 * url must be the options given to cli_rcmds_start() and outlive rc.
 * 0, or -1 with e set.
 */
int cli_rcmds_spawn(struct cli_rcmds *rc, const struct cli_run_opts *o,
    const char *url, corun_loop *loop, const struct cli_rcmds_ops *ops,
    void *arg, struct cli_err *e);

/* The token, or NULL (also when rc is NULL). */
const char *cli_rcmds_token(const struct cli_rcmds *rc);

/*
 * After the pool is gone: give the commands a moment, then end them
 * (TERM, then KILL), and free rc.  rc may be NULL.
 */
void cli_rcmds_finish(struct cli_rcmds *rc);

#endif /* CORUN_CLI_REMOTE_CMD_H */
