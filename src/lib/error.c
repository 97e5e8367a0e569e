/* SPDX-License-Identifier: MIT */
/*
 * error.c - messages for corun's error codes.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <corun/error.h>

static const char *const cr_messages[CORUN_EMAXERR - CORUN_EBASE] = {
	[0] = "success",
	[CORUN_ENOMEM - CORUN_EBASE] = "out of memory",
	[CORUN_EINVAL - CORUN_EBASE] = "invalid argument",
	[CORUN_ESTATE - CORUN_EBASE] = "object is in the wrong state",
	[CORUN_ECANCELED - CORUN_EBASE] = "cancelled",
	[CORUN_ETIMEDOUT - CORUN_EBASE] = "timed out",
	[CORUN_ESYS - CORUN_EBASE] = "system call failed",
	[CORUN_EBUSY - CORUN_EBASE] = "busy",
	[CORUN_EAGAIN - CORUN_EBASE] = "try again",
	[CORUN_ECLOSED - CORUN_EBASE] = "closed",
	[CORUN_EPROTO - CORUN_EBASE] = "protocol error",
	[CORUN_EBROKEN - CORUN_EBASE] = "pool is broken",
	[CORUN_ELOST - CORUN_EBASE] = "worker lost",
	[CORUN_EFAILED - CORUN_EBASE] = "failed",
	[CORUN_EMULTI - CORUN_EBASE] = "several errors",
	[CORUN_EDONE - CORUN_EBASE] = "exhausted",
	[CORUN_ENOTCO - CORUN_EBASE] = "not inside a coroutine",
	[CORUN_ENOENT - CORUN_EBASE] = "no such object",
	[CORUN_ERANGE - CORUN_EBASE] = "value out of range",
	[CORUN_ENOTSUP - CORUN_EBASE] = "not supported",
	[CORUN_EIO - CORUN_EBASE] = "input/output error",
};

const char *
corun_strerror(int err)
{
	static __thread char buf[128];

	if (err == 0) {
		return cr_messages[0];
	}
	if (err > 0 && err < 4096) {
		/* An errno value of the application's (GNU strerror_r). */
		const char *m = strerror_r(err, buf, sizeof(buf));

		return m != NULL ? m : "unknown error";
	}
	if (!CORUN_IS_CORUN_ERROR(err) ||
	    cr_messages[err - CORUN_EBASE] == NULL) {
		return "unknown error";
	}
	return cr_messages[err - CORUN_EBASE];
}
