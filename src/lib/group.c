/* SPDX-License-Identifier: MIT */
/*
 * group.c - task groups (asyncio.TaskGroup).
 *
 * The group is its own future: struct corun_group starts with the
 * corun_future that corun_group_future() hands out, so the group is
 * refcounted like any future.  The caller's reference is dropped by
 * corun_group_free().  The members' done-callbacks hold no reference (one
 * would leak if the loop were freed with the callback scheduled): the group
 * removes them when it is freed, or destroyed, instead.
 *
 * The group holds a reference on every member, for corun_group_cancel().
 * The first member to fail (an error, not a cancellation) cancels the
 * others.  The group's future completes once it was asked for and every
 * member is done: a NULL result, CORUN_EMULTI listing each error, or
 * cancelled if the group's future itself was cancelled and nothing failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corun/task.h>

#include "future-internal.h"

struct cr_group_err {
	int code;
	char *msg;
	char *who;			/* task name, or "future" */
};

struct corun_group {
	struct corun_future fut;	/* first: the group's future */
	corun_future **members;
	size_t nmembers, cap, ndone;
	struct cr_group_err *errs;
	size_t nerrs, errcap;
	corun_handle *soon;		/* a completion check is scheduled */
	corun_future *owner;		/* the task that made the group (ref) */
	int requested;			/* corun_group_future() was called */
	int failing;			/* a member failed: siblings cancelled */
	int cancel_req;			/* the group's future was cancelled */
	int owner_cancelled;		/* we cancelled the owner */
	int aborting;			/* corun_group_wait saw an error */
};

static int group_fut_cancel(corun_future *fut);
static void group_destroy(corun_future *fut);
static void member_done(corun_future *m, void *arg);

static const struct cr_future_ops group_ops = {
	.cancel = group_fut_cancel,
	.destroy = group_destroy
};

static void
cancel_members(corun_group *g)
{
	size_t i;

	for (i = 0; i < g->nmembers; i++) {
		if (!corun_future_done(g->members[i])) {
			corun_future_cancel(g->members[i]);
		}
	}
}

/* "2 errors: task-3: boom; task-4: bad input" */
static void
complete_failed(corun_group *g)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) != NULL) {
		fprintf(f, "%zu error%s", g->nerrs, g->nerrs == 1 ? "" : "s");
		for (i = 0; i < g->nerrs; i++) {
			fprintf(f, "%s %s: %s", i == 0 ? ":" : ";",
			    g->errs[i].who, g->errs[i].msg);
		}
		if (fclose(f) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	corun_future_set_error(&g->fut, CORUN_EMULTI, "%s",
	    buf != NULL ? buf : corun_strerror(CORUN_EMULTI));
	free(buf);
}

static void
group_check(corun_group *g)
{
	if (!g->requested || corun_future_done(&g->fut) ||
	    g->ndone < g->nmembers) {
		return;
	}
	if (g->nerrs > 0 || g->failing) {
		complete_failed(g);
	} else if (g->cancel_req) {
		cr_future_complete_cancelled(&g->fut);
	} else {
		corun_future_set_result(&g->fut, NULL, NULL);
	}
}

static void
record_error(corun_group *g, corun_future *m, int code)
{
	struct cr_group_err *e;
	const char *msg = NULL;

	if (g->nerrs == g->errcap) {
		size_t cap = g->errcap ? g->errcap * 2 : 4;

		if ((e = realloc(g->errs, cap * sizeof(*e))) == NULL) {
			return;		/* failing is still set */
		}
		g->errs = e;
		g->errcap = cap;
	}
	corun_future_error(m, &msg);
	e = &g->errs[g->nerrs];
	e->code = code;
	e->msg = strdup(msg != NULL ? msg : corun_strerror(code));
	e->who = strdup(corun_is_task(m) ? corun_task_name(m) : "future");
	if (e->msg == NULL || e->who == NULL) {
		free(e->msg);
		free(e->who);
		return;
	}
	g->nerrs++;
}

static void
member_done(corun_future *m, void *arg)
{
	corun_group *g = arg;
	int st = corun_future_status(m);

	g->ndone++;
	if (st != 0 && st != CORUN_ECANCELED) {
		record_error(g, m, st);
		if (!g->failing) {
			g->failing = 1;
			cancel_members(g);
		}
		/* The owner is cancelled too, to stop what it is doing in
		   the group's body; corun_group_wait withdraws it. */
		if (g->owner != NULL && !g->aborting && !g->owner_cancelled &&
		    !corun_future_done(g->owner)) {
			g->owner_cancelled = 1;
			(void)corun_future_cancel(g->owner);
		}
	}
	group_check(g);
}

static void
check_soon(void *arg)
{
	corun_group *g = arg;

	corun_handle_release(g->soon);
	g->soon = NULL;
	group_check(g);
	corun_future_unref(&g->fut);
}

static void
ref_drop(void *arg)
{
	corun_future_unref(arg);
}

/* Check completion at the next iteration (the group may be empty). */
static void
schedule_check(corun_group *g)
{
	if (g->soon != NULL || corun_future_done(&g->fut)) {
		return;
	}
	if (corun_call_soon(g->fut.loop, check_soon, g, &g->soon) != 0) {
		g->soon = NULL;
		group_check(g);		/* no memory: now rather than never */
		return;
	}
	corun_future_ref(&g->fut);
	g->soon->drop = ref_drop;
}

static int
group_fut_cancel(corun_future *fut)
{
	corun_group *g = (corun_group *)fut;

	g->cancel_req = 1;
	g->requested = 1;
	cancel_members(g);
	schedule_check(g);
	return 0;
}

static void
group_destroy(corun_future *fut)
{
	corun_group *g = (corun_group *)fut;
	size_t i;

	for (i = 0; i < g->nmembers; i++) {
		corun_future_discard_callback(g->members[i], member_done,
		    g);
		corun_future_unref(g->members[i]);
	}
	for (i = 0; i < g->nerrs; i++) {
		free(g->errs[i].msg);
		free(g->errs[i].who);
	}
	corun_handle_release(g->soon);
	corun_future_unref(g->owner);
	free(g->members);
	free(g->errs);
	free(g);
}

int
corun_group_new(corun_loop *loop, corun_group **out)
{
	corun_group *g;

	if (loop == NULL || out == NULL) {
		return CORUN_EINVAL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		return CORUN_ENOMEM;
	}
	cr_future_init(&g->fut, loop, &group_ops);
	if (corun_task_self() != NULL &&
	    corun_future_loop(corun_task_self()) == loop) {
		g->owner = corun_future_ref(corun_task_self());
	}
	*out = g;
	return 0;
}

/* Record the body's own error as the group's (asyncio: it joins the
   ExceptionGroup). */
static void
record_body_error(corun_group *g, int code)
{
	if (g->nerrs == g->errcap) {
		size_t cap = g->errcap ? g->errcap * 2 : 4;
		struct cr_group_err *e = realloc(g->errs, cap * sizeof(*e));

		if (e == NULL) {
			return;
		}
		g->errs = e;
		g->errcap = cap;
	}
	g->errs[g->nerrs].code = code;
	g->errs[g->nerrs].msg = strdup(corun_strerror(code));
	g->errs[g->nerrs].who = strdup("body");
	if (g->errs[g->nerrs].msg == NULL || g->errs[g->nerrs].who == NULL) {
		free(g->errs[g->nerrs].msg);
		free(g->errs[g->nerrs].who);
		return;
	}
	g->nerrs++;
}

int
corun_group_wait(corun_group *g, int rc)
{
	int propagate = 0, st;

	if (g == NULL) {
		return CORUN_EINVAL;
	}
	if (g->owner == NULL || corun_task_self() != g->owner) {
		return CORUN_ESTATE;
	}
	if (rc == CORUN_ECANCELED) {
		propagate = 1;
	} else if (rc != 0) {
		record_body_error(g, rc);
	}
	if (rc != 0) {
		g->aborting = 1;
		g->failing = 1;
		cancel_members(g);
	}
	while (!corun_future_done(corun_group_future(g))) {
		st = corun_await(&g->fut);
		if (st == CORUN_ECANCELED && !corun_future_done(&g->fut)) {
			/* Cancelled while waiting: stop the members, go on. */
			propagate = 1;
			g->aborting = 1;
			cancel_members(g);
		} else if (st == CORUN_ECANCELED && !g->owner_cancelled) {
			propagate = 1;
		}
	}
	/* Our own cancellation of the owner does not leave the group. */
	if (g->owner_cancelled && corun_task_uncancel(g->owner) == 0) {
		propagate = 0;
	}
	if (g->nerrs > 0) {
		return CORUN_EMULTI;
	}
	return propagate ? CORUN_ECANCELED : 0;
}

/* Room for one more member, before anything is started. */
static int
reserve(corun_group *g)
{
	corun_future **m;
	size_t cap;

	if (corun_future_done(&g->fut) || g->failing) {
		return CORUN_ESTATE;
	}
	if (g->nmembers < g->cap) {
		return 0;
	}
	cap = g->cap ? g->cap * 2 : 8;
	if ((m = realloc(g->members, cap * sizeof(*m))) == NULL) {
		return CORUN_ENOMEM;
	}
	g->members = m;
	g->cap = cap;
	return 0;
}

static int
join(corun_group *g, corun_future *fut)
{
	int rc;

	if ((rc = corun_future_add_done_callback(fut, member_done, g)) != 0) {
		return rc;
	}
	g->members[g->nmembers++] = corun_future_ref(fut);
	return 0;
}

int
corun_group_spawn(corun_group *g, corun_task_fn fn, void *arg,
    const struct corun_task_opts *opts, corun_future **out)
{
	corun_future *t;
	int rc;

	if (g == NULL || fn == NULL) {
		return CORUN_EINVAL;
	}
	if ((rc = reserve(g)) != 0) {
		return rc;
	}
	if ((rc = corun_task_spawn(g->fut.loop, fn, arg, opts, &t)) != 0) {
		return rc;
	}
	if ((rc = join(g, t)) != 0) {
		/* Not a member: it must not run unsupervised. */
		corun_future_cancel(t);
		corun_future_unref(t);
		return rc;
	}
	if (out != NULL) {
		*out = t;
	} else {
		corun_future_unref(t);
	}
	return 0;
}

int
corun_group_add(corun_group *g, corun_future *fut)
{
	int rc;

	if (g == NULL || fut == NULL || fut->loop != g->fut.loop ||
	    fut == &g->fut) {
		return CORUN_EINVAL;
	}
	if ((rc = reserve(g)) != 0) {
		return rc;
	}
	return join(g, fut);
}

corun_future *
corun_group_future(corun_group *g)
{
	g->requested = 1;
	if (g->ndone == g->nmembers) {
		schedule_check(g);
	}
	return &g->fut;
}

size_t
corun_group_error_count(const corun_group *g)
{
	return g->nerrs;
}

int
corun_group_error(const corun_group *g, size_t i, const char **msg)
{
	if (i >= g->nerrs) {
		if (msg != NULL) {
			*msg = NULL;
		}
		return 0;
	}
	if (msg != NULL) {
		*msg = g->errs[i].msg;
	}
	return g->errs[i].code;
}

void
corun_group_cancel(corun_group *g)
{
	cancel_members(g);
}

/*
 * Members keep running but are no longer watched; a group future still
 * pending is cancelled so that whoever awaits it wakes up.
 */
void
corun_group_free(corun_group *g)
{
	size_t i;

	if (g == NULL) {
		return;
	}
	for (i = 0; i < g->nmembers; i++) {
		corun_future_discard_callback(g->members[i], member_done,
		    g);
	}
	if (g->soon != NULL && corun_handle_cancel(g->soon) == 0) {
		corun_future_unref(&g->fut);
	}
	corun_handle_release(g->soon);
	g->soon = NULL;
	cr_future_complete_cancelled(&g->fut);
	corun_future_unref(&g->fut);
}
