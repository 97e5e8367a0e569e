/* SPDX-License-Identifier: MIT */
/*
 * pool-submit.c - jobs into the pool: a job and its future (the pool's
 * future ops), submit and map, and what the pool tells of itself (its
 * stats, its workers' pids, a job's result).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sup-internal.h"

static void
job_destroy(corun_future *fut)
{
	sup_pool_job_files_drop((struct sup_job *)fut);
	free(fut);
}

/* A job's future: cancelling it is the dispatch's business. */
static const struct cr_future_ops job_ops = {
	.cancel = sup_pool_job_cancel,
	.destroy = job_destroy,
};

const struct corun_job_result *
corun_pool_result(const corun_future *fut)
{
	if (fut == NULL || fut->ops != &job_ops) {
		return NULL;
	}
	return corun_future_result(fut, NULL);
}

int
corun_pool_kill(corun_future *fut)
{
	if (fut == NULL || fut->ops != &job_ops) {
		return CORUN_EINVAL;
	}
	return sup_pool_job_kill((struct sup_job *)fut);
}

struct sup_job *
sup_pool_job_new(struct corun_pool *p, const struct corun_job *j, int *rc)
{
	size_t klen = j->kind != NULL ? strlen(j->kind) : 0;
	struct sup_job *job;

	if (klen == 0 || klen > WIRE_KIND_MAX || (j->len > 0 &&
	    j->payload == NULL) || j->len > WIRE_MAX_FRAME / 2 ||
	    j->timeout < 0 || j->timeout > 4e6 || j->retries < 0) {
		*rc = CORUN_EINVAL;
		return NULL;
	}
	if ((job = malloc(sizeof(*job) + klen + 1 + j->len)) == NULL) {
		*rc = CORUN_ENOMEM;
		return NULL;
	}
	cr_future_init(&job->fut, p->loop, &job_ops);
	job->pool = p;
	job->next = job->prev = NULL;
	job->worker = NULL;
	job->id = p->next_id++;
	job->tag = j->tag;
	job->timeout_ms = (uint32_t)(j->timeout * 1000 + 0.5);
	if (j->timeout > 0 && job->timeout_ms == 0) {
		job->timeout_ms = 1;
	}
	job->attempts = 0;
	job->lost = 0;
	job->retries_left = j->retries;
	job->stream = (j->flags & CORUN_JOB_STREAM) != 0;
	job->map_chunk = 0;	/* pool-chunk.c sets it */
	job->spill = (j->flags & CORUN_JOB_SPILL) != 0 && !job->stream;
	job->files[0] = job->files[1] = NULL;
	job->state = SUP_JOB_QUEUED;
	job->cancel_req = 0;
	job->cancel_sent = 0;
	job->cancel_retry = 0;
	job->kind_len = (uint16_t)klen;
	job->len = j->len;
	job->kind = job->data;
	memcpy(job->kind, j->kind, klen + 1);
	job->payload = (uint8_t *)job->data + klen + 1;
	if (j->len > 0) {
		memcpy(job->payload, j->payload, j->len);
	}
	return job;
}

int
corun_pool_map(corun_pool *p, const struct corun_job *jobs, size_t n,
    corun_future **outs)
{
	int rc = 0;

	if (p == NULL || (n > 0 && (jobs == NULL || outs == NULL))) {
		return CORUN_EINVAL;
	}
	if (p->broken) {
		return CORUN_EBROKEN;
	}
	if (p->closing) {
		return CORUN_ECLOSED;
	}
	for (size_t i = 0; i < n; i++) {
		struct sup_job *job = sup_pool_job_new(p, &jobs[i], &rc);

		if (job == NULL) {
			/* Undo this call's jobs: all or nothing. */
			for (size_t k = i; k-- > 0;) {
				corun_future_cancel(outs[k]);
				corun_future_unref(outs[k]);
				outs[k] = NULL;
			}
			return rc;
		}
		/* One reference for the pool, one for the caller. */
		outs[i] = corun_future_ref(&job->fut);
		sup_jobq_push(&p->queue, job);
		p->st.submitted++;
	}
	sup_pool_schedule_dispatch(p);
	return 0;
}

int
corun_pool_submit(corun_pool *p, const struct corun_job *job,
    corun_future **out)
{
	return corun_pool_map(p, job, 1, out);
}

void
corun_pool_stats(const corun_pool *p, struct corun_pool_stats *st)
{
	*st = p->st;
	st->queued = p->queue.len;
	st->running = p->leased.len;
	st->workers_alive = 0;
	st->remote_alive = 0;
	for (unsigned i = 0; i < p->nslots; i++) {
		st->workers_alive += p->workers[i].state == SUP_W_READY;
		st->remote_alive += p->workers[i].state == SUP_W_READY &&
		    p->workers[i].remote;
	}
}

size_t
corun_pool_worker_pids(const corun_pool *p, int *pids, size_t n)
{
	size_t k = 0;

	for (unsigned i = 0; i < p->procs; i++) {
		if (p->workers[i].pid > 0 && p->workers[i].state != SUP_W_IDLE) {
			if (k < n) {
				pids[k] = (int)p->workers[i].pid;
			}
			k++;
		}
	}
	return k;
}
