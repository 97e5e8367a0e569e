/* SPDX-License-Identifier: MIT */
/*
 * corun/error.h - error codes shared by every corun API.
 *
 * Every corun function that can fail returns an int: 0 on success, one of
 * the positive CORUN_E* codes below on failure.  Results travel through
 * out-parameters.  corun_strerror() turns a code into a short message.
 */
#ifndef CORUN_ERROR_H
#define CORUN_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum corun_error {
	CORUN_OK = 0,
	CORUN_ENOMEM = 1,	/* out of memory */
	CORUN_EINVAL = 2,	/* invalid argument */
	CORUN_ESTATE = 3,	/* object is in the wrong state (e.g. done) */
	CORUN_ECANCELED = 4,	/* operation or future was cancelled */
	CORUN_ETIMEDOUT = 5,	/* a timeout expired */
	CORUN_ESYS = 6,		/* a system call failed; errno is kept */
	CORUN_EBUSY = 7,	/* resource busy */
	CORUN_EAGAIN = 8,	/* try again later */
	CORUN_ECLOSED = 9,	/* object was closed or shut down */
	CORUN_EPROTO = 10,	/* protocol or format error */
	CORUN_EBROKEN = 11,	/* pool is broken: workers keep dying */
	CORUN_ELOST = 12,	/* worker lost while running the job */
	CORUN_EFAILED = 13,	/* generic failure reported by user code */
	CORUN_EMULTI = 14,	/* several errors; see the aggregate */
	CORUN_EDONE = 15,	/* iterator or generator is exhausted */
	CORUN_ENOTCO = 16,	/* call needs a coroutine and none runs */
	CORUN_ENOENT = 17,	/* no such object */
	CORUN_ERANGE = 18,	/* value out of range / too large */
	CORUN_ENOTSUP = 19,	/* operation not supported */
	CORUN_EIO = 20,		/* reading or writing a file failed */
	CORUN_EMAXERR = 21	/* one past the last code */
};

/*
 * Return a static, human-readable message for an error code.  Unknown
 * codes give "unknown error".  Never returns NULL.
 */
const char *corun_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* CORUN_ERROR_H */
