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

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct opt;

/*
 * One option's handler: apply the value v (NULL for a flag) given as
 * name (e.g. "--jobs" or "-j") to o, 0 or an error in e.
 */
typedef int opt_fn(struct cr_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cr_err *e);

struct opt {
	const char *lng;
	char shrt;
	int arg;		/* takes a value */
	opt_fn *fn;
	size_t off;		/* the field of cr_run_opts it sets */
	unsigned long long min, max;	/* the range of a count */
};

static opt_fn set_flag, set_str, set_nonempty, set_count, push_nonempty;
static opt_fn opt_model, opt_load, opt_results, opt_timeout, opt_retries,
    opt_halt, opt_argfile, opt_remote_timeout;

#define OFF(f) offsetof(struct cr_run_opts, f)

static const struct opt opts[] = {
	/* the pool */
	{ "jobs", 'j', 1, set_count, OFF(jobs), 0, 1000000 },
	{ "model", 0, 1, opt_model, 0, 0, 0 },
	{ "procs", 0, 1, set_count, OFF(procs), 1, 4096 },
	{ "threads", 0, 1, set_count, OFF(threads), 1, 4096 },
	{ "concurrency", 0, 1, set_count, OFF(concurrency), 1, 1000000 },
	{ "offload", 0, 0, set_flag, OFF(offload), 0, 0 },
	{ "load", 0, 1, opt_load, 0, 0, 0 },
	/* output */
	{ "keep-order", 'k', 0, set_flag, OFF(keep_order), 0, 0 },
	{ "joblog", 0, 1, set_str, OFF(joblog), 0, 0 },
	{ "results", 0, 1, opt_results, 0, 0, 0 },
	/* each job */
	{ "timeout", 0, 1, opt_timeout, 0, 0, 0 },
	{ "retries", 0, 1, opt_retries, 0, 0, 0 },
	{ "halt", 0, 1, opt_halt, 0, 0, 0 },
	{ "halt-on-error", 0, 1, opt_halt, 0, 0, 0 },
	/* output */
	{ "tag", 0, 0, set_flag, OFF(tag), 0, 0 },
	{ "line-buffer", 0, 0, set_flag, OFF(line_buffer), 0, 0 },
	{ "lb", 0, 0, set_flag, OFF(line_buffer), 0, 0 },
	{ "json", 0, 0, set_flag, OFF(json), 0, 0 },
	{ "bar", 0, 0, set_flag, OFF(bar), 0, 0 },
	{ "progress", 0, 0, set_flag, OFF(progress), 0, 0 },
	{ "dry-run", 0, 0, set_flag, OFF(dry_run), 0, 0 },
	/* input */
	{ "arg-file", 'a', 1, opt_argfile, 0, 0, 0 },
	{ "null", '0', 0, set_flag, OFF(null_sep), 0, 0 },
	{ "jobs-file", 0, 1, set_str, OFF(jobs_file), 0, 0 },
	{ "help", 'h', 0, set_flag, OFF(help), 0, 0 },
	{ "version", 0, 0, set_flag, OFF(version), 0, 0 },
	/* remote workers */
	{ "listen", 0, 1, set_nonempty, OFF(listen), 0, 0 },
	{ "token", 0, 1, set_nonempty, OFF(token), 0, 0 },
	{ "token-file", 0, 1, set_nonempty, OFF(token_file), 0, 0 },
	{ "insecure", 0, 0, set_flag, OFF(insecure), 0, 0 },
	{ "tls-cert", 0, 1, set_nonempty, OFF(tls_cert), 0, 0 },
	{ "tls-key", 0, 1, set_nonempty, OFF(tls_key), 0, 0 },
	{ "tls-ca", 0, 1, set_nonempty, OFF(tls_ca), 0, 0 },
	{ "worker-cmd", 0, 1, push_nonempty, OFF(worker_cmds), 0, 0 },
	{ "worker-host", 0, 1, push_nonempty, OFF(worker_hosts), 0, 0 },
	{ "remote-only", 0, 0, set_flag, OFF(remote_only), 0, 0 },
	{ "remote-slots", 0, 1, set_count, OFF(remote_slots), 1, 65536 },
	{ "remote-timeout", 0, 1, opt_remote_timeout, 0, 0, 0 },
	{ NULL, 0, 0, NULL, 0, 0, 0 }
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

/* ---- the handlers: shared ones, then one per option that needs it -- */

#define FIELD(o, op, type) ((type *)(void *)((char *)(o) + (op)->off))

static int
set_flag(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	*FIELD(o, op, int) = 1;
	return 0;
}

static int
set_str(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	*FIELD(o, op, const char *) = v;
	return 0;
}

static int
set_nonempty(struct cr_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cr_err *e)
{
	if (*v == '\0') {
		return cr_errf(e, CORUN_EINVAL, "%s: empty value", name);
	}
	*FIELD(o, op, const char *) = v;
	return 0;
}

static int
set_count(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	return uint_opt(name, v, op->min, op->max, FIELD(o, op, unsigned), e);
}

static int
push_nonempty(struct cr_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cr_err *e)
{
	if (*v == '\0') {
		return cr_errf(e, CORUN_EINVAL, "%s: empty value", name);
	}
	return cr_strv_push(FIELD(o, op, struct cr_strv), v) ? cr_errf(e,
	    CORUN_ENOMEM, "out of memory") : 0;
}

static int
opt_model(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	if (cr_model_parse(v, &o->model) != 0) {
		return cr_errf(e, CORUN_EINVAL, "%s: unknown model \"%s\" "
		    "(process, thread, async or hybrid)", name, v);
	}
	return 0;
}

static int
opt_load(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	if (*v == '\0') {
		return cr_errf(e, CORUN_EINVAL, "%s: empty file name", name);
	}
	return cr_strv_push(&o->load, v) ? cr_errf(e, CORUN_ENOMEM,
	    "out of memory") : 0;
}

static int
opt_results(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	if (*v == '\0') {
		return cr_errf(e, CORUN_EINVAL, "%s: empty directory name",
		    name);
	}
	o->results = v;
	return 0;
}

static int
opt_timeout(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	if (cr_parse_double(v, &o->timeout) != 0 || o->timeout <= 0 ||
	    o->timeout > 1e9) {
		return cr_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a positive "
		    "number of seconds", name, v);
	}
	return 0;
}

static int
opt_retries(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	unsigned u = 0;
	int rc = uint_opt(name, v, 0, 1000, &u, e);

	o->retries = (int)u;
	return rc;
}

static int
opt_halt(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	int rc;

	if ((rc = cr_halt_parse(v, &o->halt, e)) != 0) {
		char m[sizeof(e->msg)];

		memcpy(m, e->msg, sizeof(m));
		return cr_errf(e, rc, "%s: %s", name, m);
	}
	return 0;
}

static int
opt_argfile(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	return add_group(o, 1, v) ? 0 : cr_errf(e, CORUN_ENOMEM,
	    "out of memory");
}

static int
opt_remote_timeout(struct cr_run_opts *o, const struct opt *op,
    const char *name, const char *v, struct cr_err *e)
{
	if (cr_parse_double(v, &o->remote_timeout) != 0 ||
	    o->remote_timeout < 0.1 || o->remote_timeout > 86400) {
		return cr_errf(e, CORUN_EINVAL, "%s: \"%s\" is not a number "
		    "of seconds from 0.1 to 86400", name, v);
	}
	return 0;
}

/* Apply one option with its value (v is NULL for flags). */
static int
apply(struct cr_run_opts *o, const struct opt *op, const char *name,
    const char *v, struct cr_err *e)
{
	return op->fn(o, op, name, v, e);
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

/* The words after the command: ::: values and :::: files. */
static int
parse_groups(int argc, char **argv, int i, struct cr_run_opts *o,
    struct cr_err *e)
{
	struct cr_group *grp = NULL;
	int file = 0;

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
	return 0;
}

/* Options that only make sense together. */
static int
check_combinations(struct cr_run_opts *o, struct cr_err *e)
{
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
	return 0;
}

int
cr_run_opts_parse(int argc, char **argv, struct cr_run_opts *o,
    struct cr_err *e)
{
	int i = 0, rc, cmd0;

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
