/*
 * ops-job.c - one job object of a submit request, checked field by field
 * into a struct cd_jobspec (a "cmd" argv and "env" become a shell job's
 * payload); the error names the field.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault-internal.h"
#include "request.h"

/* Only these keys may appear in obj (a NULL-terminated list). */
static const char *
unknown_key(json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		size_t i;

		for (i = 0; keys[i] != NULL; i++) {
			if (strcmp(k, keys[i]) == 0) {
				break;
			}
		}
		if (keys[i] == NULL) {
			return k;
		}
	}
	return NULL;
}

static const char *const job_keys[] = {
	"op", "cmd", "env", "kind", "payload", "group", "priority",
	"timeout", "retries", "key", "after", "wait", NULL
};

/* Check one job object; on error *err is the reply. */
int
parse_job(json_t *o, const char *where, struct spec_buf *sb, json_t **err)
{
	struct cd_jobspec *js = &sb->js;
	json_t *v;
	const char *bad;
	size_t i;

	memset(js, 0, sizeof(*js));
	sb->payload = NULL;
	if (!json_is_object(o)) {
		*err = cd_ops_error("bad_request", "%s: a job must be an "
		    "object", where);
		return -1;
	}
	if ((bad = unknown_key(o, job_keys)) != NULL) {
		*err = cd_ops_error("bad_request", "%s: unknown field \"%s\"",
		    where, bad);
		return -1;
	}
	if ((v = json_object_get(o, "cmd")) != NULL) {
		json_t *env = json_object_get(o, "env"), *w;
		size_t len = 0, off = 0;
		const char *k;

		if (json_object_get(o, "kind") != NULL ||
		    json_object_get(o, "payload") != NULL) {
			*err = cd_ops_error("bad_request", "%s: \"cmd\" and "
			    "\"kind\"/\"payload\" exclude each other", where);
			return -1;
		}
		if (!json_is_array(v) || json_array_size(v) == 0) {
			*err = cd_ops_error("bad_request", "%s: \"cmd\" must be "
			    "a non-empty array of strings", where);
			return -1;
		}
		if (env != NULL && !json_is_object(env)) {
			*err = cd_ops_error("bad_request", "%s: \"env\" must be "
			    "an object of strings", where);
			return -1;
		}
		json_array_foreach(v, i, w) {
			if (!json_is_string(w) || json_string_length(w) == 0 ||
			    memchr(json_string_value(w), '\0',
			    json_string_length(w)) != NULL) {
				*err = cd_ops_error("bad_request", "%s: cmd[%zu] "
				    "must be a non-empty string without NUL",
				    where, i);
				return -1;
			}
			len += json_string_length(w) + 1;
		}
		len++;
		json_object_foreach(env, k, w) {
			if (!json_is_string(w) || *k == '\0' ||
			    strchr(k, '=') != NULL || memchr(json_string_value(
			    w), '\0', json_string_length(w)) != NULL) {
				*err = cd_ops_error("bad_request", "%s: env.%s "
				    "must be a string (and the name without "
				    "\"=\")", where, k);
				return -1;
			}
			len += strlen(k) + json_string_length(w) + 2;
		}
		/* argv words, an empty word, then KEY=VALUE words. */
		if ((sb->payload = cr_malloc(len)) == NULL) {
			*err = cd_ops_oom();
			return -1;
		}
		json_array_foreach(v, i, w) {
			memcpy(sb->payload + off, json_string_value(w),
			    json_string_length(w) + 1);
			off += json_string_length(w) + 1;
		}
		sb->payload[off++] = '\0';
		json_object_foreach(env, k, w) {
			off += (size_t)sprintf(sb->payload + off, "%s=%s", k,
			    json_string_value(w)) + 1;
		}
		js->kind = "shell";
		js->payload = sb->payload;
		js->len = env != NULL && json_object_size(env) > 0 ? off :
		    off - 1;
	} else if ((v = json_object_get(o, "kind")) != NULL) {
		json_t *p = json_object_get(o, "payload");

		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > CD_NAME_MAX) {
			*err = cd_ops_error("bad_request", "%s: \"kind\" must be "
			    "a string of 1..255 bytes", where);
			return -1;
		}
		if (p != NULL && !json_is_string(p)) {
			*err = cd_ops_error("bad_request", "%s: \"payload\" must "
			    "be a string", where);
			return -1;
		}
		js->kind = json_string_value(v);
		js->payload = p != NULL ? json_string_value(p) : NULL;
		js->len = p != NULL ? json_string_length(p) : 0;
	} else {
		*err = cd_ops_error("bad_request", "%s: a job needs \"cmd\" "
		    "(an argv array) or \"kind\"", where);
		return -1;
	}
	if ((v = json_object_get(o, "group")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) > CD_NAME_MAX)) {
		*err = cd_ops_error("bad_request", "%s: \"group\" must be a "
		    "string of at most 255 bytes", where);
		return -1;
	}
	js->group = v != NULL ? json_string_value(v) : "";
	if ((v = json_object_get(o, "priority")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < -1000000 ||
	    json_integer_value(v) > 1000000)) {
		*err = cd_ops_error("bad_request", "%s: \"priority\" must be "
		    "an integer in -1000000..1000000", where);
		return -1;
	}
	js->priority = v != NULL ? (int)json_integer_value(v) : 0;
	if ((v = json_object_get(o, "timeout")) != NULL &&
	    (!json_is_number(v) || !(json_number_value(v) >= 0) ||
	    json_number_value(v) > 4e6)) {
		*err = cd_ops_error("bad_request", "%s: \"timeout\" must be a "
		    "number of seconds in 0..4000000", where);
		return -1;
	}
	js->timeout = v != NULL ? json_number_value(v) : 0;
	if ((v = json_object_get(o, "retries")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 1000)) {
		*err = cd_ops_error("bad_request", "%s: \"retries\" must be an "
		    "integer in 0..1000", where);
		return -1;
	}
	js->retries = v != NULL ? (int)json_integer_value(v) : 0;
	if ((v = json_object_get(o, "key")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > CD_NAME_MAX)) {
		*err = cd_ops_error("bad_request", "%s: \"key\" must be a "
		    "string of 1..255 bytes", where);
		return -1;
	}
	js->key = v != NULL ? json_string_value(v) : NULL;
	if ((v = json_object_get(o, "after")) != NULL) {
		json_t *w;

		if (!json_is_array(v) || json_array_size(v) > CD_AFTER_MAX) {
			*err = cd_ops_error("bad_request", "%s: \"after\" must be "
			    "an array of at most 1000 job ids", where);
			return -1;
		}
		json_array_foreach(v, i, w) {
			if ((sb->after[i] = job_id(w)) == 0) {
				*err = cd_ops_error("bad_request", "%s: after[%zu] "
				    "is not a job id", where, i);
				return -1;
			}
		}
		js->after = sb->after;
		js->nafter = json_array_size(v);
	}
	return 0;
}
