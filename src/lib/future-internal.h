/* SPDX-License-Identifier: MIT */
/*
 * future-internal.h - the future structure and the hooks that let special
 * futures (tasks, combinators, executor calls, pool jobs) embed one.
 * Not installed.  Futures sit on the loop core: they schedule their
 * callbacks as loop handles.
 */
#ifndef CORUN_FUTURE_INTERNAL_H
#define CORUN_FUTURE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <corun/future.h>

#include "loop-internal.h"

/* Done-callback registration. */
struct cr_cb_entry {
	corun_future_cb cb;
	void *arg;
};

/* Pluggable behaviour of special futures (tasks, combinators). */
struct cr_future_ops {
	/* Cancel request; NULL means: complete as cancelled at once. */
	int (*cancel)(corun_future *fut);
	/* Release the extra state when the future is freed. */
	void (*destroy)(corun_future *fut);
	/* Before a public set_result/set_bytes/set_error on a pending
	   future: 0 to allow, else the code the call returns (NULL: allow). */
	int (*may_complete)(corun_future *fut);
	/* When the last reference goes on a failed future whose error
	   nobody read (NULL: nothing said). */
	void (*unread)(corun_future *fut);
	/* Nonzero for tasks. */
	int is_task;
};

struct corun_future {
	corun_loop *loop;
	const struct cr_future_ops *ops;
	void *value;
	union {
		char *msg;		/* error message */
		corun_future *shared;	/* result borrowed from this one */
	} x;
	corun_dtor dtor;
	size_t len;
	struct cr_cb_entry *cbs;	/* NULL: only inl is used */
	struct cr_cb_entry inl;
	uint32_t refs;
	uint32_t ncb, capcb, cb_run;	/* callbacks [0, cb_run) already ran */
	int err;
	uint8_t state;			/* enum corun_future_state */
	uint8_t flags;			/* CR_F_* */
};

#define CR_F_CB_SCHEDULED 0x1		/* callbacks are in the ready queue */
#define CR_F_SHARED 0x2			/* x.shared is set */
#define CR_F_RETRIEVED 0x4		/* its outcome was read */

/*
 * Initialise fut (embedded in a bigger object) as pending with one
 * reference; ops may be NULL.  When the last reference goes, ops->destroy
 * frees the enclosing object (plain free(fut) without it).
 */
void cr_future_init(corun_future *fut, corun_loop *loop,
    const struct cr_future_ops *ops);
/* Complete a pending fut as cancelled, bypassing ops->cancel: 0, or
   CORUN_ESTATE when fut is already done.  Callbacks run later, once. */
int cr_future_complete_cancelled(corun_future *fut);
/* Complete a pending fut, bypassing ops->may_complete: the owner's own
   completion (a task's body returning). */
int cr_future_set_result(corun_future *fut, void *value, corun_dtor dtor);
/* As corun_future_set_error; with as_error, CORUN_ECANCELED makes an
   error (a gather whose child was cancelled), not a cancelled future. */
int cr_future_set_error(corun_future *fut, int code, int as_error,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The drop hook of the handle that runs fut's callbacks: releases the
   reference that handle held, running none of them. */
void cr_future_drop_callbacks(void *fut);

#endif /* CORUN_FUTURE_INTERNAL_H */
