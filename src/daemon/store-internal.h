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
	ST_NSTMT
};

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
};

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
