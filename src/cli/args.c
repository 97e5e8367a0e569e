/*
 * args.c - option parsing for `corun run`.
 *
 * Options come first (as GNU parallel); the first word that is not an
 * option starts the command template, which runs up to the first ::: or
 * ::::.  Long options take their value as --opt=V or --opt V, short ones
 * as -jV or -j V; flag letters may be grouped (-k0).  Every error names
 * the option and the bad value.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	O_JOBS = 1, O_MODEL, O_PROCS, O_THREADS, O_CONC, O_OFFLOAD, O_LOAD,
	O_KEEP, O_JOBLOG, O_RESULTS, O_TIMEOUT, O_RETRIES, O_HALT, O_TAG,
	O_LINEBUF, O_JSON, O_BAR, O_PROGRESS, O_DRYRUN, O_ARGFILE, O_NULL,
	O_JOBSFILE, O_HELP, O_VERSION,
	O_LISTEN, O_TOKEN, O_TOKENFILE, O_INSECURE, O_TLSCERT, O_TLSKEY,
	O_TLSCA, O_WORKERCMD, O_WORKERHOST, O_REMOTEONLY, O_REMOTESLOTS,
	O_REMOTETIMEOUT
};

struct opt {
	const char *lng;
	char shrt;
	int arg;		/* takes a value */
	int id;
};

static const struct opt opts[] = {
	{ "jobs", 'j', 1, O_JOBS },
	{ "model", 0, 1, O_MODEL },
	{ "procs", 0, 1, O_PROCS },
	{ "threads", 0, 1, O_THREADS },
	{ "concurrency", 0, 1, O_CONC },
	{ "offload", 0, 0, O_OFFLOAD },
	{ "load", 0, 1, O_LOAD },
	{ "keep-order", 'k', 0, O_KEEP },
	{ "joblog", 0, 1, O_JOBLOG },
	{ "results", 0, 1, O_RESULTS },
	{ "timeout", 0, 1, O_TIMEOUT },
	{ "retries", 0, 1, O_RETRIES },
	{ "halt", 0, 1, O_HALT },
	{ "halt-on-error", 0, 1, O_HALT },
	{ "tag", 0, 0, O_TAG },
	{ "line-buffer", 0, 0, O_LINEBUF },
	{ "lb", 0, 0, O_LINEBUF },
	{ "json", 0, 0, O_JSON },
	{ "bar", 0, 0, O_BAR },
	{ "progress", 0, 0, O_PROGRESS },
	{ "dry-run", 0, 0, O_DRYRUN },
	{ "arg-file", 'a', 1, O_ARGFILE },
	{ "null", '0', 0, O_NULL },
	{ "jobs-file", 0, 1, O_JOBSFILE },
	{ "help", 'h', 0, O_HELP },
	{ "version", 0, 0, O_VERSION },
	{ "listen", 0, 1, O_LISTEN },
	{ "token", 0, 1, O_TOKEN },
	{ "token-file", 0, 1, O_TOKENFILE },
	{ "insecure", 0, 0, O_INSECURE },
	{ "tls-cert", 0, 1, O_TLSCERT },
	{ "tls-key", 0, 1, O_TLSKEY },
	{ "tls-ca", 0, 1, O_TLSCA },
	{ "worker-cmd", 0, 1, O_WORKERCMD },
	{ "worker-host", 0, 1, O_WORKERHOST },
	{ "remote-only", 0, 0, O_REMOTEONLY },
	{ "remote-slots", 0, 1, O_REMOTESLOTS },
	{ "remote-timeout", 0, 1, O_REMOTETIMEOUT },
	{ NULL, 0, 0, 0 }
};

void
cr_run_usage(FILE *f)
{
	fputs(
"usage: corun run [-0hk] [-a file] [-j n] [--bar] [--concurrency c]\n"
"                 [--dry-run] [--halt when,why=n[%]] [--joblog file]\n"
"                 [--json] [--line-buffer] [--load file.so]\n"
"                 [--model process|thread|async|hybrid] [--offload]\n"
"                 [--procs p] [--progress] [--results dir]\n"
"                 [--retries n] [--tag] [--threads t] [--timeout secs]\n"
"                 [command [arg ...]] [::: value ... | :::: file ...] ...\n"
"       corun run [options] --jobs-file file|-\n"
"Remote workers: --listen url [--token t | --token-file f] [--insecure]\n"
"                 [--tls-cert f [--tls-key f]] [--tls-ca f]\n"
"                 [--worker-cmd template [--worker-host host] ...]\n"
"                 [--remote-only] [--remote-slots n] [--remote-timeout secs]\n"
"\n"
"Placeholders: {} {.} {/} {//} {/.} {#} {%} {n} {n.} {n/} {n//} {n/.}\n"
"Input: ::: values, :::: files, -a files (cross product, last group\n"
"fastest), else lines of stdin.  Exit: 0 all ok, 1-100 failed jobs,\n"
"101 more than 100 failed, 255 other errors.\n", f);
}

int
cr_model_parse(const char *s, enum corun_model *out)
{
	static const struct {
		const char *name;
		enum corun_model m;
	} models[] = {
		{ "process", CORUN_MODEL_PROCESS },
		{ "thread", CORUN_MODEL_THREAD },
		{ "async", CORUN_MODEL_ASYNC },
		{ "hybrid", CORUN_MODEL_HYBRID },
	};
	size_t i;

	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		if (strcmp(s, models[i].name) == 0) {
			*out = models[i].m;
			return 0;
		}
	}
	return CORUN_EINVAL;
}

void
cr_run_opts_free(struct cr_run_opts *o)
{
	size_t g;

	for (g = 0; g < o->ngroups; g++) {
		cr_strv_free(&o->groups[g].vals);
	}
	free(o->groups);
	cr_strv_free(&o->load);
	cr_strv_free(&o->worker_cmds);
	cr_strv_free(&o->worker_hosts);
	memset(o, 0, sizeof(*o));
}

static struct cr_group *
add_group(struct cr_run_opts *o, int is_file, const char *path)
{
	struct cr_group *ng;

	ng = realloc(o->groups, (o->ngroups + 1) * sizeof(*ng));
	if (ng == NULL) {
		return NULL;
	}
	o->groups = ng;
	ng = &o->groups[o->ngroups++];
	memset(ng, 0, sizeof(*ng));
	ng->is_file = is_file;
	ng->path = path;
	return ng;
}

static int
uint_opt(const char *name, const char *v, unsigned long long min,
    unsigned long long max, unsigned *out, struct cr_err *e)
{
	unsigned long long x;
	int rc = cr_parse_uint(v, max, &x);

	if (rc == 0 && x < min) {
		rc = CORUN_ERANGE;
	}
	if (rc != 0) {
		return cr_errf(e, CORUN_EINVAL, "%s: \"%s\" is not an integer "
		    "from %llu to %llu", name, v, min, max);
	}
	*out = (unsigned)x;
	return 0;
}

/* Apply one option with its value (v is NULL for flags). */
static int
apply(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	unsigned u = 0;
	int rc;

	switch (op->id) {
	case O_JOBS:
		return uint_opt(name, v, 0, 1000000, &o->jobs, e);
	case O_MODEL:
		if (cr_model_parse(v, &o->model) != 0) {
			return cr_errf(e, CORUN_EINVAL, "%s: unknown model "
			    "\"%s\" (process, thread, async or hybrid)",
			    name, v);
		}
		return 0;
	case O_PROCS:
		return uint_opt(name, v, 1, 4096, &o->procs, e);
	case O_THREADS:
		return uint_opt(name, v, 1, 4096, &o->threads, e);
	case O_CONC:
		return uint_opt(name, v, 1, 1000000, &o->concurrency, e);
	case O_OFFLOAD:
		o->offload = 1;
		return 0;
	case O_LOAD:
		if (*v == '\0') {
			return cr_errf(e, CORUN_EINVAL, "%s: empty file name",
			    name);
		}
		return cr_strv_push(&o->load, v) ? cr_errf(e, CORUN_ENOMEM,
		    "out of memory") : 0;
	case O_KEEP:
		o->keep_order = 1;
		return 0;
	case O_JOBLOG:
		o->joblog = v;
		return 0;
	case O_RESULTS:
		if (*v == '\0') {
			return cr_errf(e, CORUN_EINVAL, "%s: empty directory "
			    "name", name);
		}
		o->results = v;
		return 0;
	case O_TIMEOUT:
		if (cr_parse_double(v, &o->timeout) != 0 || o->timeout <= 0 ||
		    o->timeout > 1e9) {
			return cr_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a "
			    "positive number of seconds", name, v);
		}
		return 0;
	case O_RETRIES:
		rc = uint_opt(name, v, 0, 1000, &u, e);
		o->retries = (int)u;
		return rc;
	case O_HALT:
		if ((rc = cr_halt_parse(v, &o->halt, e)) != 0) {
			char m[sizeof(e->msg)];

			memcpy(m, e->msg, sizeof(m));
			return cr_errf(e, rc, "%s: %s", name, m);
		}
		return 0;
	case O_TAG:
		o->tag = 1;
		return 0;
	case O_LINEBUF:
		o->line_buffer = 1;
		return 0;
	case O_JSON:
		o->json = 1;
		return 0;
	case O_BAR:
		o->bar = 1;
		return 0;
	case O_PROGRESS:
		o->progress = 1;
		return 0;
	case O_DRYRUN:
		o->dry_run = 1;
		return 0;
	case O_ARGFILE:
		return add_group(o, 1, v) ? 0 : cr_errf(e, CORUN_ENOMEM,
		    "out of memory");
	case O_NULL:
		o->null_sep = 1;
		return 0;
	case O_JOBSFILE:
		o->jobs_file = v;
		return 0;
	case O_HELP:
		o->help = 1;
		return 0;
	case O_VERSION:
		o->version = 1;
		return 0;
	case O_LISTEN:
	case O_TOKEN:
	case O_TOKENFILE:
	case O_TLSCERT:
	case O_TLSKEY:
	case O_TLSCA:
		if (*v == '\0') {
			return cr_errf(e, CORUN_EINVAL, "%s: empty value", name);
		}
		*(op->id == O_LISTEN ? &o->listen : op->id == O_TOKEN ?
		    &o->token : op->id == O_TOKENFILE ? &o->token_file :
		    op->id == O_TLSCERT ? &o->tls_cert : op->id == O_TLSKEY ?
		    &o->tls_key : &o->tls_ca) = v;
		return 0;
	case O_INSECURE:
		o->insecure = 1;
		return 0;
	case O_REMOTEONLY:
		o->remote_only = 1;
		return 0;
	case O_WORKERCMD:
	case O_WORKERHOST:
		if (*v == '\0') {
			return cr_errf(e, CORUN_EINVAL, "%s: empty value", name);
		}
		return cr_strv_push(op->id == O_WORKERCMD ? &o->worker_cmds :
		    &o->worker_hosts, v) ? cr_errf(e, CORUN_ENOMEM,
		    "out of memory") : 0;
	case O_REMOTESLOTS:
		return uint_opt(name, v, 1, 65536, &o->remote_slots, e);
	case O_REMOTETIMEOUT:
		if (cr_parse_double(v, &o->remote_timeout) != 0 ||
		    o->remote_timeout < 0.1 || o->remote_timeout > 86400) {
			return cr_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a "
			    "number of seconds from 0.1 to 86400", name, v);
		}
		return 0;
	}
	return cr_errf(e, CORUN_EINVAL, "%s: not handled", name);
}

static const struct opt *
find_long(const char *s, size_t n)
{
	const struct opt *op;

	for (op = opts; op->lng != NULL; op++) {
		if (strlen(op->lng) == n && strncmp(op->lng, s, n) == 0) {
			return op;
		}
	}
	return NULL;
}

static const struct opt *
find_short(char c)
{
	const struct opt *op;

	for (op = opts; op->lng != NULL; op++) {
		if (op->shrt == c) {
			return op;
		}
	}
	return NULL;
}

/* Parse one option word at argv[*i]; may consume the next word. */
static int
parse_option(int argc, char **argv, int *i, struct cr_run_opts *o,
    struct cr_err *e)
{
	const char *w = argv[*i], *eq, *v;
	const struct opt *op;
	char name[64];
	size_t n;
	int rc;

	if (w[1] == '-') {
		eq = strchr(w + 2, '=');
		n = eq ? (size_t)(eq - w - 2) : strlen(w + 2);
		if ((op = find_long(w + 2, n)) == NULL) {
			return cr_errf(e, CORUN_EINVAL, "unknown option "
			    "\"%.*s\"", (int)n + 2, w);
		}
		snprintf(name, sizeof(name), "--%s", op->lng);
		if (!op->arg) {
			if (eq != NULL) {
				return cr_errf(e, CORUN_EINVAL, "%s takes no "
				    "value", name);
			}
			return apply(o, op, name, NULL, e);
		}
		if (eq != NULL) {
			v = eq + 1;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			return cr_errf(e, CORUN_EINVAL, "%s needs a value",
			    name);
		}
		return apply(o, op, name, v, e);
	}
	for (w++; *w != '\0'; w++) {
		if ((op = find_short(*w)) == NULL) {
			return cr_errf(e, CORUN_EINVAL, "unknown option "
			    "\"-%c\"", *w);
		}
		snprintf(name, sizeof(name), "-%c", *w);
		if (!op->arg) {
			if ((rc = apply(o, op, name, NULL, e)) != 0) {
				return rc;
			}
			continue;
		}
		if (w[1] != '\0') {
			v = w + 1;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			return cr_errf(e, CORUN_EINVAL, "%s needs a value",
			    name);
		}
		return apply(o, op, name, v, e);
	}
	return 0;
}

static int
is_sep(const char *w)
{
	return strcmp(w, ":::") == 0 || strcmp(w, "::::") == 0;
}

int
cr_run_opts_parse(int argc, char **argv, struct cr_run_opts *o,
    struct cr_err *e)
{
	struct cr_group *grp = NULL;
	int i = 0, file = 0, rc, cmd0;

	memset(o, 0, sizeof(*o));
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
	for (; i < argc; i++) {
		if (is_sep(argv[i])) {
			file = strcmp(argv[i], "::::") == 0;
			grp = NULL;
			if (!file) {
				if ((grp = add_group(o, 0, NULL)) == NULL) {
					return cr_errf(e, CORUN_ENOMEM,
					    "out of memory");
				}
			} else if (i + 1 == argc || is_sep(argv[i + 1])) {
				return cr_errf(e, CORUN_EINVAL, ":::: needs "
				    "at least one file");
			}
			continue;
		}
		if (file) {
			if (add_group(o, 1, argv[i]) == NULL) {
				return cr_errf(e, CORUN_ENOMEM,
				    "out of memory");
			}
		} else if (cr_strv_push(&grp->vals, argv[i]) != 0) {
			return cr_errf(e, CORUN_ENOMEM, "out of memory");
		}
	}
	if (o->help || o->version) {
		return 0;
	}
	if (o->listen == NULL && (o->token || o->token_file || o->tls_cert ||
	    o->tls_key || o->tls_ca || o->insecure || o->remote_only ||
	    o->worker_cmds.n || o->worker_hosts.n || o->remote_slots ||
	    o->remote_timeout > 0)) {
		return cr_errf(e, CORUN_EINVAL, "remote worker options "
		    "(--token, --tls-*, --worker-cmd, --remote-*, ...) need "
		    "--listen URL");
	}
	if (o->token != NULL && o->token_file != NULL) {
		return cr_errf(e, CORUN_EINVAL, "--token and --token-file "
		    "cannot both be given");
	}
	if (o->worker_hosts.n > 0 && o->worker_cmds.n == 0) {
		return cr_errf(e, CORUN_EINVAL, "--worker-host needs "
		    "--worker-cmd");
	}
	if (o->jobs_file != NULL && (o->ncmd > 0 || o->ngroups > 0)) {
		return cr_errf(e, CORUN_EINVAL, "--jobs-file cannot be "
		    "combined with a command, :::, :::: or -a");
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
