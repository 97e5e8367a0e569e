/* SPDX-License-Identifier: MIT */
/*
 * gen-internal.h - the generator structure shared by gen.c (next, yield,
 * free) and gen-send.c (send, throw, close).  Not installed.
 */
#ifndef CORUN_GEN_INTERNAL_H
#define CORUN_GEN_INTERNAL_H

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
	void		*sent;		/* what the last send() handed in */
	int		 thrown;	/* what the parked yield returns */
	int		 rc;		/* body's return code */
	int		 closing;	/* close() is resuming us */
	enum cr_gen_state state;
};

/* Resume the body with gen->sent and gen->thrown already set; the rest
   as corun_gen_next().  Inline: it is the generator's hot path. */
static inline int
cr_gen_resume(corun_gen *gen, void **value)
{
	int rc;

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

#endif /* CORUN_GEN_INTERNAL_H */
