/* SPDX-License-Identifier: MIT */
/*
 * slurm.c - `corun run --slurm`: the remote workers of a run started by
 * Slurm, turned into the --listen, token and --worker-cmd options that
 * remote-cmd.c already runs.
 *
 * Inside an allocation (SLURM_JOB_ID set: salloc, sbatch), one srun step
 * per node of the allocation, each a corun-worker sized by the node's
 * SLURM_CPUS_ON_NODE (corun-worker's default there), so that scancel
 * JOB.STEP ends one worker only.  Outside one, an sbatch array of
 * --slurm-workers workers (--sbatch-opt passed through), watched while it
 * lives; the tasks still pending when the run ends are cancelled.
 *
 * The rendezvous defaults to tcp://HOST:0 (this host's name, a port the
 * kernel picks; the workers are told the real one), and the token, when
 * none is given, is drawn here; it reaches the workers in $CORUN_TOKEN,
 * which srun and sbatch pass on with the rest of the environment: no
 * file to share.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli.h"
#include "slurm.h"

static char listen_buf[300], token_buf[65];

/* The worker program as the commands name it, shell-quoted into b. */
static void
add_worker(struct cm_buf *b)
{
	const char *w = getenv("CORUN_WORKER");

	cm_shquote(b, w != NULL && *w != '\0' ? w :
	    CR_BINDIR "/corun-worker");
}

/* The node names of this allocation, from scontrol show hostnames. */
static int
add_nodes(struct cli_run_opts *o, struct cli_err *e)
{
	const char *list = getenv("SLURM_JOB_NODELIST");
	char line[256];
	FILE *f;
	int st;

	if (list == NULL || *list == '\0') {
		list = getenv("SLURM_NODELIST");
	}
	if (list == NULL || *list == '\0') {
		return cli_errf(e, CORUN_EINVAL, "--slurm: SLURM_JOB_ID is "
		    "set but not SLURM_JOB_NODELIST");
	}
	if (strchr(list, '\'') != NULL ||
	    snprintf(line, sizeof(line), "scontrol show hostnames '%s'",
	    list) >= (int)sizeof(line) || (f = popen(line, "r")) == NULL) {
		return cli_errf(e, CORUN_EINVAL, "--slurm: cannot expand the "
		    "node list %s", list);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0' && cli_strv_push(&o->worker_hosts,
		    line) != 0) {
			pclose(f);
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	st = pclose(f);
	if (st != 0 || o->worker_hosts.n == 0) {
		return cli_errf(e, CORUN_EINVAL, "--slurm: scontrol show "
		    "hostnames %s gave no node (is slurm-client installed?)",
		    list);
	}
	return 0;
}

/* Inside an allocation: one srun step per node. */
static int
srun_cmd(struct cli_run_opts *o, struct cm_buf *b, struct cli_err *e)
{
	if (o->worker_hosts.n > 0) {
		return cli_errf(e, CORUN_EINVAL, "--slurm runs one worker on "
		    "each node of the allocation: give no --worker-host");
	}
	if (add_nodes(o, e) != 0) {
		return -1;
	}
	cm_buf_adds(b, "exec srun --quiet --nodes=1 --ntasks=1 "
	    "--nodelist={host} --overlap --kill-on-bad-exit=0 "
	    "--job-name=corun-worker ");
	if (o->sbatch_opt != NULL) {
		cm_buf_adds(b, o->sbatch_opt);
		cm_buf_addc(b, ' ');
	}
	add_worker(b);
	cm_buf_adds(b, " --connect {url}");
	return 0;
}

/*
 * Outside an allocation: submit an array, then live as long as it has a
 * task pending or running; on SIGTERM (the end of the run), cancel the
 * pending ones.
 */
static int
sbatch_cmd(struct cli_run_opts *o, struct cm_buf *b)
{
	char n[24];

	snprintf(n, sizeof(n), "%u", o->slurm_workers ? o->slurm_workers : 1);
	cm_buf_adds(b, "j=$(sbatch --parsable --array=1-");
	cm_buf_adds(b, n);
	cm_buf_adds(b, " --job-name=corun-worker --output=/dev/null ");
	if (o->sbatch_opt != NULL) {
		cm_buf_adds(b, o->sbatch_opt);
		cm_buf_addc(b, ' ');
	}
	cm_buf_adds(b, "--wrap=\"exec ");
	add_worker(b);
	cm_buf_adds(b, " --connect {url}\") || exit 1; j=${{j%%;*}}; "
	    "trap 'scancel --state=PENDING \"$j\"; exit 0' TERM; "
	    "while squeue -h -j \"$j\" -o %i 2>/dev/null | grep -q .; do "
	    "sleep 1 & wait $!; done");
	return 0;
}

/* A fresh token of 32 hex digits. */
static int
draw_token(struct cli_err *e)
{
	unsigned char raw[16];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		return cli_errf(e, CORUN_ESYS, "--slurm: no random bytes for "
		    "a token");
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		snprintf(token_buf + 2 * i, 3, "%02x", raw[i]);
	}
	return 0;
}

int
cli_slurm_prepare(struct cli_run_opts *o, struct cli_err *e)
{
	struct cm_buf b = { 0 };
	char host[256];
	const char *job = getenv("SLURM_JOB_ID");
	int rc;

	if (!o->slurm) {
		return 0;
	}
	if (o->listen == NULL) {
		if (gethostname(host, sizeof(host)) != 0) {
			snprintf(host, sizeof(host), "localhost");
		}
		host[sizeof(host) - 1] = '\0';
		snprintf(listen_buf, sizeof(listen_buf), "tcp://%s:0", host);
		o->listen = listen_buf;
	}
	if (o->token == NULL && o->token_file == NULL && !o->insecure &&
	    strncmp(o->listen, "tls+", 4) != 0) {
		if (draw_token(e) != 0) {
			return -1;
		}
		o->token = token_buf;
	}
	o->remote_only = 1;
	rc = job != NULL && *job != '\0' ? srun_cmd(o, &b, e) :
	    sbatch_cmd(o, &b);
	if (rc == 0 && (cm_buf_addc(&b, '\0') != 0 ||
	    cli_strv_take(&o->worker_cmds, cm_buf_steal(&b)) != 0)) {
		rc = cli_errf(e, CORUN_ENOMEM, "out of memory");
	}
	cm_buf_free(&b);
	return rc;
}
