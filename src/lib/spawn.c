/* SPDX-License-Identifier: MIT */
/*
 * spawn.c - start a program: clone(CLONE_VM) on a stack of its own, then
 * execve; the caller goes on at once (a job's program, workers/), or waits
 * for the exec (CR_SPAWN_WAIT: the supervisor's workers, whose argv and
 * environment need not outlive the call).
 *
 * posix_spawn (and vfork) stop the calling thread until the child has
 * exec'd: 155 us here for `sleep`, 1 ms at the 90th percentile when eight
 * slots free at once and their programs start side by side.  A worker that
 * refills eight slots spent that serially.  Here the child runs on a stack
 * from a small per-thread cache, the caller returns as soon as the child
 * exists, and the execs of several children overlap.  The price is that
 * the child shares the worker's memory while it runs, so:
 *
 *  - it makes raw system calls only (no libc wrapper: those write errno in
 *    the worker's thread-local storage, and sanitizers intercept some);
 *  - everything it reads is in its own stack region (the program's path
 *    is copied there) or in the job's memory, which outlives the child
 *    (the job ends after reaping it);
 *  - its stack goes back to the cache only after it was reaped
 *    (cr_spawn_end), when it can no longer be running;
 *  - a failed execve is reported in its stack region and read after the
 *    reap: the job then fails with the errno, as before.
 *
 * The child also does not share the worker's descriptor table or signal
 * handlers (no CLONE_FILES, no CLONE_SIGHAND).  All signals are blocked
 * across the clone, so no handler of the worker runs in the child; the
 * child moves to a process group of its own (the caller does the same
 * from its side, so a kill of the group cannot miss it), resets the
 * dispositions the worker changed (a set computed here at most once a
 * second) and any signal pending, clears the mask and execs.  /dev/null
 * (for a stdin, stdout or stderr not given) is a descriptor opened once.
 *
 * Other architectures keep CLONE_VFORK (the caller waits for the exec, as
 * with posix_spawn), and so does a worker under valgrind, which runs only
 * the clones of fork, vfork and threads.  CLONE_VFORK's child resets the
 * same few signals, not posix_spawn's 64 (0.2 ms of a worker's start).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cr-spawn.h"

#define CR_SPAWN_STACK (64 * 1024)	/* a child's, guard page included */
#define CR_SPAWN_CACHE 64		/* stacks kept per thread */
#define CR_SIGS 65			/* signal numbers 1..64 */

#if defined(__x86_64__) || defined(__aarch64__)
#define CR_SPAWN_ASYNC 1
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CR_NO_ASAN __attribute__((no_sanitize_address))
#endif
#endif
#if !defined(CR_NO_ASAN) && defined(__SANITIZE_ADDRESS__)
#define CR_NO_ASAN __attribute__((no_sanitize_address))
#endif
#ifndef CR_NO_ASAN
#define CR_NO_ASAN
#endif

/* What the child needs, at the top of its own stack region. */
struct spawn_args {
	char path[PATH_MAX];	/* a copy: the caller's may change */
	char *const *argv;
	char *const *envp;
	int fd[4];		/* its stdin, stdout, stderr; fd 3 or -1 */
	uint64_t reset;		/* bit n-1: put signal n back to SIG_DFL */
	volatile int err;	/* set by the child when it cannot exec */
};

/* A stack region; struct spawn_args sits at its top. */
struct cr_spawn {
	char *base;
	struct cr_spawn *next;	/* in the free cache */
};

static __thread struct cr_spawn *cr_free;	/* this thread's cache */
static __thread unsigned cr_nfree;

static pthread_mutex_t cr_sp_mu = PTHREAD_MUTEX_INITIALIZER;
static int cr_sp_vfork = -1;		/* 1: wait for the exec (valgrind) */
static uint64_t cr_sp_nondefault;	/* under cr_sp_mu */
static time_t cr_sp_when;		/* the set's age, 0 = never taken */
static int cr_sp_null = -1;		/* /dev/null, opened once */

/* The signals whose disposition is not SIG_DFL in this process. */
static uint64_t
nondefault_now(void)
{
	struct sigaction sa;
	uint64_t set = 0;

	for (int sig = 1; sig < CR_SIGS; sig++) {
		/* glibc's own signals (32, 33) and gaps answer EINVAL. */
		if (sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL) {
			set |= (uint64_t)1 << (sig - 1);
		}
	}
	return set;
}

/* Fill a->reset and a->fd[0]; 0 or an errno value. */
static int
shared_state(struct spawn_args *a)
{
	struct timespec now;
	int rc = 0;

	(void)clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	pthread_mutex_lock(&cr_sp_mu);
	if (cr_sp_when == 0 || now.tv_sec != cr_sp_when) {
		cr_sp_nondefault = nondefault_now();
		cr_sp_when = now.tv_sec ? now.tv_sec : 1;
	}
	a->reset = cr_sp_nondefault;
	if (cr_sp_vfork < 0) {
		/* valgrind's core is preloaded into the programs it runs. */
		const char *pre = getenv("LD_PRELOAD");

		cr_sp_vfork = pre != NULL && strstr(pre, "vgpreload") != NULL;
	}
	if (cr_sp_null < 0 &&
	    (cr_sp_null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		rc = errno;
	}
	for (int i = 0; i < 3; i++) {
		if (a->fd[i] < 0) {
			a->fd[i] = cr_sp_null;
		}
	}
	pthread_mutex_unlock(&cr_sp_mu);
	return rc;
}

static struct cr_spawn *
stack_get(int *err)
{
	struct cr_spawn *s;
	char *p;

	if ((s = cr_free) != NULL) {
		cr_free = s->next;
		cr_nfree--;
		return s;
	}
	p = mmap(NULL, CR_SPAWN_STACK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED) {
		*err = errno;
		return NULL;
	}
	/* The lowest page catches an overflow instead of corrupting memory. */
	if (mprotect(p, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) != 0) {
		*err = errno;
		munmap(p, CR_SPAWN_STACK);
		return NULL;
	}
	/* The bookkeeping lives at the bottom, above the guard page. */
	s = (struct cr_spawn *)(p + sysconf(_SC_PAGESIZE));
	s->base = p;
	s->next = NULL;
	return s;
}

static void
stack_put(struct cr_spawn *s)
{
	if (cr_nfree >= CR_SPAWN_CACHE) {
		munmap(s->base, CR_SPAWN_STACK);
		return;
	}
	s->next = cr_free;
	cr_free = s;
	cr_nfree++;
}

static struct spawn_args *
args_of(struct cr_spawn *s)
{
	uintptr_t top = (uintptr_t)s->base + CR_SPAWN_STACK;

	top -= sizeof(struct spawn_args);
	top &= ~(uintptr_t)63;
	return (struct spawn_args *)top;
}

/* ---- the child ------------------------------------------------------ */

#if defined(__x86_64__)
CR_NO_ASAN static inline long
rsys(long n, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile ("syscall" : "=a"(ret)
	    : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
	    : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
CR_NO_ASAN static inline long
rsys(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;

	__asm__ volatile ("svc 0" : "+r"(x0)
	    : "r"(x8), "r"(x1), "r"(x2), "r"(x3)
	    : "memory");
	return x0;
}
#endif

#ifdef CR_SPAWN_ASYNC
/* The kernel's struct sigaction for rt_sigaction (x86_64, arm64). */
struct cr_ksigaction {
	unsigned long handler;
	unsigned long flags;
	unsigned long restorer;
	uint64_t mask;
};

CR_NO_ASAN __attribute__((noreturn)) static void
child_fail(struct spawn_args *a, long r)
{
	a->err = r < 0 ? (int)-r : ENOEXEC;
	for (;;) {
		rsys(SYS_exit_group, 127, 0, 0, 0);
	}
}

CR_NO_ASAN static int
child_async(void *arg)
{
	struct spawn_args *a = arg;
	struct cr_ksigaction dfl = { 0, 0, 0, 0 };	/* SIG_DFL */
	uint64_t pend = 0, none = 0, reset;
	long r;
	int i;

	if ((r = rsys(SYS_setpgid, 0, 0, 0, 0)) < 0) {
		child_fail(a, r);
	}
	(void)rsys(SYS_rt_sigpending, (long)&pend, sizeof(pend), 0, 0);
	reset = a->reset | pend;
	for (i = 1; i < CR_SIGS; i++) {
		if (reset & ((uint64_t)1 << (i - 1))) {
			(void)rsys(SYS_rt_sigaction, i, (long)&dfl, 0,
			    sizeof(dfl.mask));
		}
	}
	for (i = 0; i < 4; i++) {
		if (a->fd[i] < 0) {
			continue;	/* (fd 3 only) */
		} else if (a->fd[i] == i) {
			r = rsys(SYS_fcntl, i, F_SETFD, 0, 0);
		} else {
			r = rsys(SYS_dup3, a->fd[i], i, 0, 0);
		}
		if (r < 0) {
			child_fail(a, r);
		}
	}
	if ((r = rsys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0,
	    sizeof(none))) < 0) {
		child_fail(a, r);
	}
	r = rsys(SYS_execve, (long)a->path, (long)a->argv, (long)a->envp, 0);
	child_fail(a, r);
	return 127;
}
#endif

/* CLONE_VFORK: the caller waits, so libc may be used (errno is its). */
CR_NO_ASAN static int
child_vfork(void *arg)
{
	struct spawn_args *a = arg;
	struct sigaction dfl;
	sigset_t pend, none;
	int i;

	if (setpgid(0, 0) != 0) {
		goto fail;
	}
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	if (sigpending(&pend) != 0) {
		sigemptyset(&pend);
	}
	for (i = 1; i < CR_SIGS; i++) {
		if ((a->reset & ((uint64_t)1 << (i - 1))) ||
		    sigismember(&pend, i) == 1) {
			(void)sigaction(i, &dfl, NULL);
		}
	}
	for (i = 0; i < 4; i++) {
		if (a->fd[i] >= 0 && (a->fd[i] == i ?
		    fcntl(i, F_SETFD, 0) != 0 : dup2(a->fd[i], i) < 0)) {
			goto fail;
		}
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) {
		goto fail;
	}
	execve(a->path, a->argv, a->envp);
fail:
	a->err = errno ? errno : ENOEXEC;
	_exit(127);
}

/* ---- the caller ----------------------------------------------------- */

/* Fill the arguments the child reads: 0, or an errno value. */
static int
args_fill(struct spawn_args *a, const char *path, char *const argv[],
    char *const envp[], const int fds[4])
{
	memset(a, 0, sizeof(*a));
	if (strlen(path) >= sizeof(a->path)) {
		return ENAMETOOLONG;
	}
	strcpy(a->path, path);
	a->argv = argv;
	a->envp = envp;
	for (int i = 0; i < 4; i++) {
		/* Each must stay put while the lower ones are set up. */
		if (fds[i] >= 0 && fds[i] < i) {
			return EBADF;
		}
		a->fd[i] = fds[i];
	}
	return shared_state(a);
}

int
cr_spawn(const char *path, char *const argv[], char *const envp[],
    const int fds[4], int flags_in, pid_t *pid, struct cr_spawn **sp)
{
	struct spawn_args *a;
	struct cr_spawn *s;
	sigset_t all, old;
	pid_t p;
	int (*fn)(void *) = child_vfork;
	int rc = 0, e, flags = CLONE_VM | CLONE_VFORK | SIGCHLD;

	if ((s = stack_get(&rc)) == NULL) {
		return rc;
	}
	a = args_of(s);
	if ((rc = args_fill(a, path, argv, envp, fds)) != 0) {
		stack_put(s);
		return rc;
	}
#ifdef CR_SPAWN_ASYNC
	if (!cr_sp_vfork && !(flags_in & CR_SPAWN_WAIT)) {
		fn = child_async;
		flags = CLONE_VM | SIGCHLD;
		/*
		 * glibc's own signals too (32, 33; its sigaction refuses
		 * them): a worker started by posix_spawn begins with them
		 * ignored, and an ignored signal stays ignored across exec.
		 */
		a->reset |= (uint64_t)3 << 31;
	}
#endif
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* The child's frames grow down from just below its arguments. */
	p = clone(fn, (char *)a - 64, flags, a);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p < 0) {
		stack_put(s);
		return e;
	}
	/* Its own group from here on, whichever of us gets there first. */
	(void)setpgid(p, p);
	*pid = p;
	*sp = s;
	return 0;
}

int
cr_spawn_error(const struct cr_spawn *s)
{
	return s != NULL ? args_of((struct cr_spawn *)s)->err : 0;
}

int
cr_spawn_end(struct cr_spawn *s)
{
	int err;

	if (s == NULL) {
		return 0;
	}
	err = args_of(s)->err;
	stack_put(s);
	return err;
}
