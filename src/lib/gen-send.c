/*
 * gen-send.c - generators that take values and errors in (Python's
 * generator.send(), throw() and close()).
 *
 * send() hands a value to the yield the body is parked in (the body reads
 * it with corun_gen_sent()); throw() makes that yield return an error
 * code; close() makes it return CORUN_ECANCELED and lets the body finish.
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
