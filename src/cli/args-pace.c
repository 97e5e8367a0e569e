/* SPDX-License-Identifier: MIT */
/*
 * args-pace.c - the pacing options of `corun run` (--delay, --memfree,
 * --nice): their value parsers, rows of args-opts.c's table.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pace.h"
#include "args-internal.h"
#include "pipe.h"

int
cli_opt_delay(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	if (cli_parse_duration(v, &o->delay) != 0 || o->delay > 1e9) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a duration "
		    "(seconds, or with s, m, h, d)", name, v);
	}
	return 0;
}

int
cli_opt_memfree(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	if (cli_parse_size(v, &o->memfree) != 0 || o->memfree < 0) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a size "
		    "(e.g. 1G, 500M)", name, v);
	}
	return 0;
}

int
cli_opt_nice(struct cli_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cli_err *e)
{
	unsigned long long n;
	int neg = v[0] == '-';

	if (cli_parse_uint(v + neg, 20, &n) != 0) {
		return cli_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a "
		    "niceness from -20 to 19", name, v);
	}
	o->nice = neg ? -(int)n : (int)n;
	o->nice_set = 1;
	return 0;
}
