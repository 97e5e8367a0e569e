/* SPDX-License-Identifier: MIT */
/*
 * args-internal.h - the options of `corun run` (args-opts.c: the table
 * and each option's handler) as the parser of its command line (args.c)
 * sees them.
 */
#ifndef CORUN_CLI_ARGS_INTERNAL_H
#define CORUN_CLI_ARGS_INTERNAL_H

#include <stddef.h>

#include "cli.h"

struct opt;

/*
 * One option's handler: apply the value v (NULL for a flag) given as
 * name (e.g. "--jobs" or "-j") to o, 0 or an error in e.
 */
typedef int opt_fn(struct cli_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cli_err *e);

struct opt {
	const char *lng;
	char shrt;
	int arg;		/* takes a value */
	opt_fn *fn;
	size_t off;		/* the field of cli_run_opts it sets */
	unsigned long long min, max;	/* the range of a count */
};

/* The handlers of GNU parallel's options (args-gnu.c); op->off is an
 * offset in struct cli_gnu. */
/* args-pace.c: --delay, --memfree, --nice */
opt_fn cli_opt_delay, cli_opt_memfree, cli_opt_nice;
opt_fn cli_opt_gflag, cli_opt_gstr, cli_opt_rs, cli_opt_multi,
    cli_opt_maxargs, cli_opt_maxlines, cli_opt_maxchars, cli_opt_delim,
    cli_opt_trim, cli_opt_jobs;

#define GOFF(f) offsetof(struct cli_gnu, f)

/* The option named s[0..n) (without "--"), or NULL. */
const struct opt *cli_run_opt_long(const char *s, size_t n);

/* The long name of the i-th option of the table, NULL past its end. */
const char *cli_run_opt_name(size_t i);

/* The option with the short name c, or NULL. */
const struct opt *cli_run_opt_short(char c);

/*
 * A new input group of o: a :::: or -a file (path), or ::: values
 * (is_file 0, path NULL).  NULL when out of memory.
 */
struct cli_group *cli_run_add_group(struct cli_run_opts *o, int is_file,
    const char *path);

#endif /* CORUN_CLI_ARGS_INTERNAL_H */
