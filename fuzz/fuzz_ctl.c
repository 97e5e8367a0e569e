/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl.c - corund's control requests: cd_ops_handle(), the real
 * request checks and operations of src/daemon/ops.c on a real store
 * (store.c, SQLite) in a temporary directory.
 *
 * What ops.c calls outside the store is replaced by the small fakes
 * below: there is no pool (feed.c) and no socket (ctl.c).  A request
 * runs as ctl.c runs it: through cd_ops_early() outside any transaction
 * (a read, or no request at all), else inside one store transaction;
 * a wait that would block is answered at once by flushing the waiters.
 *
 * Invariants: every request gets exactly one reply; a reply is an object
 * whose "ok" is a boolean; an error reply has one of the documented
 * codes and a message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "fuzz.h"

static struct cd_daemon daemon_;
static char state_dir[64];
static int replies;		/* cd_ctl_reply() calls */

/* ---- what ops.c needs from feed.c, ctl.c and main.c ---------------- */

json_t *
cd_feed_status(struct cd_daemon *d)
{
	return json_pack("{s:i}", "workers", (int)d->workers);
}

void
cd_feed_kick(struct cd_daemon *d)
{
}

int
cd_feed_cancel(struct cd_daemon *d, int64_t id, int *found)
{
	int state;

	*found = cd_store_state(d->store, id, &state) == 0;
	return 0;
}

int
cd_feed_scale(struct cd_daemon *d, unsigned n)
{
	CR_FUZZ_CHECK(n >= 1 && n <= 1024);
	d->workers = n;
	return 0;
}

void
cd_feed_drain(struct cd_daemon *d, int fast)
{
}

/* The job events the operations log (corund's log.c): dropped. */
void
cd_log(const char *fmt, ...)
{
	(void)fmt;
}

void
cd_notify(const char *fmt, ...)
{
}

void
cd_ctl_reply(struct cd_ctx *c, json_t *reply)
{
	CR_FUZZ_CHECK(reply != NULL);
	replies++;
	json_decref(reply);
}

/* ---- the daemon ---------------------------------------------------- */

static void
teardown(void)
{
	static const char *const files[] = {
		"jobs.db", "jobs.db-wal", "jobs.db-shm", "jobs.db-journal",
		"jobs.acked"
	};
	char path[128];
	size_t i;

	cd_ctl_flush_waiters(&daemon_, "exiting");
	cd_store_close(daemon_.store);
	corun_loop_free(daemon_.loop);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", state_dir, files[i]);
		unlink(path);
	}
	rmdir(state_dir);
}

static struct cd_daemon *
setup(void)
{
	char why[256];

	if (daemon_.store != NULL) {
		return &daemon_;
	}
	snprintf(state_dir, sizeof(state_dir), "%s",
	    "/tmp/corun-fuzz-ctl.XXXXXX");
	CR_FUZZ_CHECK(mkdtemp(state_dir) != NULL);
	CR_FUZZ_CHECK(corun_loop_new(&daemon_.loop) == 0);
	if (cd_store_open(state_dir, 0, &daemon_.store, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_ctl: %s\n", why);
		abort();
	}
	daemon_.workers = 2;
	atexit(teardown);
	return &daemon_;
}

static int
known_code(const char *code)
{
	static const char *const codes[] = {
		"bad_json", "bad_request", "unknown_op", "not_found",
		"too_large", "busy", "closed", "store", "internal",
		"bad_state", "exists", NULL
	};
	size_t i;

	for (i = 0; codes[i] != NULL; i++) {
		if (strcmp(code, codes[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* A reply (taken) is a JSON object with "ok", an error a known code and
   a message: 0, or the error's CORUN_E* code with why filled. */
static int
check_reply(json_t *r, char *why, size_t whylen)
{
	json_t *e;
	const char *code, *msg;
	int rc = 0;

	CR_FUZZ_CHECK(json_is_object(r));
	CR_FUZZ_CHECK(json_is_boolean(json_object_get(r, "ok")));
	if (!json_is_true(json_object_get(r, "ok"))) {
		e = json_object_get(r, "error");
		code = json_string_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
		CR_FUZZ_CHECK(code != NULL && known_code(code));
		CR_FUZZ_CHECK(msg != NULL && msg[0] != '\0');
		snprintf(why, whylen, "%s: %s", code, msg);
		rc = strcmp(code, "not_found") == 0 ? CORUN_ENOENT :
		    strcmp(code, "bad_json") == 0 ? CORUN_EPROTO :
		    CORUN_EINVAL;
	}
	json_decref(r);
	return rc;
}

int
cr_fuzz_ctl(const uint8_t *data, size_t size, char *why, size_t whylen)
{
	struct cd_daemon *d = setup();
	json_t *r, *parsed = NULL;

	why[0] = '\0';
	replies = 0;
	/* As ctl.c: a read or a bad request is answered at once. */
	r = cd_ops_early(d, (const char *)data, size, &parsed);
	if (r != NULL) {
		CR_FUZZ_CHECK(replies == 0 && d->waiters == NULL);
		return check_reply(r, why, whylen);
	}
	CR_FUZZ_CHECK(cd_store_begin(d->store) == 0);
	r = cd_ops_handle_req(d, NULL, (const char *)data, size, parsed);
	if (r == NULL) {
		/* A wait that blocks: answered once, when flushed. */
		CR_FUZZ_CHECK(d->waiters != NULL);
		cd_ctl_flush_waiters(d, "fuzz: flushed");
		CR_FUZZ_CHECK(replies == 1 && d->waiters == NULL);
		CR_FUZZ_CHECK(cd_store_commit(d->store) == 0);
		return 0;
	}
	CR_FUZZ_CHECK(replies == 0 && d->waiters == NULL);
	CR_FUZZ_CHECK(cd_store_commit(d->store) == 0);
	return check_reply(r, why, whylen);
}

CR_FUZZ_ENTRY(cr_fuzz_ctl)
