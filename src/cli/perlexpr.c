/* SPDX-License-Identifier: MIT */
/*
 * perlexpr.c - {= perl expression =} replacement strings, as GNU
 * parallel evaluates them: $_ starts as the value and whatever the
 * expression leaves in $_ is put in its place.  One perl process per
 * run compiles every expression of the template once and then evaluates
 * one request after another over a pair of pipes (NUL-separated fields),
 * so a run of a million jobs starts perl once, not a million times.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "perlexpr.h"

extern char **environ;

/*
 * The evaluator: the expressions come as arguments; each request is
 * index, seq, slot, total and value, each ended by a NUL; each answer
 * is the new $_ ended by a NUL.  "ok" first says every one compiled.
 */
static const char script[] =
	"use strict; no strict 'vars'; no warnings;"
	"our ($seq, $slot, $total);"
	"sub Q { my $s = shift; $s =~ s/'/'\\\\''/g; return \"'$s'\"; }"
	"sub total_jobs { $total } sub seq { $seq } sub slot { $slot }"
	"sub skip { } sub uq { }"
	"my @f; for my $c (@ARGV) { my $s = eval \"sub { $c\\n }\";"
	" if (!$s) { print STDERR \"corun: {=$c=}: $@\"; exit 2; }"
	" push @f, $s; }"
	"$| = 1; print \"ok\\0\"; local $/ = \"\\0\";"
	"while (defined(my $i = <STDIN>)) { my @r = ($i);"
	" for (1 .. 4) { my $x = <STDIN>; push @r, $x; } chomp @r;"
	" ($seq, $slot, $total) = @r[1 .. 3]; local $_ = $r[4];"
	" $f[$r[0]]->(); $_ = '' unless defined $_; print $_, \"\\0\"; }";

int
cli_perl_start(struct cli_perl *p, const struct cli_tmpl *t,
    struct cli_err *e)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	char **argv = calloc(t->nperl + 5, sizeof(*argv));
	size_t i, k = 0;
	char *ok = NULL;
	size_t cap = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	if (argv == NULL || pipe(in) != 0 || pipe(out) != 0) {
		free(argv);
		return cli_errf(e, CORUN_ESYS, "{= =}: %s", strerror(errno));
	}
	argv[k++] = "perl";
	argv[k++] = "-e";
	argv[k++] = (char *)script;
	argv[k++] = "--";
	for (i = 0; i < t->nparts; i++) {
		if (!t->parts[i].lit && t->parts[i].ph.type == CLI_PH_PERL) {
			argv[k + t->parts[i].ph.group] = strndup(
			    t->parts[i].ph.perl, t->parts[i].ph.perl_len);
		}
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	rc = posix_spawnp(&p->pid, "perl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	for (i = 0; i < t->nperl; i++) {
		free(argv[k + i]);
	}
	free(argv);
	close(in[0]);
	close(out[1]);
	p->to = fdopen(in[1], "w");
	p->from = fdopen(out[0], "r");
	if (rc != 0 || p->to == NULL || p->from == NULL) {
		if (rc != 0) {
			p->pid = -1;
		}
		cli_perl_stop(p);
		return cli_errf(e, CORUN_ESYS, "{= =}: cannot run perl: %s",
		    strerror(rc ? rc : errno));
	}
	if (getdelim(&ok, &cap, '\0', p->from) < 0 || strcmp(ok, "ok") != 0) {
		free(ok);
		cli_perl_stop(p);
		return cli_errf(e, CORUN_EINVAL, "a {= perl expression =} "
		    "does not compile (perl said why above)");
	}
	free(ok);
	return 0;
}

char *
cli_perl_eval(void *arg, size_t i, const char *v, uint64_t seq,
    unsigned slot)
{
	struct cli_perl *p = arg;
	char *ans = NULL;
	size_t cap = 0;
	ssize_t n;

	if (p->from == NULL) {
		return NULL;
	}
	fprintf(p->to, "%zu%c%llu%c%u%c%llu%c%s%c", i, 0,
	    (unsigned long long)seq, 0, slot, 0,
	    (unsigned long long)p->total, 0, v, 0);
	if (fflush(p->to) != 0 ||
	    (n = getdelim(&ans, &cap, '\0', p->from)) <= 0) {
		free(ans);
		return NULL;
	}
	ans[n - 1] = '\0';
	return ans;
}

void
cli_perl_stop(struct cli_perl *p)
{
	int st;

	if (p->to != NULL) {
		fclose(p->to);
	}
	if (p->from != NULL) {
		fclose(p->from);
	}
	if (p->pid > 0) {
		while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR) {
		}
	}
	memset(p, 0, sizeof(*p));
	p->pid = -1;
}
