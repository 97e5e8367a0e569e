/* SPDX-License-Identifier: MIT */
/*
 * store-queue.h - fixing the queue after the fact, in the store
 * (store-queue.c): the jobs not ended, restart, stash and enqueue, edit.
 * For the ops that do it (ops-queue.c, ops-edit.c).
 */
#ifndef CD_STORE_QUEUE_H
#define CD_STORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

/* The ids of the jobs not ended (of group, or of all when NULL), in id
   order; the caller frees *ids. */
int cd_store_active_ids(cd_store *s, const char *group, int64_t **ids,
    size_t *n);
/* Longest group name + 1. */
#define CD_GROUP_BUF 256
/*
 * Run finished job id again as a new job (its kind, command, group,
 * priority, timeout, retries; no key, no dependencies) into *new_id.
 * CORUN_ENOENT: no such job; CORUN_ESTATE: it has not ended.
 */
int cd_store_restart(cd_store *s, int64_t id, uint64_t now_ns,
    int64_t *new_id);
/*
 * Hold queued job id back (hold 1: stash) or let it go (0: enqueue).
 * CORUN_ENOENT: no such job; CORUN_ESTATE: stash of a job not queued.
 */
int cd_store_hold(cd_store *s, int64_t id, int hold);
/*
 * Edit queued job id: its payload (when payload is not NULL) and its
 * priority (when set_priority), in one statement that changes only a
 * queued row.  CORUN_ENOENT: no such job; CORUN_ESTATE: not queued.
 */
int cd_store_edit(cd_store *s, int64_t id, const void *payload, size_t len,
    int set_priority, int priority);

#endif /* CD_STORE_QUEUE_H */
