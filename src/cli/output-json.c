/* SPDX-License-Identifier: MIT */
/*
 * output-json.c - a job's --json record, written straight into one
 * buffer.
 *
 * Building the record as a jansson object and then dumping it cost about
 * 40 000 instructions a job (callgrind, `corun run -j2 --json true :::`
 * x 500: 25.4 M against 4.9 M without --json): an allocation and a hash
 * insert per field, the dump's UTF-8 walk of every string, a free per
 * field.  The line is always the same few fields, so it is written here
 * directly, byte for byte what json_dumps(JSON_COMPACT |
 * JSON_REAL_PRECISION(15)) makes of the same object (the keys in this
 * order, the same escapes,
 * reals as "%.15g" with ".0" added when that looks like an integer, the
 * same U+FFFD for bytes that are not UTF-8).  tests/cli/test_output.c
 * checks that jansson reads every line back and dumps it unchanged.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * The length of the valid UTF-8 sequence at s (at most len bytes), or 0
 * when it is not one: a shortest form, no surrogate, at most U+10FFFF
 * (what jansson accepts in a string).
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	size_t n, k;
	uint32_t u;

	if (c < 0x80) {
		return 1;
	}
	if (c < 0xc2 || c > 0xf4) {
		return 0;
	}
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n > len) {
		return 0;
	}
	u = c & (0x3f >> (n - 1));
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80) {
			return 0;
		}
		u = u << 6 | (s[k] & 0x3f);
	}
	if ((n == 3 && u < 0x800) || (n == 4 && u < 0x10000) ||
	    (u >= 0xd800 && u <= 0xdfff) || u > 0x10ffff) {
		return 0;
	}
	return n;
}

static int
utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq((const unsigned char *)s + i, len - i)) == 0) {
			return 0;
		}
		i += n;
	}
	return 1;
}

/* s (valid UTF-8) as a JSON string, escaped as jansson escapes it. */
static void
put_escaped(struct cm_buf *b, const char *s, size_t len)
{
	size_t i, run = 0;
	char esc[8];

	cm_buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;

		if (c >= 0x20 && c != '"' && c != '\\') {
			continue;
		}
		cm_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			e = esc;
		}
		cm_buf_adds(b, e);
	}
	cm_buf_add(b, s + run, len - run);
	cm_buf_addc(b, '"');
}

/*
 * Arbitrary bytes as a JSON string, as output.c's jstr() makes them:
 * as they are when they are UTF-8; else each byte that does not start a
 * well-formed sequence becomes U+FFFD; if what that leaves is still not
 * UTF-8 (overlong forms, surrogates), the whole string is one U+FFFD.
 */
static void
put_str(struct cm_buf *b, const char *s, size_t len)
{
	struct cm_buf fix = { 0 };
	size_t i = 0, k, n;
	unsigned char c;

	if (utf8_valid(s, len)) {
		put_escaped(b, s, len);
		return;
	}
	while (i < len) {
		c = (unsigned char)s[i];
		n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
		    (c >> 3) == 30 ? 4 : 0;
		for (k = 1; n > 0 && k < n; k++) {
			if (i + k >= len ||
			    ((unsigned char)s[i + k] >> 6) != 2) {
				n = 0;
			}
		}
		if (n == 0) {
			cm_buf_adds(&fix, "\xef\xbf\xbd");
			i++;
			continue;
		}
		cm_buf_add(&fix, s + i, n);
		i += n;
	}
	if (fix.oom) {
		b->oom = 1;
	} else if (utf8_valid(fix.p ? fix.p : "", fix.len)) {
		put_escaped(b, fix.p ? fix.p : "", fix.len);
	} else {
		put_escaped(b, "\xef\xbf\xbd", 3);
	}
	cm_buf_free(&fix);
}

static void
put_key(struct cm_buf *b, const char *key)
{
	cm_buf_addc(b, ',');
	cm_buf_addc(b, '"');
	cm_buf_adds(b, key);
	cm_buf_add(b, "\":", 2);
}

/* v in decimal into the end of buf; returns where it starts. */
static char *
dec(char *end, unsigned long long v)
{
	*--end = '\0';
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return end;
}

static void
put_int(struct cm_buf *b, const char *key, long long v)
{
	char num[32], *p;

	put_key(b, key);
	p = dec(num + sizeof(num), v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v);
	if (v < 0) {
		*--p = '-';
	}
	cm_buf_adds(b, p);
}

/* A real as jansson writes it with JSON_REAL_PRECISION(15). */
static void
put_real(struct cm_buf *b, const char *key, double v)
{
	char num[64], *e, *end;
	int n;

	put_key(b, key);
	n = snprintf(num, sizeof(num) - 3, "%.15g", v);
	if (n < 0 || (size_t)n >= sizeof(num) - 3) {
		cm_buf_adds(b, "null");
		return;
	}
	if (strchr(num, '.') == NULL && strchr(num, 'e') == NULL) {
		memcpy(num + n, ".0", 3);
	}
	/* "1e+20" -> "1e20", "1e-07" -> "1e-7". */
	if ((e = strchr(num, 'e')) != NULL) {
		e++;
		if (*e == '-') {
			e++;
		}
		end = e;
		while (*end == '+' || *end == '0') {
			end++;
		}
		memmove(e, end, strlen(end) + 1);
	}
	cm_buf_adds(b, num);
}

static double
ns_to_s(uint64_t ns)
{
	return (double)ns / 1e9;
}

/*
 * A duration of ns nanoseconds in seconds, as put_real(ns_to_s(ns))
 * writes it, without printf's floating point (half of the record's cost
 * when both reals went through it): from 100 us to 1e6 s, the exact
 * decimal has at most 15 significant digits, so "%.15g" of the double
 * nearest to it (ns / 1e9, one correctly rounded division) gives that
 * decimal back, in fixed notation, its trailing zeros dropped.
 */
static void
put_duration(struct cm_buf *b, const char *key, uint64_t ns)
{
	char num[48], *p;
	uint64_t frac = ns % 1000000000u;
	int digits = 9;

	if (ns < 100000 || ns >= 1000000000000000ULL) {
		put_real(b, key, ns_to_s(ns));
		return;
	}
	put_key(b, key);
	cm_buf_adds(b, dec(num + sizeof(num), ns / 1000000000u));
	cm_buf_addc(b, '.');
	if (frac == 0) {
		cm_buf_addc(b, '0');
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	p = dec(num + sizeof(num), frac);
	for (int z = digits - (int)strlen(p); z > 0; z--) {
		cm_buf_addc(b, '0');
	}
	cm_buf_adds(b, p);
}

char *
cli_outcome_json(const struct cli_outcome *oc)
{
	const struct corun_job_result *r = oc->res;
	const struct cli_jobspec *js = oc->js;
	struct cm_buf b = { 0 };
	char num[32];

	cm_buf_adds(&b, "{\"seq\":");
	cm_buf_adds(&b, dec(num + sizeof(num), js->seq));
	if (js->id != NULL) {
		put_key(&b, "id");
		put_str(&b, js->id, strlen(js->id));
	}
	if (js->kind != NULL && utf8_valid(js->kind, strlen(js->kind))) {
		put_key(&b, "kind");
		put_escaped(&b, js->kind, strlen(js->kind));
	}
	put_key(&b, "command");
	put_str(&b, js->cmdline, strlen(js->cmdline));
	if (js->args.n > 0) {
		put_key(&b, "args");
		cm_buf_addc(&b, '[');
		for (size_t i = 0; i < js->args.n; i++) {
			if (i > 0) {
				cm_buf_addc(&b, ',');
			}
			put_str(&b, js->args.v[i], strlen(js->args.v[i]));
		}
		cm_buf_addc(&b, ']');
	}
	put_key(&b, "status");
	put_escaped(&b, cli_status_name(oc->status),
	    strlen(cli_status_name(oc->status)));
	put_int(&b, "exit", r ? r->exit_code : -1);
	put_int(&b, "signal", r ? r->signal : 0);
	put_key(&b, "stdout");
	put_str(&b, r ? r->out : "", r ? r->out_len : 0);
	put_key(&b, "stderr");
	put_str(&b, r ? r->err : "", r ? r->err_len : 0);
	if (r != NULL) {
		put_real(&b, "start", ns_to_s(r->start_ns));
	} else {
		put_key(&b, "start");
		cm_buf_adds(&b, "null");
	}
	put_duration(&b, "runtime", r && r->end_ns >= r->start_ns ?
	    r->end_ns - r->start_ns : 0);
	put_int(&b, "attempts", r ? (long long)r->attempts : 0);
	put_int(&b, "worker_pid", r ? (long long)r->worker_pid : 0);
	put_key(&b, "host");
	put_str(&b, r && r->host != NULL ? r->host : ":",
	    strlen(r && r->host != NULL ? r->host : ":"));
	if (oc->message != NULL && *oc->message != '\0') {
		put_key(&b, "error");
		put_str(&b, oc->message, strlen(oc->message));
	}
	cm_buf_addc(&b, '}');
	return cm_buf_steal(&b);
}
