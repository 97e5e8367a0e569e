/* SPDX-License-Identifier: MIT */
/*
 * run-web.h - corun run --http HOST:PORT: the metrics and the dashboard
 * of corund --http, served for the duration of a run (read-only: a run
 * has no control token).  run.c starts it after the pool and stops it
 * before the pool goes; run-window.c reports each job submitted and
 * ended.  On the run's loop thread.
 */
#ifndef CLI_RUN_WEB_H
#define CLI_RUN_WEB_H

#include <stdint.h>

struct cli_run;
struct cli_outcome;

/* Listen on r->o->http: 0, or -1 (said on stderr). */
int cli_run_web_start(struct cli_run *r);
void cli_run_web_stop(struct cli_run *r);
/* A job went to the pool. */
void cli_run_web_submitted(struct cli_run *r);
/* A job ended as oc says (killed: stopped by a halt or a signal);
   submitted_ns is when it went to the pool (wall clock). */
void cli_run_web_ended(struct cli_run *r, const struct cli_outcome *oc,
    uint64_t submitted_ns, int killed);
/* The wall clock in ns, as job results give their times. */
uint64_t cli_run_web_now(void);

#endif
