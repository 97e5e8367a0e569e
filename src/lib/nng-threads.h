/* SPDX-License-Identifier: MIT */
/*
 * nng-threads.h - sizing nng's threads in the statically linked programs
 * (nng-threads.c; only where configure defined CR_NNG_THREADS).
 */
#ifndef CR_NNG_THREADS_H
#define CR_NNG_THREADS_H

/*
 * The CPU count nng sizes its task and timeout queues for (0: the real
 * one).  Set before the program's first nng call.
 */
extern int cr_nng_cpus;

#endif
