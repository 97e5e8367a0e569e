/* SPDX-License-Identifier: MIT */
/*
 * spool.c - a running job's output on disk while it runs (spool.h): a
 * follow request reads it from any offset without corund holding it in
 * memory.  A write that fails (disk full) loses only what follow would
 * have shown early: the result still brings the whole output.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

static int
spool_path(char *buf, size_t size, const char *state_dir, int64_t id,
    int stream)
{
	int n = snprintf(buf, size, "%s/spool/%lld.%s", state_dir,
	    (long long)id, stream == 1 ? "out" : "err");

	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
cd_spool_init(const char *state_dir)
{
	char dir[4096];
	DIR *dp;
	struct dirent *e;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/spool", state_dir) >=
	    sizeof(dir) - 64) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		return -1;
	}
	if ((dp = opendir(dir)) == NULL) {
		return -1;
	}
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] != '.') {
			unlinkat(dirfd(dp), e->d_name, 0);
		}
	}
	closedir(dp);
	return 0;
}

void
cd_spool_write(const char *state_dir, int64_t id, int stream,
    const char *data, size_t len)
{
	char path[4200];
	int fd;

	if (spool_path(path, sizeof(path), state_dir, id, stream) != 0 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) < 0) {
		return;
	}
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	close(fd);
}

void
cd_spool_remove(const char *state_dir, int64_t id)
{
	char path[4200];

	for (int s = 1; s <= 2; s++) {
		if (spool_path(path, sizeof(path), state_dir, id, s) == 0) {
			unlink(path);
		}
	}
}

int
cd_spool_read(const char *state_dir, int64_t id, int stream, off_t off,
    size_t max, char **buf, size_t *n)
{
	char path[4200];
	ssize_t r;
	int fd;

	*buf = NULL;
	*n = 0;
	if (spool_path(path, sizeof(path), state_dir, id, stream) != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return 0;	/* nothing written yet */
	}
	if ((*buf = malloc(max + 1)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	do {
		r = pread(fd, *buf, max, off);
	} while (r < 0 && errno == EINTR);
	close(fd);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	*n = (size_t)r;
	return 0;
}
