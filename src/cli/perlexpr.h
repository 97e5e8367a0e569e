/* SPDX-License-Identifier: MIT */
/*
 * perlexpr.h - {= perl expression =} replacement strings (perlexpr.c):
 * one perl process per run evaluates them all.
 *
 * Contract: called on one thread (corun run's loop); cli_perl_eval
 * blocks until perl answers.
 */
#ifndef CORUN_CLI_PERLEXPR_H
#define CORUN_CLI_PERLEXPR_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cli.h"

struct cli_perl {
	pid_t pid;
	FILE *to, *from;
	uint64_t total;		/* total_jobs(): t->total */
};

/* Start perl with t's expressions compiled; 0 or an error in e. */
int cli_perl_start(struct cli_perl *p, const struct cli_tmpl *t,
    struct cli_err *e);
/*
 * The tmpl's perl hook (arg: the struct cli_perl): expression i on value
 * v; a malloc'd string, or NULL if perl is gone.
 */
char *cli_perl_eval(void *arg, size_t i, const char *v, uint64_t seq,
    unsigned slot);
/* Close the pipes and reap perl. */
void cli_perl_stop(struct cli_perl *p);

#endif /* CORUN_CLI_PERLEXPR_H */
