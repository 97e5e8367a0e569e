/* SPDX-License-Identifier: MIT */
/*
 * launch-slurm.c - `launcher = slurm`: corund submits its remote workers
 * to Slurm as it starts, and cancels them as it stops.
 *
 * With listen set, one sbatch array of slurm-workers tasks (sbatch-options
 * passed through), each `exec corun-worker --connect LISTEN --rejoin 600`:
 * a worker follows corund across a restart of its pool or of corund
 * itself.  The token (token-file) reaches the workers in $CORUN_TOKEN,
 * which sbatch passes on with the environment, so the nodes need not see
 * the file.  At stop, scancel of the array, pending and running tasks
 * alike.  Called on the loop thread, at start and stop only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "common/buf.h"
#include "common/shquote.h"

static char job_id[64];

/* The first line of the token file into $CORUN_TOKEN; 0 or -1. */
static int
token_env(const struct cd_conf *c)
{
	char line[1100];
	FILE *f;

	if (c->token_file == NULL) {
		return 0;
	}
	if ((f = fopen(c->token_file, "r")) == NULL ||
	    fgets(line, sizeof(line), f) == NULL) {
		if (f != NULL) {
			fclose(f);
		}
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return setenv("CORUN_TOKEN", line, 1) == 0 ? 0 : -1;
}

int
cd_launch_start(struct cd_daemon *d)
{
	const struct cd_conf *c = &d->conf;
	const char *w = getenv("CORUN_WORKER");
	struct cm_buf cmd = { 0 }, wrap = { 0 };
	char n[24];
	FILE *p;
	int rc = 0;

	if (!c->launcher_slurm || c->listen == NULL) {
		return 0;
	}
	if (token_env(c) != 0) {
		cd_log("launcher slurm: cannot read token-file %s",
		    c->token_file);
		return -1;
	}
	cm_buf_adds(&wrap, "exec ");
	cm_shquote(&wrap, w != NULL && *w != '\0' ? w :
	    CD_BINDIR "/corun-worker");
	cm_buf_adds(&wrap, " --connect ");
	cm_shquote(&wrap, c->listen);
	cm_buf_adds(&wrap, " --rejoin 600");
	snprintf(n, sizeof(n), "%u", c->slurm_workers ? c->slurm_workers : 1);
	cm_buf_adds(&cmd, "sbatch --parsable --job-name=corund-worker "
	    "--output=/dev/null --array=1-");
	cm_buf_adds(&cmd, n);
	cm_buf_addc(&cmd, ' ');
	if (c->sbatch_options != NULL) {
		cm_buf_adds(&cmd, c->sbatch_options);
		cm_buf_addc(&cmd, ' ');
	}
	cm_buf_adds(&cmd, "--wrap=");
	cm_shquote(&cmd, wrap.p);
	if (cmd.oom || (p = popen(cmd.p, "r")) == NULL) {
		cd_log("launcher slurm: cannot run sbatch");
		rc = -1;
	} else {
		if (fgets(job_id, sizeof(job_id), p) == NULL) {
			job_id[0] = '\0';
		}
		job_id[strcspn(job_id, ";\r\n")] = '\0';
		if (pclose(p) != 0 || job_id[0] == '\0') {
			cd_log("launcher slurm: sbatch failed: %s", cmd.p);
			job_id[0] = '\0';
			rc = -1;
		} else {
			cd_log("launcher slurm: submitted job %s (%s workers)",
			    job_id, n);
		}
	}
	unsetenv("CORUN_TOKEN");
	cm_buf_free(&cmd);
	cm_buf_free(&wrap);
	return rc;
}

void
cd_launch_stop(struct cd_daemon *d)
{
	char cmd[96];

	(void)d;
	if (job_id[0] == '\0' || strspn(job_id, "0123456789") !=
	    strlen(job_id)) {
		return;
	}
	snprintf(cmd, sizeof(cmd), "scancel %s", job_id);
	if (system(cmd) != 0) {
		cd_log("launcher slurm: %s failed", cmd);
	}
	job_id[0] = '\0';
}
