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
/* restart: "ids"/"id" of ended jobs; new jobs, all or none; with edit
   fields (ops-edit.c), one job, its new one edited. */
json_t *cd_ops_restart(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);
/* stash (arg 1) or enqueue (arg 0): "ids"/"id" of queued jobs. */
json_t *cd_ops_hold(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int hold, int *later);
/* clean: forget finished jobs ("state": [done, failed, cancelled]). */
json_t *cd_ops_clean(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
    int arg, int *later);

/* ---- ops-edit.c --------------------------------------------------- */

/* What an edit changes; the JSON is borrowed from the request. */
struct cd_edit_req {
	json_t *cmd;		/* the new "cmd" (string or words), or NULL */
	json_t *env;		/* NAME: VALUE to set, or NULL */
	json_t *unset;		/* names to remove from the env, or NULL */
	int set_priority;
	int priority;
	int any;		/* one of them is there */
};

/*
 * The edit fields of req ("cmd", "env", "unset_env", "priority") into
 * *e; own names the op's other fields (NULL-terminated), any other is
 * refused.  0, or -1 with *err the reply.
 */
int cd_ops_edit_parse(json_t *req, const char *const *own,
    struct cd_edit_req *e, json_t **err);
/*
 * Edit queued job id as e says, inside the caller's savepoint; *changed
 * is 0 when the job already was so.  0, or -1 with *err the reply
 * (not_found; bad_state for a job not queued; bad_request for a bad
 * command or env, or a command change of a job that is not a shell
 * job).
 */
int cd_ops_edit_apply(struct cd_daemon *d, int64_t id,
    const struct cd_edit_req *e, int *changed, json_t **err);
/* edit: "id" and the edit fields. */
json_t *cd_ops_edit(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req,
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
