/* SPDX-License-Identifier: MIT */
/*
 * job.c - the lifetime of a job held by corun-worker (job.h): the last
 * reference frees it with its outcome (and removes the files of its
 * spilled output the supervisor was not told of).
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "job.h"

/* A spilled stream's file that never reached the supervisor. */
static void
drop_file(char *path)
{
	if (path != NULL) {
		unlink(path);
		free(path);
	}
}

void
wk_job_unref(struct wk_job *j)
{
	if (__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(j->oc.out);
		free(j->oc.err);
		free(j->oc.message);
		drop_file(j->oc.out_file);
		drop_file(j->oc.err_file);
		free(j);
	}
}
