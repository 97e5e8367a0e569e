/* SPDX-License-Identifier: MIT */
/*
 * args.c - the command line of `corun run`: options (args-opts.c says
 * what each one does), the command template, ::: and :::: groups.
 *
 * Options come first (as GNU parallel); the first word that is not an
 * option starts the command template, which runs up to the first ::: or
 * ::::.  Long options take their value as --opt=V or --opt V, short ones
 * as -jV or -j V; flag letters may be grouped (-k0).  Every error names
 * the option and the bad value.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "args-internal.h"

/* Parse one option word at argv[*i]; may consume the next word. */
static int
parse_option(int argc, char **argv, int *i, struct cli_run_opts *o,
    struct cli_err *e)
{
	const char *w = argv[*i], *eq, *v;
	const struct opt *op;
	char name[64];
	size_t n;
	int rc;

	if (w[1] == '-') {
		eq = strchr(w + 2, '=');
		n = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
		if ((op = cli_run_opt_long(w + 2, n)) == NULL) {
			return cli_errf(e, CORUN_EINVAL, "unknown option "
			    "\"%.*s\"", (int)n + 2, w);
		}
		snprintf(name, sizeof(name), "--%s", op->lng);
		if (!op->arg) {
			if (eq != NULL) {
				return cli_errf(e, CORUN_EINVAL, "%s takes no "
				    "value", name);
			}
			return op->fn(o, op, name, NULL, e);
		}
		if (eq != NULL) {
			v = eq + 1;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			return cli_errf(e, CORUN_EINVAL, "%s needs a value",
			    name);
		}
		return op->fn(o, op, name, v, e);
	}
	for (w++; *w != '\0'; w++) {
		if ((op = cli_run_opt_short(*w)) == NULL) {
			return cli_errf(e, CORUN_EINVAL, "unknown option "
			    "\"-%c\"", *w);
		}
		snprintf(name, sizeof(name), "-%c", *w);
		if (!op->arg) {
			if ((rc = op->fn(o, op, name, NULL, e)) != 0) {
				return rc;
			}
			continue;
		}
		if (w[1] != '\0') {
			v = w + 1;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			return cli_errf(e, CORUN_EINVAL, "%s needs a value",
			    name);
		}
		return op->fn(o, op, name, v, e);
	}
	return 0;
}

static int
is_sep(const char *w)
{
	return strcmp(w, ":::") == 0 || strcmp(w, "::::") == 0 ||
	    strcmp(w, ":::+") == 0 || strcmp(w, "::::+") == 0;
}

/* The words after the command: ::: values and :::: files. */
static int
parse_groups(int argc, char **argv, int i, struct cli_run_opts *o,
    struct cli_err *e)
{
	struct cli_group *grp = NULL;
	int file = 0, link = 0;

	for (; i < argc; i++) {
		if (is_sep(argv[i])) {
			file = strncmp(argv[i], "::::", 4) == 0;
			link = argv[i][strlen(argv[i]) - 1] == '+';
			if (link && o->ngroups == 0) {
				return cli_errf(e, CORUN_EINVAL, "%s needs an "
				    "input source before it", argv[i]);
			}
			grp = NULL;
			if (!file) {
				if ((grp = cli_run_add_group(o, 0, NULL)) == NULL) {
					return cli_errf(e, CORUN_ENOMEM,
					    "out of memory");
				}
				grp->linked = link;
			} else if (i + 1 == argc || is_sep(argv[i + 1])) {
				return cli_errf(e, CORUN_EINVAL, "%s needs "
				    "at least one file", argv[i]);
			}
			continue;
		}
		if (file) {
			if ((grp = cli_run_add_group(o, 1, argv[i])) == NULL) {
				return cli_errf(e, CORUN_ENOMEM,
				    "out of memory");
			}
			grp->linked = link;
			link = 0;
			grp = NULL;
		} else if (cli_strv_push(&grp->vals, argv[i]) != 0) {
			return cli_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* Options that only make sense together. */
static int
check_combinations(struct cli_run_opts *o, struct cli_err *e)
{
	if ((o->slurm_workers || o->sbatch_opt) && !o->slurm) {
		return cli_errf(e, CORUN_EINVAL, "--slurm-workers and "
		    "--sbatch-opt need --slurm");
	}
	if (o->listen == NULL && !o->slurm && (o->token || o->url_file || o->token_file || o->tls_cert ||
	    o->tls_key || o->tls_ca || o->insecure || o->remote_only ||
	    o->worker_cmds.n || o->worker_hosts.n || o->remote_slots ||
	    o->remote_timeout > 0)) {
		return cli_errf(e, CORUN_EINVAL, "remote worker options "
		    "(--token, --tls-*, --worker-cmd, --remote-*, ...) need "
		    "--listen URL");
	}
	if (o->token != NULL && o->token_file != NULL) {
		return cli_errf(e, CORUN_EINVAL, "--token and --token-file "
		    "cannot both be given");
	}
	if (o->worker_hosts.n > 0 && o->worker_cmds.n == 0) {
		return cli_errf(e, CORUN_EINVAL, "--worker-host needs "
		    "--worker-cmd");
	}
	if (o->jobs_file != NULL && (o->ncmd > 0 || o->ngroups > 0)) {
		return cli_errf(e, CORUN_EINVAL, "--jobs-file cannot be "
		    "combined with a command, :::, :::: or -a");
	}
	return 0;
}

int
cli_run_opts_parse(int argc, char **argv, struct cli_run_opts *o,
    struct cli_err *e)
{
	int i = 0, rc, cmd0;

	memset(o, 0, sizeof(*o));
	o->heartbeat_ms = CLI_RUN_HEARTBEAT_UNSET;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			break;
		}
		if ((rc = parse_option(argc, argv, &i, o, e)) != 0) {
			return rc;
		}
	}
	cmd0 = i;
	while (i < argc && !is_sep(argv[i])) {
		i++;
	}
	o->cmd = (const char *const *)argv + cmd0;
	o->ncmd = (size_t)(i - cmd0);
	if ((rc = parse_groups(argc, argv, i, o, e)) != 0) {
		return rc;
	}
	if (o->help || o->version) {
		return 0;
	}
	if ((rc = check_combinations(o, e)) != 0) {
		return rc;
	}
	/* --procs/--threads/--concurrency alone make an explicit model;
	 * with --model they override its numbers (see corun/pool.h). */
	if (o->model == CORUN_MODEL_DEFAULT &&
	    (o->procs || o->threads || o->concurrency)) {
		o->model = CORUN_MODEL_CUSTOM;
	}
	if (o->model == CORUN_MODEL_CUSTOM) {
		o->procs = o->procs ? o->procs : 1;
		o->threads = o->threads ? o->threads : 1;
		o->concurrency = o->concurrency ? o->concurrency : 1;
	}
	return 0;
}
