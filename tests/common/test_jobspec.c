/* SPDX-License-Identifier: MIT */
/*
 * test_jobspec.c - the one job specification (src/common/jobspec.c):
 * both forms of a command are taken, a line means the same job for corun
 * run and for corund, and every bad field is refused with the place and
 * the field's name.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include <corun/error.h>

#include "check-util.h"
#include "common/jobspec.h"

#define RUN CM_JOBSPEC_RUN
#define CORUND CM_JOBSPEC_CORUND

static void
parse_ok(const char *line, unsigned flags, struct cm_jobspec_desc *d)
{
	struct cm_jobspec_err e;

	ck_assert_msg(cm_jobspec_parse_line(line, strlen(line), "t", flags, d,
	    &e) == 0, "%s: %s", line, e.msg);
}

/* line parses for both readers into kind, payload and display line. */
static void
job_is(const char *line, const char *kind, const char *pl, size_t len,
    const char *display)
{
	struct cm_jobspec_desc d;
	unsigned flags[] = { RUN, CORUND };
	size_t i;

	for (i = 0; i < 2; i++) {
		parse_ok(line, flags[i], &d);
		ck_assert_str_eq(d.kind, kind);
		ck_assert_uint_eq(d.len, len);
		if (len > 0) {
			ck_assert_int_eq(memcmp(d.payload, pl, len), 0);
		} else {
			ck_assert_ptr_null(d.payload);
		}
		ck_assert_str_eq(d.line, display);
		cm_jobspec_desc_free(&d);
	}
}

/* line is refused for the readers in flags; the message is want. */
static void
bad_is(const char *line, unsigned flags, int code, const char *want)
{
	struct cm_jobspec_desc d;
	struct cm_jobspec_err e;
	int rc;

	rc = cm_jobspec_parse_line(line, strlen(line), "jobs.jsonl:3", flags,
	    &d, &e);
	ck_assert_msg(rc == code, "%s: %d, not %d (%s)", line, rc, code,
	    e.msg);
	ck_assert_msg(strcmp(e.msg, want) == 0, "%s:\n got  %s\n want %s",
	    line, e.msg, want);
	/* A refused line leaves nothing behind. */
	ck_assert_ptr_null(d.kind);
	ck_assert_ptr_null(d.payload);
	ck_assert_ptr_null(d.line);
}

/* ---- the forms of a job -------------------------------------------- */

START_TEST(shell_string_form_is_one_word_for_sh)
{
	job_is("{\"kind\":\"shell\",\"cmd\":\"uname -a\"}", "shell",
	    "uname -a", 9, "uname -a");
	job_is("{\"kind\":\"shell\",\"cmd\":\"true\"}", "shell", "true", 5,
	    "true");
}
END_TEST

START_TEST(argv_form_is_run_directly_without_kind)
{
	job_is("{\"cmd\":[\"ls\",\"-l\"]}", "shell", "ls\0-l", 6, "ls -l");
	job_is("{\"kind\":\"shell\",\"cmd\":[\"ls\",\"-l\"]}", "shell",
	    "ls\0-l", 6, "ls -l");
	job_is("{\"kind\":\"shell\",\"argv\":[\"ls\",\"-l\"]}", "shell",
	    "ls\0-l", 6, "ls -l");
	job_is("{\"argv\":[\"printf\",\"%s\",\"a;b\"]}", "shell",
	    "printf\0%s\0a;b", 14, "printf '%s' 'a;b'");
}
END_TEST

/* sh must not read a lone word of "argv", nor an empty word end it. */
START_TEST(argv_never_goes_through_sh_unquoted)
{
	job_is("{\"argv\":[\"my prog\"]}", "shell", "'my prog'", 10,
	    "'my prog'");
	job_is("{\"kind\":\"shell\",\"argv\":[\"echo hi | wc\"]}", "shell",
	    "'echo hi | wc'", 15, "'echo hi | wc'");
	job_is("{\"cmd\":[\"printf\",\"\"]}", "shell", "printf ''", 10,
	    "printf ''");
	job_is("{\"argv\":[\"printf\",\"\"]}", "shell", "printf ''", 10,
	    "printf ''");
}
END_TEST

/*
 * A command of one word with shell syntax goes through sh -c in "cmd",
 * an array as a string, as on corun's command lines and in corund.
 */
START_TEST(cmd_lone_word_with_shell_syntax_is_for_sh)
{
	job_is("{\"cmd\":[\"echo hi | wc\"]}", "shell", "echo hi | wc", 13,
	    "echo hi | wc");
	job_is("{\"kind\":\"shell\",\"cmd\":\"echo hi | wc\"}", "shell",
	    "echo hi | wc", 13, "echo hi | wc");
	job_is("{\"cmd\":[\"my prog\"]}", "shell", "my prog", 8, "my prog");
	job_is("{\"cmd\":[\"true\"]}", "shell", "true", 5, "true");
}
END_TEST

START_TEST(env_words_follow_an_empty_word)
{
	job_is("{\"cmd\":[\"env\"],\"env\":{\"A\":\"1 2\"}}", "shell",
	    "env\0\0A=1 2", 11, "env");
	job_is("{\"kind\":\"shell\",\"cmd\":\"echo $A\",\"env\":{\"A\":\"x\"}}",
	    "shell", "echo $A\0\0A=x", 13, "echo $A");
	job_is("{\"cmd\":[\"env\"],\"env\":{}}", "shell", "env", 4, "env");
}
END_TEST

START_TEST(every_kind_has_its_payload)
{
	job_is("{\"kind\":\"sleep\",\"ms\":10}", "sleep", "10", 2, "sleep 10");
	job_is("{\"kind\":\"block\",\"ms\":7}", "block", "7", 1, "block 7");
	job_is("{\"kind\":\"cpu\",\"ms\":50}", "cpu", "50ms", 4, "cpu 50ms");
	job_is("{\"kind\":\"cpu\",\"iter\":1000}", "cpu", "1000iter", 8,
	    "cpu 1000iter");
	job_is("{\"kind\":\"noop\"}", "noop", "", 0, "noop");
	job_is("{\"kind\":\"net\",\"addr\":\"127.0.0.1:8080\",\"request\":"
	    "\"GET /\"}", "net", "127.0.0.1:8080\0GET /", 20,
	    "net '127.0.0.1:8080'");
	job_is("{\"kind\":\"net\",\"addr\":\"h:80\"}", "net", "h:80", 5,
	    "net 'h:80'");
	job_is("{\"kind\":\"upper\",\"payload\":\"abc\"}", "upper", "abc", 3,
	    "upper abc");
	job_is("{\"kind\":\"upper\"}", "upper", "", 0, "upper");
}
END_TEST

/* corund's "kind" + "payload" works for the built-in kinds too. */
START_TEST(raw_payload_for_any_kind)
{
	job_is("{\"kind\":\"sleep\",\"payload\":\"10\"}", "sleep", "10", 2,
	    "sleep 10");
	job_is("{\"kind\":\"noop\",\"payload\":\"x\"}", "noop", "x", 1,
	    "noop x");
	job_is("{\"kind\":\"shell\",\"payload\":\"ls\\u0000-l\\u0000\"}",
	    "shell", "ls\0-l", 6, "shell ls");
}
END_TEST

/* ---- one job for every reader -------------------------------------- */

START_TEST(same_line_same_job_for_run_and_corund)
{
	static const char *const lines[] = {
		"{\"kind\":\"shell\",\"cmd\":\"uname -a\"}",
		"{\"cmd\":[\"ls\",\"-l\"],\"env\":{\"K\":\"V\"},\"timeout\":2.5}",
		"{\"kind\":\"sleep\",\"ms\":50,\"retries\":2}",
		"{\"kind\":\"net\",\"addr\":\"h:1\",\"request\":\"x\"}",
		"{\"kind\":\"mine\",\"payload\":\"p\",\"timeout\":0}",
	};
	struct cm_jobspec_desc a, b;
	struct cm_jobspec_run r;
	struct cm_jobspec_queued q;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		parse_ok(lines[i], RUN, &a);
		parse_ok(lines[i], CORUND, &b);
		cm_jobspec_queued(&b, &q);
		cm_jobspec_take_run(&a, &r);
		ck_assert_ptr_null(a.kind);
		ck_assert_str_eq(r.kind, q.kind);
		ck_assert_uint_eq(r.len, q.len);
		ck_assert_int_eq(memcmp(r.payload, q.payload, r.len), 0);
		ck_assert(r.timeout < 0 ? q.timeout == 0 :
		    r.timeout == q.timeout);
		ck_assert_int_eq(r.retries < 0 ? 0 : r.retries, q.retries);
		free(r.kind);
		free(r.payload);
		free(r.cmdline);
		free(r.id);
		cm_jobspec_desc_free(&b);
	}
}
END_TEST

/* The pool API's job: the defaults fill what the line left out. */
START_TEST(pool_job_takes_the_defaults_for_what_is_missing)
{
	struct cm_jobspec_desc d;
	struct corun_job j;

	parse_ok("{\"cmd\":[\"ls\"],\"timeout\":0}", RUN, &d);
	cm_jobspec_pool_job(&d, 7.5, 2, &j);
	ck_assert_str_eq(j.kind, "shell");
	ck_assert_ptr_eq(j.payload, d.payload);
	ck_assert_uint_eq(j.len, 3);
	ck_assert(j.timeout == 0);
	ck_assert_int_eq(j.retries, 2);
	ck_assert(j.tag == 0 && j.flags == 0);
	cm_jobspec_desc_free(&d);
	parse_ok("{\"kind\":\"noop\",\"retries\":0}", RUN, &d);
	cm_jobspec_pool_job(&d, 7.5, 2, &j);
	ck_assert(j.timeout == 7.5);
	ck_assert_int_eq(j.retries, 0);
	ck_assert_ptr_null(j.payload);
	cm_jobspec_desc_free(&d);
}
END_TEST

START_TEST(parsed_object_is_the_same_job_as_its_line)
{
	static const char line[] = "{\"op\":\"submit\",\"cmd\":[\"true\"],"
	    "\"group\":\"g\",\"wait\":true}";
	struct cm_jobspec_desc a, b;
	struct cm_jobspec_err e;
	json_t *o = json_loads(line, 0, NULL);

	ck_assert_int_eq(cm_jobspec_parse_json(o, "job", CORUND |
	    CM_JOBSPEC_REQUEST, &a, &e), 0);
	ck_assert_int_eq(cm_jobspec_parse_line(line, strlen(line), NULL,
	    CORUND | CM_JOBSPEC_REQUEST, &b, &e), 0);
	ck_assert_str_eq(a.kind, b.kind);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.payload, b.payload, a.len), 0);
	ck_assert_str_eq(a.group, "g");
	cm_jobspec_desc_free(&a);
	cm_jobspec_desc_free(&b);
	/* A batch's job is not the request: "op" is not its field. */
	ck_assert_int_ne(cm_jobspec_parse_json(o, "jobs[0]", CORUND, &a, &e),
	    0);
	ck_assert_str_eq(e.msg, "jobs[0]: unknown field \"op\" for kind "
	    "\"shell\"");
	ck_assert_int_ne(cm_jobspec_parse_json(json_array_get(NULL, 0), "job",
	    CORUND, &a, &e), 0);
	ck_assert_str_eq(e.msg, "job: a job must be a JSON object");
	json_decref(o);
}
END_TEST

START_TEST(common_fields_and_defaults)
{
	struct cm_jobspec_desc d;
	struct cm_jobspec_queued q;

	parse_ok("{\"kind\":\"noop\"}", RUN, &d);
	ck_assert(d.timeout < 0 && d.retries < 0);
	ck_assert_ptr_null(d.id);
	cm_jobspec_desc_free(&d);
	cm_jobspec_desc_free(&d);	/* an empty one, again */

	parse_ok("{\"kind\":\"noop\",\"id\":42,\"timeout\":1.5,\"retries\":3}",
	    RUN, &d);
	ck_assert_str_eq(d.id, "42");
	ck_assert(d.timeout == 1.5);
	ck_assert_int_eq(d.retries, 3);
	cm_jobspec_desc_free(&d);
	parse_ok("{\"kind\":\"noop\",\"id\":\"j1\"}", RUN, &d);
	ck_assert_str_eq(d.id, "j1");
	cm_jobspec_desc_free(&d);

	parse_ok("{\"kind\":\"noop\"}", CORUND, &d);
	cm_jobspec_queued(&d, &q);
	ck_assert_str_eq(q.group, "");
	ck_assert(q.timeout == 0);
	ck_assert_int_eq(q.retries, 0);
	ck_assert_int_eq(q.priority, 0);
	ck_assert_ptr_null(q.key);
	ck_assert_uint_eq(q.nafter, 0);
	cm_jobspec_desc_free(&d);

	parse_ok("{\"cmd\":[\"true\"],\"group\":\"g\",\"priority\":-5,"
	    "\"key\":\"k1\",\"after\":[3,4]}", CORUND, &d);
	cm_jobspec_queued(&d, &q);
	ck_assert_str_eq(q.group, "g");
	ck_assert_int_eq(q.priority, -5);
	ck_assert_str_eq(q.key, "k1");
	ck_assert_uint_eq(q.nafter, 2);
	ck_assert(q.after[0] == 3 && q.after[1] == 4);
	cm_jobspec_desc_free(&d);
}
END_TEST

/* ---- refusals: the place, then the field --------------------------- */

START_TEST(bad_json_is_named_with_its_place)
{
	bad_is("{\"kind\":\"sleep\"", RUN, CORUN_EPROTO, "jobs.jsonl:3: "
	    "invalid JSON at column 15: '}' expected near end of file");
	bad_is("{\"kind\":\"noop\",\"kind\":\"noop\"}", RUN, CORUN_EPROTO,
	    "jobs.jsonl:3: invalid JSON at column 21: duplicate object key "
	    "near '\"kind\"'");
	bad_is("[1]", RUN, CORUN_EINVAL, "jobs.jsonl:3: a line must be a JSON "
	    "object");
}
END_TEST

START_TEST(missing_kind_names_kind_and_cmd)
{
	bad_is("{\"ms\":1}", RUN, CORUN_EINVAL, "jobs.jsonl:3: \"kind\" (a "
	    "string) is missing; a job needs \"kind\" or \"cmd\"");
	bad_is("{}", CORUND, CORUN_EINVAL, "jobs.jsonl:3: \"kind\" (a "
	    "string) is missing; a job needs \"kind\" or \"cmd\"");
	bad_is("{\"cmd\":\"ls\"}", CORUND, CORUN_EINVAL, "jobs.jsonl:3: "
	    "\"kind\" (a string) is missing; \"cmd\" is an array of strings, "
	    "or a string with \"kind\": \"shell\"");
	bad_is("{\"kind\":\"a b\"}", RUN, CORUN_EINVAL, "jobs.jsonl:3: "
	    "\"kind\": \"a b\" is not a kind name (1-255 of A-Z a-z 0-9 _ - . "
	    ":)");
}
END_TEST

START_TEST(unknown_fields_are_refused)
{
	bad_is("{\"kind\":\"sleep\",\"ms\":1,\"timout\":1}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: unknown field \"timout\" for kind \"sleep\"");
	bad_is("{\"cmd\":[\"true\"],\"colour\":\"red\"}", CORUND, CORUN_EINVAL,
	    "jobs.jsonl:3: unknown field \"colour\" for kind \"shell\"");
	bad_is("{\"kind\":\"noop\",\"cmd\":\"x\"}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: unknown field \"cmd\" for kind \"noop\"");
	bad_is("{\"kind\":\"noop\",\"ms iter\":1}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: unknown field \"ms iter\" for kind \"noop\"");
	bad_is("{\"cmd\":[\"true\"],\"wait\":true}", CORUND, CORUN_EINVAL,
	    "jobs.jsonl:3: unknown field \"wait\" for kind \"shell\"");
}
END_TEST

/* A field of the other reader is named as such, not as a typo. */
START_TEST(fields_of_the_other_reader_are_named)
{
	bad_is("{\"cmd\":[\"true\"],\"priority\":1}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: field \"priority\" is for corund (corun submit), "
	    "not corun run");
	bad_is("{\"cmd\":[\"true\"],\"after\":[1]}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: field \"after\" is for corund (corun submit), "
	    "not corun run");
	bad_is("{\"cmd\":[\"true\"],\"id\":\"a\"}", CORUND, CORUN_EINVAL,
	    "jobs.jsonl:3: field \"id\" is for corun run; corund numbers its "
	    "jobs (see \"key\")");
}
END_TEST

START_TEST(empty_commands_are_refused)
{
	bad_is("{\"cmd\":[]}", CORUND, CORUN_EINVAL, "jobs.jsonl:3: \"cmd\" "
	    "must be a non-empty string without NUL, or a non-empty array of "
	    "strings");
	bad_is("{\"kind\":\"shell\",\"cmd\":\"\"}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: \"cmd\" must be a non-empty string without NUL, "
	    "or a non-empty array of strings");
	bad_is("{\"cmd\":[\"\"]}", RUN, CORUN_EINVAL, "jobs.jsonl:3: cmd[0] "
	    "must not be empty");
	bad_is("{\"kind\":\"shell\",\"argv\":[]}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: \"argv\" must be a non-empty array of strings");
	bad_is("{\"kind\":\"shell\",\"argv\":[\"\"]}", RUN, CORUN_EINVAL,
	    "jobs.jsonl:3: \"argv\"[0] must not be empty");
	bad_is("{\"kind\":\"shell\"}", RUN, CORUN_EINVAL, "jobs.jsonl:3: a "
	    "shell job needs exactly one of \"cmd\" and \"argv\"");
	bad_is("{\"kind\":\"shell\",\"cmd\":\"a\",\"argv\":[\"a\"]}", RUN,
	    CORUN_EINVAL, "jobs.jsonl:3: a shell job needs exactly one of "
	    "\"cmd\" and \"argv\"");
}
END_TEST

START_TEST(wrong_types_name_the_field)
{
	static const struct {
		const char *line, *msg;
	} t[] = {
		{ "{\"kind\":\"shell\",\"cmd\":7}", "\"cmd\" must be a "
		    "non-empty string without NUL, or a non-empty array of "
		    "strings" },
		{ "{\"cmd\":[\"ls\",3]}", "cmd[1] must be a string without "
		    "NUL" },
		{ "{\"cmd\":[\"ls\",\"a\\u0000b\"]}", "cmd[1] must be a string "
		    "without NUL" },
		{ "{\"kind\":\"shell\",\"argv\":[\"a\",1]}", "\"argv\"[1] "
		    "must be a string without NUL" },
		{ "{\"cmd\":[\"x\"],\"env\":[]}", "\"env\" must be an object "
		    "of strings" },
		{ "{\"cmd\":[\"x\"],\"env\":{\"A=B\":\"\"}}", "\"env\": "
		    "\"A=B\" must be a name without '=' with a string value" },
		{ "{\"cmd\":[\"x\"],\"env\":{\"A\":1}}", "\"env\": \"A\" must "
		    "be a name without '=' with a string value" },
		{ "{\"kind\":\"sleep\",\"ms\":-1}", "\"ms\" must be a "
		    "non-negative integer" },
		{ "{\"kind\":\"sleep\",\"ms\":\"10\"}", "\"ms\" must be a "
		    "non-negative integer" },
		{ "{\"kind\":\"sleep\"}", "\"ms\" must be a non-negative "
		    "integer" },
		{ "{\"kind\":\"cpu\",\"ms\":1,\"iter\":2}", "a cpu job takes "
		    "\"ms\" or \"iter\", not both" },
		{ "{\"kind\":\"net\",\"addr\":\"h:99999\"}", "\"addr\" must "
		    "be a string \"HOST:PORT\"" },
		{ "{\"kind\":\"net\",\"addr\":\"h:+80\"}", "\"addr\" must "
		    "be a string \"HOST:PORT\"" },
		{ "{\"kind\":\"net\",\"addr\":\"h:80\",\"request\":1}",
		    "\"request\" must be a string" },
		{ "{\"kind\":\"x\",\"payload\":[]}", "\"payload\" must be a "
		    "string" },
		{ "{\"kind\":\"sleep\",\"ms\":1,\"payload\":\"1\"}", "\"payload\" "
		    "and \"ms\" exclude each other" },
		{ "{\"cmd\":[\"x\"],\"payload\":\"1\"}", "\"payload\" and "
		    "\"cmd\" exclude each other" },
		{ "{\"kind\":\"noop\",\"timeout\":-1}", "\"timeout\" must be a "
		    "non-negative number of seconds" },
		{ "{\"kind\":\"noop\",\"timeout\":\"1\"}", "\"timeout\" must be "
		    "a non-negative number of seconds" },
		{ "{\"kind\":\"noop\",\"retries\":1.5}", "\"retries\" must be a "
		    "non-negative integer" },
		{ "{\"kind\":\"noop\",\"retries\":1001}", "\"retries\" must be "
		    "at most 1000" },
		{ "{\"kind\":\"noop\",\"id\":[1]}", "\"id\" must be a string or "
		    "an integer" },
	};
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want), "jobs.jsonl:3: %s", t[i].msg);
		bad_is(t[i].line, RUN, CORUN_EINVAL, want);
	}
}
END_TEST

START_TEST(corund_fields_are_checked)
{
	static const struct {
		const char *line, *msg;
	} t[] = {
		{ "{\"kind\":\"noop\",\"timeout\":5000000}", "\"timeout\" must "
		    "be a number of seconds in 0..4000000" },
		{ "{\"kind\":\"noop\",\"group\":1}", "\"group\" must be a "
		    "string of at most 255 bytes" },
		{ "{\"kind\":\"noop\",\"key\":\"\"}", "\"key\" must be a string "
		    "of 1..255 bytes" },
		{ "{\"kind\":\"noop\",\"priority\":1.5}", "\"priority\" must be "
		    "an integer in -1000000..1000000" },
		{ "{\"kind\":\"noop\",\"priority\":1000001}", "\"priority\" "
		    "must be an integer in -1000000..1000000" },
		{ "{\"kind\":\"noop\",\"after\":{}}", "\"after\" must be an "
		    "array of at most 1000 job ids" },
		{ "{\"kind\":\"noop\",\"after\":[1,0]}", "after[1] is not a job "
		    "id" },
	};
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want), "jobs.jsonl:3: %s", t[i].msg);
		bad_is(t[i].line, CORUND, CORUN_EINVAL, want);
	}
}
END_TEST

/* Without a place, the message is the field's alone. */
START_TEST(no_place_no_prefix)
{
	struct cm_jobspec_desc d;
	struct cm_jobspec_err e;
	const char *l = "{\"kind\":\"sleep\",\"ms\":-5}";

	ck_assert_int_eq(cm_jobspec_parse_line(l, strlen(l), NULL, RUN, &d,
	    &e), CORUN_EINVAL);
	ck_assert_str_eq(e.msg, "\"ms\" must be a non-negative integer");
}
END_TEST

static Suite *
jobspec_suite(void)
{
	Suite *s = suite_create("jobspec");
	TCase *tc = tcase_create("forms");

	tcase_add_test(tc, shell_string_form_is_one_word_for_sh);
	tcase_add_test(tc, argv_form_is_run_directly_without_kind);
	tcase_add_test(tc, argv_never_goes_through_sh_unquoted);
	tcase_add_test(tc, cmd_lone_word_with_shell_syntax_is_for_sh);
	tcase_add_test(tc, env_words_follow_an_empty_word);
	tcase_add_test(tc, every_kind_has_its_payload);
	tcase_add_test(tc, raw_payload_for_any_kind);
	suite_add_tcase(s, tc);
	tc = tcase_create("readers");
	tcase_add_test(tc, same_line_same_job_for_run_and_corund);
	tcase_add_test(tc, parsed_object_is_the_same_job_as_its_line);
	tcase_add_test(tc, pool_job_takes_the_defaults_for_what_is_missing);
	tcase_add_test(tc, common_fields_and_defaults);
	suite_add_tcase(s, tc);
	tc = tcase_create("refusals");
	tcase_add_test(tc, bad_json_is_named_with_its_place);
	tcase_add_test(tc, missing_kind_names_kind_and_cmd);
	tcase_add_test(tc, unknown_fields_are_refused);
	tcase_add_test(tc, fields_of_the_other_reader_are_named);
	tcase_add_test(tc, empty_commands_are_refused);
	tcase_add_test(tc, wrong_types_name_the_field);
	tcase_add_test(tc, corund_fields_are_checked);
	tcase_add_test(tc, no_place_no_prefix);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(jobspec_suite());
}
