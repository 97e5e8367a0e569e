/*
 * remote-cmd.h - the token and the --worker-cmd commands of
 * `corun run --listen URL` (remote-cmd.c).  The run owns a struct
 * cr_rcmds and learns what the commands need to tell it through the
 * callbacks it installs: remote-cmd.c knows nothing of the run.
 */
#ifndef CORUN_CLI_REMOTE_CMD_H
#define CORUN_CLI_REMOTE_CMD_H

#include <corun/loop.h>

#include "cli.h"

struct cr_rcmds;

/*
 * What the commands ask of the run that started them.  Both are called
 * on the loop thread, from the half-second watch of the commands.
 */
struct cr_rcmds_ops {
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
 * allocated, even on error: cr_rcmds_finish() frees it.  0, or -1 with
 * e set.
 */
int cr_rcmds_start(const struct cr_run_opts *o, struct cr_rcmds **rcp,
    struct cr_err *e);

/*
 * The pool listens: run the commands, and watch them every half second
 * on loop, reporting through ops (with arg).  o must be the options
 * given to cr_rcmds_start() and outlive rc.  0, or -1 with e set.
 */
int cr_rcmds_spawn(struct cr_rcmds *rc, const struct cr_run_opts *o,
    corun_loop *loop, const struct cr_rcmds_ops *ops, void *arg,
    struct cr_err *e);

/* The token, or NULL (also when rc is NULL). */
const char *cr_rcmds_token(const struct cr_rcmds *rc);

/*
 * After the pool is gone: give the commands a moment, then end them
 * (TERM, then KILL), and free rc.  rc may be NULL.
 */
void cr_rcmds_finish(struct cr_rcmds *rc);

#endif /* CORUN_CLI_REMOTE_CMD_H */
