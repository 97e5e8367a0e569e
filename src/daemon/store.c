/*
 * store.c - corund's durable job table: SQLite in WAL mode.
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
 * Transactions are the caller's: feed.c and ctl.c open one per loop
 * iteration and per submit batch; a single call outside one runs in
 * SQLite's implicit transaction.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ckpt.h"
#include "daemon.h"
#include "fault-internal.h"

#define CD_SCHEMA_VERSION 1

enum {
	ST_INSERT, ST_KEY, ST_DEPSTATE, ST_DEPADD, ST_TAKE, ST_MARK,
	ST_FINISH, ST_UNBLOCK, ST_DEPDEL, ST_REQUEUE, ST_STATE, ST_GET,
	ST_OPBEGIN, ST_OPUNDO, ST_OPEND, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_NSTMT
};

static const char *const stmt_sql[ST_NSTMT] = {
	[ST_INSERT] = "INSERT INTO jobs(state, kind, payload, grp, priority,"
	    " timeout, retries, ikey, blocked, submitted_ns)"
	    " VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_KEY] = "SELECT id FROM jobs WHERE ikey = ?1",
	[ST_DEPSTATE] = "SELECT state FROM jobs WHERE id = ?1",
	[ST_DEPADD] = "INSERT INTO deps(job, dep) VALUES (?1, ?2)",
	[ST_TAKE] = "SELECT id, kind, payload, timeout, retries, attempts"
	    " FROM jobs WHERE state = 0 AND blocked = 0"
	    " AND grp NOT IN (SELECT grp FROM paused)"
	    " ORDER BY priority DESC, id LIMIT ?1",
	[ST_MARK] = "UPDATE jobs SET state = 1, attempts = attempts + 1,"
	    " start_ns = ?2 WHERE id = ?1",
	[ST_FINISH] = "UPDATE jobs SET state = ?2, status = ?3,"
	    " exit_code = ?4, signal = ?5,"
	    " attempts = max(attempts, ?6), start_ns = coalesce(?7, start_ns),"
	    " end_ns = ?8, out = ?9, err = ?10, message = ?11,"
	    " worker_pid = ?12 WHERE id = ?1 AND state IN (0, 1)",
	[ST_UNBLOCK] = "UPDATE jobs SET blocked = blocked - 1 WHERE id IN"
	    " (SELECT job FROM deps WHERE dep = ?1) AND blocked > 0",
	[ST_DEPDEL] = "DELETE FROM deps WHERE dep = ?1",
	[ST_REQUEUE] = "UPDATE jobs SET state = 0,"
	    " attempts = max(attempts - 1, 0) WHERE id = ?1 AND state = 1",
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

static int
exec(cd_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		return CORUN_ESYS;
	}
	return 0;
}

static sqlite3_stmt *
stmt(cd_store *s, int which)
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
static int
txn_lost(cd_store *s)
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
	int rc = sqlite3_step(stmt(s, which));

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
	if (sqlite3_get_autocommit(s->db)) {
		load_counts(s);
	}
}

/* Start one write call: a savepoint it can be undone to. */
static int
op_begin(cd_store *s)
{
	int rc;

	if (txn_lost(s)) {
		return CORUN_ESYS;
	}
	rc = sqlite3_step(stmt(s, ST_OPBEGIN));
	sqlite3_reset(s->st[ST_OPBEGIN]);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}

/* End a write call: keep its writes (rc 0) or undo them all. */
static int
op_end(cd_store *s, int rc)
{
	int r;

	if (rc != 0) {
		r = sqlite3_step(stmt(s, ST_OPUNDO));
		sqlite3_reset(s->st[ST_OPUNDO]);
		if (r != SQLITE_DONE) {
			s->doomed = 1;
		}
	}
	r = sqlite3_step(stmt(s, ST_OPEND));
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
	char path[4096];
	cd_store *s;

	if (snprintf(path, sizeof(path), "%s/jobs.db", dir) >=
	    (int)sizeof(path)) {
		snprintf(why, whysize, "state directory name too long");
		return CORUN_ERANGE;
	}
	cd_fault_hooks();
	if ((s = cr_calloc(1, sizeof(*s))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return CORUN_ENOMEM;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(why, whysize, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	/* Another process holding it (sqlite3 shell): wait a little. */
	sqlite3_busy_timeout(s->db, 2000);
	if (exec(s, "PRAGMA journal_mode=WAL") != 0 ||
	    exec(s, sync_full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL") != 0 ||
	    exec(s, "PRAGMA foreign_keys=OFF") != 0 ||
	    exec(s, schema) != 0) {
		snprintf(why, whysize, "%s: %s", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	for (int i = 0; i < ST_NSTMT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(why, whysize, "%s: preparing statement %d: %s",
			    path, i, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (load_counts(s) != 0) {
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
	return 0;
}

int
cd_store_savepoint(cd_store *s)
{
	if (txn_lost(s)) {
		return CORUN_ESYS;
	}
	memcpy(s->saved, s->counts, sizeof(s->counts));
	s->saved_doomed = s->doomed;
	return exec(s, "SAVEPOINT req");
}

int
cd_store_release(cd_store *s, int rollback)
{
	if (rollback) {
		memcpy(s->counts, s->saved, sizeof(s->counts));
		if (exec(s, "ROLLBACK TO req") != 0) {
			/* Its writes stay: the transaction must not commit. */
			s->doomed = 1;
			exec(s, "RELEASE req");
			return CORUN_ESYS;
		}
		s->doomed = s->saved_doomed;
	}
	if (exec(s, "RELEASE req") != 0) {
		s->doomed = 1;
		return CORUN_ESYS;
	}
	return 0;
}

static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : CORUN_ESYS;
}

int
cd_store_add(cd_store *s, const struct cd_jobspec *js, uint64_t now_ns,
    int64_t *id, int *existed)
{
	sqlite3_stmt *st;
	int64_t blocked = 0;

	*existed = 0;
	if (js->key != NULL) {
		st = stmt(s, ST_KEY);
		sqlite3_bind_text(st, 1, js->key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*id = sqlite3_column_int64(st, 0);
			*existed = 1;
			sqlite3_reset(st);
			return 0;
		}
		sqlite3_reset(st);
	}
	for (size_t i = 0; i < js->nafter; i++) {
		int state, rc;

		if ((rc = cd_store_state(s, js->after[i], &state)) != 0) {
			return rc;
		}
		blocked += state < CD_DONE;
	}
	if (op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	st = stmt(s, ST_INSERT);
	sqlite3_bind_text(st, 1, js->kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, js->len > 0 ? js->payload : "", (int)js->len,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, js->group != NULL ? js->group : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 4, js->priority);
	sqlite3_bind_double(st, 5, js->timeout);
	sqlite3_bind_int(st, 6, js->retries);
	if (js->key != NULL) {
		sqlite3_bind_text(st, 7, js->key, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 8, blocked);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)now_ns);
	if (step_done(st) != 0) {
		return op_end(s, CORUN_ESYS);
	}
	*id = sqlite3_last_insert_rowid(s->db);
	for (size_t i = 0; i < js->nafter; i++) {
		st = stmt(s, ST_DEPADD);
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, js->after[i]);
		if (step_done(st) != 0) {
			return op_end(s, CORUN_ESYS);
		}
	}
	if (op_end(s, 0) != 0) {
		return CORUN_ESYS;
	}
	s->counts[CD_QUEUED]++;
	return 0;
}

int
cd_store_recover(cd_store *s, unsigned max_attempts, uint64_t now_ns,
    size_t *requeued, size_t *failed)
{
	char sql[512];
	int rc;

	*requeued = *failed = 0;
	if ((rc = cd_store_begin(s)) != 0) {
		return rc;
	}
	snprintf(sql, sizeof(sql), "UPDATE jobs SET state = 3, status = %d,"
	    " end_ns = %llu, message = 'lost: corund stopped while it ran"
	    " (attempt ' || attempts || ' of %u)'"
	    " WHERE state = 1 AND attempts >= %u", CORUN_ELOST,
	    (unsigned long long)now_ns, max_attempts, max_attempts);
	if (exec(s, sql) != 0) {
		goto fail;
	}
	*failed = (size_t)sqlite3_changes(s->db);
	/* Dependents of the jobs that just failed may run now. */
	if (exec(s, "UPDATE jobs SET blocked = (SELECT count(*) FROM deps"
	    " JOIN jobs AS d ON d.id = deps.dep WHERE deps.job = jobs.id"
	    " AND d.state < 2) WHERE blocked > 0") != 0 ||
	    exec(s, "UPDATE jobs SET state = 0 WHERE state = 1") != 0) {
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

int
cd_store_take(cd_store *s, size_t n, uint64_t now_ns, struct cd_taken *out,
    size_t *got)
{
	sqlite3_stmt *st, *mk;
	size_t k = 0;
	int rc = SQLITE_DONE;

	*got = 0;
	if (op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	st = stmt(s, ST_TAKE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	while (k < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cd_taken *t = &out[k];
		const char *kind;
		const void *p = sqlite3_column_blob(st, 2);
		int len = sqlite3_column_bytes(st, 2);

		memset(t, 0, sizeof(*t));
		t->id = sqlite3_column_int64(st, 0);
		kind = (const char *)sqlite3_column_text(st, 1);
		t->kind = kind != NULL ? cr_strdup(kind) : NULL;
		t->payload = cr_malloc((size_t)len + 1);
		if (t->kind == NULL || t->payload == NULL) {
			cd_taken_free(t);
			rc = SQLITE_NOMEM;
			break;
		}
		if (len > 0) {
			memcpy(t->payload, p, (size_t)len);
		}
		t->len = (size_t)len;
		t->timeout = sqlite3_column_double(st, 3);
		t->retries = sqlite3_column_int(st, 4);
		t->attempts = (uint32_t)sqlite3_column_int(st, 5) + 1;
		k++;
	}
	sqlite3_reset(st);
	/* Taking fewer than asked is fine, a failed read is not. */
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		goto fail;
	}
	for (size_t i = 0; i < k; i++) {
		mk = stmt(s, ST_MARK);
		sqlite3_bind_int64(mk, 1, out[i].id);
		sqlite3_bind_int64(mk, 2, (sqlite3_int64)now_ns);
		if (step_done(mk) != 0) {
			goto fail;
		}
	}
	if (op_end(s, 0) != 0) {
		goto fail_ended;
	}
	s->counts[CD_QUEUED] -= k;
	s->counts[CD_RUNNING] += k;
	*got = k;
	return 0;
fail:
	op_end(s, CORUN_ESYS);
fail_ended:
	for (size_t j = 0; j < k; j++) {
		cd_taken_free(&out[j]);
	}
	return CORUN_ESYS;
}

void
cd_taken_free(struct cd_taken *t)
{
	free(t->kind);
	free(t->payload);
	t->kind = NULL;
	t->payload = NULL;
}

int
cd_store_finish(cd_store *s, int64_t id, const struct cd_outcome *o,
    int *recorded)
{
	sqlite3_stmt *st;
	int prev, rc;

	*recorded = 0;
	if ((rc = cd_store_state(s, id, &prev)) != 0) {
		return rc;
	}
	if (prev >= CD_DONE) {
		return 0;	/* already recorded: exactly once */
	}
	if (op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	st = stmt(s, ST_FINISH);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, o->state);
	sqlite3_bind_int(st, 3, o->status);
	sqlite3_bind_int(st, 4, o->exit_code);
	sqlite3_bind_int(st, 5, o->signal);
	sqlite3_bind_int64(st, 6, o->attempts);
	if (o->start_ns != 0) {
		sqlite3_bind_int64(st, 7, (sqlite3_int64)o->start_ns);
	}
	sqlite3_bind_int64(st, 8, (sqlite3_int64)o->end_ns);
	sqlite3_bind_blob(st, 9, o->out != NULL ? o->out : "",
	    (int)o->out_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, o->err != NULL ? o->err : "",
	    (int)o->err_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, o->message != NULL ? o->message : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 12, o->worker_pid);
	if (step_done(st) != 0) {
		return op_end(s, CORUN_ESYS);
	}
	if (sqlite3_changes(s->db) != 1) {
		return op_end(s, 0);
	}
	st = stmt(s, ST_UNBLOCK);
	sqlite3_bind_int64(st, 1, id);
	if (step_done(st) != 0) {
		return op_end(s, CORUN_ESYS);
	}
	st = stmt(s, ST_DEPDEL);
	sqlite3_bind_int64(st, 1, id);
	if (step_done(st) != 0) {
		return op_end(s, CORUN_ESYS);
	}
	if (op_end(s, 0) != 0) {
		return CORUN_ESYS;
	}
	s->counts[prev]--;
	s->counts[o->state]++;
	*recorded = 1;
	return 0;
}

int
cd_store_requeue(cd_store *s, int64_t id)
{
	sqlite3_stmt *st;

	if (txn_lost(s)) {
		return CORUN_ESYS;
	}
	st = stmt(s, ST_REQUEUE);
	sqlite3_bind_int64(st, 1, id);
	if (step_done(st) != 0) {
		return CORUN_ESYS;
	}
	if (sqlite3_changes(s->db) == 1) {
		s->counts[CD_RUNNING]--;
		s->counts[CD_QUEUED]++;
	}
	return 0;
}

int
cd_store_state(cd_store *s, int64_t id, int *state)
{
	sqlite3_stmt *st = stmt(s, ST_STATE);
	int rc = CORUN_ENOENT;

	sqlite3_bind_int64(st, 1, id);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		*state = sqlite3_column_int(st, 0);
		rc = 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = CORUN_ESYS;	/* not "no such job" */
		break;
	}
	sqlite3_reset(st);
	return rc;
}

static json_t *
col_string(sqlite3_stmt *st, int col)
{
	const char *p = sqlite3_column_blob(st, col);
	int len = sqlite3_column_bytes(st, col);

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		return json_null();
	}
	/* Output need not be UTF-8: invalid bytes become U+FFFD. */
	if (p == NULL) {
		return json_string("");
	}
	{
		json_t *j = json_stringn(p, (size_t)len);

		if (j == NULL) {
			char *copy = cr_malloc((size_t)len * 3 + 1);
			size_t k = 0;

			if (copy == NULL) {
				return NULL;	/* the caller's set fails */
			}
			for (int i = 0; i < len; i++) {
				unsigned char c = (unsigned char)p[i];

				if (c < 0x80) {
					copy[k++] = (char)c;
				} else {
					copy[k++] = (char)0xef;
					copy[k++] = (char)0xbf;
					copy[k++] = (char)0xbd;
				}
			}
			j = json_stringn(copy, k);
			free(copy);
		}
		return j;
	}
}

static json_t *
col_int(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		return json_null();
	}
	return json_integer(sqlite3_column_int64(st, col));
}

static json_t *
col_time(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		return json_null();
	}
	return json_real((double)sqlite3_column_int64(st, col) / 1e9);
}

int
cd_store_job_json(cd_store *s, int64_t id, int with_output, json_t **out)
{
	sqlite3_stmt *st = stmt(s, ST_GET);
	json_t *j;
	const char *kind;
	int state, rc, bad = 0;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? CORUN_ENOENT : CORUN_ESYS;
	}
	state = sqlite3_column_int(st, 1);
	j = json_object();
	bad |= json_object_set_new(j, "id", json_integer(id));
	bad |= json_object_set_new(j, "state",
	    json_string(cd_state_name(state)));
	bad |= json_object_set_new(j, "kind", col_string(st, 2));
	bad |= json_object_set_new(j, "group", col_string(st, 3));
	bad |= json_object_set_new(j, "priority", col_int(st, 4));
	bad |= json_object_set_new(j, "timeout", json_real(
	    sqlite3_column_double(st, 5)));
	bad |= json_object_set_new(j, "retries", col_int(st, 6));
	bad |= json_object_set_new(j, "key", col_string(st, 7));
	bad |= json_object_set_new(j, "attempts", col_int(st, 8));
	bad |= json_object_set_new(j, "submitted", col_time(st, 9));
	bad |= json_object_set_new(j, "started", col_time(st, 10));
	bad |= json_object_set_new(j, "ended", col_time(st, 11));
	if (state >= CD_DONE) {
		bad |= json_object_set_new(j, "status", col_int(st, 12));
		bad |= json_object_set_new(j, "exit_code", col_int(st, 13));
		bad |= json_object_set_new(j, "signal", col_int(st, 14));
		bad |= json_object_set_new(j, "worker_pid", col_int(st, 15));
		bad |= json_object_set_new(j, "error", state == CD_DONE ?
		    json_null() : col_string(st, 16));
		if (with_output) {
			bad |= json_object_set_new(j, "stdout",
			    col_string(st, 17));
			bad |= json_object_set_new(j, "stderr",
			    col_string(st, 18));
		}
	}
	kind = (const char *)sqlite3_column_text(st, 2);
	if (kind == NULL) {
		bad = 1;	/* out of memory converting it */
	} else if (with_output && strcmp(kind, "shell") == 0) {
		/* The command, for people reading `corun result`. */
		const char *p = sqlite3_column_blob(st, 19);
		int len = sqlite3_column_bytes(st, 19);
		json_t *argv = json_array();

		for (int i = 0; p != NULL && i < len;) {
			size_t wl = strnlen(p + i, (size_t)(len - i));

			if (wl == 0) {
				break;
			}
			bad |= json_array_append_new(argv,
			    json_stringn(p + i, wl));
			i += (int)wl + 1;
		}
		bad |= json_object_set_new(j, "cmd", argv);
	}
	sqlite3_reset(st);
	if (bad) {
		/* A reply with fields missing would mislead: none at all. */
		json_decref(j);
		return CORUN_ENOMEM;
	}
	*out = j;
	return 0;
}

int
cd_store_set_paused(cd_store *s, const char *group, int paused)
{
	sqlite3_stmt *st;
	int rc;

	if (txn_lost(s)) {
		return CORUN_ESYS;
	}
	if (sqlite3_prepare_v2(s->db, paused ?
	    "INSERT OR IGNORE INTO paused(grp) VALUES (?1)" :
	    "DELETE FROM paused WHERE grp = ?1", -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	return rc;
}

json_t *
cd_store_paused_json(cd_store *s)
{
	json_t *a = json_array();
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT grp FROM paused ORDER BY grp",
	    -1, &st, NULL) != SQLITE_OK) {
		return a;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_array_append_new(a, json_string(
		    (const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	return a;
}

/* Delete the finished jobs that sel (a SELECT of ids) picks. */
static int
purge_some(cd_store *s, const char *sel, size_t *deleted)
{
	char sql[768];
	sqlite3_stmt *st;
	uint64_t by_state[CD_NSTATES] = { 0 };
	size_t n;
	int rc;

	/* Count what goes, per state, so the counts need no full scan. */
	snprintf(sql, sizeof(sql), "SELECT state, count(*) FROM jobs"
	    " WHERE id IN (%s) GROUP BY state", sel);
	if (op_begin(s) != 0) {
		return CORUN_ESYS;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		return op_end(s, CORUN_ESYS);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int state = sqlite3_column_int(st, 0);

		if (state >= 0 && state < CD_NSTATES) {
			by_state[state] = (uint64_t)sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		return op_end(s, CORUN_ESYS);
	}
	snprintf(sql, sizeof(sql), "DELETE FROM jobs WHERE id IN (%s)", sel);
	if ((rc = exec(s, sql)) != 0) {
		return op_end(s, rc);
	}
	n = (size_t)sqlite3_changes(s->db);
	if (op_end(s, 0) != 0) {
		return CORUN_ESYS;
	}
	*deleted += n;
	for (int i = 0; i < CD_NSTATES; i++) {
		s->counts[i] -= by_state[i] <= s->counts[i] ? by_state[i] :
		    s->counts[i];
	}
	return 0;
}

int
cd_store_purge(cd_store *s, double max_age_s, uint64_t keep, uint64_t now_ns,
    size_t *deleted)
{
	char sel[256];
	uint64_t fin;
	int rc;

	*deleted = 0;
	if (max_age_s > 0 && now_ns > (uint64_t)(max_age_s * 1e9)) {
		uint64_t cut = now_ns - (uint64_t)(max_age_s * 1e9);

		/* Bounded per call: a big purge must not stall the loop. */
		snprintf(sel, sizeof(sel), "SELECT id FROM jobs WHERE state >= 2"
		    " AND end_ns < %llu ORDER BY end_ns LIMIT 10000",
		    (unsigned long long)cut);
		if ((rc = purge_some(s, sel, deleted)) != 0) {
			return rc;
		}
	}
	fin = s->counts[CD_DONE] + s->counts[CD_FAILED] +
	    s->counts[CD_CANCELLED];
	if (keep > 0 && fin > keep) {
		uint64_t extra = fin - keep;

		snprintf(sel, sizeof(sel), "SELECT id FROM jobs WHERE state >= 2"
		    " ORDER BY end_ns LIMIT %llu",
		    (unsigned long long)(extra > 10000 ? 10000 : extra));
		if ((rc = purge_some(s, sel, deleted)) != 0) {
			return rc;
		}
	}
	return 0;
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
