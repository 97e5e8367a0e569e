/* SPDX-License-Identifier: MIT */
/*
 * store-internal.h - what the store's files share: the handle, its
 * prepared statements and the helpers of a write call.  store.c opens the
 * file and runs the transactions; store-jobs.c writes jobs; store-query.c
 * reads them.  Used by these files only.
 */
#ifndef CD_STORE_INTERNAL_H
#define CD_STORE_INTERNAL_H

#include <sqlite3.h>

#include "daemon.h"

/* The prepared statements (their SQL is in store.c). */
enum {
	ST_INSERT, ST_KEY, ST_DEPSTATE, ST_DEPADD, ST_TAKE, ST_MARK, ST_LEASE,
	ST_FINISH, ST_UNBLOCK, ST_DEPDEL, ST_REQUEUE, ST_STATE, ST_GET,
	ST_OPBEGIN, ST_OPUNDO, ST_OPEND, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_DEPWAITERS, ST_DEPFAIL, ST_GROUPCAPS, ST_PAUSED,
	ST_NSTMT
};

/* store-check.c: DIR/jobs.acked, the highest acknowledged job id. */
struct cd_acked {
	int fd;
	unsigned char *map;		/* the file, shared */
	int sync_full;			/* msync after each change */
	char path[4200];
};

/*
 * Open (creating) the record; *fresh when it was just made.  CORUN_EINVAL
 * when it is damaged, CORUN_ESYS on an I/O error; why says which.
 */
int cd_acked_open(struct cd_acked *a, const char *dir, int sync_full,
    int *fresh, char *why, size_t whysize);
int64_t cd_acked_get(const struct cd_acked *a);
/* Record id as acknowledged: after the commit that made it durable. */
void cd_acked_set(struct cd_acked *a, int64_t id);
void cd_acked_close(struct cd_acked *a);

/* What a read-only look at a database found. */
struct cd_check {
	int64_t seq;			/* the highest id it handed out */
	int damaged;			/* quick_check failed or unreadable */
};
/*
 * Look at path without changing it (its WAL left as it is): 0 with ck
 * filled (why says the damage, if any), CORUN_ESYS when it cannot be
 * read now (why says why).  A missing file holds nothing.
 */
int cd_store_check(const char *path, struct cd_check *ck, char *why,
    size_t whysize);
/* Copy path, path-wal and path-shm to path.damaged-TIME...; the copy's
   name in kept.  0, or -1 with errno. */
int cd_store_keep_aside(const char *path, char *kept, size_t keptsize);

/*
 * At open, before the database is opened for writing: the record read
 * (s->acked_id), the database checked.  Damaged or missing acknowledged
 * jobs: the files are copied aside and, without recover, CORUN_ESYS
 * with why naming the file and what is missing; with recover, 0 and
 * loss says what.
 */
int cd_store_verify(cd_store *s, const char *dir, const char *path,
    int sync_full, int recover, struct cd_store_loss *loss, char *why,
    size_t whysize);
/* Once open: ids go on past every acknowledged one (loss: after a
   recovery), and the record holds the highest. */
int cd_store_verified(cd_store *s, struct cd_store_loss *loss);

/*
 * store-salvage.c: remove path and its -wal and -shm (copies kept); fill
 * the new database from the copy of a damaged one (loss->kept) with what
 * can be read (loss->salvaged: the jobs).
 */
int cd_store_unlink_db(const char *path, char *why, size_t whysize);
int cd_store_salvage(cd_store *s, struct cd_store_loss *loss, char *why,
    size_t whysize);

struct cd_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_NSTMT];
	int depth;			/* nested begin count */
	int doomed;			/* a write could not be undone:
					   the commit rolls back instead */
	int saved_doomed;		/* doomed at the savepoint */
	int stale;			/* counts need reloading */
	char lasterr[256];		/* why the last commit failed */
	uint64_t counts[CD_NSTATES];
	uint64_t saved[CD_NSTATES];	/* counts at the savepoint */
	struct cd_ckpt *ckpt;		/* checkpoints off the loop */
	struct cd_acked acked;		/* jobs.acked */
	int64_t acked_id;		/* what it holds */
	int64_t max_added;		/* highest id added, this transaction
					   included */
	int64_t saved_max;		/* max_added at the savepoint */
	int dry;			/* the last take found every runnable
					   job: none until a write changes
					   what can run (cd_store_wake) */
	int64_t delay_next;		/* store-delay.c: the earliest time
					   waited for; 0: not read yet,
					   -1: none */
	int delay_moved;		/* delay_next changed */
	int on_done_rows;		/* store-on-done.c: jobs with their
					   own (1), none (0), unread (-1) */
	void (*on_ended)(void *arg, int64_t id);	/* the owner's */
	void *ended_arg;
};

/*
 * store-migrate.c: bring the schema of db (the base one just made or
 * found) up to this corund's; -1 with why naming the step that failed.
 */
int cd_store_migrate(sqlite3 *db, char *why, size_t whysize);

/*
 * store-deps.c: check a new job's dependencies (CORUN_ENOENT: an id is
 * unknown): *blocked the ones not ended, *failed_dep one that "after"
 * names and that failed or was cancelled (0: none).
 */
int cd_store_deps_check(cd_store *s, const struct cd_jobspec *js,
    int64_t *blocked, int64_t *failed_dep);
/* Record job id's dependencies. */
int cd_store_deps_add(cd_store *s, int64_t id, const struct cd_jobspec *js);
/*
 * Job id ended in state, inside a write call: the jobs that wait for it
 * with "after" fail when it did not succeed, theirs after them (each
 * into *ended, *nended of them, the caller frees it), and the rest are
 * unblocked.  Nothing is counted here.
 */
int cd_store_deps_ended(cd_store *s, int64_t id, int state, uint64_t now_ns,
    int64_t **ended, size_t *nended);
/* Fail queued job id because its dependency dep failed. */
int cd_store_dep_fail(cd_store *s, int64_t id, int64_t dep, uint64_t now_ns);
/* Tell the owner's hook (cd_store_on_ended) that these jobs ended. */
void cd_store_tell_ended(cd_store *s, const int64_t *ids, size_t n);

/*
 * store-groups.c: room left in each group with a limit, for one take
 * (a small list: groups are few).  take: 1 when group may start one more
 * job (and counts it), 0 when it is full.
 */
struct cd_group_caps {
	char **name;
	int64_t *room;
	size_t n;
};
int cd_group_caps_load(cd_store *s, struct cd_group_caps *g);
int cd_group_caps_take(struct cd_group_caps *g, const char *group);
void cd_group_caps_free(struct cd_group_caps *g);

/*
 * Something that can make a queued job runnable happened (a job added,
 * ended or put back, a group resumed or given more room, a rollback):
 * the next take reads the queue again.  Without a change a take that
 * found nothing is not repeated, so a queue held back (a paused group
 * of a million jobs) costs nothing per loop iteration.
 */
#define cd_store_wake(s) ((void)((s)->dry = 0))

/* A prepared statement, reset and unbound. */
sqlite3_stmt *cd_store_stmt(cd_store *s, int which);
/* Run SQL text; 0 or CORUN_ESYS. */
int cd_store_exec(cd_store *s, const char *sql);
/* Step st once and reset it; 0 (a row or done) or CORUN_ESYS. */
int cd_store_step_done(sqlite3_stmt *st);
/*
 * Inside cd_store_begin()'s transaction SQLite rolled it back by itself:
 * 1 (and the transaction is doomed), so the caller must not write.
 */
int cd_store_txn_lost(cd_store *s);
/* A write call is all or nothing: begin it, then end it with its rc
   (0 keeps its writes, else they are undone); returns the rc. */
int cd_store_op_begin(cd_store *s);
int cd_store_op_end(cd_store *s, int rc);

#endif /* CD_STORE_INTERNAL_H */
