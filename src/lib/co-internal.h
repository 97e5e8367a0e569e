/* SPDX-License-Identifier: MIT */
/*
 * co-internal.h - coroutine internals shared by co.c and the switch code.
 *
 * A context is whatever the backend needs to continue a stack later.  The
 * assembly backends push the callee-saved registers onto the stack being
 * left, so a context is a single saved stack pointer; the ucontext backend
 * keeps a whole ucontext_t.  Only co.c switches contexts; the rest of the
 * library goes through the public corun_co_* calls.
 */
#ifndef CORUN_CO_INTERNAL_H
#define CORUN_CO_INTERNAL_H

#include "config.h"

#include <stddef.h>

#include <corun/co.h>

#ifndef CR_TLS
/* Thread-locals read on every switch: no __tls_get_addr call. */
#define CR_TLS __attribute__((tls_model("initial-exec")))
#endif

#ifdef CORUN_CO_UCONTEXT
#include <ucontext.h>
#endif

/* ASan must be told about stack switches or it reports false overflows. */
#if defined(CORUN_SANITIZERS) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CR_CO_ASAN 1
#endif
#endif
#if defined(CORUN_SANITIZERS) && defined(__SANITIZE_ADDRESS__)
#ifndef CR_CO_ASAN
#define CR_CO_ASAN 1
#endif
#endif

struct cr_ctx {
#ifdef CORUN_CO_UCONTEXT
	ucontext_t	 uc;
#else
	void		*sp;	/* registers live on the stack below sp */
#endif
};

/*
 * One mmap'd stack.  The first guard bytes of the mapping are PROT_NONE;
 * the usable stack is [map + guard, map + maplen) and grows down towards
 * the guard.
 */
struct cr_stack {
	char		*map;
	size_t		 maplen;
	unsigned	 vg_id;		/* valgrind stack id, 0 if none */
};

enum cr_co_state {
	CR_CO_READY,		/* created, never resumed */
	CR_CO_SUSPENDED,	/* waiting in corun_co_suspend() */
	CR_CO_RUNNING,		/* on the resume chain of this thread */
	CR_CO_DONE		/* function returned */
};

struct corun_co {
	struct cr_ctx	 ctx;		/* where the coroutine continues */
	struct cr_ctx	 caller;	/* where its next suspend returns */
	corun_co_fn	 fn;
	void		*arg;
	void		*data;
	corun_co	*resumer;	/* coroutine that resumed us, or NULL */
	struct cr_stack	 stack;
	enum cr_co_state state;
#ifdef CR_CO_ASAN
	const void	*caller_bottom;	/* resumer's stack, for ASan */
	size_t		 caller_size;
#endif
};

#ifndef CORUN_CO_UCONTEXT
/*
 * Assembly (co-switch-<arch>.S).  cr_co_switch saves the callee-saved
 * state on the current stack, stores the stack pointer in *save and
 * continues the context whose stack pointer is to.  cr_co_prepare builds
 * an initial frame below top (aligning it down to 16) so that the first
 * switch to the returned stack pointer calls entry(arg) on that stack.
 * entry must never return: it ends by switching away for good.  The
 * assembly calls nothing by name; co.c passes its entry point here.
 */
void cr_co_switch(void **save, void *to) __attribute__((visibility("hidden")));
void *cr_co_prepare(void *top, void (*entry)(void *), void *arg)
    __attribute__((visibility("hidden")));
#endif

#endif /* CORUN_CO_INTERNAL_H */
