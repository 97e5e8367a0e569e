/* SPDX-License-Identifier: MIT */
/*
 * request.h - what the request files share (ops.c, ops-admin.c,
 * ops-job.c, reply.c, wait.c): the limits of a request, a job id from
 * JSON, and the calls between them.
 */
#ifndef CD_REQUEST_H
#define CD_REQUEST_H

#include <stdint.h>

#include <jansson.h>

#include "common/jobspec.h"
#include "daemon.h"

#define CD_BATCH_MAX 100000	/* jobs per submit request */
#define CD_NAME_MAX 255
#define CD_WAIT_IDS_MAX 1000000

/* A positive job id from a JSON value; 0 if it is not one. */
static inline int64_t
job_id(json_t *v)
{
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		return json_integer_value(v);
	}
	return 0;
}

/* ---- ops-admin.c: ops with ops.c's signature (arg from its table) -- */

/* pause (arg 1) or resume (arg 0) a group, or all groups. */
json_t *cd_ops_pause(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int pause, int *later);
/* workers: N or delta: +N/-N. */
json_t *cd_ops_scale(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);
/* drain (arg 0) or shutdown (arg 1; fast unless "graceful": true). */
json_t *cd_ops_drain(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int is_shutdown, int *later);

/* ---- ops-list.c ---------------------------------------------------- */

/* list: a page of jobs ("state", "group", "after", "limit",
   "newest_first"). */
json_t *cd_ops_list(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);

/* ---- ops-jobsig.c -------------------------------------------------- */

/* pause (1) or resume (0) with "id": one running job's process group
   stopped or continued. */
json_t *cd_ops_job_pause(struct cd_daemon *d, json_t *req, int pause);

/* ---- ops-follow.c -------------------------------------------------- */

/* follow: "id", "out" and "err" byte offsets; a job's output from them
   (spooled while it runs, stored once it ended) and whether it ended. */
json_t *cd_ops_follow(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);

/* ---- ops-group.c --------------------------------------------------- */

/* group_add (arg 1) or group_set (arg 0): "name", "parallel". */
json_t *cd_ops_group_set(struct cd_daemon *d, struct cd_ctx *ctx,
    json_t *req, int create, int *later);
/* group_rm: "name". */
json_t *cd_ops_group_rm(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);
/* group_list: every group with its counts. */
json_t *cd_ops_group_list(struct cd_daemon *d, struct cd_ctx *ctx,
    json_t *req, int arg, int *later);

/* ---- ops-queue.c --------------------------------------------------- */

/* A cancel's jobs: "ids"/"id" (cd_ops_get_ids), "all": true or "group":
   NAME (the jobs not ended).  0, or -1 with *err the reply. */
int cd_ops_cancel_targets(struct cd_daemon *d, json_t *req, int64_t **ids,
    size_t *n, json_t **err);
/* restart: "ids"/"id" of ended jobs; new jobs, all or none. */
json_t *cd_ops_restart(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);
/* stash (arg 1) or enqueue (arg 0): "ids"/"id" of queued jobs. */
json_t *cd_ops_hold(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int hold, int *later);
/* clean: forget finished jobs ("state": [done, failed, cancelled]). */
json_t *cd_ops_clean(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);

/* ---- ops-job.c: one job object of a submit ------------------------- */

/* A job as checked, with what it points into. */
struct spec_buf {
	struct cd_jobspec js;
	struct cm_jobspec_desc d;	/* owns what js points to */
};

/*
 * Check one job object (where names it in errors) with the job
 * specification (src/common/jobspec.h); on error *err is the reply (NULL:
 * no memory even for that).  The caller frees sb->d
 * (cm_jobspec_desc_free) either way; it is empty after an error.
 */
int parse_job(json_t *o, const char *where, struct spec_buf *sb,
    json_t **err);

#endif /* CD_REQUEST_H */
