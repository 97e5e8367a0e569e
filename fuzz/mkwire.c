/* SPDX-License-Identifier: MIT */
/*
 * mkwire.c - write the wire seeds of fuzz/corpus/wire/ with the real
 * encoder (not built by make; kept to regenerate them):
 *
 *   cc -Iinclude -Isrc fuzz/mkwire.c src/wire/wire*.c -o mkwire &&
 *	./mkwire fuzz/corpus/wire
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

static const char *dir;

static void
out(const char *name, const uint8_t *p, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static struct wire_bytes
str(const char *s)
{
	struct wire_bytes b = { (const uint8_t *)s, (uint32_t)strlen(s) };

	return b;
}

int
main(int argc, char **argv)
{
	struct wire_builder b;
	struct wire_hello h = { 1, 4242, 2, 1, 1, 2, { NULL, 0 },
	    { NULL, 0 } };
	struct wire_welcome w = { 1, 1, 7, 1000, { NULL, 0 } };
	struct wire_job j = { 1, 1, 0, 0, { NULL, 0 }, { NULL, 0 } };
	struct wire_result r = { 1, 1, 0, 0, 0, 10, 20, { NULL, 0 },
	    { NULL, 0 }, { NULL, 0 } };
	struct wire_heartbeat hb = { 3, 2, 1500 };
	struct wire_shutdown sd = { 1, 5000 };
	struct wire_bye bye = { 0, { NULL, 0 } };
	const uint8_t *f;
	uint8_t bad[64];
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: mkwire DIR\n");
		return 2;
	}
	dir = argv[1];
	wire_builder_init(&b, 0, 0, 0);

	h.name = str("w1");
	h.token = str("secret");
	wire_encode_hello(&b, &h, &f, &len);
	out("ok-hello", f, len);
	w.reason = str("");
	wire_encode_welcome(&b, &w, &f, &len);
	out("ok-welcome", f, len);
	w.accepted = 0;
	w.reason = str("bad token");
	wire_encode_welcome(&b, &w, &f, &len);
	out("ok-welcome-refused", f, len);

	wire_builder_begin(&b, WIRE_JOBS);
	j.kind = str("shell");
	j.payload = str("echo\0hi");
	j.payload.len = 7;
	wire_add_job(&b, &j);
	j.id = 2;
	j.timeout_ms = 100;
	j.kind = str("sleep");
	j.payload = str("10");
	wire_add_job(&b, &j);
	wire_builder_finish(&b, &f, &len);
	out("ok-jobs", f, len);
	memcpy(bad, f, len < sizeof(bad) ? len : sizeof(bad));
	/* Truncated: the header says more than there is. */
	out("err-jobs-short", f, len - 3);

	wire_builder_begin(&b, WIRE_RESULTS);
	wire_set_credit(&b, 4);
	r.out = str("hi\n");
	wire_add_result(&b, &r);
	r.id = 2;
	r.status = CORUN_ETIMEDOUT;
	r.exit_code = -1;
	r.signal = 9;
	r.out = str("");
	r.err = str("oops");
	r.errmsg = str("timed out");
	wire_add_result(&b, &r);
	wire_builder_finish(&b, &f, &len);
	out("ok-results", f, len);

	wire_builder_begin(&b, WIRE_CANCEL);
	wire_add_cancel(&b, 1);
	wire_add_cancel(&b, 99);
	wire_builder_finish(&b, &f, &len);
	out("ok-cancel", f, len);
	wire_builder_begin(&b, WIRE_OUTPUT);
	wire_add_output(&b, &(struct wire_output){ 7, 1,
	    WIRE_STDOUT, str("line one\nline two\n") });
	wire_add_output(&b, &(struct wire_output){ 8, 2,
	    WIRE_STDERR, str("oops\n") });
	wire_builder_finish(&b, &f, &len);
	out("ok-output", f, len);
	wire_builder_begin(&b, WIRE_JOBS);
	wire_builder_finish(&b, &f, &len);
	out("ok-jobs-empty", f, len);

	wire_encode_credit(&b, 8, &f, &len);
	out("ok-credit", f, len);
	wire_encode_heartbeat(&b, &hb, &f, &len);
	out("ok-heartbeat", f, len);
	wire_encode_shutdown(&b, &sd, &f, &len);
	out("ok-shutdown", f, len);
	bye.reason = str("recycled");
	wire_encode_bye(&b, &bye, &f, &len);
	out("ok-bye", f, len);

	/* Refusals: magic, version, huge count, a NUL in a string. */
	memcpy(bad, f, len);
	bad[0] = 'X';
	out("err-magic", bad, len);
	memcpy(bad, f, len);
	bad[3] = 2;
	out("err-version", bad, len);
	wire_builder_begin(&b, WIRE_CANCEL);
	wire_add_cancel(&b, 5);
	wire_builder_finish(&b, &f, &len);
	memcpy(bad, f, len);
	bad[8] = 0xff;
	bad[11] = 0xff;
	out("err-cancel-count", bad, len);
	wire_encode_bye(&b, &bye, &f, &len);
	memcpy(bad, f, len);
	bad[len - 2] = 0;
	out("err-bye-nul", bad, len);
	out("err-empty", bad, 0);
	wire_builder_fini(&b);
	return 0;
}
