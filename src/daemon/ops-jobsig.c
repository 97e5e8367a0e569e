/* SPDX-License-Identifier: MIT */
/*
 * ops-jobsig.c - pause and resume with an "id": one running job's
 * process group stopped (SIGSTOP) or continued (SIGCONT), through
 * jobsig.c.  The job stays running in the store; its timeout still
 * counts.  A pause does not outlive corund: a job that was running when
 * corund stopped runs again from its start.
 */
#include "config.h"

#include <signal.h>

#include "jobsig.h"
#include "request.h"

json_t *
cd_ops_job_pause(struct cd_daemon *d, json_t *req, int pause)
{
	int64_t id = job_id(json_object_get(req, "id"));
	int state, rc;

	if (id == 0 || json_object_get(req, "group") != NULL) {
		return cd_ops_error("bad_request", "\"id\" must be a job id, "
		    "without \"group\"");
	}
	if ((rc = cd_store_state(d->store, id, &state)) != 0) {
		return rc == CORUN_ENOENT ? cd_ops_error("not_found",
		    "no job %lld", (long long)id) : cd_ops_error("store", "%s",
		    cd_store_errmsg(d->store));
	}
	if (state != CD_RUNNING) {
		return cd_ops_error("bad_state", "job %lld is %s, not running",
		    (long long)id, cd_state_name(state));
	}
	rc = cd_jobsig_job(d, id, pause ? SIGSTOP : SIGCONT);
	if (rc == CORUN_ENOENT) {
		return cd_ops_error("bad_state", "job %lld: no process of it "
		    "on this host (not a command, just ending, or on a "
		    "remote worker)", (long long)id);
	}
	if (rc != 0) {
		return cd_ops_error("internal", "job %lld: %s", (long long)id,
		    corun_strerror(rc));
	}
	cd_log("job %lld %s", (long long)id, pause ? "paused" : "resumed");
	return json_pack("{s:b, s:I}", "ok", 1, "id", (json_int_t)id);
}
