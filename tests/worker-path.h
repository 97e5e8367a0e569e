/* SPDX-License-Identifier: MIT */
/*
 * worker-path.h - where the Check programs that start corun-worker
 * themselves find it: $CORUN_WORKER when set and not empty, else
 * workers/corun-worker of the build tree (run from the top, or from
 * tests/ one level down).
 */
#ifndef CR_TESTS_WORKER_PATH_H
#define CR_TESTS_WORKER_PATH_H

#include <stdlib.h>
#include <unistd.h>

static inline const char *
worker_path(void)
{
	const char *p = getenv("CORUN_WORKER");

	if (p != NULL && *p != '\0') {
		return p;
	}
	if (access("./workers/corun-worker", X_OK) == 0) {
		return "./workers/corun-worker";
	}
	return "../workers/corun-worker";
}

#endif
