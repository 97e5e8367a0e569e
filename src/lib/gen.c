/* SPDX-License-Identifier: MIT */
/*
 * gen.c - generators: coroutines that hand values to a consumer.
 *
 * corun_gen_next() resumes the body; corun_gen_yield() stores a value and
 * suspends.  When the body returns, its code is reported by the next()
 * that saw it end (CORUN_EDONE for 0) and every later next() says
 * CORUN_EDONE.  Closing a generator parked in yield resumes it once with
 * CORUN_ECANCELED so it can release what it holds, like Python's
 * generator.close(); a body that yields again then is an error that
 * corun_gen_close() reports (gen-send.c: send and throw).
 */
#include "config.h"

#include <stdlib.h>

#include "gen-internal.h"

static void
cr_gen_body(void *p)
{
	corun_gen *gen = p;

	gen->rc = gen->fn(gen, gen->arg);
}

int
corun_gen_new(corun_gen_fn fn, void *arg, size_t stack_size,
    corun_gen **out)
{
	corun_gen *gen;
	int rc;

	if (fn == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((gen = calloc(1, sizeof(*gen))) == NULL) {
		return CORUN_ENOMEM;
	}
	gen->fn = fn;
	gen->arg = arg;
	gen->state = CR_GEN_NEW;
	if ((rc = corun_co_new(cr_gen_body, gen, stack_size, &gen->co)) != 0) {
		free(gen);
		return rc;
	}
	*out = gen;
	return 0;
}

int
corun_gen_next(corun_gen *gen, void **value)
{
	if (gen == NULL) {
		return CORUN_EINVAL;
	}
	gen->sent = NULL;
	gen->thrown = 0;
	return cr_gen_resume(gen, value);
}


int
corun_gen_yield(corun_gen *gen, void *value)
{
	corun_co *self = corun_co_self();

	if (self == NULL) {
		return CORUN_ENOTCO;
	}
	if (gen == NULL || self != gen->co) {
		/* Only the generator's own body may yield for it. */
		return gen == NULL ? CORUN_EINVAL : CORUN_ESTATE;
	}
	gen->value = value;
	(void)corun_co_suspend();
	if (gen->closing) {
		return CORUN_ECANCELED;
	}
	return gen->thrown;
}

int
corun_gen_close(corun_gen *gen)
{
	int rc;

	if (gen == NULL) {
		return CORUN_EINVAL;
	}
	if (gen->state == CR_GEN_RUNNING) {
		return CORUN_ESTATE;	/* from inside its own body */
	}
	if (gen->state != CR_GEN_PARKED) {
		gen->state = CR_GEN_DONE;
		return 0;
	}
	gen->closing = 1;
	rc = cr_gen_resume(gen, NULL);
	if (rc == 0) {
		/*
		 * It yielded again instead of finishing (Python: RuntimeError
		 * "generator ignored GeneratorExit").  It stays parked;
		 * corun_gen_free() drops its stack without resuming it.
		 */
		return CORUN_ESTATE;
	}
	/* Finished: by returning 0 or CORUN_ECANCELED, fine; else its error. */
	return rc == CORUN_EDONE || rc == CORUN_ECANCELED ? 0 : rc;
}

void
corun_gen_free(corun_gen *gen)
{
	if (gen == NULL) {
		return;
	}
	/*
	 * Freeing a generator whose body is on the stack right now would
	 * free the frames we are running on; refuse (and leak) instead.
	 */
	if (gen->state == CR_GEN_RUNNING) {
		return;
	}
	(void)corun_gen_close(gen);
	corun_co_free(gen->co);
	free(gen);
}
