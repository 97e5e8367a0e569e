/* SPDX-License-Identifier: MIT */
/*
 * exit-term-plugin.c - a job plugin that makes the worker loading it send
 * itself SIGTERM as it exits, once main has returned: the late copy of
 * an order it obeyed that a batch system's signal to every process of a
 * step and the --procs parent passing it on can bring (for
 * tests/workers/worker-rejoin.sh, `make check` only).  Its one kind,
 * "exit-term", does nothing.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <corun/job.h>

static void
term_self(void)
{
	(void)kill(getpid(), SIGTERM);
}

static int
nothing_run(corun_job_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct corun_job_kind kinds[] = {
	{ "exit-term", nothing_run, 0 },
};

const struct corun_job_kind *
corun_job_plugin_init(int abi_version, size_t *n)
{
	if (abi_version != CORUN_JOB_ABI_VERSION || atexit(term_self) != 0) {
		return NULL;
	}
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}
