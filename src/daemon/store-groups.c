/* SPDX-License-Identifier: MIT */
/*
 * store-groups.c - groups with a parallelism of their own: the groups
 * table (a group's name and how many of its jobs may run at once, 0 for
 * no limit), and the limits as cd_store_take() applies them.  A group
 * need not be added to take jobs; adding it gives it a limit and a row
 * in the list.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fault-internal.h"
#include "store-internal.h"

int
cd_store_group_set(cd_store *s, const char *group, unsigned parallel,
    int create, int *found)
{
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (cd_store_txn_lost(s)) {
		return CORUN_ESYS;
	}
	if (sqlite3_prepare_v2(s->db, create ?
	    "INSERT OR IGNORE INTO groups(grp, parallel) VALUES (?1, ?2)" :
	    "UPDATE groups SET parallel = ?2 WHERE grp = ?1", -1, &st,
	    NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)parallel);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	cd_store_wake(s);	/* more room: more of its jobs can run */
	/* create: found means it was there already (nothing changed). */
	*found = create ? sqlite3_changes(s->db) == 0 :
	    sqlite3_changes(s->db) == 1;
	return rc;
}

int
cd_store_group_rm(cd_store *s, const char *group, int *found,
    uint64_t *active)
{
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	*active = 0;
	if (cd_store_txn_lost(s) || sqlite3_prepare_v2(s->db,
	    "SELECT count(*) FROM jobs WHERE grp = ?1 AND state < 2", -1, &st,
	    NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*active = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		return CORUN_ESYS;
	}
	if (*active > 0) {
		*found = 1;
		return 0;	/* the caller refuses: it still has jobs */
	}
	if (sqlite3_prepare_v2(s->db, "DELETE FROM groups WHERE grp = ?1", -1,
	    &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : CORUN_ESYS;
	sqlite3_finalize(st);
	*found = sqlite3_changes(s->db) == 1;
	return rc;
}

int
cd_store_groups(cd_store *s, void (*fn)(void *arg, const char *group,
    int added, unsigned parallel, int paused, const uint64_t
    counts[CD_NSTATES]), void *arg)
{
	/* Every group added, paused or holding jobs, with its counts. */
	static const char sql[] =
	    "WITH names AS (SELECT grp FROM groups UNION SELECT grp FROM"
	    " paused UNION SELECT DISTINCT grp FROM jobs)"
	    " SELECT n.grp, g.grp IS NOT NULL, coalesce(g.parallel, 0),"
	    " n.grp IN (SELECT grp FROM paused),"
	    " (SELECT count(*) FROM jobs j WHERE j.grp = n.grp AND state = 0),"
	    " (SELECT count(*) FROM jobs j WHERE j.grp = n.grp AND state = 1),"
	    " (SELECT count(*) FROM jobs j WHERE j.grp = n.grp AND state = 2),"
	    " (SELECT count(*) FROM jobs j WHERE j.grp = n.grp AND state = 3),"
	    " (SELECT count(*) FROM jobs j WHERE j.grp = n.grp AND state = 4)"
	    " FROM names n LEFT JOIN groups g ON g.grp = n.grp ORDER BY n.grp";
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		return CORUN_ESYS;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t c[CD_NSTATES];

		for (int i = 0; i < CD_NSTATES; i++) {
			c[i] = (uint64_t)sqlite3_column_int64(st, 4 + i);
		}
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int(st, 1), (unsigned)sqlite3_column_int(st,
		    2), sqlite3_column_int(st, 3), c);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : CORUN_ESYS;
}

void
cd_group_caps_free(struct cd_group_caps *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->name[i]);
	}
	free(g->name);
	free(g->room);
	memset(g, 0, sizeof(*g));
}

int
cd_group_caps_load(cd_store *s, struct cd_group_caps *g)
{
	sqlite3_stmt *st;
	int rc;

	memset(g, 0, sizeof(*g));
	st = cd_store_stmt(s, ST_GROUPCAPS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **nn = cr_realloc(g->name, (g->n + 1) * sizeof(*nn));
		int64_t *nr;

		if (nn == NULL) {
			break;
		}
		g->name = nn;
		if ((nr = cr_realloc(g->room, (g->n + 1) * sizeof(*nr))) ==
		    NULL) {
			break;
		}
		g->room = nr;
		if ((g->name[g->n] = cr_strdup((const char *)
		    sqlite3_column_text(st, 0))) == NULL) {
			break;
		}
		g->room[g->n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		cd_group_caps_free(g);
		return CORUN_ESYS;
	}
	return 0;
}

int
cd_group_caps_take(struct cd_group_caps *g, const char *group)
{
	if (group == NULL) {
		group = "";	/* out of memory reading it: the default */
	}
	for (size_t i = 0; i < g->n; i++) {
		if (strcmp(g->name[i], group) == 0) {
			if (g->room[i] <= 0) {
				return 0;	/* full: leave the job queued */
			}
			g->room[i]--;
			return 1;
		}
	}
	return 1;	/* no limit */
}
