/* SPDX-License-Identifier: MIT */
/*
 * ops-group.c - the group operations: group_add (a group, with a
 * parallelism), group_set (change it), group_rm (a group with no queued
 * or running job), group_list (every group with its counts).  Pause and
 * resume of a group stay ops-admin.c's.
 */
#include "config.h"

#include <string.h>

#include "request.h"

#define GROUP_PARALLEL_MAX 100000

/* "name" (and with want_par, "parallel"); -1 with *err the reply. */
static int
group_fields(json_t *req, int want_par, const char **name, unsigned *par,
    json_t **err)
{
	json_t *v = json_object_get(req, "name");
	json_t *p = json_object_get(req, "parallel");
	size_t known = 1 + (v != NULL) + (p != NULL);

	if (!json_is_string(v) || json_string_length(v) > CD_NAME_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*err = cd_ops_error("bad_request", "\"name\" must be a group "
		    "name (a string of at most %d bytes)", CD_NAME_MAX);
		return -1;
	}
	*name = json_string_value(v);
	*par = 0;
	if (p != NULL && (!want_par || !json_is_integer(p) ||
	    json_integer_value(p) < 0 ||
	    json_integer_value(p) > GROUP_PARALLEL_MAX)) {
		*err = cd_ops_error("bad_request", want_par ? "\"parallel\" "
		    "must be an integer in 0..%d (0: no limit)" :
		    "\"parallel\" is not a field of this op",
		    GROUP_PARALLEL_MAX);
		return -1;
	}
	if (json_object_size(req) != known) {
		*err = cd_ops_error("bad_request", "unknown field: a group op "
		    "takes \"name\"%s", want_par ? " and \"parallel\"" : "");
		return -1;
	}
	if (p != NULL) {
		*par = (unsigned)json_integer_value(p);
	}
	return 0;
}

/* group_add (create 1) or group_set (create 0). */
json_t *
cd_ops_group_set(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int create, int *later)
{
	json_t *err = NULL;
	const char *name;
	unsigned par;
	int found;

	(void)ctx;
	(void)later;
	if (group_fields(req, 1, &name, &par, &err) != 0) {
		return err;
	}
	if (!create && json_object_get(req, "parallel") == NULL) {
		return cd_ops_error("bad_request", "group_set: give "
		    "\"parallel\"");
	}
	if (cd_store_group_set(d->store, name, par, create, &found) != 0) {
		return cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	if (create && found) {
		return cd_ops_error("exists", "group \"%s\" exists (group_set "
		    "changes it)", name);
	}
	if (!create && !found) {
		return cd_ops_error("not_found", "no group \"%s\" (group_add "
		    "adds it)", name);
	}
	cd_feed_kick(d);	/* a higher limit may let more jobs start */
	return json_pack("{s:b, s:s, s:i}", "ok", 1, "name", name,
	    "parallel", (int)par);
}

json_t *
cd_ops_group_rm(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later)
{
	json_t *err = NULL;
	const char *name;
	unsigned par;
	uint64_t active;
	int found;

	(void)ctx;
	(void)arg;
	(void)later;
	if (group_fields(req, 0, &name, &par, &err) != 0) {
		return err;
	}
	if (cd_store_group_rm(d->store, name, &found, &active) != 0) {
		return cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	if (active > 0) {
		return cd_ops_error("busy", "group \"%s\" still has %llu "
		    "queued or running job(s)", name,
		    (unsigned long long)active);
	}
	if (!found) {
		return cd_ops_error("not_found", "no group \"%s\"", name);
	}
	return json_pack("{s:b}", "ok", 1);
}

static void
add_group(void *arg, const char *group, int added, unsigned parallel,
    int paused, const uint64_t counts[CD_NSTATES])
{
	json_t *c = json_object();

	for (int i = 0; i < CD_NSTATES; i++) {
		json_object_set_new(c, cd_state_name(i),
		    json_integer((json_int_t)counts[i]));
	}
	json_array_append_new(arg, json_pack("{s:s, s:b, s:i, s:b, s:o}",
	    "name", group, "added", added, "parallel", (int)parallel,
	    "paused", paused, "counts", c));
}

json_t *
cd_ops_group_list(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later)
{
	json_t *groups = json_array();

	(void)ctx;
	(void)arg;
	(void)later;
	if (json_object_size(req) != 1) {
		json_decref(groups);
		return cd_ops_error("bad_request", "group_list takes no field");
	}
	if (cd_store_groups(d->store, add_group, groups) != 0) {
		json_decref(groups);
		return cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "groups", groups);
}
