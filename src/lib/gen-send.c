/* SPDX-License-Identifier: MIT */
/*
 * gen-send.c - generators that take values and errors in (Python's
 * generator.send(), throw() and close()).
 *
 * send() hands a value to the yield the body is parked in (the body reads
 * it with corun_gen_sent()); throw() makes that yield return an error
 * code.  close() is in gen.c, with free.
 */
#include "config.h"

#include "gen-internal.h"

int
corun_gen_send(corun_gen *gen, void *in, void **value)
{
	if (gen == NULL) {
		return CORUN_EINVAL;
	}
	if (gen->state == CR_GEN_NEW && in != NULL) {
		/* Nothing waits for it yet (Python: TypeError). */
		return CORUN_ESTATE;
	}
	gen->sent = in;
	gen->thrown = 0;
	return cr_gen_resume(gen, value);
}

void *
corun_gen_sent(const corun_gen *gen)
{
	return gen != NULL ? gen->sent : NULL;
}

int
corun_gen_throw(corun_gen *gen, int code, void **value)
{
	if (gen == NULL || code <= 0) {
		return CORUN_EINVAL;
	}
	if (gen->state == CR_GEN_DONE) {
		return code;	/* raised in the caller, as Python does */
	}
	if (gen->state == CR_GEN_NEW) {
		/* Raised before the first line: the body never runs. */
		gen->state = CR_GEN_DONE;
		return code;
	}
	gen->sent = NULL;
	gen->thrown = code;
	return cr_gen_resume(gen, value);
}
