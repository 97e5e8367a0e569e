/* SPDX-License-Identifier: MIT */
/*
 * jobsig.c - one running job's process group, found and signalled
 * (jobsig.h): the mark in its environment when it is handed to the
 * pool, the search through /proc when a client pauses or resumes it.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "jobsig.h"

#define JOBSIG_WORKERS_MAX 1024
#define JOBSIG_ENV_MAX ((size_t)1 << 20)	/* environ bytes read */

int
cd_jobsig_mark(struct cd_taken *t)
{
	const char *p = t->payload;
	char word[48];
	size_t len = t->len, add, off;
	int has_env = 0, needs_nul;
	char *np;

	if (strcmp(t->kind, "shell") != 0 || len == 0) {
		return 0;
	}
	needs_nul = p[len - 1] != '\0';
	for (off = 0; off < len; off += strnlen(p + off, len - off) + 1) {
		if (p[off] == '\0') {
			has_env = 1;	/* the empty word before KEY=VALUE */
			break;
		}
	}
	add = (size_t)snprintf(word, sizeof(word), "CORUN_JOB_ID=%lld",
	    (long long)t->id) + 1;
	if ((np = realloc(t->payload, len + needs_nul + !has_env + add)) ==
	    NULL) {
		return CORUN_ENOMEM;
	}
	if (needs_nul) {
		np[len++] = '\0';
	}
	if (!has_env) {
		np[len++] = '\0';
	}
	memcpy(np + len, word, add);
	t->payload = np;
	t->len = len + add;
	return 0;
}

/* pid's parent and process group from /proc/PID/stat; -1 if gone. */
static int
proc_stat(const char *pid, long *ppid, long *pgrp)
{
	char path[300], buf[1024], *e;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return -1;
	}
	buf[n] = '\0';
	/* After the name in parentheses: state ppid pgrp. */
	if ((e = strrchr(buf, ')')) == NULL ||
	    sscanf(e + 1, " %*c %ld %ld", ppid, pgrp) != 2) {
		return -1;
	}
	return 0;
}

/* Does pid's environment hold the word? */
static int
env_has(const char *pid, const char *word, size_t wlen)
{
	char path[300], *buf;
	ssize_t n;
	size_t len = 0;
	int fd, found = 0;

	snprintf(path, sizeof(path), "/proc/%s/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return 0;
	}
	if ((buf = malloc(JOBSIG_ENV_MAX + 1)) == NULL) {
		close(fd);
		return 0;
	}
	while (len < JOBSIG_ENV_MAX && (n = read(fd, buf + len,
	    JOBSIG_ENV_MAX - len)) > 0) {
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	for (size_t off = 0; off < len && !found;
	    off += strlen(buf + off) + 1) {
		found = strlen(buf + off) == wlen &&
		    memcmp(buf + off, word, wlen) == 0;
	}
	free(buf);
	return found;
}

static int
is_worker(long ppid, const int *w, size_t nw)
{
	for (size_t i = 0; i < nw; i++) {
		if (w[i] == ppid) {
			return 1;
		}
	}
	return 0;
}

int
cd_jobsig_send(corun_pool *pool, int64_t id, int sig)
{
	int w[JOBSIG_WORKERS_MAX];
	size_t nw = pool != NULL ? corun_pool_worker_pids(pool, w,
	    JOBSIG_WORKERS_MAX) : 0;
	char word[48];
	size_t wlen = (size_t)snprintf(word, sizeof(word), "CORUN_JOB_ID=%lld",
	    (long long)id);
	struct dirent *e;
	long pgrp = -1;
	DIR *dp;

	if (nw == 0 || (dp = opendir("/proc")) == NULL) {
		return CORUN_ENOENT;
	}
	while (pgrp < 0 && (e = readdir(dp)) != NULL) {
		long pp, pg;

		if (!isdigit((unsigned char)e->d_name[0]) ||
		    proc_stat(e->d_name, &pp, &pg) != 0 ||
		    pg != atol(e->d_name) || !is_worker(pp, w, nw) ||
		    !env_has(e->d_name, word, wlen)) {
			continue;
		}
		pgrp = pg;
	}
	closedir(dp);
	if (pgrp <= 1) {
		return CORUN_ENOENT;
	}
	if (kill((pid_t)-pgrp, sig) != 0) {
		return errno == ESRCH ? CORUN_ENOENT : CORUN_ESYS;
	}
	return 0;
}

int
cd_jobsig_job(struct cd_daemon *d, int64_t id, int sig)
{
	int rc = cd_jobsig_send(d->pool, id, sig);

	for (size_t i = 0; rc == CORUN_ENOENT && i < d->nold; i++) {
		rc = cd_jobsig_send(d->old_pools[i], id, sig);
	}
	return rc;
}
