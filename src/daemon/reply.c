/* SPDX-License-Identifier: MIT */
/*
 * reply.c - the replies every request file builds alike: an error with
 * its code, the fixed out-of-memory error, and the job ids a request
 * names.  Used by ctl.c, ops.c and wait.c; calls none of them.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fault-internal.h"
#include "request.h"

json_t *
cd_ops_error(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code,
	    "message", msg);
}

/*
 * Out of memory: a reply if one can still be built, else json_null(),
 * which needs no memory; ctl.c answers a reply that is not an object with
 * a fixed out-of-memory error.  Never NULL, which means "answered later".
 */
json_t *
cd_ops_oom(void)
{
	json_t *r = cd_ops_error("internal", "out of memory");

	return r != NULL ? r : json_null();
}

int
cd_ops_get_ids(json_t *req, int64_t **out, size_t *n, json_t **err)
{
	json_t *v = json_object_get(req, "ids"), *w;
	size_t i;

	if (v == NULL && (w = json_object_get(req, "id")) != NULL) {
		if ((*out = cr_malloc(sizeof(**out))) == NULL) {
			*err = cd_ops_oom();
			return -1;
		}
		if ((**out = job_id(w)) == 0) {
			free(*out);
			*err = cd_ops_error("bad_request", "\"id\" must be a "
			    "positive integer");
			return -1;
		}
		*n = 1;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > CD_WAIT_IDS_MAX) {
		*err = cd_ops_error("bad_request", "\"ids\" must be a non-empty "
		    "array of job ids");
		return -1;
	}
	if ((*out = cr_malloc(json_array_size(v) * sizeof(**out))) == NULL) {
		*err = cd_ops_oom();
		return -1;
	}
	json_array_foreach(v, i, w) {
		if (((*out)[i] = job_id(w)) == 0) {
			free(*out);
			*err = cd_ops_error("bad_request", "ids[%zu] is not a "
			    "job id", i);
			return -1;
		}
	}
	*n = json_array_size(v);
	return 0;
}
