/* SPDX-License-Identifier: MIT */
/*
 * cmdshell.c - whether a command template needs a shell, and which one.
 *
 * GNU parallel joins the command's words into one line for a shell.
 * corun run does the same, but runs the program directly when the
 * template's own text (the values put in are quoted, so never count)
 * holds nothing a shell would act on: no operators, quotes, expansions,
 * globs, comments, assignments, shell keywords or builtins, and no
 * exported bash function.  Both give the same result; the direct way
 * saves a shell per job.  The decision is made once per template.
 *
 * The shell, as parallel picks it: $PARALLEL_SHELL, else the shell that
 * started corun (found up the process tree), else $SHELL, else /bin/sh.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Characters that mean something to sh anywhere in a word. */
static const char anywhere[] = "|&;<>()$`\\\"'*?[]{}\n\r";

/* Words that only a shell runs: reserved words and special builtins. */
static const char *const shell_words[] = {
	"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi",
	"for", "if", "in", "then", "until", "while", ".", ":", "alias", "bg",
	"break", "cd", "command", "continue", "eval", "exec", "exit",
	"export", "fg", "getopts", "hash", "jobs", "local", "read",
	"readonly", "return", "set", "shift", "source", "times", "trap",
	"type", "ulimit", "umask", "unalias", "unset", "wait", "function",
	"select", "time", "declare", "typeset", "let", NULL
};

int
cli_sh_text_needs(const char *s, size_t n, int word_start, int first_word)
{
	size_t i;

	if (n > 0 && word_start && (s[0] == '#' || s[0] == '~')) {
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (strchr(anywhere, s[i]) != NULL && s[i] != '\0') {
			return 1;
		}
		if (first_word && s[i] == '=') {
			return 1;	/* an assignment: A=1 cmd */
		}
	}
	return 0;
}

int
cli_sh_word_needs(const char *w, size_t n)
{
	char name[256];
	size_t i;

	for (i = 0; shell_words[i] != NULL; i++) {
		if (strlen(shell_words[i]) == n &&
		    strncmp(shell_words[i], w, n) == 0) {
			return 1;
		}
	}
	if (n >= sizeof(name) - 16) {
		return 0;
	}
	/* An exported bash function: export -f w. */
	snprintf(name, sizeof(name), "BASH_FUNC_%.*s%%%%", (int)n, w);
	return getenv(name) != NULL ? 2 : 0;
}

static int
known_shell(const char *path)
{
	static const char *const names[] = { "sh", "dash", "bash", "zsh",
		"ksh", "ksh93", "mksh", "pdksh", "posh", "yash", NULL };
	const char *b = strrchr(path, '/');
	size_t i;

	b = b ? b + 1 : path;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(b, names[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* The shell among corun's ancestors (nearest first), or NULL. */
static char *
parent_shell(void)
{
	char p[64], exe[PATH_MAX], st[512];
	long pid = (long)getppid(), pp;
	int depth;
	ssize_t n;
	FILE *f;
	char *rp;

	for (depth = 0; depth < 16 && pid > 1; depth++) {
		snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
		n = readlink(p, exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			if (known_shell(exe)) {
				return strdup(exe);
			}
		}
		snprintf(p, sizeof(p), "/proc/%ld/stat", pid);
		if ((f = fopen(p, "r")) == NULL) {
			break;
		}
		n = (ssize_t)fread(st, 1, sizeof(st) - 1, f);
		fclose(f);
		st[n > 0 ? n : 0] = '\0';
		rp = strrchr(st, ')');
		if (rp == NULL || sscanf(rp + 1, " %*c %ld", &pp) != 1) {
			break;
		}
		pid = pp;
	}
	return NULL;
}

char *
cli_sh_pick(int need_bash)
{
	const char *env = getenv("PARALLEL_SHELL");
	char *sh = NULL, a[PATH_MAX], b[PATH_MAX];

	if (env != NULL && *env != '\0') {
		sh = strdup(env);
	} else if ((sh = parent_shell()) == NULL) {
		env = getenv("SHELL");
		sh = strdup(env != NULL && known_shell(env) ? env : "/bin/sh");
	}
	if (sh != NULL && need_bash && strcmp(strrchr(sh, '/') ?
	    strrchr(sh, '/') + 1 : sh, "bash") != 0) {
		free(sh);
		sh = strdup("/bin/bash");
	}
	/* /bin/sh itself: the worker's own rule runs it (no path needed). */
	if (sh != NULL && realpath(sh, a) != NULL &&
	    realpath("/bin/sh", b) != NULL && strcmp(a, b) == 0) {
		free(sh);
		return NULL;
	}
	return sh;
}
