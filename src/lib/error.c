/* SPDX-License-Identifier: MIT */
/*
 * error.c - messages for corun's error codes.
 */
#include <stddef.h>

#include <corun/error.h>

static const char *const cr_messages[CORUN_EMAXERR] = {
	[CORUN_OK] = "success",
	[CORUN_ENOMEM] = "out of memory",
	[CORUN_EINVAL] = "invalid argument",
	[CORUN_ESTATE] = "object is in the wrong state",
	[CORUN_ECANCELED] = "cancelled",
	[CORUN_ETIMEDOUT] = "timed out",
	[CORUN_ESYS] = "system call failed",
	[CORUN_EBUSY] = "busy",
	[CORUN_EAGAIN] = "try again",
	[CORUN_ECLOSED] = "closed",
	[CORUN_EPROTO] = "protocol error",
	[CORUN_EBROKEN] = "pool is broken",
	[CORUN_ELOST] = "worker lost",
	[CORUN_EFAILED] = "failed",
	[CORUN_EMULTI] = "several errors",
	[CORUN_EDONE] = "exhausted",
	[CORUN_ENOTCO] = "not inside a coroutine",
	[CORUN_ENOENT] = "no such object",
	[CORUN_ERANGE] = "value out of range",
	[CORUN_ENOTSUP] = "not supported",
	[CORUN_EIO] = "input/output error",
};

const char *
corun_strerror(int err)
{
	if (err < 0 || err >= CORUN_EMAXERR || cr_messages[err] == NULL) {
		return "unknown error";
	}
	return cr_messages[err];
}
