/* SPDX-License-Identifier: MIT */
/*
 * store-delay.h - the store's delayed jobs (store-delay.c), for the
 * submit op (ops.c) and the feed (feed-delay.c).  The store keeps the
 * earliest time waited for, read from the table at the first release.
 */
#ifndef CD_STORE_DELAY_H
#define CD_STORE_DELAY_H

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

#endif /* CD_STORE_DELAY_H */
