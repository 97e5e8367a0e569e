/* SPDX-License-Identifier: MIT */
/*
 * procfile.c - reading the number of jobs at once from `-j FILE` (see
 * procfile.h).  The scheduler (run-window.c) calls it after each job.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "procfile.h"

int
cli_procfile_read(const char *path, unsigned *out)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char buf[64];
	unsigned n;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		return CORUN_EINVAL;
	}
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	len = strspn(buf, " \t\r\n");
	memmove(buf, buf + len, strlen(buf + len) + 1);
	buf[strcspn(buf, " \t\r\n")] = '\0';
	if (cli_jobs_parse(buf, cores > 0 ? (unsigned)cores : 1, &n) != 0) {
		return CORUN_EINVAL;
	}
	*out = n;
	return 0;
}
