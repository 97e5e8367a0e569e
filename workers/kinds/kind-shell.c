/* SPDX-License-Identifier: MIT */
/*
 * kind-shell.c - the shell kind: a payload of command words (then an
 * empty word and KEY=VALUE environment words) becomes a program to run:
 * directly when it has no shell syntax, split at blanks when it is one
 * word with nothing but blanks, through /bin/sh -c when it is one word
 * that has shell syntax or is a shell word.  Running it is shell-run.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds-internal.h"
#include "shell.h"

extern char **environ;

/*
 * A single word containing any of these is shell code, not a program
 * name: pipes and lists (| & ;), redirections (< >), subshells and
 * groups (( ) { }), expansions ($ ` ~ and the globs * ? [ ]), quoting
 * (\ " '), comments (#), assignments (=), job specs (%), history-style !
 * and line breaks.  Blanks alone do not need a shell (see split_fields).
 */
static const char shell_chars[] = "|&;<>(){}$`~*?[]\\\"'#=%!\n\r";

/*
 * Words that only mean something to a shell (reserved words and
 * builtins that have no program of their own or act on the shell).
 */
static const char *const shell_words[] = {
	"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi",
	"for", "if", "in", "then", "until", "while", ".", "alias", "bg",
	"break", "cd", "command", "continue", "eval", "exec", "exit",
	"export", "fg", "getopts", "hash", "jobs", "local", "read",
	"readonly", "return", "set", "shift", "source", "times", "trap",
	"type", "ulimit", "umask", "unalias", "unset", "wait", NULL
};

static int
is_shell_word(const char *w)
{
	for (size_t i = 0; shell_words[i] != NULL; i++) {
		if (strcmp(w, shell_words[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Split s in place at blanks; returns the field count (0 if blank). */
static size_t
split_fields(char *s, char **argv, size_t max)
{
	size_t n = 0;

	while (*s != '\0' && n < max) {
		while (*s == ' ' || *s == '\t') {
			*s++ = '\0';
		}
		if (*s == '\0') {
			break;
		}
		argv[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			s++;
		}
	}
	return n;
}

/* inherited environment, minus what the env words override, plus them */
static char **
build_env(char **words, size_t nwords)
{
	size_t ninh = 0, n = 0, i, j;
	char **env;

	while (environ != NULL && environ[ninh] != NULL) {
		ninh++;
	}
	if ((env = calloc(ninh + nwords + 1, sizeof(*env))) == NULL) {
		return NULL;
	}
	for (i = 0; i < ninh; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq != NULL ? (size_t)(eq - environ[i]) :
		    strlen(environ[i]);

		for (j = 0; j < nwords; j++) {
			if (strncmp(words[j], environ[i], klen) == 0 &&
			    words[j][klen] == '=') {
				break;
			}
		}
		if (j == nwords) {
			env[n++] = environ[i];
		}
	}
	for (j = 0; j < nwords; j++) {
		env[n++] = words[j];
	}
	env[n] = NULL;
	return env;
}

/*
 * Split the payload into its words: command words, then (after an empty
 * word) KEY=VALUE environment words.  0 with *wordsp set (the command
 * words NULL-terminated, the environment words after them), or the
 * kind's failure.
 */
static int
payload_words(corun_job_ctx *ctx, char ***wordsp, size_t *nargvp,
    size_t *nenvp)
{
	char **words;
	size_t nwords = 0, nargv, nenv, i, off;
	int rc;

	/* Words are NUL-terminated; the last one may lack its NUL. */
	/* Every word takes at least its NUL: len + 1 words at most. */
	if ((words = calloc(ctx->len + 2, sizeof(*words))) == NULL) {
		return corun_job_fail(ctx, CORUN_ENOMEM, "shell: out of "
		    "memory");
	}
	for (off = 0; off < ctx->len; off += strlen(ctx->payload + off) + 1) {
		words[nwords++] = ctx->payload + off;
	}
	for (nargv = 0; nargv < nwords && words[nargv][0] != '\0'; nargv++) {
		continue;
	}
	if (nargv == 0) {
		free(words);
		return corun_job_fail(ctx, CORUN_EINVAL, "shell: bad payload: "
		    "no command words");
	}
	nenv = nargv < nwords ? nwords - nargv - 1 : 0;
	for (i = 0; i < nenv; i++) {
		const char *w = words[nargv + 1 + i];

		if (w[0] == '=' || strchr(w, '=') == NULL) {
			rc = corun_job_fail(ctx, CORUN_EINVAL, "shell: bad "
			    "payload: environment word '%.64s' is not "
			    "KEY=VALUE", w);
			free(words);
			return rc;
		}
	}
	words[nargv] = NULL;
	*wordsp = words;
	*nargvp = nargv;
	*nenvp = nenv;
	return 0;
}

int
wk_kind_shell(corun_job_ctx *ctx)
{
	char **words = NULL, **argv = NULL, **envp = NULL, *line = NULL;
	char *shargv[4];
	size_t nargv, nenv;
	const char *path;
	int rc;

	if ((rc = payload_words(ctx, &words, &nargv, &nenv)) != 0) {
		return rc;
	}
	argv = words;
	path = argv[0];
	if (nargv == 1 && strpbrk(argv[0], shell_chars) == NULL &&
	    strpbrk(argv[0], " \t") != NULL) {
		/* Blanks only: split as sh would, and skip the shell. */
		if ((line = strdup(argv[0])) == NULL ||
		    (argv = calloc(strlen(line) / 2 + 2,
		    sizeof(*argv))) == NULL) {
			rc = corun_job_fail(ctx, CORUN_ENOMEM, "shell: out "
			    "of memory");
			goto out;
		}
		if (split_fields(line, argv, strlen(line) / 2 + 1) == 0) {
			rc = corun_job_fail(ctx, CORUN_EINVAL, "shell: bad "
			    "payload: the command is blank");
			goto out;
		}
		path = argv[0];
	}
	if (nargv == 1 && (strpbrk(words[0], shell_chars) != NULL ||
	    is_shell_word(argv[0]))) {
		shargv[0] = "sh";
		shargv[1] = "-c";
		shargv[2] = words[0];
		shargv[3] = NULL;
		path = "/bin/sh";
		if (argv != words) {
			free(argv);
		}
		argv = shargv;
	}
	if ((envp = build_env(words + nargv + 1, nenv)) == NULL) {
		rc = corun_job_fail(ctx, CORUN_ENOMEM, "shell: out of memory");
		goto out;
	}
	rc = wk_shell_run(ctx, path, argv, envp);
out:
	free(envp);
	if (argv != words && argv != shargv) {
		free(argv);
	}
	free(line);
	free(words);
	return rc;
}
