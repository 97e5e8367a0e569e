/* SPDX-License-Identifier: MIT */
/*
 * corun/error.h - error codes shared by every corun API.
 *
 * Every corun function that can fail returns an int: 0 on success, one of
 * the positive CORUN_E* codes below on failure.  Results travel through
 * out-parameters.  corun_strerror() turns a code into a short message.
 *
 * corun's own codes are CORUN_EBASE + n, far above errno values (< 4096)
 * and exit statuses, so they cannot collide with a code a task (or job,
 * or executor call) returns of its own: a task body returning EINTR or
 * ENOENT fails with that code (corun_strerror gives strerror's text), it
 * is not mistaken for CORUN_ECANCELED or CORUN_EINVAL.  Positive codes
 * below CORUN_EBASE are the application's.
 */
#ifndef CORUN_ERROR_H
#define CORUN_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* corun's codes start above this; see above. */
#define CORUN_EBASE 0x100000

/* Nonzero if code is one of corun's own CORUN_E* codes. */
#define CORUN_IS_CORUN_ERROR(code) \
	((code) > CORUN_EBASE && (code) < CORUN_EMAXERR)

enum corun_error {
	CORUN_OK = 0,
	CORUN_ENOMEM = CORUN_EBASE + 1,	/* out of memory */
	CORUN_EINVAL = CORUN_EBASE + 2,	/* invalid argument */
	CORUN_ESTATE = CORUN_EBASE + 3,	/* object is in the wrong state (e.g. done) */
	CORUN_ECANCELED = CORUN_EBASE + 4,	/* operation or future was cancelled */
	CORUN_ETIMEDOUT = CORUN_EBASE + 5,	/* a timeout expired */
	CORUN_ESYS = CORUN_EBASE + 6,		/* a system call failed; errno is kept */
	CORUN_EBUSY = CORUN_EBASE + 7,	/* resource busy */
	CORUN_EAGAIN = CORUN_EBASE + 8,	/* try again later */
	CORUN_ECLOSED = CORUN_EBASE + 9,	/* object was closed or shut down */
	CORUN_EPROTO = CORUN_EBASE + 10,	/* protocol or format error */
	CORUN_EBROKEN = CORUN_EBASE + 11,	/* pool is broken: workers keep dying */
	CORUN_ELOST = CORUN_EBASE + 12,	/* worker lost while running the job */
	CORUN_EFAILED = CORUN_EBASE + 13,	/* generic failure reported by user code */
	CORUN_EMULTI = CORUN_EBASE + 14,	/* several errors; see the aggregate */
	CORUN_EDONE = CORUN_EBASE + 15,	/* iterator or generator is exhausted */
	CORUN_ENOTCO = CORUN_EBASE + 16,	/* call needs a coroutine and none runs */
	CORUN_ENOENT = CORUN_EBASE + 17,	/* no such object */
	CORUN_ERANGE = CORUN_EBASE + 18,	/* value out of range / too large */
	CORUN_ENOTSUP = CORUN_EBASE + 19,	/* operation not supported */
	CORUN_EIO = CORUN_EBASE + 20,		/* reading or writing a file failed */
	CORUN_EMAXERR = CORUN_EBASE + 21	/* one past the last code */
};

/*
 * "No timeout": every corun call that takes a timeout in seconds (a
 * double) waits for ever when given CORUN_NO_TIMEOUT (positive infinity).
 * A negative timeout has already expired (as in asyncio): the call times
 * out at once unless what it waits for is already done.  NaN is
 * CORUN_EINVAL.
 */
#define CORUN_NO_TIMEOUT (__builtin_inf())

/*
 * Return a human-readable message for an error code: corun's own codes
 * give a static message, codes below 4096 strerror()'s text (kept per
 * thread until the next call), others "unknown error".  Never NULL.
 */
const char *corun_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_ERROR_H */
