/*
 * spawn.c - start a job's program: clone(CLONE_VM | CLONE_VFORK) on a
 * stack kept per thread, then execve.
 *
 * posix_spawn does the same, but on every call it maps and unmaps a fresh
 * child stack (in a threaded worker the unmap costs a TLB shootdown on the
 * other cores) and its child resets all 64 signal dispositions one system
 * call each (16 us here, per job).  This child resets only the signals
 * this process does not leave at their default, a set computed here at
 * most once a second (a kind loaded with --load may install a handler
 * later: it is in the set within a second), plus any signal pending in
 * the child.  stdin is a /dev/null descriptor opened once.
 *
 * The child shares the parent's memory until execve and the calling
 * thread waits until then (CLONE_VFORK), so the child calls nothing but
 * system call wrappers and reports a failed execve through the shared
 * argument block.  All signals are blocked across the clone: no handler
 * of the parent runs in the child.  Right after the clone the child moves
 * to a process group of its own, so a signal sent to the worker's group
 * cannot reach it from then on; one that came earlier is pending, and its
 * disposition is reset before the mask is cleared.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kinds-internal.h"

#define CR_SPAWN_STACK (64 * 1024)	/* the child's, guard page included */
#define CR_SIGS 65			/* signal numbers 1..64 */

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

struct spawn_args {
	const char *path;
	char *const *argv;
	char *const *envp;
	int fd[3];		/* the child's stdin, stdout, stderr */
	sigset_t reset;		/* dispositions to put back to SIG_DFL */
	volatile int err;	/* set by the child when it cannot exec */
};

static __thread char *cr_stack;		/* this thread's child stack */

static pthread_mutex_t cr_sp_mu = PTHREAD_MUTEX_INITIALIZER;
static sigset_t cr_sp_nondefault;	/* under cr_sp_mu */
static time_t cr_sp_when;		/* the set's age, 0 = never taken */
static int cr_sp_null = -1;		/* /dev/null, opened once */

/* The signals whose disposition is not SIG_DFL in this process. */
static void
nondefault_now(sigset_t *set)
{
	struct sigaction sa;

	sigemptyset(set);
	for (int sig = 1; sig < CR_SIGS; sig++) {
		/* glibc's own signals (32, 33) and gaps answer EINVAL. */
		if (sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL) {
			sigaddset(set, sig);
		}
	}
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
		nondefault_now(&cr_sp_nondefault);
		cr_sp_when = now.tv_sec ? now.tv_sec : 1;
	}
	a->reset = cr_sp_nondefault;
	if (cr_sp_null < 0 &&
	    (cr_sp_null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		rc = errno;
	}
	a->fd[0] = cr_sp_null;
	pthread_mutex_unlock(&cr_sp_mu);
	return rc;
}

static int
stack_get(void)
{
	char *p;

	if (cr_stack != NULL) {
		return 0;
	}
	p = mmap(NULL, CR_SPAWN_STACK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED) {
		return errno;
	}
	/* The lowest page catches an overflow instead of corrupting memory. */
	if (mprotect(p, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) != 0) {
		int e = errno;

		munmap(p, CR_SPAWN_STACK);
		return e;
	}
	cr_stack = p;
	return 0;
}

/* Put fd on target for the new program (without close-on-exec). */
CR_NO_ASAN static int
child_fd(int fd, int target)
{
	if (fd == target) {
		return fcntl(fd, F_SETFD, 0);
	}
	return dup2(fd, target) < 0 ? -1 : 0;
}

CR_NO_ASAN static int
child(void *arg)
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
		if (sigismember(&a->reset, i) == 1 ||
		    sigismember(&pend, i) == 1) {
			(void)sigaction(i, &dfl, NULL);
		}
	}
	for (i = 0; i < 3; i++) {
		if (child_fd(a->fd[i], i) != 0) {
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

int
cr_spawn(const char *path, char *const argv[], char *const envp[],
    int out, int err, pid_t *pid)
{
	struct spawn_args a;
	sigset_t all, old;
	pid_t p;
	int rc, e;

	memset(&a, 0, sizeof(a));
	a.path = path;
	a.argv = argv;
	a.envp = envp;
	a.fd[1] = out;
	a.fd[2] = err;
	if ((rc = stack_get()) != 0 || (rc = shared_state(&a)) != 0) {
		return rc;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	p = clone(child, cr_stack + CR_SPAWN_STACK,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p < 0) {
		return e;
	}
	if (a.err != 0) {
		/* The child is gone (it exited 127): collect it. */
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {
		}
		return a.err;
	}
	*pid = p;
	return 0;
}
