/* SPDX-License-Identifier: MIT */
/*
 * store-delay.h - what a submit keeps beside a job: the store's delayed
 * jobs (store-delay.c), for the submit op (ops.c) and the feed
 * (feed-delay.c), and a job's own on-done command (store-on-done.c).  The store keeps the
 * earliest time waited for, read from the table at the first release.
 */
#ifndef CD_STORE_DELAY_H
#define CD_STORE_DELAY_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* Job id is not taken before not_before_ns (wall clock); 0 or
   CORUN_ESYS. */
int cd_store_delay(cd_store *s, int64_t id, int64_t not_before_ns);
/*
 * When a delayed job's time has come (or at the first call): let those
 * jobs be taken.  *next_ns: the earliest time still waited for (0:
 * none); *moved: it changed since the last call.  0 or CORUN_ESYS.
 */
int cd_store_delay_release(cd_store *s, int64_t now_ns, int64_t *next_ns,
    int *moved);

/* store-on-done.c: job id's own on-done command (submit --on-done). */
int cd_store_on_done_set(cd_store *s, int64_t id, const char *cmd);
/* It into buf ("" when it has none); 0 or CORUN_ESYS. */
int cd_store_on_done_get(cd_store *s, int64_t id, char *buf, size_t size);

#endif /* CD_STORE_DELAY_H */
