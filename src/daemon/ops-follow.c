/* SPDX-License-Identifier: MIT */
/*
 * ops-follow.c - the follow op: a job's stdout and stderr from the byte
 * offsets the client has reached, read from the job's spool files while
 * it runs (spool.h) and from its stored result once it has ended, so
 * the same offsets carry on across its end.  The reply is immediate:
 * with nothing new the client asks again a little later.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "spool.h"

#define FOLLOW_MAX ((size_t)1 << 20)	/* bytes of a stream per reply */

/*
 * len bytes of output as a JSON string; *used: the bytes it holds (a
 * UTF-8 sequence cut at the end waits for the next reply).  Invalid
 * bytes become U+FFFD.  NULL: no memory.
 */
static json_t *
text_json(const char *p, size_t len, size_t *used)
{
	json_t *j;
	char *copy;
	size_t k = 0;

	*used = len;
	if (len == 0) {
		return json_string("");
	}
	for (size_t cut = 0; cut <= 3 && cut < len; cut++) {
		if ((j = json_stringn(p, len - cut)) != NULL) {
			*used = len - cut;
			return j;
		}
	}
	if ((copy = malloc(len * 3 + 1)) == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80) {
			copy[k++] = (char)c;
		} else {
			memcpy(copy + k, "\xef\xbf\xbd", 3);
			k += 3;
		}
	}
	j = json_stringn(copy, k);
	free(copy);
	return j;
}

/* An offset field ("out", "err"): 0 when absent; -1 when bad. */
static long long
offset_of(json_t *req, const char *k)
{
	json_t *v = json_object_get(req, k);

	if (v == NULL) {
		return 0;
	}
	return json_is_integer(v) && json_integer_value(v) >= 0 ?
	    json_integer_value(v) : -1;
}

/* Add stream k's bytes from off (p, len: what there is from off on). */
static int
add_stream(json_t *r, const char *name, const char *next, long long off,
    const char *p, size_t len)
{
	size_t used;
	json_t *s = text_json(p, len > FOLLOW_MAX ? FOLLOW_MAX : len, &used);

	if (s == NULL) {
		return -1;
	}
	return json_object_set_new(r, name, s) |
	    json_object_set_new(r, next, json_integer(off + (long long)used));
}

/* The stored output of an ended job from the offsets. */
static int
add_stored(struct cd_job_row *row, json_t *r, long long o, long long e)
{
	const struct cd_value *out = &row->f[CD_F_OUT], *err = &row->f[CD_F_ERR];
	size_t ol = out->p != NULL ? out->len : 0;
	size_t el = err->p != NULL ? err->len : 0;
	int bad = 0;

	bad |= add_stream(r, "stdout", "out", o, out->p + ((size_t)o < ol ?
	    (size_t)o : ol), (size_t)o < ol ? ol - (size_t)o : 0);
	bad |= add_stream(r, "stderr", "err", e, err->p + ((size_t)e < el ?
	    (size_t)e : el), (size_t)e < el ? el - (size_t)e : 0);
	bad |= json_object_set_new(r, "exit_code",
	    json_integer(row->f[CD_F_EXIT_CODE].i));
	bad |= json_object_set_new(r, "signal",
	    json_integer(row->f[CD_F_SIGNAL].i));
	if (!row->f[CD_F_MESSAGE].null && row->f[CD_F_MESSAGE].p != NULL) {
		bad |= json_object_set_new(r, "error", json_stringn(
		    row->f[CD_F_MESSAGE].p, row->f[CD_F_MESSAGE].len));
	}
	return bad;
}

/* What the spool holds of a running job from the offsets. */
static int
add_spooled(struct cd_daemon *d, int64_t id, json_t *r, long long o,
    long long e)
{
	long long off[2] = { o, e };
	static const char *const name[2] = { "stdout", "stderr" };
	static const char *const next[2] = { "out", "err" };
	int bad = 0;

	for (int s = 0; s < 2; s++) {
		char *buf = NULL;
		size_t n = 0;

		if (d->conf.state_dir != NULL &&
		    cd_spool_read(d->conf.state_dir, id, s + 1, off[s],
		    FOLLOW_MAX, &buf, &n) != 0) {
			return -1;
		}
		bad |= add_stream(r, name[s], next[s], off[s],
		    buf != NULL ? buf : "", n);
		free(buf);
	}
	return bad;
}

json_t *
cd_ops_follow(struct cd_daemon *d, struct cd_ctx *ctx, json_t *req, int arg,
    int *later)
{
	long long o = offset_of(req, "out"), e = offset_of(req, "err");
	int64_t id = job_id(json_object_get(req, "id"));
	struct cd_job_row row;
	json_t *r;
	int state, rc, bad = 0;

	(void)ctx;
	(void)arg;
	(void)later;
	if (id == 0 || o < 0 || e < 0) {
		return cd_ops_error("bad_request", "follow needs \"id\": a job "
		    "id, and \"out\", \"err\": byte offsets >= 0 (or none)");
	}
	if ((rc = cd_store_job_get(d->store, id, &row)) != 0) {
		return rc == CORUN_ENOENT ? cd_ops_error("not_found",
		    "no job %lld", (long long)id) : cd_ops_error("store", "%s",
		    cd_store_errmsg(d->store));
	}
	state = (int)row.f[CD_F_STATE].i;
	r = json_pack("{s:b, s:I, s:s, s:I, s:b}", "ok", 1, "id",
	    (json_int_t)id, "state", cd_state_name(state), "attempts",
	    (json_int_t)row.f[CD_F_ATTEMPTS].i, "ended", state >= CD_DONE);
	if (r == NULL) {
		cd_store_job_done(d->store);
		return cd_ops_oom();
	}
	if (state >= CD_DONE) {
		bad = add_stored(&row, r, o, e);
	}
	cd_store_job_done(d->store);
	if (state < CD_DONE) {
		bad = add_spooled(d, id, r, o, e);
	}
	if (bad) {
		json_decref(r);
		return cd_ops_oom();
	}
	return r;
}
