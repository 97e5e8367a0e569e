/* SPDX-License-Identifier: MIT */
/*
 * ckpt.h - WAL checkpoints on their own thread (ckpt.c), for store.c.
 */
#ifndef CD_CKPT_H
#define CD_CKPT_H

#include <stdint.h>

#include <sqlite3.h>

struct cd_ckpt;

/*
 * Take over db's checkpoints: a thread with its own connection to path
 * runs them once the WAL passes 1000 pages.  On failure db keeps
 * SQLite's automatic checkpoints.
 */
int cd_ckpt_start(sqlite3 *db, const char *path, struct cd_ckpt **out);
/* Stop the thread (before db is closed); c may be NULL. */
void cd_ckpt_stop(sqlite3 *db, struct cd_ckpt *c);
/* Checkpoints run so far. */
uint64_t cd_ckpt_runs(struct cd_ckpt *c);

#endif /* CD_CKPT_H */
