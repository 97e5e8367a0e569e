/* SPDX-License-Identifier: MIT */
/*
 * store-check.c - what the store has acknowledged, kept where a damaged
 * database cannot hide it, and the check at start.
 *
 * DIR/jobs.acked holds the highest job id whose submit was acknowledged:
 * one aligned 8-byte store into a shared mapping of the file after each
 * commit that added jobs (a process crash cannot tear it, and it costs
 * no system call), msync'd too with sync = full, so it is exactly as
 * durable as the acknowledgement.  It is written after the commit, so it
 * never runs ahead of the database.
 *
 * At start, before the database is opened for writing (SQLite would fold
 * its log into it, or a zero-length file would get a new schema), a
 * read-only connection runs PRAGMA quick_check and reads the highest id
 * the database ever handed out (sqlite_sequence: deleting finished jobs
 * does not lower it).  Damage, or fewer ids than were acknowledged (a
 * WAL cut short or with a bad frame, whose later frames SQLite ignores),
 * and corund refuses to start: the message names the file and the ids
 * missing, and the damaged files are copied aside as a set that opens
 * as a database (jobs.db.damaged-TIME, jobs.db.damaged-TIME-wal).  With
 * --recover it says what was lost and goes on with what could be read
 * (store-salvage.c rebuilds a database quick_check finds damaged).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store-internal.h"

#define ACKED_SIZE 4096
#define ACKED_MAGIC "corund acknowledged jobs v1\n"
#define ACKED_OFF 64		/* the id: aligned, one store */

/* Run sql on db; 0 or CORUN_ESYS (the store's own helper is above us). */
static int
exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    CORUN_ESYS;
}

/* ---- the record ---------------------------------------------------- */

int
cd_acked_open(struct cd_acked *a, const char *dir, int sync_full,
    int *fresh, char *why, size_t whysize)
{
	struct stat st;

	*fresh = 0;
	a->sync_full = sync_full;
	snprintf(a->path, sizeof(a->path), "%s/jobs.acked", dir);
	if ((a->fd = open(a->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    fstat(a->fd, &st) != 0) {
		snprintf(why, whysize, "%s: %s", a->path, strerror(errno));
		return CORUN_ESYS;
	}
	if (st.st_size == 0) {
		*fresh = 1;
		if (ftruncate(a->fd, ACKED_SIZE) != 0) {
			snprintf(why, whysize, "%s: %s", a->path,
			    strerror(errno));
			return CORUN_ESYS;
		}
	} else if (st.st_size != ACKED_SIZE) {
		snprintf(why, whysize, "%s: damaged (%lld bytes, not %d)",
		    a->path, (long long)st.st_size, ACKED_SIZE);
		return CORUN_EINVAL;
	}
	a->map = mmap(NULL, ACKED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    a->fd, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		snprintf(why, whysize, "%s: mmap: %s", a->path,
		    strerror(errno));
		return CORUN_ESYS;
	}
	if (*fresh) {
		memcpy(a->map, ACKED_MAGIC, sizeof(ACKED_MAGIC));
	} else if (memcmp(a->map, ACKED_MAGIC, sizeof(ACKED_MAGIC)) != 0) {
		snprintf(why, whysize, "%s: damaged (not a corund record)",
		    a->path);
		return CORUN_EINVAL;
	}
	return 0;
}

int64_t
cd_acked_get(const struct cd_acked *a)
{
	return (int64_t)*(volatile uint64_t *)(a->map + ACKED_OFF);
}

void
cd_acked_set(struct cd_acked *a, int64_t id)
{
	if (a->map == NULL) {
		return;
	}
	*(volatile uint64_t *)(a->map + ACKED_OFF) = (uint64_t)id;
	if (a->sync_full) {
		msync(a->map, ACKED_SIZE, MS_SYNC);
	}
}

void
cd_acked_close(struct cd_acked *a)
{
	if (a->map != NULL) {
		munmap(a->map, ACKED_SIZE);
		a->map = NULL;
	}
	if (a->fd >= 0) {
		close(a->fd);
		a->fd = -1;
	}
}

/* ---- the check ----------------------------------------------------- */

/* A result code that says the file is damaged (not a passing failure). */
static int
is_damage(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

/* One text or integer from sql; 0, 1 when damaged, -1 unreadable. */
static int
query(sqlite3 *db, const char *sql, char *text, size_t tsize, int64_t *num,
    char *why, size_t whysize)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (text != NULL) {
			snprintf(text, tsize, "%s",
			    (const char *)sqlite3_column_text(st, 0));
		}
		if (num != NULL) {
			*num = sqlite3_column_int64(st, 0);
		}
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		snprintf(why, whysize, "%s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		return 0;
	}
	return is_damage(rc) ? 1 : -1;
}

int
cd_store_check(const char *path, struct cd_check *ck, char *why,
    size_t whysize)
{
	sqlite3 *db = NULL;
	char qc[256] = "", msg[200] = "";
	int64_t seqtab = 0;
	int rc;

	ck->seq = 0;
	ck->damaged = 0;
	if (access(path, F_OK) != 0) {
		return 0;	/* none: nothing it holds */
	}
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, whysize, "%s: %s", path, db != NULL ?
		    sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return is_damage(rc) ? (ck->damaged = 1, 0) : CORUN_ESYS;
	}
	/* Leave its log as it is: it may be all that holds the jobs. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_busy_timeout(db, 2000);
	rc = query(db, "PRAGMA quick_check(1)", qc, sizeof(qc), NULL, msg,
	    sizeof(msg));
	if (rc == 0 && strcmp(qc, "ok") != 0) {
		rc = 1;
		snprintf(msg, sizeof(msg), "%s", qc);
	}
	if (rc == 0) {
		rc = query(db, "SELECT count(*) FROM sqlite_master WHERE"
		    " name = 'sqlite_sequence'", NULL, 0, &seqtab, msg,
		    sizeof(msg));
	}
	if (rc == 0 && seqtab > 0) {
		rc = query(db, "SELECT coalesce(max(seq), 0) FROM"
		    " sqlite_sequence WHERE name = 'jobs'", NULL, 0, &ck->seq,
		    msg, sizeof(msg));
	}	/* else a new or empty database: nothing handed out */
	sqlite3_close(db);
	if (rc < 0) {
		snprintf(why, whysize, "%s: cannot check it: %s", path, msg);
		return CORUN_ESYS;
	}
	if (rc > 0) {
		ck->damaged = 1;
		snprintf(why, whysize, "%s: damaged (%s)", path, msg);
	}
	return 0;
}

/* Copy from to to (a new file); 0, or -1 with errno. */
static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n = 0;
	int in, out, rc = 0;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
		return errno == ENOENT ? 0 : -1;
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	}
	if (n < 0 || fsync(out) != 0) {
		rc = -1;
	}
	close(in);
	if (close(out) != 0) {
		rc = -1;
	}
	return rc;
}

int
cd_store_keep_aside(const char *path, char *kept, size_t keptsize)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char stamp[32], from[4200], to[4200];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(kept, keptsize, "%s.damaged-%s", path, stamp);
	/* Refused again within the second: a name of its own. */
	for (int i = 2; access(kept, F_OK) == 0 && i < 1000; i++) {
		snprintf(kept, keptsize, "%s.damaged-%s-%d", path, stamp, i);
	}
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", path, suffix[i]);
		snprintf(to, sizeof(to), "%s%s", kept, suffix[i]);
		if (copy_file(from, to) != 0) {
			return -1;
		}
	}
	return 0;
}

/* ---- at open ------------------------------------------------------- */

/* The record, made again when it is damaged and recover is set. */
static int
open_record(cd_store *s, const char *dir, int sync_full, int recover,
    struct cd_store_loss *loss, int *fresh, char *why, size_t whysize)
{
	int rc = cd_acked_open(&s->acked, dir, sync_full, fresh, why,
	    whysize);

	if (rc == CORUN_EINVAL && recover) {
		snprintf(loss->what, sizeof(loss->what), "%s; a new record "
		    "was started (what it held is unknown)", why);
		cd_acked_close(&s->acked);
		if (unlink(s->acked.path) != 0) {
			snprintf(why, whysize, "%s: %s", s->acked.path,
			    strerror(errno));
			return CORUN_ESYS;
		}
		rc = cd_acked_open(&s->acked, dir, sync_full, fresh, why,
		    whysize);
	}
	return rc;
}

int
cd_store_verify(cd_store *s, const char *dir, const char *path,
    int sync_full, int recover, struct cd_store_loss *loss, char *why,
    size_t whysize)
{
	struct cd_check ck;
	char damage[512] = "";
	int fresh, rc;

	memset(loss, 0, sizeof(*loss));
	loss->first = 1;
	if ((rc = open_record(s, dir, sync_full, recover, loss, &fresh, why,
	    whysize)) != 0) {
		return rc;
	}
	s->acked_id = fresh ? 0 : cd_acked_get(&s->acked);
	if ((rc = cd_store_check(path, &ck, damage, sizeof(damage))) != 0) {
		snprintf(why, whysize, "%s", damage);
		return rc;
	}
	if (!ck.damaged && ck.seq >= s->acked_id) {
		return 0;
	}
	loss->damaged = ck.damaged;
	if (!ck.damaged) {
		loss->first = ck.seq + 1;
		loss->last = s->acked_id;
		snprintf(damage, sizeof(damage), "%s: %lld acknowledged "
		    "job(s) (ids %lld-%lld) are missing", path,
		    (long long)(loss->last - loss->first + 1),
		    (long long)loss->first, (long long)loss->last);
	}
	if (cd_store_keep_aside(path, loss->kept, sizeof(loss->kept)) != 0) {
		snprintf(why, whysize, "%s; cannot keep a copy as %s: %s",
		    damage, loss->kept, strerror(errno));
		return CORUN_ESYS;
	}
	if (!recover) {
		snprintf(why, whysize, "%s; the files are kept as %s (and "
		    "its -wal); corund --recover starts with what can be "
		    "read and reports what is lost", damage, loss->kept);
		return CORUN_ESYS;
	}
	snprintf(loss->what, sizeof(loss->what), "%s", damage);
	return 0;
}

int
cd_store_verified(cd_store *s, struct cd_store_loss *loss)
{
	int64_t seq = 0;
	char msg[200];

	if (query(s->db, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence"
	    " WHERE name = 'jobs'", NULL, 0, &seq, msg, sizeof(msg)) != 0) {
		return CORUN_ESYS;
	}
	if (loss != NULL && seq < s->acked_id) {
		/* Never hand out a lost job's id again: a client may ask. */
		char sql[160];

		snprintf(sql, sizeof(sql), "UPDATE sqlite_sequence SET seq ="
		    " %lld WHERE name = 'jobs'", (long long)s->acked_id);
		if (exec_sql(s->db, sql) != 0) {
			return CORUN_ESYS;
		}
		if (sqlite3_changes(s->db) == 0) {
			snprintf(sql, sizeof(sql), "INSERT INTO sqlite_sequence"
			    "(name, seq) VALUES ('jobs', %lld)",
			    (long long)s->acked_id);
			if (exec_sql(s->db, sql) != 0) {
				return CORUN_ESYS;
			}
		}
		seq = s->acked_id;
	}
	if (seq > s->acked_id) {
		s->acked_id = seq;	/* a new record, or an older corund */
	}
	cd_acked_set(&s->acked, s->acked_id);
	s->max_added = s->acked_id;
	return 0;
}
