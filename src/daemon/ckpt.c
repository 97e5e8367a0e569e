/* SPDX-License-Identifier: MIT */
/*
 * ckpt.c - WAL checkpoints on their own thread.
 *
 * SQLite checkpoints a WAL database from the connection that commits,
 * once the log passes 1000 pages: the commit that crosses the line copies
 * the log into the database and fsyncs both (an fdatasync here: 0.4 ms
 * typical, 13 ms at the 99th percentile), on the loop thread, while every
 * request waits.  So the loop's connection does no checkpoints; its WAL
 * hook wakes a thread with its own connection to the same file, which
 * runs PASSIVE checkpoints: they do not block the loop's commits, and a
 * commit waits for no fsync (synchronous = normal) or its own (full).
 *
 * The log is reused from its start only when a checkpoint caught up with
 * it before the next write; under writes that never pause that long the
 * thread's checkpoints keep trailing, so past CD_CKPT_HARD pages the
 * loop's connection checkpoints itself, as SQLite would have.  A reused
 * log is cut back to CD_CKPT_KEEP bytes.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ckpt.h"
#include "daemon.h"

#define CD_CKPT_PAGES 1000	/* SQLite's own default threshold */
#define CD_CKPT_HARD 8000
#define CD_CKPT_KEEP "4194304"

struct cd_ckpt {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want, stop;
	sqlite3 *db;		/* the thread's own connection */
	uint64_t runs;
};

static void *
ckpt_main(void *arg)
{
	struct cd_ckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->stop) {
			pthread_cond_wait(&c->cv, &c->mu);
		}
		if (c->stop) {
			break;
		}
		c->want = 0;
		pthread_mutex_unlock(&c->mu);
		/* Busy (the loop's own): the next commit asks again. */
		(void)sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
		c->runs++;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* After each commit of the loop's connection. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct cd_ckpt *c = arg;

	if (pages >= CD_CKPT_HARD) {
		/* Busy (the thread checkpoints): the next commit retries. */
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	} else if (pages >= CD_CKPT_PAGES) {
		pthread_mutex_lock(&c->mu);
		c->want = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

int
cd_ckpt_start(sqlite3 *db, const char *path, struct cd_ckpt **out)
{
	struct cd_ckpt *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		return CORUN_ENOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		goto fail;
	}
	sqlite3_busy_timeout(c->db, 1000);
	/* A fresh connection knows the file is in WAL mode once it read it. */
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		goto fail;
	}
	if (pthread_create(&c->tid, NULL, ckpt_main, c) != 0) {
		goto fail;
	}
	/* Replaces the connection's automatic checkpoints. */
	sqlite3_wal_hook(db, wal_hook, c);
	(void)sqlite3_exec(db, "PRAGMA journal_size_limit=" CD_CKPT_KEEP,
	    NULL, NULL, NULL);
	*out = c;
	return 0;
fail:
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return CORUN_ESYS;
}

void
cd_ckpt_stop(sqlite3 *db, struct cd_ckpt *c)
{
	if (c == NULL) {
		return;
	}
	sqlite3_wal_hook(db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->tid, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

uint64_t
cd_ckpt_runs(struct cd_ckpt *c)
{
	uint64_t n;

	if (c == NULL) {
		return 0;
	}
	pthread_mutex_lock(&c->mu);
	n = c->runs;
	pthread_mutex_unlock(&c->mu);
	return n;
}
