/* SPDX-License-Identifier: MIT */
/*
 * gen.c - generators: coroutines that hand values to a consumer.
 *
 * corun_gen_next() resumes the body; corun_gen_yield() stores a value and
 * suspends.  When the body returns, its code is reported by the next()
 * that saw it end (CORUN_EDONE for 0) and every later next() says
 * CORUN_EDONE.  Closing a generator parked in yield resumes it once with
 * CORUN_ECANCELED so it can release what it holds, like Python's
 * generator.close(); a body that yields again then is simply dropped.
 */
#include "config.h"

#include <stdlib.h>

#include <corun/co.h>

enum cr_gen_state {
	CR_GEN_NEW,		/* body not started */
	CR_GEN_PARKED,		/* suspended in yield */
	CR_GEN_RUNNING,		/* inside next() */
	CR_GEN_DONE		/* body returned and its code was reported */
};

struct corun_gen {
	corun_co	*co;
	corun_gen_fn	 fn;
	void		*arg;
	void		*value;		/* last yielded value */
	int		 rc;		/* body's return code */
	int		 closing;	/* corun_gen_free() is resuming us */
	enum cr_gen_state state;
};

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
	int rc;

	if (gen == NULL) {
		return CORUN_EINVAL;
	}
	if (gen->state == CR_GEN_DONE) {
		return CORUN_EDONE;
	}
	if (gen->state == CR_GEN_RUNNING) {
		/* next() from inside the body, or from something it resumed. */
		return CORUN_ESTATE;
	}
	gen->state = CR_GEN_RUNNING;
	if ((rc = corun_co_resume(gen->co)) != 0) {
		gen->state = CR_GEN_PARKED;
		return rc;
	}
	if (corun_co_finished(gen->co)) {
		gen->state = CR_GEN_DONE;
		return gen->rc != 0 ? gen->rc : CORUN_EDONE;
	}
	gen->state = CR_GEN_PARKED;
	if (value != NULL) {
		*value = gen->value;
	}
	return 0;
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
	return gen->closing ? CORUN_ECANCELED : 0;
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
	if (gen->state == CR_GEN_PARKED) {
		gen->closing = 1;
		gen->state = CR_GEN_RUNNING;
		(void)corun_co_resume(gen->co);
	}
	corun_co_free(gen->co);
	free(gen);
}
