/* SPDX-License-Identifier: MIT */
/*
 * ops-job.c - one job object of a submit request, checked by the job
 * specification (src/common/jobspec.h) with the same checks and messages
 * as corun run's and corun submit's jobs files, into a struct cd_jobspec
 * for the store; the error names the field.
 */
#include "config.h"

#include <string.h>

#include <corun/error.h>

#include "common/jobspec.h"
#include "request.h"

/* Check one job object; on error *err is the reply. */
int
parse_job(json_t *o, const char *where, struct spec_buf *sb, json_t **err)
{
	struct cm_jobspec_queued q;
	struct cm_jobspec_err e;
	int rc;

	memset(&sb->js, 0, sizeof(sb->js));
	/* "op" and "wait" are the request's, next to a lone job's fields. */
	rc = cm_jobspec_parse_json(o, where, CM_JOBSPEC_CORUND |
	    CM_JOBSPEC_REQUEST, &sb->d, &e);
	if (rc != 0) {
		*err = rc == CORUN_ENOMEM ? cd_ops_oom() :
		    cd_ops_error("bad_request", "%s", e.msg);
		return -1;
	}
	cm_jobspec_queued(&sb->d, &q);
	sb->js.kind = q.kind;
	sb->js.payload = q.payload;
	sb->js.len = q.len;
	sb->js.group = q.group;
	sb->js.priority = q.priority;
	sb->js.timeout = q.timeout;
	sb->js.retries = q.retries;
	sb->js.key = q.key;
	sb->js.after = q.after;
	sb->js.nafter = q.nafter;
	sb->js.after_any = q.after_any;
	sb->js.nafter_any = q.nafter_any;
	return 0;
}
