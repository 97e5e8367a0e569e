/* SPDX-License-Identifier: MIT */
/*
 * procs.c - a remote worker with --procs P > 1 (the process model) runs P
 * copies of itself, each with --procs 1, each attached to the supervisor
 * on its own; this process only waits for them.
 *
 * TERM, INT and HUP are passed on to the copies; the exit status is the
 * highest of theirs, so a refusal (1) or a lost supervisor (3) shows.
 * Nothing of nng runs in this process, so forking is not an issue, and
 * the copies are started by posix_spawn anyway.
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

#include "worker.h"

extern char **environ;

int
wk_procs_run(int argc, char **argv, unsigned procs)
{
	posix_spawnattr_t attr;
	sigset_t waitset, empty;
	pid_t *pids;
	char **av;
	unsigned alive = 0;
	int worst = 0, rc, sig, status;

	pids = calloc(procs, sizeof(*pids));
	av = calloc((size_t)argc + 3, sizeof(*av));
	if (pids == NULL || av == NULL) {
		fprintf(stderr, "corun-worker: out of memory\n");
		return WK_EXIT_SETUP;
	}
	memcpy(av, argv, (size_t)argc * sizeof(*av));
	av[argc] = "--procs";
	av[argc + 1] = "1";
	sigemptyset(&empty);
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGCHLD);
	sigaddset(&waitset, SIGTERM);
	sigaddset(&waitset, SIGINT);
	sigaddset(&waitset, SIGHUP);
	sigprocmask(SIG_BLOCK, &waitset, NULL);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &empty);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	for (unsigned i = 0; i < procs; i++) {
		/* /proc/self/exe: argv[0] may be a wrapper or a bare name. */
		rc = posix_spawn(&pids[i], "/proc/self/exe", NULL, &attr, av,
		    environ);
		if (rc != 0) {
			rc = posix_spawnp(&pids[i], argv[0], NULL, &attr, av,
			    environ);
		}
		if (rc != 0) {
			fprintf(stderr, "corun-worker: cannot start process "
			    "%u of %u: %s\n", i + 1, procs, strerror(rc));
			pids[i] = 0;
			worst = WK_EXIT_SETUP;
			continue;
		}
		alive++;
	}
	posix_spawnattr_destroy(&attr);
	while (alive > 0) {
		if (sigwait(&waitset, &sig) != 0) {
			continue;
		}
		if (sig != SIGCHLD) {
			for (unsigned i = 0; i < procs; i++) {
				if (pids[i] > 0) {
					kill(pids[i], sig);
				}
			}
			continue;
		}
		for (unsigned i = 0; i < procs; i++) {
			if (pids[i] <= 0 ||
			    waitpid(pids[i], &status, WNOHANG) != pids[i]) {
				continue;
			}
			pids[i] = 0;
			alive--;
			rc = WIFEXITED(status) ? WEXITSTATUS(status) :
			    WK_EXIT_LOST;
			worst = rc > worst ? rc : worst;
		}
	}
	free(pids);
	free(av);
	return worst;
}
