/* SPDX-License-Identifier: MIT */
/*
 * halt.c - the --halt policy and the exit status, as GNU parallel.
 *
 * --halt never | now,why=N | soon,why=N | now,why=Y% | soon,why=Y%, with
 * why one of fail, success, done; plus parallel's old numeric forms
 * (0, 1, 2, -1, -2, 1-99%).  "now" kills the running jobs and exits;
 * "soon" starts nothing new and waits for the running ones.
 *
 * Percentages are of the total number of jobs.  When the input is still
 * being read the total is not known; the jobs read so far stand in for
 * it (a lower bound, so a percentage may fire a little early on a
 * streamed input; with ::: input the total is exact).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
parse_legacy(const char *s, struct cli_halt *h)
{
	unsigned long long pct;
	size_t n = strlen(s);
	char num[16];

	if (strcmp(s, "0") == 0) {
		h->when = CLI_HALT_NEVER;
	} else if (strcmp(s, "1") == 0 || strcmp(s, "2") == 0) {
		h->when = s[0] == '1' ? CLI_HALT_SOON : CLI_HALT_NOW;
		h->why = CLI_HALT_FAIL;
		h->value = 1;
	} else if (strcmp(s, "-1") == 0 || strcmp(s, "-2") == 0) {
		h->when = s[1] == '1' ? CLI_HALT_SOON : CLI_HALT_NOW;
		h->why = CLI_HALT_SUCCESS;
		h->value = 1;
	} else if (n >= 2 && n < sizeof(num) && s[n - 1] == '%') {
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (cli_parse_uint(num, 99, &pct) != 0 || pct < 1) {
			return CORUN_EINVAL;
		}
		h->when = CLI_HALT_SOON;
		h->why = CLI_HALT_FAIL;
		h->value = (double)pct;
		h->percent = 1;
	} else {
		return CORUN_EINVAL;
	}
	return 0;
}

int
cli_halt_parse(const char *s, struct cli_halt *h, struct cli_err *e)
{
	struct cli_halt x = { CLI_HALT_NEVER, CLI_HALT_FAIL, 0, 0 };
	const char *comma, *why, *eq, *val;
	unsigned long long n;
	char num[32];
	size_t len;

	if (strcmp(s, "never") == 0 || parse_legacy(s, &x) == 0) {
		*h = x;
		return 0;
	}
	if ((comma = strchr(s, ',')) == NULL) {
		return cli_errf(e, CORUN_EINVAL, "\"%s\": expected never or "
		    "now|soon,fail|success|done=N or =N%%", s);
	}
	if ((size_t)(comma - s) == 3 && strncmp(s, "now", 3) == 0) {
		x.when = CLI_HALT_NOW;
	} else if ((size_t)(comma - s) == 4 && strncmp(s, "soon", 4) == 0) {
		x.when = CLI_HALT_SOON;
	} else {
		return cli_errf(e, CORUN_EINVAL, "\"%s\": \"%.*s\" is not now "
		    "or soon", s, (int)(comma - s), s);
	}
	why = comma + 1;
	if ((eq = strchr(why, '=')) == NULL) {
		return cli_errf(e, CORUN_EINVAL, "\"%s\": expected fail=, "
		    "success= or done= after the comma", s);
	}
	len = (size_t)(eq - why);
	if (len == 4 && strncmp(why, "fail", 4) == 0) {
		x.why = CLI_HALT_FAIL;
	} else if (len == 7 && strncmp(why, "success", 7) == 0) {
		x.why = CLI_HALT_SUCCESS;
	} else if (len == 4 && strncmp(why, "done", 4) == 0) {
		x.why = CLI_HALT_DONE;
	} else {
		return cli_errf(e, CORUN_EINVAL, "\"%s\": \"%.*s\" is not fail, "
		    "success or done", s, (int)len, why);
	}
	val = eq + 1;
	len = strlen(val);
	if (len > 0 && len < sizeof(num) && val[len - 1] == '%') {
		memcpy(num, val, len - 1);
		num[len - 1] = '\0';
		if (cli_parse_uint(num, 100, &n) != 0 || n < 1) {
			return cli_errf(e, CORUN_EINVAL, "\"%s\": \"%s\" is not "
			    "a percentage from 1%% to 100%%", s, val);
		}
		x.percent = 1;
	} else if (cli_parse_uint(val, 1000000000ULL, &n) != 0 || n < 1) {
		return cli_errf(e, CORUN_EINVAL, "\"%s\": \"%s\" is not a "
		    "positive integer or percentage", s, val);
	}
	x.value = (double)n;
	*h = x;
	return 0;
}

int
cli_halt_triggered(const struct cli_halt *h, const struct cli_tally *t)
{
	uint64_t count;

	if (h->when == CLI_HALT_NEVER) {
		return 0;
	}
	switch (h->why) {
	case CLI_HALT_FAIL:
		count = t->failed;
		break;
	case CLI_HALT_SUCCESS:
		count = t->succeeded;
		break;
	default:
		count = t->done;
		break;
	}
	if (count == 0) {
		return 0;
	}
	if (h->percent) {
		return t->total > 0 &&
		    100.0 * (double)count >= h->value * (double)t->total;
	}
	return (double)count >= h->value;
}

int
cli_exit_status(const struct cli_halt *h, const struct cli_tally *t, int halted,
    int signo)
{
	if (signo != 0) {
		return 128 + signo;
	}
	if (halted && h->why == CLI_HALT_SUCCESS) {
		return 0;
	}
	if (halted && h->why == CLI_HALT_FAIL && h->percent && t->total > 0) {
		return (int)ceil(100.0 * (double)t->failed / (double)t->total);
	}
	if (halted && h->why == CLI_HALT_FAIL && !h->percent &&
	    h->value == 1 && t->last_fail_exit > 0 &&
	    t->last_fail_exit < 256) {
		return t->last_fail_exit;
	}
	if (t->failed > 100) {
		return 101;
	}
	return (int)t->failed;
}
