/* SPDX-License-Identifier: MIT */
/*
 * ops-edit.c - edit: change the command, environment or priority of a
 * job that is still queued (stashed, delayed or waiting for its
 * dependencies included), for corun edit; and the same change on the new
 * job of a restart (corun restart --edit, ops-queue.c).
 *
 * The job is read, its new payload built through the one job
 * specification (so a new "cmd" or "env" is checked as a submit's is)
 * and written back inside one savepoint; the write itself only changes
 * a row whose state is still queued, so a job the feed took in between
 * is refused, never half edited.  The loop thread does both, so no take
 * runs between them either.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/jobspec.h"
#include "request.h"
#include "store-queue.h"

/* The fields an edit may carry besides the op's own. */
static const char *const edit_keys[] = {
	"cmd", "env", "unset_env", "priority", NULL
};

static int
is_key(const char *const *keys, const char *k)
{
	for (; *keys != NULL; keys++) {
		if (strcmp(*keys, k) == 0) {
			return 1;
		}
	}
	return 0;
}

int
cd_ops_edit_parse(json_t *req, const char *const *own,
    struct cd_edit_req *e, json_t **err)
{
	const char *k;
	json_t *v;
	size_t i;

	memset(e, 0, sizeof(*e));
	json_object_foreach(req, k, v) {
		if (!is_key(own, k) && !is_key(edit_keys, k)) {
			*err = cd_ops_error("bad_request", "\"%.64s\" is not a "
			    "field of this op", k);
			return -1;
		}
	}
	e->cmd = json_object_get(req, "cmd");
	e->env = json_object_get(req, "env");
	e->unset = json_object_get(req, "unset_env");
	if (e->env != NULL && !json_is_object(e->env)) {
		*err = cd_ops_error("bad_request", "\"env\" must be an object "
		    "of NAME: VALUE strings");
		return -1;
	}
	if (e->unset != NULL && !json_is_array(e->unset)) {
		*err = cd_ops_error("bad_request", "\"unset_env\" must be an "
		    "array of names");
		return -1;
	}
	json_array_foreach(e->unset, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			*err = cd_ops_error("bad_request", "unset_env[%zu] must "
			    "be a non-empty name", i);
			return -1;
		}
	}
	if ((v = json_object_get(req, "priority")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) <
		    -CM_JOBSPEC_PRIORITY_MAX || json_integer_value(v) >
		    CM_JOBSPEC_PRIORITY_MAX) {
			*err = cd_ops_error("bad_request", "\"priority\" must "
			    "be an integer in -%d..%d", CM_JOBSPEC_PRIORITY_MAX,
			    CM_JOBSPEC_PRIORITY_MAX);
			return -1;
		}
		e->set_priority = 1;
		e->priority = (int)json_integer_value(v);
	}
	e->any = e->cmd != NULL || e->env != NULL || e->unset != NULL ||
	    e->set_priority;
	return 0;
}

/*
 * A shell payload (its words, an empty word, NAME=VALUE words) as the
 * job object that makes it: {"kind": "shell", "cmd": [...], "env":
 * {...}}.  NULL: out of memory.
 */
static json_t *
payload_job(const char *p, size_t len)
{
	json_t *o = json_object(), *cmd = json_array(), *env = json_object();
	size_t i = 0, wl;
	int bad = o == NULL || cmd == NULL || env == NULL;

	while (p != NULL && i < len && (wl = strnlen(p + i, len - i)) > 0) {
		bad |= json_array_append_new(cmd, json_stringn(p + i, wl));
		i += wl + 1;
	}
	for (i++; p != NULL && i < len; i += wl + 1) {
		const char *eq;

		wl = strnlen(p + i, len - i);
		eq = memchr(p + i, '=', wl);
		if (eq != NULL) {
			char *name = strndup(p + i, (size_t)(eq - (p + i)));

			bad |= name == NULL || json_object_set_new(env, name,
			    json_stringn(eq + 1, wl - (size_t)(eq - (p + i)) -
			    1));
			free(name);
		}
	}
	bad |= json_object_set_new(o, "kind", json_string("shell"));
	bad |= json_object_set(o, "cmd", cmd);
	if (json_object_size(env) > 0) {
		bad |= json_object_set(o, "env", env);
	}
	json_decref(cmd);
	json_decref(env);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The request's changes on the job object o; nonzero: out of memory. */
static int
change_job(json_t *o, const struct cd_edit_req *e)
{
	json_t *env = json_object_get(o, "env"), *v;
	const char *k;
	size_t i;
	int bad = 0;

	if (e->cmd != NULL) {
		bad |= json_object_set(o, "cmd", e->cmd);
	}
	if (env == NULL) {
		env = json_object();
		bad |= json_object_set_new(o, "env", env);
	}
	json_object_foreach(e->env, k, v) {
		bad |= json_object_set(env, k, v);
	}
	json_array_foreach(e->unset, i, v) {
		json_object_del(env, json_string_value(v));
	}
	if (json_object_size(env) == 0) {
		json_object_del(o, "env");
	}
	return bad;
}

/* Why job id cannot be edited now (its state). */
static json_t *
state_error(int64_t id, int state)
{
	if (state == CD_RUNNING) {
		return cd_ops_error("bad_state", "job %lld is running: only a "
		    "queued job can be edited", (long long)id);
	}
	return cd_ops_error("bad_state", "job %lld has ended (%s): only a "
	    "queued job can be edited (restart it with an edit instead)",
	    (long long)id, cd_state_name(state));
}

/*
 * The new payload of job id, from r (its row) and e, into *d: 0, or -1
 * with *err.  The row is the caller's to give back.
 */
static int
new_payload(int64_t id, const struct cd_job_row *r,
    const struct cd_edit_req *e, struct cm_jobspec_desc *d, json_t **err)
{
	struct cm_jobspec_err jerr;
	json_t *o;
	int rc;

	if (strcmp(r->f[CD_F_KIND].p, "shell") != 0) {
		*err = cd_ops_error("bad_request", "job %lld is a %s job: only "
		    "its priority can be edited", (long long)id,
		    r->f[CD_F_KIND].p);
		return -1;
	}
	if ((o = payload_job(r->f[CD_F_PAYLOAD].p, r->f[CD_F_PAYLOAD].len)) ==
	    NULL || change_job(o, e) != 0) {
		json_decref(o);
		*err = cd_ops_oom();
		return -1;
	}
	rc = cm_jobspec_parse_json(o, "edit", CM_JOBSPEC_CORUND, d, &jerr);
	json_decref(o);
	if (rc != 0) {
		*err = rc == CORUN_ENOMEM ? cd_ops_oom() :
		    cd_ops_error("bad_request", "%s", jerr.msg);
		return -1;
	}
	return 0;
}

int
cd_ops_edit_apply(struct cd_daemon *d, int64_t id,
    const struct cd_edit_req *e, int *changed, json_t **err)
{
	struct cm_jobspec_desc desc;
	struct cd_job_row r;
	int rc, state, edit_cmd = e->cmd != NULL || e->env != NULL ||
	    e->unset != NULL;

	memset(&desc, 0, sizeof(desc));
	*changed = 0;
	if ((rc = cd_store_job_get(d->store, id, &r)) != 0) {
		*err = rc == CORUN_ENOENT ? cd_ops_error("not_found", "no job "
		    "%lld", (long long)id) : rc == CORUN_ENOMEM ? cd_ops_oom() :
		    cd_ops_error("store", "%s", cd_store_errmsg(d->store));
		return -1;
	}
	state = (int)r.f[CD_F_STATE].i;
	rc = 0;
	if (state != CD_QUEUED) {
		*err = state_error(id, state);
		rc = -1;
	} else if (r.f[CD_F_KIND].p == NULL) {
		*err = cd_ops_oom();
		rc = -1;
	} else if (edit_cmd && new_payload(id, &r, e, &desc, err) != 0) {
		rc = -1;
	}
	if (rc == 0) {
		*changed = (e->set_priority && e->priority !=
		    r.f[CD_F_PRIORITY].i) || (edit_cmd &&
		    (desc.len != r.f[CD_F_PAYLOAD].len || (desc.len > 0 &&
		    memcmp(desc.payload, r.f[CD_F_PAYLOAD].p, desc.len) != 0)));
	}
	cd_store_job_done(d->store);
	if (rc == 0 && *changed) {
		rc = cd_store_edit(d->store, id, edit_cmd ? desc.payload : NULL,
		    desc.len, e->set_priority, e->priority);
		if (rc == CORUN_ESTATE && cd_store_state(d->store, id,
		    &state) == 0) {
			*err = state_error(id, state);
		} else if (rc != 0) {
			*err = rc == CORUN_ENOMEM ? cd_ops_oom() :
			    cd_ops_error("store", "%s",
			    cd_store_errmsg(d->store));
		}
		rc = rc != 0 ? -1 : 0;
	}
	cm_jobspec_desc_free(&desc);
	return rc;
}

json_t *
cd_ops_edit(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	static const char *const own[] = { "op", "id", NULL };
	struct cd_edit_req e;
	json_t *err = NULL;
	int64_t id;
	int changed = 0;

	(void)ctx;
	(void)arg;
	(void)later;
	if ((id = job_id(json_object_get(req, "id"))) == 0) {
		return cd_ops_error("bad_request", "\"id\" must be a positive "
		    "integer");
	}
	if (cd_ops_edit_parse(req, own, &e, &err) != 0) {
		return err;
	}
	if (!e.any) {
		return cd_ops_error("bad_request", "edit: give at least one of "
		    "\"cmd\", \"env\", \"unset_env\", \"priority\"");
	}
	if (d->exiting || cd_store_savepoint(d->store) != 0) {
		return cd_ops_error(d->exiting ? "closed" : "store", "%s",
		    d->exiting ? "corund is shutting down" :
		    cd_store_errmsg(d->store));
	}
	cd_ops_edit_apply(d, id, &e, &changed, &err);
	if (cd_store_release(d->store, err != NULL) != 0 && err == NULL) {
		err = cd_ops_error("store", "%s", cd_store_errmsg(d->store));
	}
	if (err != NULL) {
		return err;
	}
	if (changed) {
		cd_log("job %lld edited", (long long)id);
		cd_feed_kick(d);
	}
	return json_pack("{s:b, s:I, s:b}", "ok", 1, "id", (json_int_t)id,
	    "changed", changed);
}
