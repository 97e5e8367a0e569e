/* SPDX-License-Identifier: MIT */
/*
 * store-salvage.c - corund --recover on a database that PRAGMA
 * quick_check finds damaged: the damaged files were copied aside
 * (store-check.c); a new database is made in their place and every job
 * row that can still be read from the copy goes into it, stepping over
 * the ids whose pages cannot be read.  Dependencies and paused groups
 * come along as far as they can be read.  Jobs that were running go
 * back to the queue with the usual recovery (cd_store_recover).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store-internal.h"

#define JOB_COLS 21	/* the jobs table's columns (store.c's schema) */

/* Run sql on db; 0 or CORUN_ESYS (the store's own helper is above us). */
static int
exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    CORUN_ESYS;
}

/* Remove path and its -wal and -shm (their copies are kept). */
int
cd_store_unlink_db(const char *path, char *why, size_t whysize)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[4200];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (unlink(p) != 0 && errno != ENOENT) {
			snprintf(why, whysize, "%s: %s", p, strerror(errno));
			return CORUN_ESYS;
		}
	}
	return 0;
}

/* Copy the job rows from id > *after on, until the end or an error. */
static int
copy_from(sqlite3 *src, sqlite3_stmt *ins, int64_t *after, size_t *n)
{
	sqlite3_stmt *sel = NULL;
	int rc;

	if (sqlite3_prepare_v2(src, "SELECT * FROM jobs WHERE id > ?1"
	    " ORDER BY id", -1, &sel, NULL) != SQLITE_OK) {
		return SQLITE_ERROR;
	}
	sqlite3_bind_int64(sel, 1, *after);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (sqlite3_column_count(sel) != JOB_COLS) {
			rc = SQLITE_ERROR;
			break;
		}
		sqlite3_reset(ins);
		for (int i = 0; i < JOB_COLS; i++) {
			sqlite3_bind_value(ins, i + 1,
			    sqlite3_column_value(sel, i));
		}
		*after = sqlite3_column_int64(sel, 0);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = SQLITE_ERROR;
			break;
		}
		(*n)++;
	}
	sqlite3_finalize(sel);
	return rc == SQLITE_DONE ? 0 : rc;
}

/*
 * Every job row that can be read: past an unreadable stretch, try
 * further and further on (1, 2, 4 ... ids) up to the highest id that
 * was acknowledged or handed out.
 */
static int
copy_jobs(cd_store *s, sqlite3 *src, int64_t last, size_t *n)
{
	sqlite3_stmt *ins = NULL;
	int64_t after = 0, skip = 1;
	char sql[200];

	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO jobs VALUES (?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
	    " ?16, ?17, ?18, ?19, ?20, ?21)");
	if (sqlite3_prepare_v2(s->db, sql, -1, &ins, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	while (copy_from(src, ins, &after, n) != 0) {
		if (after + skip > last + (1 << 20)) {
			break;
		}
		after += skip;
		skip *= 2;
	}
	sqlite3_finalize(ins);
	return 0;
}

/* Run sql on the copy and each row's values into ins; best effort.
   -1 when sel_sql does not fit the copy's schema. */
static int
copy_rows(cd_store *s, sqlite3 *src, const char *sel_sql,
    const char *ins_sql, int ncols)
{
	sqlite3_stmt *sel = NULL, *ins = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(src, sel_sql, -1, &sel, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(s->db, ins_sql, -1, &ins, NULL) == SQLITE_OK) {
		while (sqlite3_step(sel) == SQLITE_ROW) {
			sqlite3_reset(ins);
			for (int i = 0; i < ncols; i++) {
				sqlite3_bind_value(ins, i + 1,
				    sqlite3_column_value(sel, i));
			}
			(void)sqlite3_step(ins);
		}
		rc = 0;
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc;
}

/* Append "a-b" (or "a") to the list of ids not read, while it fits. */
static void
add_gap(struct cd_store_loss *loss, int64_t a, int64_t b)
{
	size_t len = strlen(loss->gaps);
	char one[48];

	loss->unread += (uint64_t)(b - a + 1);
	if (a == b) {
		snprintf(one, sizeof(one), "%s%lld", len ? ", " : "",
		    (long long)a);
	} else {
		snprintf(one, sizeof(one), "%s%lld-%lld", len ? ", " : "",
		    (long long)a, (long long)b);
	}
	if (len + strlen(one) + 5 < sizeof(loss->gaps)) {
		memcpy(loss->gaps + len, one, strlen(one) + 1);
	} else if (len + 5 < sizeof(loss->gaps) &&
	    strcmp(loss->gaps + len - 3, "...") != 0) {
		memcpy(loss->gaps + len, ", ...", 6);
	}
}

/*
 * The ids up to the highest acknowledged one that were not read (some
 * may have been purged before, as finished jobs are).
 */
static void
find_gaps(cd_store *s, struct cd_store_loss *loss)
{
	sqlite3_stmt *st = NULL;
	int64_t next = 1, id;

	if (sqlite3_prepare_v2(s->db, "SELECT id FROM jobs ORDER BY id", -1,
	    &st, NULL) != SQLITE_OK) {
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (id > next) {
			add_gap(loss, next, id - 1);
		}
		next = id + 1;
	}
	sqlite3_finalize(st);
	if (next <= s->acked_id) {
		add_gap(loss, next, s->acked_id);
	}
}

int
cd_store_salvage(cd_store *s, struct cd_store_loss *loss, char *why,
    size_t whysize)
{
	sqlite3 *src = NULL;
	int rc;

	if (sqlite3_open_v2(loss->kept, &src, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(src);
		src = NULL;	/* nothing can be read: start empty */
	} else {
		sqlite3_db_config(src, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
		    NULL);
	}
	if ((rc = exec_sql(s->db, "BEGIN IMMEDIATE")) != 0) {
		snprintf(why, whysize, "salvage: %s", sqlite3_errmsg(s->db));
		sqlite3_close(src);
		return rc;
	}
	if (src != NULL) {
		copy_jobs(s, src, s->acked_id, &loss->salvaged);
		/* A copy made before schema 2 has no any_ok, nor groups. */
		if (copy_rows(s, src, "SELECT job, dep, any_ok FROM deps",
		    "INSERT INTO deps(job, dep, any_ok) VALUES (?1, ?2, ?3)",
		    3) != 0) {
			copy_rows(s, src, "SELECT job, dep FROM deps",
			    "INSERT INTO deps(job, dep) VALUES (?1, ?2)", 2);
		}
		(void)copy_rows(s, src, "SELECT grp, parallel FROM groups",
		    "INSERT OR IGNORE INTO groups(grp, parallel)"
		    " VALUES (?1, ?2)", 2);
		(void)copy_rows(s, src, "SELECT id FROM held",
		    "INSERT OR IGNORE INTO held(id) VALUES (?1)", 1);
		(void)copy_rows(s, src, "SELECT id, cmd FROM on_done",
		    "INSERT OR IGNORE INTO on_done(id, cmd) VALUES (?1, ?2)",
		    2);
		(void)copy_rows(s, src, "SELECT id, not_before_ns FROM delayed",
		    "INSERT OR IGNORE INTO delayed(id, not_before_ns)"
		    " VALUES (?1, ?2)", 2);
		(void)copy_rows(s, src, "SELECT grp FROM paused",
		    "INSERT OR IGNORE INTO paused(grp) VALUES (?1)", 1);
	}
	sqlite3_close(src);
	/* What each queued job still waits for, as far as was read. */
	if (exec_sql(s->db, "UPDATE jobs SET blocked = (SELECT count(*)"
	    " FROM deps JOIN jobs AS d ON d.id = deps.dep WHERE deps.job ="
	    " jobs.id AND d.state < 2) WHERE state < 2") != 0 ||
	    exec_sql(s->db, "COMMIT") != 0) {
		snprintf(why, whysize, "salvage: %s", sqlite3_errmsg(s->db));
		exec_sql(s->db, "ROLLBACK");
		return CORUN_ESYS;
	}
	find_gaps(s, loss);
	return 0;
}
