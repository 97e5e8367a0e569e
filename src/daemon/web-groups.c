/* SPDX-License-Identifier: MIT */
/*
 * web-groups.c - the store's jobs by group for /metrics and the page
 * (cd_web_groups in web.h): counted by one query, at most 1% of the time.
 */
#include "config.h"

#include "web.h"

/* One group's count of one state into the groups object. */
static void
group_add(void *arg, const char *group, int state, uint64_t n)
{
	json_t *g = arg, *e = json_object_get(g, group);

	if (e == NULL) {
		e = json_pack("{s:I, s:I}", "queued", (json_int_t)0, "running",
		    (json_int_t)0);
		json_object_set_new(g, group, e);
	}
	json_object_set_new(e, cd_state_name(state), json_integer(
	    (json_int_t)n));
}

json_t *
cd_web_groups(struct cd_daemon *d, int active_only)
{
	struct cd_web *w = d->web;
	int k = active_only != 0;
	uint64_t now = corun_loop_now_ns(), t;
	json_t *g;

	if (w->groups[k] != NULL && now - w->groups_at[k] <
	    100 * w->groups_cost[k]) {
		return w->groups[k];
	}
	if ((g = json_object()) == NULL || cd_store_group_counts(d->store, k,
	    group_add, g) != 0) {
		json_decref(g);
		return w->groups[k];	/* the last one, or NULL */
	}
	t = corun_loop_now_ns();
	json_decref(w->groups[k]);
	w->groups[k] = g;
	w->groups_at[k] = t;
	w->groups_cost[k] = t - now;
	return g;
}
