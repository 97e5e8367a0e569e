/* SPDX-License-Identifier: MIT */
/*
 * nng-threads.c - fewer idle nng threads in corun and corun-worker.
 *
 * nng 1.5 starts all its threads with the first socket: a task queue of
 * two per CPU, a timeout thread per CPU, a timer, a reaper, the poller
 * and four name resolvers: 13 threads besides the program's own on this
 * 2-core machine, in every process, and none of these sizes can be set at run time.  `corun run`
 * starts two such processes (corun and its worker) even for a handful of
 * jobs, and creating and tearing down those 26 threads costs about 1 ms of
 * CPU per run here, on the way to the first job and after the last (a
 * worker's exit is seen once its last thread is gone).
 *
 * corun and corun-worker link nng's static archive (configure:
 * static-deps), so the linker can route four of nng's internal calls
 * here (ld --wrap):
 *
 * - the resolver threads start at the first name to resolve (a tcp:// or
 *   tls+tcp:// listen or dial), not at start-up: ipc:// resolves nothing;
 * - a program may size nng's queues for fewer CPUs (cr_nng_cpus): a
 *   worker has a single connection, and 1 gives it two task threads and
 *   one timeout thread.
 *
 * configure turns this on only for nng 1.5 linked statically, whose
 * internal functions it was written for, and only if a program with these
 * wrappers links; otherwise nng is linked as it is (CR_NNG_THREADS unset).
 */
#include "config.h"

#include <pthread.h>

#include "nng-threads.h"

int cr_nng_cpus;

/* nng 1.5's internal functions (src/platform/posix, src/core/aio.c). */
int __real_nni_plat_ncpu(void);
int __real_nni_posix_resolv_sysinit(void);
void __real_nni_posix_resolv_sysfini(void);
void __real_nni_resolv_ip(const char *host, const char *serv, int family,
    int passive, void *sa, void *aio);
int nni_aio_begin(void *aio);
void nni_aio_finish_error(void *aio, int rv);

int __wrap_nni_plat_ncpu(void);
int __wrap_nni_posix_resolv_sysinit(void);
void __wrap_nni_posix_resolv_sysfini(void);
void __wrap_nni_resolv_ip(const char *host, const char *serv, int family,
    int passive, void *sa, void *aio);

static pthread_mutex_t resolv_lock = PTHREAD_MUTEX_INITIALIZER;
static int resolv_started;

int
__wrap_nni_plat_ncpu(void)
{
	return cr_nng_cpus > 0 ? cr_nng_cpus : __real_nni_plat_ncpu();
}

/* nng's start-up: the resolvers wait for the first name. */
int
__wrap_nni_posix_resolv_sysinit(void)
{
	return 0;
}

/* Any thread may resolve first (a dial's caller, a redial's task). */
void
__wrap_nni_resolv_ip(const char *host, const char *serv, int family,
    int passive, void *sa, void *aio)
{
	int rv = 0;

	pthread_mutex_lock(&resolv_lock);
	if (!resolv_started &&
	    (rv = __real_nni_posix_resolv_sysinit()) == 0) {
		resolv_started = 1;
	}
	pthread_mutex_unlock(&resolv_lock);
	if (rv != 0) {
		/* As nng fails a lookup it cannot queue. */
		if (nni_aio_begin(aio) == 0) {
			nni_aio_finish_error(aio, rv);
		}
		return;
	}
	__real_nni_resolv_ip(host, serv, family, passive, sa, aio);
}

/* nng_fini(): stop them if they ran; a later start begins afresh. */
void
__wrap_nni_posix_resolv_sysfini(void)
{
	pthread_mutex_lock(&resolv_lock);
	if (resolv_started) {
		__real_nni_posix_resolv_sysfini();
		resolv_started = 0;
	}
	pthread_mutex_unlock(&resolv_lock);
}
