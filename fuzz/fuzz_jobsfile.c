/* SPDX-License-Identifier: MIT */
/*
 * fuzz_jobsfile.c - one line of a jobs file: cli_jobsfile_parse_line().
 *
 * Invariants: an accepted line gives a job with a valid kind, a display
 * line and a tag; payload bytes when it says it has some; an id only
 * when the line had one.  A refused line leaves nothing allocated (the
 * leak checker sees it) and a message naming what was wrong.
 */
#include "config.h"

#include <string.h>

#include "cli/cli.h"
#include "fuzz.h"

int
cr_fuzz_jobsfile(const uint8_t *data, size_t size, char *why, size_t whylen)
{
	struct cli_jobspec js;
	struct cli_err e;
	int rc;

	why[0] = '\0';
	e.msg[0] = '\0';
	rc = cli_jobsfile_parse_line((const char *)data, size, &js, &e);
	if (rc != 0) {
		CR_FUZZ_CHECK(rc == CORUN_EINVAL || rc == CORUN_EPROTO ||
		    rc == CORUN_ENOMEM);
		CR_FUZZ_CHECK(e.msg[0] != '\0');
		snprintf(why, whylen, "%s", e.msg);
		return rc;
	}
	CR_FUZZ_CHECK(js.kind != NULL && js.kind[0] != '\0' &&
	    strlen(js.kind) <= 255);
	CR_FUZZ_CHECK(js.cmdline != NULL);
	CR_FUZZ_CHECK(js.tagstr != NULL);
	CR_FUZZ_CHECK(js.len == 0 || js.payload != NULL);
	CR_FUZZ_CHECK(js.retries >= -1 && js.retries <= 1000);
	CR_FUZZ_CHECK(js.timeout == -1 || (js.timeout >= 0 &&
	    js.timeout <= 1e9));
	CR_FUZZ_CHECK(js.id == NULL || strcmp(js.tagstr, js.id) == 0);
	CR_FUZZ_CHECK(js.id != NULL || strcmp(js.tagstr, js.cmdline) == 0);
	cli_jobspec_free(&js);
	return 0;
}

CR_FUZZ_ENTRY(cr_fuzz_jobsfile)
