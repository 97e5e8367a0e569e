/* SPDX-License-Identifier: MIT */
/*
 * spill-mem.c - this worker process's account of its spill files in
 * memory (WK_SPILL_MEM_DIR, job.c): the bytes of the streams being
 * written there and of the files it handed over that still exist (the
 * supervisor renames a file it received corun-res-SPID-... and removes
 * it once printed).  Past WK_SPILL_MEM_TOTAL a stream moves to $TMPDIR, so
 * that memory stays bounded however many jobs run, wait ahead in this
 * worker (the supervisor sends some ahead) or wait to be printed (-k).
 * Files handed over are looked at again only when the total is reached.
 * Job threads share it: one mutex.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kinds-internal.h"

struct sent {
	char *path;		/* as made: .../corun-out-PID-XXXXXX */
	size_t size;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t used;		/* bytes, streams and sent files */
static struct sent *sent;
static size_t nsent, capsent;

/*
 * The file, under its name or the supervisor's, exists.  The supervisor
 * (this local worker's parent) renames DIR/corun-out-WPID-XXXXXX to
 * DIR/corun-res-SPID-WPID-XXXXXX (src/sup/pool-job.c, claim).
 */
static int
still_there(const char *path)
{
	const char *b = strrchr(path, '/') + 1;
	char res[PATH_MAX];
	struct stat st;

	if (stat(path, &st) == 0) {
		return 1;
	}
	if ((size_t)snprintf(res, sizeof(res), "%.*scorun-res-%ld-%s",
	    (int)(b - path), path, (long)getppid(),
	    b + sizeof("corun-out-") - 1) >= sizeof(res)) {
		return 0;
	}
	return stat(res, &st) == 0;
}

/* Forget the sent files that are gone (with mu held). */
static void
prune(void)
{
	size_t i = 0;

	while (i < nsent) {
		if (still_there(sent[i].path)) {
			i++;
			continue;
		}
		used -= sent[i].size;
		free(sent[i].path);
		sent[i] = sent[--nsent];
	}
}

int
wk_spill_mem_add(size_t n)
{
	int over;

	pthread_mutex_lock(&mu);
	used += n;
	if (used > WK_SPILL_MEM_TOTAL) {
		prune();
	}
	over = used > WK_SPILL_MEM_TOTAL;
	pthread_mutex_unlock(&mu);
	return over;
}

void
wk_spill_mem_sub(size_t n)
{
	pthread_mutex_lock(&mu);
	used -= n <= used ? n : used;
	pthread_mutex_unlock(&mu);
}

void
wk_spill_mem_sent(const char *path, size_t n)
{
	struct sent *s;
	char *p;

	pthread_mutex_lock(&mu);
	if (nsent == capsent) {
		size_t c = capsent ? capsent * 2 : 16;

		if ((s = realloc(sent, c * sizeof(*s))) == NULL) {
			/* Forget it: its bytes no longer count. */
			used -= n <= used ? n : used;
			pthread_mutex_unlock(&mu);
			return;
		}
		sent = s;
		capsent = c;
	}
	if ((p = strdup(path)) == NULL || strrchr(p, '/') == NULL ||
	    strlen(strrchr(p, '/')) < 10) {
		free(p);
		used -= n <= used ? n : used;
	} else {
		sent[nsent].path = p;
		sent[nsent].size = n;
		nsent++;
	}
	pthread_mutex_unlock(&mu);
}
