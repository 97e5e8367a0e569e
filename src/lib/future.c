/* SPDX-License-Identifier: MIT */
/*
 * future.c - futures: completed exactly once, callbacks on the owning loop.
 *
 * Completion never runs callbacks directly.  It schedules one handle that
 * runs every registered callback in order; a callback added after that
 * handle ran schedules a new one.  The scheduled handle holds a reference,
 * so a future outlives the callbacks that are about to see it.  Futures
 * without callbacks never allocate a handle.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "future-internal.h"

static void run_callbacks(void *arg);

void
cr_future_init(corun_future *fut, corun_loop *loop,
    const struct cr_future_ops *ops)
{
	memset(fut, 0, sizeof(*fut));
	fut->loop = loop;
	fut->ops = ops;
	fut->refs = 1;
	fut->capcb = 1;
}

static struct cr_cb_entry *
cb_at(corun_future *fut, uint32_t i)
{
	return fut->cbs != NULL ? &fut->cbs[i] : &fut->inl;
}

int
corun_future_new(corun_loop *loop, corun_future **out)
{
	corun_future *fut;

	if (loop == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((fut = malloc(sizeof(*fut))) == NULL) {
		return CORUN_ENOMEM;
	}
	cr_future_init(fut, loop, NULL);
	*out = fut;
	return 0;
}

corun_future *
corun_future_ref(corun_future *fut)
{
	fut->refs++;
	return fut;
}

void
corun_future_unref(corun_future *fut)
{
	if (fut == NULL || --fut->refs > 0) {
		return;
	}
	if (__builtin_expect(fut->state == CORUN_FUTURE_ERROR &&
	    !(fut->flags & CR_F_RETRIEVED), 0) && fut->ops != NULL &&
	    fut->ops->unread != NULL) {
		fut->ops->unread(fut);
	}
	if (fut->flags & CR_F_SHARED) {
		corun_future_unref(fut->x.shared);
	} else {
		if (fut->dtor != NULL) {
			fut->dtor(fut->value);
		} else if (fut->state == CORUN_FUTURE_RESULT && fut->len > 0) {
			free(fut->value);	/* bytes are ours */
		}
		if (fut->x.msg != NULL) {
			free(fut->x.msg);
		}
	}
	if (fut->cbs != NULL) {
		free(fut->cbs);
	}
	if (fut->ops != NULL && fut->ops->destroy != NULL) {
		fut->ops->destroy(fut);	/* frees the enclosing object */
	} else {
		free(fut);
	}
}

corun_loop *
corun_future_loop(const corun_future *fut)
{
	return fut->loop;
}

static inline __attribute__((always_inline)) int
schedule_callbacks(corun_future *fut)
{
	struct corun_handle *h;

	if ((fut->flags & CR_F_CB_SCHEDULED) || fut->cb_run == fut->ncb) {
		return 0;
	}
	if ((h = cr_handle_alloc(fut->loop, run_callbacks, fut)) == NULL) {
		return CORUN_ENOMEM;
	}
	h->drop = cr_future_drop_callbacks;
	fut->flags |= CR_F_CB_SCHEDULED;
	corun_future_ref(fut);
	cr_loop_schedule(fut->loop, h);
	return 0;
}

static void
run_callbacks(void *arg)
{
	corun_future *fut = arg;

	fut->flags &= (uint8_t)~CR_F_CB_SCHEDULED;
	/* Re-read ncb and cbs: a callback may add more (or realloc). */
	while (fut->cb_run < fut->ncb) {
		struct cr_cb_entry e = *cb_at(fut, fut->cb_run++);

		if (e.cb != NULL) {
			e.cb(fut, e.arg);
		}
	}
	corun_future_unref(fut);
}

void
cr_future_drop_callbacks(void *arg)
{
	corun_future *fut = arg;

	fut->flags &= (uint8_t)~CR_F_CB_SCHEDULED;
	corun_future_unref(fut);
}

/*
 * A pending future may hold the message of a cancellation asked for but
 * not yet done (a task winding down) in x.msg; another outcome drops it.
 */
static inline void
drop_pending_msg(corun_future *fut)
{
	if (fut->x.msg != NULL) {	/* rare: no call on the hot path */
		free(fut->x.msg);
		fut->x.msg = NULL;
	}
}

/* Mark done and schedule callbacks; the caller has set the outcome. */
static void
complete(corun_future *fut, enum corun_future_state state)
{
	fut->state = (uint8_t)state;
	/*
	 * Without memory for the handle the callbacks cannot be scheduled
	 * now; the next add_done_callback or completion retries.  Handles
	 * come from a free list, so this needs the heap to be exhausted.
	 * No call at all for a future without callbacks (most tasks).
	 */
	if (fut->cb_run != fut->ncb) {
		(void)schedule_callbacks(fut);
	}
}

/* May the caller complete fut now?  0, or the code to return instead. */
static int
may_complete(corun_future *fut)
{
	if (fut->state != CORUN_FUTURE_PENDING) {
		return CORUN_ESTATE;
	}
	if (fut->ops != NULL && fut->ops->may_complete != NULL) {
		return fut->ops->may_complete(fut);
	}
	return 0;
}

int
cr_future_set_result(corun_future *fut, void *value, corun_dtor dtor)
{
	if (fut->state != CORUN_FUTURE_PENDING) {
		return CORUN_ESTATE;
	}
	drop_pending_msg(fut);
	fut->value = value;
	fut->dtor = dtor;
	fut->len = 0;
	complete(fut, CORUN_FUTURE_RESULT);
	return 0;
}

int
corun_future_set_result(corun_future *fut, void *value, corun_dtor dtor)
{
	int rc;

	if (fut == NULL) {
		return CORUN_EINVAL;
	}
	if ((rc = may_complete(fut)) != 0) {
		return rc;
	}
	return cr_future_set_result(fut, value, dtor);
}

int
corun_future_set_bytes(corun_future *fut, const void *buf, size_t len)
{
	char *copy;

	int rc;

	if (fut == NULL || (buf == NULL && len > 0)) {
		return CORUN_EINVAL;
	}
	if ((rc = may_complete(fut)) != 0) {
		return rc;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		return CORUN_ENOMEM;
	}
	if (len > 0) {
		memcpy(copy, buf, len);
	}
	copy[len] = '\0';
	drop_pending_msg(fut);
	if (len == 0) {
		/* len 0 marks "not ours" in unref; give it a destructor. */
		fut->dtor = free;
	}
	fut->value = copy;
	fut->len = len;
	complete(fut, CORUN_FUTURE_RESULT);
	return 0;
}

/* Complete as an error; as_error keeps CORUN_ECANCELED an error. */
static int
set_verror(corun_future *fut, int code, int as_error, const char *fmt,
    va_list ap)
{
	char *msg = NULL;

	if (fut->state != CORUN_FUTURE_PENDING) {
		return CORUN_ESTATE;
	}
	drop_pending_msg(fut);
	if (fmt != NULL && vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
	}
	if (msg == NULL) {
		/* No memory for the message: the code alone still tells. */
		msg = strdup(corun_strerror(code));
	}
	fut->err = code;
	fut->x.msg = msg;
	complete(fut, code == CORUN_ECANCELED && !as_error ?
	    CORUN_FUTURE_CANCELLED : CORUN_FUTURE_ERROR);
	return 0;
}

int
corun_future_set_verror(corun_future *fut, int code, const char *fmt,
    va_list ap)
{
	int rc;

	if (fut == NULL || code <= 0) {
		return CORUN_EINVAL;
	}
	if ((rc = may_complete(fut)) != 0) {
		return rc;
	}
	return set_verror(fut, code, 0, fmt, ap);
}

int
cr_future_set_error(corun_future *fut, int code, int as_error,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = set_verror(fut, code, as_error, fmt, ap);
	va_end(ap);
	return rc;
}

int
corun_future_set_error(corun_future *fut, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = corun_future_set_verror(fut, code, fmt, ap);
	va_end(ap);
	return rc;
}

int
cr_future_complete_cancelled(corun_future *fut)
{
	if (fut->state != CORUN_FUTURE_PENDING) {
		return CORUN_ESTATE;
	}
	/* x.msg: the cancel message stashed while pending, if any. */
	fut->err = CORUN_ECANCELED;
	complete(fut, CORUN_FUTURE_CANCELLED);
	return 0;
}

int
corun_future_cancel(corun_future *fut)
{
	return corun_future_cancel_msg(fut, NULL);
}

int
corun_future_cancel_msg(corun_future *fut, const char *msg)
{
	if (fut == NULL) {
		return CORUN_EINVAL;
	}
	if (fut->state != CORUN_FUTURE_PENDING) {
		return CORUN_ESTATE;
	}
	if (msg != NULL) {
		char *copy = strdup(msg);

		if (copy == NULL) {
			return CORUN_ENOMEM;
		}
		/* The first message asked for is kept (as asyncio's). */
		if (fut->x.msg == NULL) {
			fut->x.msg = copy;
		} else {
			free(copy);
		}
	}
	if (fut->ops != NULL && fut->ops->cancel != NULL) {
		return fut->ops->cancel(fut);
	}
	return cr_future_complete_cancelled(fut);
}

enum corun_future_state
corun_future_state(const corun_future *fut)
{
	return (enum corun_future_state)fut->state;
}

int
corun_future_done(const corun_future *fut)
{
	return fut->state != CORUN_FUTURE_PENDING;
}

int
corun_future_cancelled(const corun_future *fut)
{
	return fut->state == CORUN_FUTURE_CANCELLED;
}

int
corun_future_status(const corun_future *fut)
{
	/* Reading the outcome retrieves an error (a flag, not the value). */
	((corun_future *)fut)->flags |= CR_F_RETRIEVED;
	switch (fut->state) {
	case CORUN_FUTURE_PENDING:
		return CORUN_ESTATE;
	case CORUN_FUTURE_RESULT:
		return 0;
	case CORUN_FUTURE_CANCELLED:
		return CORUN_ECANCELED;
	default:
		return fut->err;
	}
}

void *
corun_future_result(const corun_future *fut, size_t *len)
{
	if (fut->state != CORUN_FUTURE_RESULT) {
		if (len != NULL) {
			*len = 0;
		}
		return NULL;
	}
	if (len != NULL) {
		*len = fut->len;
	}
	return fut->value;
}

int
corun_future_error(const corun_future *fut, const char **msg)
{
	const char *m = NULL;
	int code = 0;

	((corun_future *)fut)->flags |= CR_F_RETRIEVED;
	if (fut->state == CORUN_FUTURE_ERROR) {
		code = fut->err;
		m = fut->x.msg;
	} else if (fut->state == CORUN_FUTURE_CANCELLED) {
		code = CORUN_ECANCELED;
		m = fut->x.msg != NULL ? fut->x.msg : "cancelled";
	}
	if (msg != NULL) {
		*msg = m;
	}
	return code;
}

int
corun_future_add_done_callback(corun_future *fut, corun_future_cb cb,
    void *arg)
{
	if (fut == NULL || cb == NULL) {
		return CORUN_EINVAL;
	}
	if (fut->ncb == fut->capcb) {
		uint32_t cap = fut->capcb * 2;
		struct cr_cb_entry *n;

		n = realloc(fut->cbs, cap * sizeof(*n));
		if (n == NULL) {
			return CORUN_ENOMEM;
		}
		if (fut->cbs == NULL) {
			n[0] = fut->inl;
		}
		fut->cbs = n;
		fut->capcb = cap;
	}
	cb_at(fut, fut->ncb)->cb = cb;
	cb_at(fut, fut->ncb)->arg = arg;
	fut->ncb++;
	if (fut->state != CORUN_FUTURE_PENDING) {
		return schedule_callbacks(fut);
	}
	return 0;
}

int
corun_future_remove_done_callback(corun_future *fut, corun_future_cb cb,
    void *arg)
{
	/* Done: every callback is already scheduled and will run. */
	if (fut == NULL || fut->state != CORUN_FUTURE_PENDING) {
		return 0;
	}
	return corun_future_discard_callback(fut, cb, arg);
}

int
corun_future_discard_callback(corun_future *fut, corun_future_cb cb,
    void *arg)
{
	int n = 0;

	if (fut == NULL) {
		return 0;
	}

	for (uint32_t i = fut->cb_run; i < fut->ncb; i++) {
		struct cr_cb_entry *e = cb_at(fut, i);

		if (e->cb == cb && e->arg == arg) {
			e->cb = NULL;
			n++;
		}
	}
	return n;
}

int
corun_future_copy_outcome(corun_future *dst, const corun_future *src)
{
	if (dst == NULL || src == NULL || src->state == CORUN_FUTURE_PENDING) {
		return CORUN_EINVAL;
	}
	if (dst->state != CORUN_FUTURE_PENDING) {
		return CORUN_ESTATE;
	}
	((corun_future *)src)->flags |= CR_F_RETRIEVED;	/* passed on */
	switch (src->state) {
	case CORUN_FUTURE_RESULT:
		drop_pending_msg(dst);
		if (src->len > 0 || src->dtor != NULL) {
			/*
			 * An owned value: share it.  dst keeps src alive and
			 * points at the same value; src's destructor runs
			 * once, when the last of them goes.
			 */
			dst->x.shared = corun_future_ref((corun_future *)src);
			dst->flags |= CR_F_SHARED;
			dst->value = src->value;
			dst->len = src->len;
			dst->dtor = NULL;
			complete(dst, CORUN_FUTURE_RESULT);
			return 0;
		}
		return cr_future_set_result(dst, src->value, NULL);
	case CORUN_FUTURE_CANCELLED:
		if (dst->x.msg == NULL && src->x.msg != NULL) {
			dst->x.msg = strdup(src->x.msg);
		}
		return cr_future_complete_cancelled(dst);
	default:
		return cr_future_set_error(dst, src->err, 1, "%s",
		    src->x.msg != NULL ? src->x.msg :
		    corun_strerror(src->err));
	}
}
