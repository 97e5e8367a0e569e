/* SPDX-License-Identifier: MIT */
/*
 * fault-internal.h - fault injection: fail the Nth allocation or I/O call
 * (internal, not installed).
 *
 * Modelled on SQLite's test harness: a test arms one class of calls with
 * a count N and a mode, runs an operation, and sees the Nth call of that
 * class fail, once (only that call) or forever (that call and every later
 * one).  Looping N = 1, 2, 3, ... until an operation runs without a fault
 * being hit walks every failure point the operation has.
 *
 * Classes:
 *   alloc  cr_malloc / cr_calloc / cr_realloc / cr_strdup, SQLite's own
 *          allocations and jansson's (src/daemon/fault-hooks.c);
 *   io     SQLite file reads, writes, syncs, truncates and opens (a VFS
 *          shim over the default one, same file);
 *   net    corund's control socket: a received request or a reply is
 *          dropped as if nng had failed;
 *   listen the pool's listener for a local worker it started cannot be
 *          opened (src/sup/worker-sock.c);
 *   rx     the pool's loop, woken because a worker's frames are waiting,
 *          does not read them (as if they had not arrived yet):
 *          only the reads that a worker's exit makes still happen
 *          (src/sup/worker-sock.c).
 *
 * The code is always compiled in.  When nothing is armed a site costs
 * one load of cr_fault_armed and a branch that is always predicted, so
 * the daemon under test is the daemon that ships.
 *
 * CORUN_FAULT (read by corund with cr_fault_setenv(), after it is ready
 * to serve, so counting starts at the first request): a comma-separated
 * list of CLASS:N[:once|:forever], e.g. "alloc:120:once" or
 * "io:3:forever,net:7".  The default mode is once.  Each injected failure
 * is counted; cr_fault_hits() tells a test whether its operation reached
 * the armed call at all.
 *
 * The counters are atomic: nng's threads may reach a net site while the
 * loop thread allocates.
 */
#ifndef CR_FAULT_INTERNAL_H
#define CR_FAULT_INTERNAL_H

#include <stddef.h>

enum cr_fault_class {
	CR_FAULT_ALLOC = 0,
	CR_FAULT_IO = 1,
	CR_FAULT_NET = 2,
	CR_FAULT_LISTEN = 3,
	CR_FAULT_RX = 4,
	CR_FAULT_NCLASS
};

/* Nonzero while any class is armed; read by cr_fault() inline. */
extern int cr_fault_armed;

int	cr_fault_check(int cls);

/*
 * Nonzero when this call of class cls must fail.  Every call while the
 * class is armed counts toward N.
 */
static inline int
cr_fault(int cls)
{
	if (__builtin_expect(__atomic_load_n(&cr_fault_armed,
	    __ATOMIC_RELAXED) == 0, 1)) {
		return 0;
	}
	return cr_fault_check(cls);
}

/*
 * Arm class cls: its nth call from now fails (n >= 1), and with forever
 * every later call too.  Resets the class's call and hit counts.
 * CORUN_EINVAL for a bad class or n == 0.
 */
int	cr_fault_set(int cls, unsigned long n, int forever);
/*
 * Hold (on = 1) and release (on = 0) allocation failures around code
 * that cannot survive one: calls made meanwhile neither fail nor count.
 * Only for a third-party bug that cannot be fixed here; say which.
 */
void	cr_fault_hold(int on);
/* Disarm every class (the hit counts are kept until the next set). */
void	cr_fault_clear(void);
/* Failures injected in class cls since it was last armed. */
unsigned long cr_fault_hits(int cls);
/* Calls of class cls counted since it was last armed. */
unsigned long cr_fault_calls(int cls);

/*
 * Parse a CORUN_FAULT-style spec and arm what it names.  0, or
 * CORUN_EINVAL with nothing armed.
 */
int	cr_fault_parse(const char *spec);
/*
 * Arm from the environment variable name (normally "CORUN_FAULT"); 0 when
 * it is unset or empty, CORUN_EINVAL when it does not parse.
 */
int	cr_fault_setenv(const char *name);
/* "alloc", "io", "net", "listen", "rx"; "unknown" otherwise. */
const char *cr_fault_name(int cls);

/* The allocation wrappers: the libc calls, failing when told to. */
void	*cr_malloc(size_t size);
void	*cr_calloc(size_t n, size_t size);
void	*cr_realloc(void *p, size_t size);
char	*cr_strdup(const char *s);
/*
 * How many times the wrappers returned NULL (injected or real): a
 * caller learns whether a library that reports no such thing (jansson's
 * parser calls a failed allocation a syntax error) ran out of memory.
 */
unsigned long cr_fault_alloc_failures(void);

#endif /* CR_FAULT_INTERNAL_H */
