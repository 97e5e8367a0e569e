/* SPDX-License-Identifier: MIT */
/*
 * help.c - one line per option of each corun command, printed by the
 * command's --help.  A new option of any command is one row of docs[]
 * (command, long name, short letter, value, text).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "help.h"

static const struct cli_optdoc docs[] = {
	/* corun itself, before the command */
	{ "corun", "S", 0, "URL", "the control socket of corund for the "
	    "client commands (else $CORUN_SOCKET, else the default)" },
	{ "corun", "help", 'h', NULL, "list the commands and exit" },
	{ "corun", "version", 0, NULL, "print the version and exit" },

	/* corun run: the pool */
	{ "run", "jobs", 'j', "N", "run N jobs at once (0: as many as the "
	    "input; default: the number of cores)" },
	{ "run", "model", 0, "M", "process, thread, async or hybrid: how "
	    "jobs share workers (default follows the work)" },
	{ "run", "procs", 0, "P", "worker processes (hybrid, thread)" },
	{ "run", "threads", 0, "T", "job threads per worker" },
	{ "run", "concurrency", 0, "C", "jobs in flight per worker (async, "
	    "hybrid)" },
	{ "run", "offload", 0, NULL, "run blocking kinds on job threads, "
	    "off the worker's loop" },
	{ "run", "plugin", 0, "FILE.so", "load a job kind plugin into every "
	    "worker" },
	{ "run", "load", 0, "N", "start no job while N or more processes are "
	    "runnable (N%, +N, -N: of the cores); FILE.so or a path: "
	    "--plugin" },
	{ "run", "heartbeat-timeout", 0, "SECS", "replace a worker silent "
	    "this long (0: never)" },
	{ "run", "restart-max", 0, "N", "at most N restarts of workers ..." },
	{ "run", "restart-window", 0, "SECS", "... within this many seconds, "
	    "then restarts are paced" },
	{ "run", "keep-order", 'k', NULL, "print outputs in input order" },
	{ "run", "joblog", 0, "FILE", "write a line per job (GNU parallel's "
	    "format; - for stdout)" },
	{ "run", "results", 0, "DIR", "save each job's stdout, stderr and "
	    "status under DIR" },
	{ "run", "timeout", 0, "SECS", "kill a job that runs longer" },
	{ "run", "retries", 0, "N", "run a failed job up to N more times" },
	{ "run", "halt", 0, "WHEN,WHY=N", "stop early: now|soon, "
	    "fail|success|done=N or N%" },
	{ "run", "halt-on-error", 0, "WHEN,WHY=N", "the same as --halt" },
	{ "run", "tag", 0, NULL, "prefix each output line with its value" },
	{ "run", "line-buffer", 0, NULL, "print whole lines as jobs write "
	    "them" },
	{ "run", "lb", 0, NULL, "the same as --line-buffer" },
	{ "run", "json", 0, NULL, "print one JSON object per job" },
	{ "run", "bar", 0, NULL, "show a progress bar on stderr" },
	{ "run", "progress", 0, NULL, "show progress counts on stderr" },
	{ "run", "dry-run", 0, NULL, "print the commands, run nothing" },
	{ "run", "arg-file", 'a', "FILE", "read values from FILE (as ::::)" },
	{ "run", "null", '0', NULL, "input values end with NUL, not newline" },
	{ "run", "jobs-file", 0, "FILE", "read JSON jobs, one a line (- for "
	    "stdin)" },
	{ "run", "help", 'h', NULL, "print this help and exit" },
	{ "run", "version", 0, NULL, "print the version and exit" },
	{ "run", "listen", 0, "URL", "take remote workers on URL "
	    "(tcp:// or tls+tcp://)" },
	{ "run", "token", 0, "T", "the token remote workers must prove" },
	{ "run", "token-file", 0, "FILE", "read the token from FILE" },
	{ "run", "insecure", 0, NULL, "take remote workers without a token" },
	{ "run", "tls-cert", 0, "FILE", "the listener's TLS certificate" },
	{ "run", "tls-key", 0, "FILE", "its private key" },
	{ "run", "tls-ca", 0, "FILE", "CA that remote workers' certificates "
	    "must chain to" },
	{ "run", "worker-cmd", 0, "TEMPLATE", "start a remote worker with "
	    "this command ({url} {token-file} {name})" },
	{ "run", "worker-host", 0, "HOST", "a host for --worker-cmd's {host} "
	    "(repeatable)" },
	{ "run", "remote-only", 0, NULL, "no local workers" },
	{ "run", "remote-slots", 0, "N", "jobs at once per remote worker" },
	{ "run", "remote-timeout", 0, "SECS", "how long to wait for remote "
	    "workers to join" },
	{ "run", "slurm", 0, NULL, "start the workers with Slurm: srun one per "
	    "node inside an allocation, else an sbatch array (implies "
	    "--remote-only)" },
	{ "run", "slurm-workers", 0, "N", "outside an allocation: how many "
	    "workers the sbatch array asks for" },
	{ "run", "sbatch-opt", 0, "OPTS", "options passed to sbatch as they are "
	    "(e.g. '-p short -t 10')" },
	{ "run", "url-file", 0, "FILE", "write the listener's real URL and how to "
	    "find the token to FILE (0600) for workers started apart" },
	{ "run", "max-procs", 'P', "N", "the same as -j" },
	{ "run", "max-args", 'n', "N", "at most N values per job (the rest "
	    "of the command line as -X)" },
	{ "run", "max-replace-args", 'N', "N", "exactly N values per job, "
	    "{1}..{N} for each (-N0: none); with --pipe, N records per "
	    "block" },
	{ "run", "xargs", 0, NULL, "as many values per job as the line "
	    "length allows (-s), appended" },
	{ "run", "m", 'm', NULL, "as --xargs, with {} repeated for each "
	    "value (context replace)" },
	{ "run", "X", 'X', NULL, "as -m, the words around {} repeated with "
	    "each value" },
	{ "run", "max-lines", 'L', "N", "N lines of input per job (a line "
	    "ending in a blank goes on); with --pipe: records of N lines" },
	{ "run", "max-chars", 's', "N", "a command line of at most N "
	    "characters with -X, -m and --xargs" },
	{ "run", "colsep", 'C', "REGEXP", "split each input line into "
	    "columns {1} {2} ... at REGEXP" },
	{ "run", "header", 0, "REGEXP", "the first line is a header: "
	    "{colname} names its columns; with --pipe, the header lines "
	    "kept on every block" },
	{ "run", "trim", 0, "n|l|r|lr|rl", "remove blanks around values: "
	    "none, left, right or both" },
	{ "run", "link", 0, NULL, "link the input sources instead of taking "
	    "their product (the shorter wraps)" },
	{ "run", "xapply", 0, NULL, "the same as --link" },
	{ "run", "delimiter", 'd', "DELIM", "input values end at DELIM, not "
	    "at a newline (\n, \t, \0 understood)" },
	{ "run", "replace", 'I', "STR", "use STR instead of {} in the "
	    "command" },
	{ "run", "extensionreplace", 0, "STR", "use STR instead of {.}" },
	{ "run", "er", 0, "STR", "the same as --extensionreplace" },
	{ "run", "basenamereplace", 0, "STR", "use STR instead of {/}" },
	{ "run", "bnr", 0, "STR", "the same as --basenamereplace" },
	{ "run", "dirnamereplace", 0, "STR", "use STR instead of {//}" },
	{ "run", "dnr", 0, "STR", "the same as --dirnamereplace" },
	{ "run", "basenameextensionreplace", 0, "STR", "use STR instead of "
	    "{/.}" },
	{ "run", "bner", 0, "STR", "the same as --basenameextensionreplace" },
	{ "run", "seqreplace", 0, "STR", "use STR instead of {#}" },
	{ "run", "slotreplace", 0, "STR", "use STR instead of {%}" },
	{ "run", "plus", 0, NULL, "also the --plus replacement strings "
	    "({+/} {+.} {..} {...} {##} ...)" },
	{ "run", "quote", 'q', NULL, "keep each word of the command one "
	    "argument (quote it for the shell)" },
	{ "run", "no-run-if-empty", 'r', NULL, "skip input lines that are "
	    "empty or only blanks" },
	{ "run", "env", 0, "VAR", "pass VAR to the jobs (they inherit the "
	    "whole environment anyway)" },
	{ "run", "pipe", 0, NULL, "split stdin into blocks, one job's stdin "
	    "each" },
	{ "run", "spreadstdin", 0, NULL, "the same as --pipe" },
	{ "run", "pipepart", 0, NULL, "split the -a FILE into blocks in "
	    "place (seekable files), one job each" },
	{ "run", "block", 0, "SIZE", "the size of a --pipe block (default "
	    "1M; k, M, G suffixes)" },
	{ "run", "block-size", 0, "SIZE", "the same as --block" },
	{ "run", "blocksize", 0, "SIZE", "the same as --block" },
	{ "run", "recstart", 0, "STR", "a record starts with STR: blocks "
	    "are cut only before it" },
	{ "run", "recend", 0, "STR", "a record ends with STR (default \n): "
	    "blocks are cut only after it" },
	{ "run", "regexp", 0, NULL, "--recstart and --recend are regular "
	    "expressions (-N counts their records)" },
	{ "run", "round-robin", 0, NULL, "with --pipe: the blocks go to -j "
	    "jobs started once, in turn" },
	{ "run", "roundrobin", 0, NULL, "the same as --round-robin" },
	{ "run", "cat", 0, NULL, "with --pipe: each block in a temporary "
	    "file named by {}" },
	{ "run", "fifo", 0, NULL, "with --pipe: each block through a named "
	    "pipe named by {}" },
	{ "run", "ungroup", 'u', NULL, "job output straight through as it "
	    "comes (lines may mix)" },
	{ "run", "jl", 0, "FILE", "the same as --joblog" },
	{ "run", "tagstring", 0, "STR", "prefix each output line with STR "
	    "(replacement strings expanded)" },
	{ "run", "tmpdir", 0, "DIR", "where --files, --cat and large output "
	    "keep their files; the jobs' $TMPDIR (default $TMPDIR or /tmp)" },
	{ "run", "files", 0, NULL, "save each job's output in a file and "
	    "print its name" },
	{ "run", "group", 0, NULL, "print a job's output whole when it ends "
	    "(the default)" },
	{ "run", "eta", 0, NULL, "show the estimated time left on stderr" },
	{ "run", "semaphore", 0, NULL, "run the command as a counting "
	    "semaphore allows (as corun sem)" },
	{ "run", "id", 0, "NAME", "the semaphore's name (default: the "
	    "terminal's)" },
	{ "run", "semaphorename", 0, "NAME", "the same as --id" },
	{ "run", "fg", 0, NULL, "semaphore: wait for the command and exit "
	    "with its status" },
	{ "run", "bg", 0, NULL, "semaphore: run the command in the "
	    "background (the default)" },
	{ "run", "wait", 0, NULL, "semaphore: wait until every command of "
	    "--id has ended" },
	{ "run", "st", 0, "SECS", "semaphore: after SECS take the slot "
	    "anyway; -SECS: give up" },
	{ "run", "semaphoretimeout", 0, "SECS", "the same as --st" },
	{ "run", "delay", 0, "DURATION", "wait DURATION between starting "
	    "two jobs" },
	{ "run", "memfree", 0, "SIZE", "start a job only while this much "
	    "memory is free" },
	{ "run", "nice", 0, "N", "run the jobs at niceness N" },
	{ "run", "sshlogin", 'S', "[N/]HOST", "run jobs over ssh on HOST (N "
	    "at once); : is this machine" },
	{ "run", "sshloginfile", 0, "FILE", "read --sshlogin values from "
	    "FILE, one per line" },
	{ "run", "slf", 0, "FILE", "the same as --sshloginfile" },
	{ "run", "ssh", 0, "CMD", "the ssh command to log in with (default "
	    "ssh)" },
	{ "run", "transfer", 0, NULL, "copy each input file to the remote "
	    "host before its job" },
	{ "run", "transferfile", 0, "FILE", "copy FILE (replacement strings "
	    "expanded) before the job" },
	{ "run", "tf", 0, "FILE", "the same as --transferfile" },
	{ "run", "return", 0, "FILE", "copy FILE back from the remote host "
	    "after the job" },
	{ "run", "cleanup", 0, NULL, "remove transferred and returned files "
	    "on the remote host" },
	{ "run", "trc", 0, "FILE", "--transfer --return FILE --cleanup" },
	{ "run", "nonall", 0, NULL, "with -S: run the command once on every "
	    "login, without input" },
	{ "run", "onall", 0, NULL, "with -S: run every job on every login "
	    "(-j logins at once, one job at a time on each)" },
	{ "run", "resume", 0, NULL, "skip the jobs --joblog says were run "
	    "(by Seq)" },
	{ "run", "resume-failed", 0, NULL, "skip the jobs --joblog says "
	    "succeeded; run the failed ones again" },
	{ "run", "retry-failed", 0, NULL, "run again the failed commands of "
	    "--joblog, ignoring the command line" },
	{ "run", "shuf", 0, NULL, "run the jobs in a random order" },
	{ "run", "limit", 0, "CMD", "run CMD before starting each job: exit 0 "
	    "starts it, any other status holds it (asked again), 2 kills the "
	    "youngest job; built-ins: io N, load N, mem SIZE" },
	{ "run", "http", 0, "HOST:PORT", "serve /metrics and the live page "
	    "(read-only) for the run's duration" },
	{ "run", "log-level", 0, "LEVEL", "error, warn, info or debug: the "
	    "least severe line the pool and workers log (default info)" },

	/* corun compare */
	{ "compare", "workload", 0, "W", "io, cpu, blocking, mixed, shell, "
	    "net, noop, or a FILE.jsonl jobs file" },
	{ "compare", "count", 'n', "N", "jobs per run" },
	{ "compare", "ms", 0, "MS", "each job's length in milliseconds" },
	{ "compare", "models", 0, "LIST", "comma-separated models (default: "
	    "all four)" },
	{ "compare", "jobs", 'j', "N", "the core budget of every model" },
	{ "compare", "concurrency", 'c', "C", "jobs in flight (async, "
	    "hybrid; default 1000)" },
	{ "compare", "window", 'w', "W", "at most W jobs submitted and not "
	    "done" },
	{ "compare", "repeat", 0, "R", "run every model exactly R times, "
	    "interleaved" },
	{ "compare", "min-runs", 0, "N", "run every model at least N times "
	    "(default 3)" },
	{ "compare", "max-runs", 0, "N", "and at most N times (default 20)" },
	{ "compare", "time-budget", 0, "SECS", "stop adding runs after SECS "
	    "of measuring (default 60)" },
	{ "compare", "max-spread", 0, "PCT", "add runs while a model's "
	    "wall times spread more (sd/mean, default 5)" },
	{ "compare", "export-markdown", 0, "FILE", "also write the results "
	    "as a Markdown table" },
	{ "compare", "export-json", 0, "FILE", "also write them as JSON" },
	{ "compare", "export-csv", 0, "FILE", "also write them as CSV" },
	{ "compare", "mix", 0, "IO:CPU:BLOCK", "the blend of the mixed "
	    "workload" },
	{ "compare", "json", 0, NULL, "print the results as JSON" },
	{ "compare", "csv", 0, NULL, "print the results as CSV" },
	{ "compare", "svg", 0, "FILE", "draw the chart as SVG into FILE" },
	{ "compare", "png", 0, "FILE", "draw the chart as PNG into FILE" },
	{ "compare", "peers", 0, "python", "also run Python's pools as "
	    "rows" },
	{ "compare", "help", 'h', NULL, "print this help and exit" },

	/* the client commands */
	{ "submit", "group", 'g', "G", "the job's group (pause/resume act "
	    "on groups)" },
	{ "submit", "priority", 'p', "N", "higher runs first" },
	{ "submit", "timeout", 't', "SECS", "kill the job if it runs "
	    "longer" },
	{ "submit", "retries", 'r', "N", "run a failed job up to N more "
	    "times" },
	{ "submit", "key", 'k', "K", "idempotency key: the same key gives "
	    "the same job" },
	{ "submit", "after", 'a', "ID[,ID...]", "start only after these "
	    "jobs ended" },
	{ "submit", "after-any", 0, "ID[,ID...]", "start after these jobs "
	    "ended, whatever their outcome" },
	{ "submit", "env", 'e', "NAME=VALUE", "set a variable in the "
	    "command's environment" },
	{ "submit", "delay", 0, "SECS", "do not start the job before SECS "
	    "seconds from now (kept across restarts)" },
	{ "submit", "on-done", 0, "CMD", "run CMD by /bin/sh -c when the job "
	    "ends, with CORUN_JOB_ID, CORUN_JOB_STATE, CORUN_JOB_EXIT and "
	    "CORUN_JOB_COMMAND set" },
	{ "submit", "at", 0, "TIME", "do not start the job before TIME: "
	    "HH:MM[:SS] (the next one), YYYY-MM-DD [HH:MM[:SS]] or @SECONDS "
	    "since the epoch" },
	{ "submit", "jobs-file", 'f', "FILE", "submit one job per line of "
	    "FILE (- for stdin)" },
	{ "submit", "wait", 0, NULL, "wait for the job and act as result" },
	{ "submit", "json", 0, NULL, "with --wait, print the job's record "
	    "as JSON" },
	{ "submit", "help", 'h', NULL, "print this help and exit" },
	{ "status", "json", 0, NULL, "print the reply as JSON" },
	{ "status", "help", 'h', NULL, "print this help and exit" },
	{ "wait", "all", 0, NULL, "wait for every job" },
	{ "wait", "timeout", 0, "SECS", "give up after SECS (exit 124)" },
	{ "wait", "help", 'h', NULL, "print this help and exit" },
	{ "result", "json", 0, NULL, "print the whole record as JSON" },
	{ "result", "help", 'h', NULL, "print this help and exit" },
	{ "cancel", "all", 0, NULL, "cancel every queued and running job" },
	{ "cancel", "group", 0, "G", "cancel the queued and running jobs of "
	    "group G" },
	{ "cancel", "help", 'h', NULL, "print this help and exit" },
	{ "top", "interval", 0, "S", "seconds between redraws (default 1)" },
	{ "top", "once", 0, NULL, "print one screen and exit (no terminal "
	    "needed)" },
	{ "top", "help", 'h', NULL, "print this help and exit" },
	{ "list", "state", 0, "S[,S...]", "only jobs in these states "
	    "(queued, running, done, failed, cancelled, stashed)" },
	{ "list", "group", 0, "G", "only jobs of group G" },
	{ "list", "last", 0, "N", "only the N newest jobs" },
	{ "list", "json", 0, NULL, "one JSON object per job instead of the "
	    "table" },
	{ "list", "help", 'h', NULL, "print this help and exit" },
	{ "ls", "state", 0, "S[,S...]", "as list --state" },
	{ "ls", "group", 0, "G", "as list --group" },
	{ "ls", "last", 0, "N", "as list --last" },
	{ "ls", "json", 0, NULL, "as list --json" },
	{ "ls", "help", 'h', NULL, "print this help and exit" },
	{ "group", "parallel", 0, "N", "with add or set: run at most N jobs "
	    "of the group at once" },
	{ "group", "json", 0, NULL, "list the groups as JSON" },
	{ "group", "help", 'h', NULL, "print this help and exit" },
	{ "restart", "edit", 0, NULL, "with one ID: edit the command in "
	    "$VISUAL or $EDITOR (else vi) before it runs again" },
	{ "restart", "command", 0, "CMD", "with one ID: run CMD (a shell "
	    "line) instead of the job's command" },
	{ "restart", "priority", 0, "N", "with one ID: the new job's priority" },
	{ "restart", "env", 0, "NAME=VALUE", "with one ID: set NAME in the "
	    "new job's environment (repeatable)" },
	{ "restart", "unset-env", 0, "NAME", "with one ID: remove NAME from "
	    "the job's environment (repeatable)" },
	{ "restart", "help", 'h', NULL, "print this help and exit" },
	{ "edit", "command", 0, "CMD", "the new command (a shell line); "
	    "without any option, edit it in $VISUAL or $EDITOR (else vi)" },
	{ "edit", "priority", 0, "N", "the new priority (higher runs first)" },
	{ "edit", "env", 0, "NAME=VALUE", "set NAME in the job's environment "
	    "(repeatable)" },
	{ "edit", "unset-env", 0, "NAME", "remove NAME from the job's "
	    "environment (repeatable)" },
	{ "edit", "help", 'h', NULL, "print this help and exit" },
	{ "clean", "state", 0, "S[,S...]", "forget only finished jobs in "
	    "these states (default: done, failed, cancelled)" },
	{ "clean", "help", 'h', NULL, "print this help and exit" },
	{ "stash", "help", 'h', NULL, "print this help and exit" },
	{ "enqueue", "help", 'h', NULL, "print this help and exit" },
	{ "pause", "group", 0, "GROUP", "the group GROUP, even when its name "
	    "is a number (a number alone is a job id)" },
	{ "pause", "help", 'h', NULL, "print this help and exit" },
	{ "resume", "group", 0, "GROUP", "the group GROUP, even when its name "
	    "is a number (a number alone is a job id)" },
	{ "resume", "help", 'h', NULL, "print this help and exit" },
	{ "scale", "help", 'h', NULL, "print this help and exit" },
	{ "drain", "help", 'h', NULL, "print this help and exit" },
	{ "logs", "follow", 'f', NULL, "show the output as the job writes it, "
	    "until it ends (as corun follow)" },
	{ "logs", "help", 'h', NULL, "print this help and exit" },
	{ "follow", "help", 'h', NULL, "print this help and exit" },
	{ NULL, NULL, 0, NULL, NULL }
};

const struct cli_optdoc *
cli_help_find(const char *cmd, const char *opt)
{
	const struct cli_optdoc *d;

	for (d = docs; d->cmd != NULL; d++) {
		if (strcmp(d->cmd, cmd) == 0 && strcmp(d->opt, opt) == 0) {
			return d;
		}
	}
	return NULL;
}

void
cli_help_options(FILE *f, const char *cmd)
{
	const struct cli_optdoc *d;
	char left[64];
	int any = 0;

	for (d = docs; d->cmd != NULL; d++) {
		if (strcmp(d->cmd, cmd) != 0) {
			continue;
		}
		if (!any++) {
			fputs("\noptions:\n", f);
		}
		/* "-j, --jobs N", "    --model M"; a one-letter name is "-S" */
		if (d->shrt && strlen(d->opt) == 1) {
			snprintf(left, sizeof(left), "-%s%s%s", d->opt,
			    d->arg ? " " : "", d->arg ? d->arg : "");
			fprintf(f, "  %-24s %s\n", left, d->text);
			continue;
		}
		snprintf(left, sizeof(left), "%c%c%s%s%s%s%s",
		    d->shrt ? '-' : ' ', d->shrt ? d->shrt : ' ',
		    d->shrt ? ", " : "  ", strlen(d->opt) > 1 ? "--" : "-",
		    d->opt, d->arg ? " " : "", d->arg ? d->arg : "");
		fprintf(f, "  %-24s %s\n", left, d->text);
	}
}

void
cli_help_client(FILE *f, const char *cmd, const char *synopsis)
{
	fprintf(f, "usage: corun [-S URL] %s\n", synopsis);
	cli_help_options(f, cmd);
}
