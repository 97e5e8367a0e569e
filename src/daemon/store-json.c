/* SPDX-License-Identifier: MIT */
/*
 * store-json.c - the store's rows as the control operations show them: a
 * job (status, result, a submit's wait) and the paused groups.  The store
 * hands over plain values (store-query.c); the JSON is built here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "fault-internal.h"

/* Text or bytes as a JSON string (invalid UTF-8 becomes U+FFFD). */
static json_t *
col_string(const struct cd_value *v)
{
	const char *p = v->p;
	int len = (int)v->len;

	if (v->null) {
		return json_null();
	}
	/* Output need not be UTF-8: invalid bytes become U+FFFD. */
	if (p == NULL) {
		return json_string("");
	}
	{
		json_t *j = json_stringn(p, (size_t)len);

		if (j == NULL) {
			char *copy = cr_malloc((size_t)len * 3 + 1);
			size_t k = 0;

			if (copy == NULL) {
				return NULL;	/* the caller's set fails */
			}
			for (int i = 0; i < len; i++) {
				unsigned char c = (unsigned char)p[i];

				if (c < 0x80) {
					copy[k++] = (char)c;
				} else {
					copy[k++] = (char)0xef;
					copy[k++] = (char)0xbf;
					copy[k++] = (char)0xbd;
				}
			}
			j = json_stringn(copy, k);
			free(copy);
		}
		return j;
	}
}

static json_t *
col_int(const struct cd_value *v)
{
	if (v->null) {
		return json_null();
	}
	return json_integer(v->i);
}

/* Nanoseconds as seconds. */
static json_t *
col_time(const struct cd_value *v)
{
	if (v->null) {
		return json_null();
	}
	return json_real((double)v->i / 1e9);
}

/* A shell job's payload (argv words, an empty one, the env) as "cmd". */
static int
set_cmd(json_t *j, const struct cd_value *payload)
{
	const char *p = payload->p;
	int len = (int)payload->len, bad = 0;
	json_t *argv = json_array();

	for (int i = 0; p != NULL && i < len;) {
		size_t wl = strnlen(p + i, (size_t)(len - i));

		if (wl == 0) {
			break;
		}
		bad |= json_array_append_new(argv, json_stringn(p + i, wl));
		i += (int)wl + 1;
	}
	bad |= json_object_set_new(j, "cmd", argv);
	return bad;
}

/* The fields of a job that has ended. */
static int
set_ended(json_t *j, const struct cd_job_row *r, int state, int with_output)
{
	int bad = 0;

	bad |= json_object_set_new(j, "status", col_int(&r->f[CD_F_STATUS]));
	bad |= json_object_set_new(j, "exit_code",
	    col_int(&r->f[CD_F_EXIT_CODE]));
	bad |= json_object_set_new(j, "signal", col_int(&r->f[CD_F_SIGNAL]));
	bad |= json_object_set_new(j, "worker_pid",
	    col_int(&r->f[CD_F_WORKER_PID]));
	bad |= json_object_set_new(j, "error", state == CD_DONE ?
	    json_null() : col_string(&r->f[CD_F_MESSAGE]));
	if (with_output) {
		bad |= json_object_set_new(j, "stdout",
		    col_string(&r->f[CD_F_OUT]));
		bad |= json_object_set_new(j, "stderr",
		    col_string(&r->f[CD_F_ERR]));
	}
	return bad;
}

int
cd_store_job_json(cd_store *s, int64_t id, int with_output, json_t **out)
{
	struct cd_job_row r;
	json_t *j;
	const char *kind;
	int state, rc, bad = 0;

	if ((rc = cd_store_job_get(s, id, &r)) != 0) {
		return rc;
	}
	state = (int)r.f[CD_F_STATE].i;
	j = json_object();
	bad |= json_object_set_new(j, "id", json_integer(id));
	bad |= json_object_set_new(j, "state",
	    json_string(cd_state_name(state)));
	bad |= json_object_set_new(j, "kind", col_string(&r.f[CD_F_KIND]));
	bad |= json_object_set_new(j, "group", col_string(&r.f[CD_F_GROUP]));
	bad |= json_object_set_new(j, "priority",
	    col_int(&r.f[CD_F_PRIORITY]));
	bad |= json_object_set_new(j, "timeout",
	    json_real(r.f[CD_F_TIMEOUT].r));
	bad |= json_object_set_new(j, "retries", col_int(&r.f[CD_F_RETRIES]));
	bad |= json_object_set_new(j, "key", col_string(&r.f[CD_F_KEY]));
	bad |= json_object_set_new(j, "attempts",
	    col_int(&r.f[CD_F_ATTEMPTS]));
	bad |= json_object_set_new(j, "submitted",
	    col_time(&r.f[CD_F_SUBMITTED]));
	bad |= json_object_set_new(j, "started",
	    col_time(&r.f[CD_F_STARTED]));
	bad |= json_object_set_new(j, "ended", col_time(&r.f[CD_F_ENDED]));
	if (state >= CD_DONE) {
		bad |= set_ended(j, &r, state, with_output);
	}
	kind = r.f[CD_F_KIND].p;
	if (kind == NULL) {
		bad = 1;	/* out of memory converting it */
	} else if (with_output && strcmp(kind, "shell") == 0) {
		/* The command, for people reading `corun result`. */
		bad |= set_cmd(j, &r.f[CD_F_PAYLOAD]);
	}
	cd_store_job_done(s);
	if (bad) {
		/* A reply with fields missing would mislead: none at all. */
		json_decref(j);
		return CORUN_ENOMEM;
	}
	*out = j;
	return 0;
}

static void
add_group(void *arg, const char *group)
{
	json_array_append_new(arg, json_string(group));
}

json_t *
cd_store_paused_json(cd_store *s)
{
	json_t *a = json_array();

	(void)cd_store_paused(s, add_group, a);
	return a;
}

json_t *
cd_store_row_json(const struct cd_job_row *r)
{
	json_t *j = json_object();
	int state = (int)r->f[CD_F_STATE].i, bad = j == NULL;
	const char *kind = r->f[CD_F_KIND].p;

	bad |= json_object_set_new(j, "id", json_integer(r->f[CD_F_ID].i));
	bad |= json_object_set_new(j, "state", json_string(state == CD_QUEUED &&
	    r->held ? "stashed" : cd_state_name(state)));
	bad |= json_object_set_new(j, "kind", col_string(&r->f[CD_F_KIND]));
	bad |= json_object_set_new(j, "group", col_string(&r->f[CD_F_GROUP]));
	bad |= json_object_set_new(j, "priority",
	    col_int(&r->f[CD_F_PRIORITY]));
	bad |= json_object_set_new(j, "attempts",
	    col_int(&r->f[CD_F_ATTEMPTS]));
	bad |= json_object_set_new(j, "submitted",
	    col_time(&r->f[CD_F_SUBMITTED]));
	bad |= json_object_set_new(j, "started",
	    col_time(&r->f[CD_F_STARTED]));
	bad |= json_object_set_new(j, "ended", col_time(&r->f[CD_F_ENDED]));
	bad |= json_object_set_new(j, "exit_code", state >= CD_DONE ?
	    col_int(&r->f[CD_F_EXIT_CODE]) : json_null());
	bad |= json_object_set_new(j, "error", state > CD_DONE ?
	    col_string(&r->f[CD_F_MESSAGE]) : json_null());
	if (kind == NULL) {
		bad = 1;
	} else if (strcmp(kind, "shell") == 0) {
		bad |= set_cmd(j, &r->f[CD_F_PAYLOAD]);
	}
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}
