/* SPDX-License-Identifier: MIT */
/*
 * bad-plugin.c - a plugin that is wrong in the way $CR_BAD_PLUGIN says,
 * for the loader's tests (built for `make check` only):
 *   abi      supports only a future ABI version (returns NULL)
 *   noname   a kind with an empty name
 *   norun    a kind without a run function
 *   none     no kinds at all
 */
#include <stdlib.h>
#include <string.h>

#include <corun/job.h>

static int
ok_run(corun_job_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct corun_job_kind noname[] = { { "", ok_run, 0 } };
static const struct corun_job_kind norun[] = {
	{ "fine", ok_run, 0 },
	{ "broken", NULL, 0 },
};

const struct corun_job_kind *
corun_job_plugin_init(int abi_version, size_t *n)
{
	const char *mode = getenv("CR_BAD_PLUGIN");

	(void)abi_version;
	if (mode == NULL || strcmp(mode, "abi") == 0) {
		return NULL;
	}
	if (strcmp(mode, "noname") == 0) {
		*n = 1;
		return noname;
	}
	if (strcmp(mode, "norun") == 0) {
		*n = 2;
		return norun;
	}
	*n = 0;
	return norun;
}
