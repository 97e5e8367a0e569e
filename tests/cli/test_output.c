/* SPDX-License-Identifier: MIT */
/*
 * test_output.c - the output records of `corun run` (src/cli/output.c):
 * a job's outcome as JSON and as a joblog row, and tagged output.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check-util.h"
#include "cli/cli.h"
#include "cli-test.h"

START_TEST(outcome_json)
{
	struct cli_jobspec js = { 0 };
	struct corun_job_result res = { 0 };
	struct cli_outcome oc = { &js, &res, CORUN_EFAILED, "", 0 };
	struct cli_logrow row;
	char *s;

	js.seq = 7;
	js.kind = "shell";
	js.cmdline = "echo 'a b'";
	cli_strv_push(&js.args, "a b");
	res.exit_code = 3;
	res.status = CORUN_EFAILED;
	res.attempts = 2;
	res.start_ns = 1500000000ULL;
	res.end_ns = 4000000000ULL;
	res.out = "hi\n\xff";
	res.out_len = 4;
	res.err = "";
	res.worker_pid = 99;
	s = cli_outcome_json(&oc);
	ck_assert_str_eq(s, "{\"seq\":7,\"kind\":\"shell\",\"command\":"
	    "\"echo 'a b'\",\"args\":[\"a b\"],\"status\":\"failed\",\"exit\":3,"
	    "\"signal\":0,\"stdout\":\"hi\\n\xef\xbf\xbd\",\"stderr\":\"\","
	    "\"start\":1.5,\"runtime\":2.5,\"attempts\":2,\"worker_pid\":99,"
	    "\"host\":\":\"}");
	free(s);
	cli_outcome_logrow(&oc, &row);
	ck_assert_ptr_null(row.host);
	/* A remote worker's node names the host, in both. */
	res.host = "n2";
	s = cli_outcome_json(&oc);
	ck_assert_ptr_nonnull(strstr(s, "\"worker_pid\":99,\"host\":\"n2\"}"));
	free(s);
	cli_outcome_logrow(&oc, &row);
	ck_assert_str_eq(row.host, "n2");
	ck_assert_int_eq(row.exitval, 3);
	ck_assert_uint_eq(row.receive, 4);
	ck_assert(row.runtime == 2.5);
	cli_strv_free(&js.args);

	/* Never ran (lost): exit -1, the reason in "error". */
	oc.res = NULL;
	oc.status = CORUN_ELOST;
	oc.message = "worker lost: signal 9";
	s = cli_outcome_json(&oc);
	ck_assert_ptr_nonnull(strstr(s, "\"status\":\"lost\",\"exit\":-1"));
	ck_assert_ptr_nonnull(strstr(s, "\"error\":\"worker lost: signal "
	    "9\""));
	free(s);
}
END_TEST

/*
 * The reference for a job's bytes in the record: jansson's own string of
 * them when it takes them as UTF-8; else bytes that do not start a
 * well-formed sequence become U+FFFD, and what jansson still refuses is
 * one U+FFFD (the rule output.c's jstr() applied before output-json.c).
 */
static json_t *
ref_string(const char *s, size_t len)
{
	char fix[256];
	size_t i = 0, o = 0, k, n;
	json_t *j;

	if ((j = json_stringn(s, len)) != NULL) {
		return j;
	}
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
		    (c >> 3) == 30 ? 4 : 0;
		for (k = 1; n > 0 && k < n; k++) {
			if (i + k >= len || ((unsigned char)s[i + k] >> 6) != 2) {
				n = 0;
			}
		}
		if (n == 0) {
			memcpy(fix + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(fix + o, s + i, n);
		o += n;
		i += n;
	}
	j = json_stringn(fix, o);
	return j != NULL ? j : json_string("\xef\xbf\xbd");
}

/* Bytes that make UTF-8 and JSON escapes interesting. */
static const char alphabet[] = "a\"\\/\n\r\t\b\f\x01\x1f\x7f\x00"
    "\xc3\xa9\xc0\x80\xed\xa0\x80\xf4\x90\xef\xbf\xbd\xf0\x9f\x98\x80\xff";

/*
 * output-json.c writes the record itself: jansson reads every line back
 * and dumps it unchanged (its compact form, fields in order, reals at
 * 15 digits), and each string field decodes to what jansson makes of the
 * job's bytes, for random byte strings and the reals of many times.
 */
START_TEST(outcome_json_is_janssons)
{
	struct cli_jobspec js = { 0 };
	struct corun_job_result res = { 0 };
	struct cli_outcome oc = { &js, &res, 0, "", 0 };
	char out[16], err[16], cmd[16], msg[16];
	unsigned seed = 12345;

	js.kind = "shell";
	for (int t = 0; t < 3000; t++) {
		size_t lo = (size_t)(rand_r(&seed) % 12);
		size_t le = (size_t)(rand_r(&seed) % 4);
		json_t *rec, *want;
		json_error_t jerr;
		char *line, *again;

		for (size_t i = 0; i < lo; i++) {
			out[i] = alphabet[rand_r(&seed) %
			    (sizeof(alphabet) - 1)];
		}
		for (size_t i = 0; i < le; i++) {
			err[i] = alphabet[rand_r(&seed) %
			    (sizeof(alphabet) - 1)];
		}
		for (size_t i = 0; i < 6; i++) {
			cmd[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			msg[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		}
		cmd[6] = msg[6] = '\0';
		js.seq = (uint64_t)t * 7919;
		js.id = t % 3 == 0 ? cmd : NULL;
		js.cmdline = cmd;
		res.out = out;
		res.out_len = lo;
		res.err = err;
		res.err_len = le;
		res.exit_code = t % 5 - 1;
		res.start_ns = (uint64_t)rand_r(&seed) * 1000003u * (t % 7);
		res.end_ns = res.start_ns + (uint64_t)rand_r(&seed) % 100000 *
		    (uint64_t)(t % 11 == 0 ? 1000000000u : 1000u);
		if (t % 13 == 0) {
			/* The edges of output-json.c's put_duration. */
			static const uint64_t edge[] = { 0, 1, 99999, 100000,
			    100001, 999999999, 1000000000, 1000000001,
			    120000000, 123456789012345ULL, 999999999999999ULL,
			    1000000000000000ULL, 1000000000000001ULL };

			res.end_ns = res.start_ns + edge[(t / 13) %
			    (sizeof(edge) / sizeof(edge[0]))];
		}
		oc.status = t % 4 == 0 ? CORUN_EFAILED : 0;
		oc.message = t % 4 == 0 ? msg : "";
		oc.res = t % 50 == 49 ? NULL : &res;

		line = cli_outcome_json(&oc);
		ck_assert_ptr_nonnull(line);
		rec = json_loads(line, JSON_ALLOW_NUL, &jerr);
		ck_assert_msg(rec != NULL, "%s: %s", line, jerr.text);
		again = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(15));
		ck_assert_str_eq(again, line);
		if (oc.res != NULL) {
			want = ref_string(out, lo);
			ck_assert(json_equal(json_object_get(rec, "stdout"), want));
			json_decref(want);
			want = ref_string(err, le);
			ck_assert(json_equal(json_object_get(rec, "stderr"), want));
			json_decref(want);
		}
		want = ref_string(cmd, strlen(cmd));
		ck_assert(json_equal(json_object_get(rec, "command"), want));
		json_decref(want);
		free(again);
		free(line);
		json_decref(rec);
	}
}
END_TEST

START_TEST(tagged)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_write_tagged(f, "a 1", "x\ny\n", 4, 0);
	cli_write_tagged(f, "b", "no newline", 10, 1);
	cli_write_tagged(f, NULL, "raw", 3, 0);
	fclose(f);
	ck_assert_str_eq(buf, "a 1\tx\na 1\ty\nb\tno newline\nraw");
	free(buf);
}
END_TEST

static Suite *
output_suite(void)
{
	Suite *s = suite_create("cli-output");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, outcome_json);
	tcase_add_test(tc, tagged);
	tcase_add_test(tc, outcome_json_is_janssons);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(output_suite());
}
