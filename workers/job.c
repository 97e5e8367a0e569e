/* SPDX-License-Identifier: MIT */
/*
 * job.c - the lifetime of a job held by corun-worker (job.h): the last
 * reference frees it with its outcome.
 */
#include "config.h"

#include <stdlib.h>

#include "job.h"

void
wk_job_unref(struct wk_job *j)
{
	if (__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(j->oc.out);
		free(j->oc.err);
		free(j->oc.message);
		free(j);
	}
}
