/* SPDX-License-Identifier: MIT */
/*
 * co.c - stackful asymmetric coroutines.
 *
 * Each coroutine runs on its own mmap'd stack with a PROT_NONE guard page
 * below it.  corun_co_resume() switches from the resumer to the coroutine
 * and records where to come back; corun_co_suspend() and the end of the
 * coroutine's function switch back there.  The resumer may itself be a
 * coroutine, so resumes nest like calls.
 *
 * The switch itself is in co-switch-<arch>.S, or makecontext/swapcontext
 * when configured with the ucontext backend.  Everything that depends on
 * the backend or on the sanitizers is in the cr_ctx_* and cr_san_* helpers
 * below, so the coroutine logic reads the same for all of them.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "co-internal.h"

#ifdef CR_CO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CR_CO_VALGRIND 1
#endif
#endif

/* Freed default-size stacks kept per thread, so new tasks skip mmap. */
#define CR_STACK_CACHE_MAX	256

struct cr_stack_cache {
	unsigned	 n;
	int		 keyed;		/* destructor registered for thread */
	struct cr_stack	 s[CR_STACK_CACHE_MAX];
};

static __thread corun_co *cr_co_cur CR_TLS;
static __thread struct cr_stack_cache cr_cache;
static pthread_key_t cr_cache_key;
static pthread_once_t cr_cache_once = PTHREAD_ONCE_INIT;
static int cr_cache_key_ok;

static void cr_co_start(void *arg) __attribute__((noreturn));

/* ---- context switching, per backend ---------------------------------- */

#ifdef CORUN_CO_UCONTEXT
/* makecontext passes int arguments only: split the pointer in two. */
static void
cr_co_uc_entry(unsigned int hi, unsigned int lo)
{
	uintptr_t p = ((uintptr_t)hi << 16 << 16) | (uintptr_t)lo;

	cr_co_start((void *)p);
}

static int
cr_ctx_init(corun_co *co)
{
	uintptr_t p = (uintptr_t)co;
	struct cr_stack *st = &co->stack;
	size_t guard = st->maplen - corun_co_stack_size(co);

	if (getcontext(&co->ctx.uc) == -1) {
		return CORUN_ESYS;
	}
	co->ctx.uc.uc_stack.ss_sp = st->map + guard;
	co->ctx.uc.uc_stack.ss_size = st->maplen - guard;
	co->ctx.uc.uc_link = NULL;
	makecontext(&co->ctx.uc, (void (*)(void))cr_co_uc_entry, 2,
	    (unsigned int)(p >> 16 >> 16), (unsigned int)(p & 0xffffffffu));
	return 0;
}

static inline void
cr_ctx_switch(struct cr_ctx *save, struct cr_ctx *to)
{
	/* Only fails for a malformed context, which we never build. */
	(void)swapcontext(&save->uc, &to->uc);
}

const char *
corun_co_backend(void)
{
	return "ucontext";
}
#else
static int
cr_ctx_init(corun_co *co)
{
	co->ctx.sp = cr_co_prepare(co->stack.map + co->stack.maplen,
	    cr_co_start, co);
	return 0;
}

static inline void
cr_ctx_switch(struct cr_ctx *save, struct cr_ctx *to)
{
	cr_co_switch(&save->sp, to->sp);
}

const char *
corun_co_backend(void)
{
#if defined(__x86_64__)
	return "x86_64-asm";
#elif defined(__aarch64__)
	return "aarch64-asm";
#else
#error "assembly coroutine switch built for an unknown architecture"
#endif
}
#endif

/* ---- sanitizer notifications ----------------------------------------- */

#ifdef CR_CO_ASAN
/*
 * ASan keeps one notion of "the current stack" per thread.  Before each
 * switch we name the stack we are going to, and after it the stack we
 * landed on confirms the switch and learns where it came from, which is
 * where its next suspend must go back to.  A NULL save pointer tells ASan
 * the stack being left is finished for good.
 */
static inline void
cr_san_enter(void **fake, const corun_co *to)
{
	size_t guard = to->stack.maplen - corun_co_stack_size(to);

	__sanitizer_start_switch_fiber(fake, to->stack.map + guard,
	    to->stack.maplen - guard);
}

static inline void
cr_san_leave(void **fake, const corun_co *co)
{
	__sanitizer_start_switch_fiber(fake, co->caller_bottom,
	    co->caller_size);
}

static inline void
cr_san_landed(void *fake, corun_co *co)
{
	if (co != NULL) {
		__sanitizer_finish_switch_fiber(fake, &co->caller_bottom,
		    &co->caller_size);
	} else {
		__sanitizer_finish_switch_fiber(fake, NULL, NULL);
	}
}

/* Redzones of abandoned frames must not poison the next user. */
static inline void
cr_san_forget(struct cr_stack *st)
{
	ASAN_UNPOISON_MEMORY_REGION(st->map, st->maplen);
}
#else
#define cr_san_enter(fake, to)		((void)(fake), (void)(to))
#define cr_san_leave(fake, co)		((void)(fake), (void)(co))
#define cr_san_landed(fake, co)		((void)(fake), (void)(co))
#define cr_san_forget(st)		((void)(st))
#endif

/* ---- stacks ------------------------------------------------------------ */

static size_t
cr_page_size(void)
{
	/* Threads may race to fill it in; they all store the same value. */
	static size_t page;
	size_t p = __atomic_load_n(&page, __ATOMIC_RELAXED);
	long n;

	if (p == 0) {
		n = sysconf(_SC_PAGESIZE);
		p = n > 0 ? (size_t)n : 4096;
		__atomic_store_n(&page, p, __ATOMIC_RELAXED);
	}
	return p;
}

/* Round a requested size to whole pages, at least CORUN_CO_STACK_MIN. */
static int
cr_stack_round(size_t req, size_t *out)
{
	size_t page = cr_page_size();

	if (req == 0) {
		req = CORUN_CO_STACK_DEFAULT;
	}
	if (req < CORUN_CO_STACK_MIN) {
		req = CORUN_CO_STACK_MIN;
	}
	/* Leave room for the guard page too. */
	if (req > SIZE_MAX / 2) {
		return CORUN_ERANGE;
	}
	*out = (req + page - 1) / page * page;
	return 0;
}

static void
cr_stack_unmap(struct cr_stack *st)
{
#ifdef CR_CO_VALGRIND
	if (st->vg_id != 0) {
		VALGRIND_STACK_DEREGISTER(st->vg_id);
	}
#endif
	(void)munmap(st->map, st->maplen);
	st->map = NULL;
}

static void
cr_cache_destroy(void *p)
{
	struct cr_stack_cache *c = p;

	while (c->n > 0) {
		cr_stack_unmap(&c->s[--c->n]);
	}
	c->keyed = 0;
}

static void
cr_cache_key_init(void)
{
	cr_cache_key_ok = pthread_key_create(&cr_cache_key,
	    cr_cache_destroy) == 0;
}

static int
cr_stack_map(size_t size, struct cr_stack *st)
{
	size_t guard = cr_page_size();
	int saved;

	if (size == CORUN_CO_STACK_DEFAULT && cr_cache.n > 0) {
		*st = cr_cache.s[--cr_cache.n];
		return 0;
	}
	st->maplen = size + guard;
	st->map = mmap(NULL, st->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (st->map == MAP_FAILED) {
		st->map = NULL;
		return errno == ENOMEM ? CORUN_ENOMEM : CORUN_ESYS;
	}
	if (mprotect(st->map, guard, PROT_NONE) == -1) {
		saved = errno;
		(void)munmap(st->map, st->maplen);
		st->map = NULL;
		errno = saved;
		return saved == ENOMEM ? CORUN_ENOMEM : CORUN_ESYS;
	}
	st->vg_id = 0;
#ifdef CR_CO_VALGRIND
	st->vg_id = VALGRIND_STACK_REGISTER(st->map + guard,
	    st->map + st->maplen);
#endif
	return 0;
}

/* Keep a default-size stack for the next coroutine on this thread. */
static void
cr_stack_release(struct cr_stack *st)
{
	cr_san_forget(st);
	if (st->maplen != CORUN_CO_STACK_DEFAULT + cr_page_size() ||
	    cr_cache.n == CR_STACK_CACHE_MAX) {
		cr_stack_unmap(st);
		return;
	}
	if (!cr_cache.keyed) {
		/* Without the destructor the stacks outlive the thread. */
		(void)pthread_once(&cr_cache_once, cr_cache_key_init);
		if (!cr_cache_key_ok ||
		    pthread_setspecific(cr_cache_key, &cr_cache) != 0) {
			cr_stack_unmap(st);
			return;
		}
		cr_cache.keyed = 1;
	}
	cr_cache.s[cr_cache.n++] = *st;
}

/* ---- coroutines -------------------------------------------------------- */

/* C entry point of every coroutine, on its own stack; never returns. */
static void
cr_co_start(void *arg)
{
	corun_co *co = arg;

	cr_san_landed(NULL, co);
	co->fn(co->arg);
	co->state = CR_CO_DONE;
	/* This stack is never used again: let ASan drop its fake frames. */
	cr_san_leave(NULL, co);
	cr_ctx_switch(&co->ctx, &co->caller);
	abort();
}

int
corun_co_new(corun_co_fn fn, void *arg, size_t stack_size, corun_co **out)
{
	corun_co *co;
	size_t size;
	int rc;

	if (fn == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((rc = cr_stack_round(stack_size, &size)) != 0) {
		return rc;
	}
	if ((co = calloc(1, sizeof(*co))) == NULL) {
		return CORUN_ENOMEM;
	}
	if ((rc = cr_stack_map(size, &co->stack)) != 0) {
		free(co);
		return rc;
	}
	co->fn = fn;
	co->arg = arg;
	co->state = CR_CO_READY;
	if ((rc = cr_ctx_init(co)) != 0) {
		cr_stack_release(&co->stack);
		free(co);
		return rc;
	}
	*out = co;
	return 0;
}

int
corun_co_resume(corun_co *co)
{
	void *fake = NULL;

	if (co == NULL) {
		return CORUN_EINVAL;
	}
	if (co->state != CR_CO_READY && co->state != CR_CO_SUSPENDED) {
		return CORUN_ESTATE;
	}
	co->resumer = cr_co_cur;
	co->state = CR_CO_RUNNING;
	cr_co_cur = co;
	cr_san_enter(&fake, co);
	cr_ctx_switch(&co->caller, &co->ctx);
	cr_san_landed(fake, NULL);
	cr_co_cur = co->resumer;
	return 0;
}

int
corun_co_suspend(void)
{
	corun_co *co = cr_co_cur;
	void *fake = NULL;

	if (co == NULL) {
		return CORUN_ENOTCO;
	}
	co->state = CR_CO_SUSPENDED;
	cr_san_leave(&fake, co);
	cr_ctx_switch(&co->ctx, &co->caller);
	cr_san_landed(fake, co);
	return 0;
}

corun_co *
corun_co_self(void)
{
	return cr_co_cur;
}

int
corun_co_finished(const corun_co *co)
{
	return co != NULL && co->state == CR_CO_DONE;
}

void
corun_co_set_data(corun_co *co, void *data)
{
	co->data = data;
}

void *
corun_co_data(const corun_co *co)
{
	return co->data;
}

size_t
corun_co_stack_size(const corun_co *co)
{
	return co->stack.maplen - cr_page_size();
}

void
corun_co_free(corun_co *co)
{
	if (co == NULL) {
		return;
	}
	/*
	 * A running coroutine's stack holds live frames (possibly ours):
	 * freeing it would pull the floor from under them.  Refuse, and leak
	 * rather than crash; the header forbids this call.
	 */
	if (co->state == CR_CO_RUNNING) {
		return;
	}
	cr_stack_release(&co->stack);
	free(co);
}
