/* SPDX-License-Identifier: MIT */
/*
 * corun/co.h - stackful coroutines and generators.
 *
 * A coroutine runs a function on its own stack and can suspend itself with
 * corun_co_suspend(), returning control to whoever resumed it; the next
 * corun_co_resume() continues after the suspend with its locals intact.
 * Coroutines are asymmetric: resume and suspend pair up like call and
 * return.  They belong to the thread that created them.
 *
 * Stacks are mmap'd with a PROT_NONE guard page below them; overflowing a
 * stack faults instead of corrupting memory.  Freed stacks of the default
 * size are kept in a small per-thread cache for reuse.  The context switch
 * is written in assembly for x86-64 and aarch64 and uses ucontext elsewhere;
 * corun_co_backend() names the one compiled in.  On x86-64 the floating
 * point control state (MXCSR, x87 control word) is saved per coroutine and
 * inherited from its creator; on aarch64 FPCR is not saved.
 *
 * Errors: CORUN_EINVAL for NULL arguments; CORUN_ERANGE or CORUN_ENOMEM
 * for stacks; CORUN_ESTATE for resuming a finished or running coroutine,
 * for corun_gen_yield() from another coroutine than the generator's, and
 * for corun_gen_next() on a running generator.
 *
 * Tasks (corun/task.h) are coroutines driven by a loop; this header is the
 * layer below them and does not need a loop.
 */
#ifndef CORUN_CO_H
#define CORUN_CO_H

#include <stddef.h>

#include <corun/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corun_co corun_co;
typedef void (*corun_co_fn)(void *arg);

/*
 * Default stack size in bytes (64 KiB).  Smaller requests are raised to the
 * 16 KiB minimum; an absurd size gives CORUN_ERANGE.
 */
#define CORUN_CO_STACK_DEFAULT	(64 * 1024)
#define CORUN_CO_STACK_MIN	(16 * 1024)

/*
 * Create a suspended coroutine that will run fn(arg) on a stack of
 * stack_size bytes (0 = default; rounded up to pages).  It starts at the
 * first corun_co_resume().
 */
int corun_co_new(corun_co_fn fn, void *arg, size_t stack_size,
    corun_co **out);

/*
 * Switch into co until it suspends or its function returns.  Returns 0, or
 * CORUN_ESTATE if co has finished or is running.
 */
int corun_co_resume(corun_co *co);

/* Suspend the running coroutine, back to its resumer.  CORUN_ENOTCO if none. */
int corun_co_suspend(void);

/* The coroutine running on this thread, or NULL on a thread's own stack. */
corun_co *corun_co_self(void);

/* Nonzero once the coroutine's function has returned. */
int corun_co_finished(const corun_co *co);

/* User pointer attached to a coroutine (NULL by default). */
void corun_co_set_data(corun_co *co, void *data);
void *corun_co_data(const corun_co *co);

/*
 * Free a coroutine that is not running.  A suspended one is discarded
 * without unwinding (code after its suspend point never runs).
 */
void corun_co_free(corun_co *co);

/* "x86_64-asm", "aarch64-asm" or "ucontext". */
const char *corun_co_backend(void);

/* Stack bytes of co actually mapped (size without the guard page). */
size_t corun_co_stack_size(const corun_co *co);

/*
 * Generators: a coroutine that yields values one at a time to the consumer
 * that calls corun_gen_next().
 */
typedef struct corun_gen corun_gen;

/* The generator body; its return value is reported by corun_gen_next(). */
typedef int (*corun_gen_fn)(corun_gen *gen, void *arg);

int corun_gen_new(corun_gen_fn fn, void *arg, size_t stack_size,
    corun_gen **out);

/*
 * Run the generator until it yields.  Returns 0 with *value set to the
 * yielded value; CORUN_EDONE when the body returned 0 (exhausted), or the
 * body's nonzero return code once; after that, always CORUN_EDONE.
 */
int corun_gen_next(corun_gen *gen, void **value);

/*
 * Inside the body: hand value to the consumer and suspend until the next
 * corun_gen_next().  Returns 0, or CORUN_ECANCELED when the generator is
 * being closed (the body should return promptly).
 */
int corun_gen_yield(corun_gen *gen, void *value);

/*
 * Python's generator.send(): resume the body like corun_gen_next(), the
 * yield it is parked in returning 0 and corun_gen_sent() giving in.  On a
 * generator not started yet in must be NULL (else CORUN_ESTATE).
 */
int corun_gen_send(corun_gen *gen, void *in, void **value);

/* Inside the body, after a yield: what the last send() handed in (NULL
   after corun_gen_next()). */
void *corun_gen_sent(const corun_gen *gen);

/*
 * Python's generator.throw(): resume the body with the yield it is parked
 * in returning code (> 0).  The body may handle it and yield again (0 and
 * *value, as next()), or return: its return code is reported as by
 * next().  On a generator not started or already finished, returns code
 * at once and the generator is finished, its body never run.
 */
int corun_gen_throw(corun_gen *gen, int code, void **value);

/*
 * Python's generator.close(): if the body is parked in yield, resume it
 * with that yield returning CORUN_ECANCELED and let it finish.  Returns 0
 * when it finished (returning 0 or CORUN_ECANCELED), its own error code
 * if it returned one, CORUN_ESTATE if it yielded again instead of
 * finishing (Python: RuntimeError) or if called from inside the body.  A
 * finished or never started generator is just marked finished (0).
 */
int corun_gen_close(corun_gen *gen);

/*
 * Close (as corun_gen_close(), ignoring its result: call it first to see
 * a body that will not finish), then free the generator.
 */
void corun_gen_free(corun_gen *gen);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_CO_H */
