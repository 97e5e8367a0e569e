/* SPDX-License-Identifier: MIT */
/*
 * on-done.c - telling someone when a job ends: the on-done command of
 * corund.conf(5), run by /bin/sh -c for each job that ended (done,
 * failed or cancelled), with the job in its environment
 * (CORUN_JOB_ID, CORUN_JOB_STATE, CORUN_JOB_EXIT, CORUN_JOB_COMMAND),
 * then the job's own (submit --on-done, kept in the store).
 * corund does not wait for it: the commands run beside the queue, at
 * most CD_ON_DONE_MAX at once (a job that ends beyond that is logged
 * and not told), and are reaped on a timer.  On the loop thread.
 */
#include "config.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon.h"
#include "store-delay.h"

#define CD_ON_DONE_MAX 256

extern char **environ;

static pid_t running[CD_ON_DONE_MAX];
static size_t nrunning;
static corun_handle *reap_h;

static void
reap(void *arg)
{
	struct cd_daemon *d = arg;
	size_t k = 0;

	if (reap_h != NULL) {
		corun_handle_release(reap_h);
		reap_h = NULL;
	}
	for (size_t i = 0; i < nrunning; i++) {
		if (waitpid(running[i], NULL, WNOHANG) == 0) {
			running[k++] = running[i];	/* still running */
		}
	}
	nrunning = k;
	if (nrunning > 0) {
		corun_call_later(d->loop, 0.5, reap, d, &reap_h);
	}
}

/* The job's words joined by spaces (a shell job), or its kind. */
static void
command_of(const struct cd_job_row *r, char *buf, size_t size)
{
	const char *p = r->f[CD_F_PAYLOAD].p;
	size_t len = r->f[CD_F_PAYLOAD].len, k = 0;

	buf[0] = '\0';
	if (r->f[CD_F_KIND].p == NULL || strcmp(r->f[CD_F_KIND].p,
	    "shell") != 0 || p == NULL) {
		snprintf(buf, size, "[%s]", r->f[CD_F_KIND].p != NULL ?
		    r->f[CD_F_KIND].p : "?");
		return;
	}
	for (size_t i = 0; i < len && p[i] != '\0' && k + 2 < size;) {
		size_t wl = strnlen(p + i, len - i);

		k += (size_t)snprintf(buf + k, size - k, "%s%.*s", k ? " " : "",
		    (int)wl, p + i);
		k = k < size ? k : size - 1;
		i += wl + 1;
	}
}

/* The environment with the job's four variables first. */
static char **
job_env(char vars[4][4200])
{
	size_t n = 0;
	char **env;

	while (environ[n] != NULL) {
		n++;
	}
	if ((env = calloc(n + 5, sizeof(*env))) == NULL) {
		return NULL;
	}
	for (int i = 0; i < 4; i++) {
		env[i] = vars[i];
	}
	memcpy(env + 4, environ, n * sizeof(*env));
	return env;
}

/* Run sh -c cmd with the job's variables, not waited for. */
static void
spawn_one(struct cd_daemon *d, int64_t id, const char *cmd,
    char vars[4][4200])
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	char **env;
	pid_t pid;
	int rv;

	if (nrunning == CD_ON_DONE_MAX) {
		cd_log("on-done: %d commands still running; job %lld not told",
		    CD_ON_DONE_MAX, (long long)id);
		return;
	}
	if ((env = job_env(vars)) == NULL) {
		return;
	}
	rv = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, env);
	free(env);
	if (rv != 0) {
		cd_log("on-done: cannot run /bin/sh: %s", strerror(rv));
		return;
	}
	running[nrunning++] = pid;
	if (reap_h == NULL) {
		corun_call_later(d->loop, 0.5, reap, d, &reap_h);
	}
}

/* corund.conf's command, then the job's own (submit --on-done). */
static void
run_one(struct cd_daemon *d, int64_t id)
{
	char vars[4][4200], cmd[4000], own[4001];
	struct cd_job_row r;

	if (cd_store_on_done_get(d->store, id, own, sizeof(own)) != 0) {
		own[0] = '\0';
	}
	if ((d->conf.on_done == NULL || d->conf.on_done[0] == '\0') &&
	    own[0] == '\0') {
		return;
	}
	if (cd_store_job_get(d->store, id, &r) != 0) {
		return;
	}
	command_of(&r, cmd, sizeof(cmd));
	snprintf(vars[0], sizeof(vars[0]), "CORUN_JOB_ID=%lld",
	    (long long)id);
	snprintf(vars[1], sizeof(vars[1]), "CORUN_JOB_STATE=%s",
	    cd_state_name((int)r.f[CD_F_STATE].i));
	/* -1 when it never ran or has no exit code (a kind's failure). */
	snprintf(vars[2], sizeof(vars[2]), "CORUN_JOB_EXIT=%lld",
	    r.f[CD_F_EXIT_CODE].null ? -1LL : (long long)r.f[CD_F_EXIT_CODE].i);
	snprintf(vars[3], sizeof(vars[3]), "CORUN_JOB_COMMAND=%s", cmd);
	cd_store_job_done(d->store);
	if (d->conf.on_done != NULL && d->conf.on_done[0] != '\0') {
		spawn_one(d, id, d->conf.on_done, vars);
	}
	if (own[0] != '\0') {
		spawn_one(d, id, own, vars);
	}
}

void
cd_on_done(struct cd_daemon *d)
{
	for (size_t i = 0; i < d->nfinished; i++) {
		run_one(d, d->finished[i]);
	}
}
