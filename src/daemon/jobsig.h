/* SPDX-License-Identifier: MIT */
/*
 * jobsig.h - a signal to one running job's process group (corun pause ID
 * stops it with SIGSTOP, corun resume ID continues it with SIGCONT).
 * corund hands each command job to the pool with CORUN_JOB_ID=ID added
 * to its environment; the worker starts the command as the leader of a
 * process group of its own, so the job is found as the process whose
 * parent is one of the pool's local workers, which leads its group, and
 * whose environment holds that word (Linux /proc).  Jobs on remote
 * workers cannot be reached so.  On the loop thread.
 */
#ifndef CD_JOBSIG_H
#define CD_JOBSIG_H

#include <stdint.h>

#include <corun/corun.h>

struct cd_taken;

/* Add CORUN_JOB_ID=ID to a shell job's environment (t->payload is
   replaced); other kinds are left alone.  0 or CORUN_ENOMEM. */
int cd_jobsig_mark(struct cd_taken *t);

/*
 * Send sig to the process group of job id, running on one of pool's
 * workers: 0; CORUN_ENOENT when no such process is found (not a command,
 * not started yet, ended, or on a remote worker); CORUN_ESYS (errno).
 */
int cd_jobsig_send(corun_pool *pool, int64_t id, int sig);

struct cd_daemon;
/* cd_jobsig_send on corund's pool, then on those still draining. */
int cd_jobsig_job(struct cd_daemon *d, int64_t id, int sig);

#endif /* CD_JOBSIG_H */
