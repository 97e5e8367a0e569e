/* SPDX-License-Identifier: MIT */
/*
 * store.c - corund's durable job table: SQLite in WAL mode.  This file
 * opens it (the schema, the prepared statements), runs the transactions
 * and savepoints, recovers after a restart and keeps the per-state
 * counts; store-jobs.c adds, takes, finishes and purges jobs,
 * store-query.c reads them.  No JSON here: store-json.c builds that.
 *
 * One row per job, its id the rowid (AUTOINCREMENT, so a purged id is
 * never handed out again to a client that may still ask about it).  What
 * is queried is indexed, and only there: the runnable queue (a partial
 * index on queued, unblocked jobs in priority order), the running jobs
 * (for recovery), finished jobs by end time (for purging), idempotency
 * keys, and dependencies by the job they wait for.  So adding a job or
 * taking a batch costs the same with a million queued as with ten.  The
 * per-state counts live in memory, loaded once at open.
 *
 * Transactions are the caller's: feed.c opens one per loop iteration,
 * ops.c a savepoint per submit batch; a single call outside one runs in
 * SQLite's implicit transaction.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ckpt.h"
#include "fault-internal.h"
#include "store-internal.h"

#define CD_SCHEMA_VERSION 1

static const char *const stmt_sql[ST_NSTMT] = {
	[ST_INSERT] = "INSERT INTO jobs(state, kind, payload, grp, priority,"
	    " timeout, retries, ikey, blocked, submitted_ns)"
	    " VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_KEY] = "SELECT id FROM jobs WHERE ikey = ?1",
	[ST_DEPSTATE] = "SELECT state FROM jobs WHERE id = ?1",
	[ST_DEPADD] = "INSERT INTO deps(job, dep, any_ok) VALUES (?1, ?2, ?3)",
	/* Groups at their limit are left out; the rest is counted as
	   the rows come (store-groups.c), so no LIMIT: rows come lazily. */
	[ST_TAKE] = "SELECT id, kind, payload, timeout, retries, attempts, grp,"
	    " submitted_ns"
	    " FROM jobs WHERE state = 0 AND blocked = 0"
	    " AND grp NOT IN (SELECT grp FROM paused)"
	    " AND id NOT IN (SELECT id FROM held)"
	    " AND id NOT IN (SELECT id FROM delayed)"
	    " AND grp NOT IN (SELECT grp FROM groups WHERE parallel > 0"
	    " AND parallel <= (SELECT count(*) FROM jobs AS r"
	    " WHERE r.grp = groups.grp AND r.state = 1))"
	    " ORDER BY priority DESC, id LIMIT ?1",
	/* Taken is not started: attempts count leases (ST_LEASE). */
	[ST_MARK] = "UPDATE jobs SET state = 1 WHERE id = ?1",
	[ST_LEASE] = "UPDATE jobs SET attempts = max(attempts, ?2),"
	    " start_ns = ?3 WHERE id = ?1 AND state = 1",
	[ST_FINISH] = "UPDATE jobs SET state = ?2, status = ?3,"
	    " exit_code = ?4, signal = ?5,"
	    " attempts = max(attempts, ?6), start_ns = coalesce(?7, start_ns),"
	    " end_ns = ?8, out = ?9, err = ?10, message = ?11,"
	    " worker_pid = ?12 WHERE id = ?1 AND state IN (0, 1)",
	[ST_UNBLOCK] = "UPDATE jobs SET blocked = blocked - 1 WHERE id IN"
	    " (SELECT job FROM deps WHERE dep = ?1) AND blocked > 0",
	[ST_DEPDEL] = "DELETE FROM deps WHERE dep = ?1",
	/* store-deps.c: who waits for a job to succeed; failing one. */
	[ST_DEPWAITERS] = "SELECT job FROM deps WHERE dep = ?1 AND any_ok = 0",
	/* store-groups.c: room in each group with a limit. */
	[ST_GROUPCAPS] = "SELECT grp, parallel - (SELECT count(*) FROM jobs"
	    " WHERE jobs.grp = groups.grp AND state = 1)"
	    " FROM groups WHERE parallel > 0",
	[ST_DEPFAIL] = "UPDATE jobs SET state = 3, status = ?3, end_ns = ?4,"
	    " message = 'dependency ' || ?2 || ' failed'"
	    " WHERE id = ?1 AND state = 0",
	[ST_REQUEUE] = "UPDATE jobs SET state = 0,"
	    " attempts = min(attempts, ?2) WHERE id = ?1 AND state = 1",
	[ST_STATE] = "SELECT state FROM jobs WHERE id = ?1",
	[ST_GET] = "SELECT id, state, kind, grp, priority, timeout, retries,"
	    " ikey, attempts, submitted_ns, start_ns, end_ns, status,"
	    " exit_code, signal, worker_pid, message, out, err, payload"
	    " FROM jobs WHERE id = ?1",
	/* Each write call is all or nothing (op_begin / op_end). */
	[ST_OPBEGIN] = "SAVEPOINT op",
	[ST_OPUNDO] = "ROLLBACK TO op",
	[ST_OPEND] = "RELEASE op",
	/* Prepared, so ending a transaction needs no memory to parse. */
	/* Every status reads it: prepared once, not per request. */
	[ST_PAUSED] = "SELECT grp FROM paused ORDER BY grp",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS jobs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " kind TEXT NOT NULL, payload BLOB,"
    " grp TEXT NOT NULL DEFAULT '', priority INTEGER NOT NULL DEFAULT 0,"
    " timeout REAL NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0,"
    " ikey TEXT, blocked INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " submitted_ns INTEGER, start_ns INTEGER, end_ns INTEGER,"
    " status INTEGER, exit_code INTEGER, signal INTEGER,"
    " worker_pid INTEGER, message TEXT, out BLOB, err BLOB);"
    "CREATE UNIQUE INDEX IF NOT EXISTS jobs_key ON jobs(ikey)"
    " WHERE ikey IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(priority DESC, id)"
    " WHERE state = 0 AND blocked = 0;"
    "CREATE INDEX IF NOT EXISTS jobs_running ON jobs(id) WHERE state = 1;"
    "CREATE INDEX IF NOT EXISTS jobs_ended ON jobs(end_ns, id)"
    " WHERE state >= 2;"
    "CREATE TABLE IF NOT EXISTS deps (job INTEGER NOT NULL,"
    " dep INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS deps_dep ON deps(dep);"
    "CREATE TABLE IF NOT EXISTS paused (grp TEXT PRIMARY KEY);";


static const char *const state_names[CD_NSTATES] = {
	"queued", "running", "done", "failed", "cancelled"
};

const char *
cd_state_name(int state)
{
	if (state < 0 || state >= CD_NSTATES) {
		return "unknown";
	}
	return state_names[state];
}

const char *
cd_store_errmsg(cd_store *s)
{
	/* A failed commit's reason outlives the rollback's success. */
	if (sqlite3_errcode(s->db) == SQLITE_OK && s->lasterr[0] != '\0') {
		return s->lasterr;
	}
	return sqlite3_errmsg(s->db);
}

int
cd_store_exec(cd_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		return CORUN_ESYS;
	}
	return 0;
}

sqlite3_stmt *
cd_store_stmt(cd_store *s, int which)
{
	sqlite3_stmt *st = s->st[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/*
 * Read the per-state counts from the file.  On failure (no memory, an
 * I/O error) they are marked stale and read again at the next begin or
 * cd_store_counts(), never left half read.
 */
static int
load_counts(cd_store *s)
{
	uint64_t c[CD_NSTATES] = { 0 };
	sqlite3_stmt *st;
	int rc;

	s->stale = 1;
	if (sqlite3_prepare_v2(s->db, "SELECT state, count(*) FROM jobs"
	    " GROUP BY state", -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int state = sqlite3_column_int(st, 0);

		if (state >= 0 && state < CD_NSTATES) {
			c[state] = (uint64_t)sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		return CORUN_ESYS;
	}
	memcpy(s->counts, c, sizeof(c));
	s->stale = 0;
	return 0;
}

/*
 * Inside cd_store_begin()'s transaction, SQLite may have rolled it all
 * back by itself after an I/O error or running out of memory; a write
 * now would commit on its own.  Refuse it and doom the transaction.
 */
int
cd_store_txn_lost(cd_store *s)
{
	if (s->depth > 0 && sqlite3_get_autocommit(s->db)) {
		s->doomed = 1;
		return 1;
	}
	return 0;
}

/* Run one of the prepared transaction statements. */
static int
run(cd_store *s, int which)
{
	int rc = sqlite3_step(cd_store_stmt(s, which));

	sqlite3_reset(s->st[which]);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}

/*
 * Roll back whatever transaction is open.  If even that fails the
 * transaction stays open; cd_store_begin() tries again, and the counts
 * are read again once it is gone.
 */
static void
rollback(cd_store *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		run(s, ST_ROLLBACK);
	}
	s->stale = 1;
	s->max_added = s->acked_id;	/* its adds are gone */
	cd_store_wake(s);		/* and its takes */
	if (sqlite3_get_autocommit(s->db)) {
		load_counts(s);
	}
}

/* Start one write call: a savepoint it can be undone to. */
int
cd_store_op_begin(cd_store *s)
{
	int rc;

	if (cd_store_txn_lost(s)) {
		return CORUN_ESYS;
	}
	rc = sqlite3_step(cd_store_stmt(s, ST_OPBEGIN));
	sqlite3_reset(s->st[ST_OPBEGIN]);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}

/* End a write call: keep its writes (rc 0) or undo them all. */
int
cd_store_op_end(cd_store *s, int rc)
{
	int r;

	if (rc != 0) {
		r = sqlite3_step(cd_store_stmt(s, ST_OPUNDO));
		sqlite3_reset(s->st[ST_OPUNDO]);
		if (r != SQLITE_DONE) {
			s->doomed = 1;
		}
	}
	r = sqlite3_step(cd_store_stmt(s, ST_OPEND));
	sqlite3_reset(s->st[ST_OPEND]);
	if (r != SQLITE_DONE) {
		s->doomed = 1;
		return rc != 0 ? rc : CORUN_ESYS;
	}
	return rc;
}

int
cd_store_open(const char *dir, int sync_full, cd_store **out, char *why,
    size_t whysize)
{
	return cd_store_open_ex(dir, sync_full, 0, NULL, out, why, whysize);
}

int
cd_store_open_ex(const char *dir, int sync_full, int recover,
    struct cd_store_loss *loss, cd_store **out, char *why, size_t whysize)
{
	struct cd_store_loss mine;
	char path[4096];
	cd_store *s;

	if (snprintf(path, sizeof(path), "%s/jobs.db", dir) >=
	    (int)sizeof(path)) {
		snprintf(why, whysize, "state directory name too long");
		return CORUN_ERANGE;
	}
	cd_fault_hooks();
	if ((s = cr_calloc(1, sizeof(*s))) != NULL) {
		s->on_done_rows = -1;	/* read at the first job's end */
	}
	if (s == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	s->acked.fd = -1;
	if (loss == NULL) {
		loss = &mine;
	}
	if (cd_store_verify(s, dir, path, sync_full, recover, loss, why,
	    whysize) != 0) {
		cd_store_close(s);
		return CORUN_ESYS;
	}
	if (loss->damaged && cd_store_unlink_db(path, why, whysize) != 0) {
		cd_store_close(s);	/* a new one, filled from the copy */
		return CORUN_ESYS;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(why, whysize, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	/* Another process holding it (sqlite3 shell): wait a little. */
	sqlite3_busy_timeout(s->db, 2000);
	if (cd_store_exec(s, "PRAGMA journal_mode=WAL") != 0 ||
	    cd_store_exec(s, sync_full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL") != 0 ||
	    cd_store_exec(s, "PRAGMA foreign_keys=OFF") != 0 ||
	    cd_store_exec(s, schema) != 0) {
		snprintf(why, whysize, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	if (cd_store_migrate(s->db, why, whysize) != 0) {
		goto fail;	/* why says which step (store-migrate.c) */
	}
	for (int i = 0; i < ST_NSTMT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(why, whysize, "%s: preparing statement %d: %s",
			    path, i, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (loss->damaged && cd_store_salvage(s, loss, why, whysize) != 0) {
		goto fail;
	}
	if (load_counts(s) != 0 || cd_store_verified(s, loss->what[0] != '\0' ?
	    loss : NULL) != 0) {
		snprintf(why, whysize, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	/* Failing that, SQLite checkpoints on commits, as it does. */
	(void)cd_ckpt_start(s->db, path, &s->ckpt);
	*out = s;
	return 0;
fail:
	cd_store_close(s);
	return CORUN_ESYS;
}

void
cd_store_close(cd_store *s)
{
	if (s == NULL) {
		return;
	}
	cd_ckpt_stop(s->db, s->ckpt);
	for (int i = 0; i < ST_NSTMT; i++) {
		sqlite3_finalize(s->st[i]);
	}
	sqlite3_close(s->db);
	cd_acked_close(&s->acked);
	free(s);
}

int
cd_store_begin(cd_store *s)
{
	if (s->depth++ > 0) {
		return 0;
	}
	s->doomed = 0;
	s->lasterr[0] = '\0';
	if (!sqlite3_get_autocommit(s->db)) {
		/* A rollback that failed before. */
		rollback(s);
	}
	if (s->stale && load_counts(s) != 0) {
		s->depth = 0;
		return CORUN_ESYS;
	}
	if (run(s, ST_BEGIN) != 0) {
		s->depth = 0;
		return CORUN_ESYS;
	}
	return 0;
}

int
cd_store_at_rest(cd_store *s)
{
	return s->depth == 0 && !s->stale && sqlite3_get_autocommit(s->db);
}

int
cd_store_commit(cd_store *s)
{
	if (s->depth == 0 || --s->depth > 0) {
		return 0;
	}
	if (s->doomed || run(s, ST_COMMIT) != 0) {
		snprintf(s->lasterr, sizeof(s->lasterr), "%s", s->doomed ?
		    "a write failed and could not be undone alone; the "
		    "transaction was rolled back" : sqlite3_errmsg(s->db));
		/* The counts may now be wrong: reread them. */
		rollback(s);
		return CORUN_ESYS;
	}
	if (s->max_added > s->acked_id) {
		/* On disk now: the jobs are acknowledged (store-check.c). */
		s->acked_id = s->max_added;
		cd_acked_set(&s->acked, s->acked_id);
	}
	return 0;
}

int
cd_store_savepoint(cd_store *s)
{
	if (cd_store_txn_lost(s)) {
		return CORUN_ESYS;
	}
	memcpy(s->saved, s->counts, sizeof(s->counts));
	s->saved_doomed = s->doomed;
	s->saved_max = s->max_added;
	return cd_store_exec(s, "SAVEPOINT req");
}

int
cd_store_release(cd_store *s, int rollback)
{
	if (rollback) {
		cd_store_wake(s);
		memcpy(s->counts, s->saved, sizeof(s->counts));
		if (cd_store_exec(s, "ROLLBACK TO req") != 0) {
			/* Its writes stay: the transaction must not commit. */
			s->doomed = 1;
			cd_store_exec(s, "RELEASE req");
			return CORUN_ESYS;
		}
		s->doomed = s->saved_doomed;
		s->max_added = s->saved_max;
	}
	if (cd_store_exec(s, "RELEASE req") != 0) {
		s->doomed = 1;
		return CORUN_ESYS;
	}
	return 0;
}

int
cd_store_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : CORUN_ESYS;
}

/* FROM: the dependencies of jobs.id (with "after") that did not succeed. */
#define DEP_FAILED "FROM deps JOIN jobs AS d ON d.id = deps.dep" \
	" WHERE deps.job = jobs.id AND deps.any_ok = 0 AND d.state IN (3, 4)"

int
cd_store_recover(cd_store *s, unsigned max_attempts, uint64_t now_ns,
    size_t *requeued, size_t *failed)
{
	char sql[1024];
	int rc;

	*requeued = *failed = 0;
	cd_store_wake(s);
	if ((rc = cd_store_begin(s)) != 0) {
		return rc;
	}
	snprintf(sql, sizeof(sql), "UPDATE jobs SET state = 3, status = %d,"
	    " end_ns = %llu, message = 'lost: corund stopped while it ran"
	    " (attempt ' || attempts || ' of %u)'"
	    " WHERE state = 1 AND attempts >= %u", CORUN_ELOST,
	    (unsigned long long)now_ns, max_attempts, max_attempts);
	if (cd_store_exec(s, sql) != 0) {
		goto fail;
	}
	*failed = (size_t)sqlite3_changes(s->db);
	/* Jobs after them (with "after") fail too, and theirs in turn. */
	snprintf(sql, sizeof(sql), "UPDATE jobs SET state = 3, status = %d,"
	    " end_ns = %llu, message = 'dependency ' || (SELECT deps.dep"
	    " %s LIMIT 1) || ' failed' WHERE state = 0 AND EXISTS (SELECT 1"
	    " %s)", CORUN_EFAILED, (unsigned long long)now_ns, DEP_FAILED,
	    DEP_FAILED);
	while (*failed > 0) {
		if (cd_store_exec(s, sql) != 0) {
			goto fail;
		}
		if (sqlite3_changes(s->db) == 0) {
			break;
		}
	}
	/* Dependents of the jobs that just failed may run now. */
	if (cd_store_exec(s, "UPDATE jobs SET blocked = (SELECT count(*) FROM deps"
	    " JOIN jobs AS d ON d.id = deps.dep WHERE deps.job = jobs.id"
	    " AND d.state < 2) WHERE blocked > 0") != 0 ||
	    cd_store_exec(s, "UPDATE jobs SET state = 0 WHERE state = 1") != 0) {
		goto fail;
	}
	*requeued = (size_t)sqlite3_changes(s->db);
	if ((rc = cd_store_commit(s)) != 0) {
		return rc;
	}
	return load_counts(s);
fail:
	rollback(s);
	s->depth = 0;
	return CORUN_ESYS;
}

void
cd_store_counts(cd_store *s, uint64_t counts[CD_NSTATES])
{
	if (s->stale && s->depth == 0 && !sqlite3_get_autocommit(s->db)) {
		rollback(s);	/* one that failed before */
	} else if (s->stale) {
		load_counts(s);
	}
	memcpy(counts, s->counts, sizeof(s->counts));
}

uint64_t
cd_store_checkpoints(cd_store *s)
{
	return cd_ckpt_runs(s->ckpt);
}
