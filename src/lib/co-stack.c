/*
 * co-stack.c - coroutine stacks: mmap'd with a PROT_NONE guard page below,
 * registered with valgrind when it is there, and default-size ones kept
 * in a per-thread cache so new coroutines skip mmap.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "co-internal.h"

#ifdef CR_CO_ASAN
#include <sanitizer/asan_interface.h>
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

static __thread struct cr_stack_cache cr_cache;
static pthread_key_t cr_cache_key;
static pthread_once_t cr_cache_once = PTHREAD_ONCE_INIT;
static int cr_cache_key_ok;

size_t
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

int
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

int
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

void
cr_stack_release(struct cr_stack *st)
{
#ifdef CR_CO_ASAN
	/* Redzones of abandoned frames must not poison the next user. */
	ASAN_UNPOISON_MEMORY_REGION(st->map, st->maplen);
#endif
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
