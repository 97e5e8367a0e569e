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
   as corun_gen_next(). */
int cr_gen_resume(corun_gen *gen, void **value);

#endif /* CORUN_GEN_INTERNAL_H */
