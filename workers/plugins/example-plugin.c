/* SPDX-License-Identifier: MIT */
/*
 * example-plugin.c - user job kinds in a shared object: the example for
 * plugin authors, and what tests/workers/test_kinds loads.
 *
 * Build it as a module (cc -shared -fPIC -o upper.so example-plugin.c) and
 * load it with --load ./upper.so.  Leave corun_job_* and corun_sleep
 * undefined: they resolve in the loading program (corun-worker exports
 * them; a program of your own that links the runner needs -export-dynamic,
 * see workers/kinds/local.am).  It provides two kinds:
 *
 *   upper   writes the payload to stdout in upper case
 *   echo    writes the payload to stdout as it is, after waiting the job's
 *           timeout / 2 if there is one (to show that a plugin kind may
 *           await like a built-in one; here through corun_sleep)
 */
#include <ctype.h>
#include <stddef.h>

#include <corun/job.h>
#include <corun/task.h>

static int
upper_run(corun_job_ctx *ctx)
{
	const unsigned char *p;
	char buf[256];
	size_t len, i, n = 0;
	int rc;

	p = corun_job_payload(ctx, &len);
	if (len == 0) {
		return corun_job_fail(ctx, CORUN_EINVAL,
		    "upper: bad payload: it is empty");
	}
	for (i = 0; i < len; i++) {
		buf[n++] = (char)toupper(p[i]);
		if (n == sizeof(buf) || i + 1 == len) {
			if ((rc = corun_job_write_out(ctx, buf, n)) != 0) {
				return rc;
			}
			n = 0;
		}
	}
	return 0;
}

static int
echo_run(corun_job_ctx *ctx)
{
	const void *p;
	size_t len;
	int rc;

	if (corun_job_timeout(ctx) > 0 &&
	    (rc = corun_sleep(corun_job_timeout(ctx) / 2)) != 0) {
		return rc;
	}
	p = corun_job_payload(ctx, &len);
	return corun_job_write_out(ctx, p, len);
}

static const struct corun_job_kind kinds[] = {
	{ "upper", upper_run, 0 },
	{ "echo", echo_run, 0 },
};

const struct corun_job_kind *
corun_job_plugin_init(int abi_version, size_t *n)
{
	if (abi_version != CORUN_JOB_ABI_VERSION) {
		return NULL;
	}
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}
