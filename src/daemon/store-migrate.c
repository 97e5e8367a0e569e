/* SPDX-License-Identifier: MIT */
/*
 * store-migrate.c - bringing a store made by an older corund up to this
 * one's schema.  The base schema (store.c) is the first one, created if
 * missing; each step below moves a store one version on, in a
 * transaction with PRAGMA user_version, so that a store of any older
 * version opens and keeps its jobs, and a new store takes the same road.
 */
#include "config.h"

#include <stdio.h>

#include <sqlite3.h>

#include "store-internal.h"

/* Version n + 1 is reached by steps[n - 1]; version 1 is the base. */
static const char *const steps[] = {
	/* 2: "after_any" dependencies; groups with their parallelism. */
	"ALTER TABLE deps ADD COLUMN any_ok INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE IF NOT EXISTS groups (grp TEXT PRIMARY KEY,"
	" parallel INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS jobs_grp_running ON jobs(grp)"
	" WHERE state = 1;",
	/* 3: queued jobs held back (stash) until enqueued. */
	"CREATE TABLE IF NOT EXISTS held (id INTEGER PRIMARY KEY);",
	/* 4: queued jobs not to be taken before a time (submit --delay). */
	"CREATE TABLE IF NOT EXISTS delayed (id INTEGER PRIMARY KEY,"
	" not_before_ns INTEGER NOT NULL);",
	/* 5: a job's own on-done command (submit --on-done). */
	"CREATE TABLE IF NOT EXISTS on_done (id INTEGER PRIMARY KEY,"
	" cmd TEXT NOT NULL);",
	/* 6: group limits count running jobs through jobs_running (a
	   few rows); an index of its own cost a page in every start and
	   end (BENCHMARKS.md, corund_roundtrip). */
	"DROP INDEX IF EXISTS jobs_grp_running;",
};

#define NSTEPS (int)(sizeof(steps) / sizeof(steps[0]))

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK) {
		return -1;
	}
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
cd_store_migrate(sqlite3 *db, char *why, size_t whysize)
{
	char sql[64];
	int v;

	if (user_version(db, &v) != 0) {
		snprintf(why, whysize, "reading the schema version: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (v == 0) {
		v = 1;	/* the base schema, as every store before 2 had */
	}
	if (v > NSTEPS + 1) {
		snprintf(why, whysize, "schema version %d is newer than this "
		    "corund's (%d): use the corund that made it", v,
		    NSTEPS + 1);
		return -1;
	}
	for (; v <= NSTEPS; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL) != SQLITE_OK ||
		    sqlite3_exec(db, steps[v - 1], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(why, whysize, "migrating the schema to version "
			    "%d: %s", v + 1, sqlite3_errmsg(db));
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
