/* SPDX-License-Identifier: MIT */
/*
 * options.c - corun-worker's command line: --help, the table of options
 * with one small function per group of them (every worker's, a remote
 * worker's), and the checks across options.  Errors print the usage and
 * exit with WK_EXIT_USAGE.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"

#define USAGE \
"usage: corun-worker --connect URL [--threads T] [--concurrency C]\n" \
"                    [--prefetch N] [--silence N] [--offload]\n" \
"                    [--load FILE.so]... [--id N]\n" \
"                    [--name NAME] [--parent PID] [--jobs-fd FD]\n" \
"       corun-worker --connect URL [--model M] [-j N] [--procs P]\n" \
"                    [--token T | --token-file F] [--insecure]\n" \
"                    [--tls-ca F] [--tls-cert F [--tls-key F]]\n" \
"                    [--wait S] [--no-offload] [other options above]\n" \
"       corun-worker --url-file FILE [--rejoin S] [remote options above]\n"

static const char help_text[] = USAGE
"\n"
"Run corun jobs for the supervisor listening at URL (nng: ipc://, tcp://,\n"
"tls+tcp://).  Normally started by corun, not by hand.\n"
"\n"
"  --connect URL      dial the supervisor at URL (required)\n"
"  --threads T        job threads, each with its own loop (1..256, default 1;\n"
"                     1 runs jobs on the I/O loop itself)\n"
"  --concurrency C    jobs in flight per loop (1..1000000, default 1)\n"
"  --prefetch N       hold up to N jobs beyond the free slots, so the next\n"
"                     job is here when a slot frees (0..65536, default 0;\n"
"                     a remote worker's default is 1)\n"
"  --silence N        leave after N heartbeat intervals without a word from\n"
"                     the supervisor (1..1000, default 3)\n"
"  --offload          run blocking kinds in each loop's executor\n"
"  --load FILE.so     load job kinds from a plugin (repeatable)\n"
"  --id N             worker id, for log messages until WELCOME\n"
"  --name NAME        name sent in HELLO (default: host:pid)\n"
"  --parent PID       exit when process PID is no longer the parent\n"
"  --jobs-fd FD       read a first JOBS frame from FD until end of file and\n"
"                     start its jobs before connecting (the supervisor's)\n"
"  --help             show this help and exit\n"
"  --version          print the version and exit\n"
"\n"
"Without --parent the worker is remote: URL is the rendezvous of a corun\n"
"run --listen or corund listen; it presents the token there first.\n"
"  --model M          process, thread, async or hybrid (with -j N)\n"
"  -j, --jobs N       job slots in all (default: $SLURM_CPUS_ON_NODE in a\n"
"                     Slurm step, else the number of cores)\n"
"  --procs P          run P worker processes, each attached on its own\n"
"  --token T          shared token (also $CORUN_TOKEN)\n"
"  --token-file F     read the token from the first line of F\n"
"  --insecure         allow tcp:// with no token, tls+tcp:// with no --tls-ca\n"
"  --tls-ca F         CA certificates (PEM) that sign the supervisor's\n"
"  --tls-cert F       our certificate (PEM; with its key unless --tls-key)\n"
"  --tls-key F        our private key (PEM)\n"
"  --wait S           keep trying to reach URL for S seconds (default 10)\n"
"  --no-offload       run blocking kinds on the loops (remote workers\n"
"                     offload them, so that their heartbeats go on)\n"
"  --url-file FILE    read the URL (and token) from FILE, written by\n"
"                     corun run --url-file, instead of --connect\n"
"  --rejoin S         supervisor gone or not there yet: keep trying to\n"
"                     (re)join for S seconds (reading --url-file again)\n"
"\n"
"Signals: TERM finishes running jobs, then exits; a remote worker (no\n"
"--parent: scancel, a time limit) hands them back instead, to run again\n"
"elsewhere; INT (or a second signal) cancels them, killing their process\n"
"groups, then exits.\n"
"\n"
"Exit status: 0 shut down as asked; 1 a plugin failed to load or the\n"
"supervisor refused us; 2 protocol error from the supervisor; 3\n"
"supervisor unreachable or gone; 255 a bad option or argument.\n";


static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("corun-worker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" USAGE "Try 'corun-worker --help'.\n", stderr);
	exit(WK_EXIT_USAGE);
}

static unsigned long
number(const char *opt, const char *s, unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *s == '+' || *end != '\0' ||
	    errno != 0 || v < min || v > max) {
		usage_error("%s: '%s' is not a number in %lu..%lu", opt, s,
		    min, max);
	}
	return v;
}

/* The first line of path, for --token-file. */
static const char *
read_token(const char *path)
{
	static char buf[WIRE_TOKEN_MAX + 2];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		usage_error("--token-file %s: %s", path, strerror(errno));
	}
	if (fgets(buf, sizeof(buf), f) == NULL) {
		buf[0] = '\0';
	}
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n > WIRE_TOKEN_MAX) {
		usage_error("--token-file %s: longer than %d bytes", path,
		    WIRE_TOKEN_MAX);
	}
	buf[n] = '\0';
	if (n == 0) {
		usage_error("--token-file %s: the first line is empty", path);
	}
	return buf;
}

/* A remote worker's model: --model/--jobs to P x T x C. */
static void
resolve_model(struct wk_worker_opts *o, const char *model, unsigned jobs,
    int set_t, int set_c)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	const char *sl = getenv("SLURM_CPUS_ON_NODE");
	unsigned n;

	/* In a Slurm step, the CPUs it was given on this node. */
	if (sl != NULL && *sl != '\0' && strspn(sl, "0123456789") ==
	    strlen(sl) && atol(sl) > 0 && atol(sl) <= 65536) {
		cores = atol(sl);
	}
	n = jobs ? jobs : cores > 0 ? (unsigned)cores : 1;
	unsigned p = o->procs, t = 1, c = 1;

	if (model == NULL || strcmp(model, "process") == 0) {
		p = p ? p : n;
	} else if (strcmp(model, "thread") == 0) {
		t = n;
	} else if (strcmp(model, "async") == 0) {
		c = n;
	} else if (strcmp(model, "hybrid") == 0) {
		if (!p) {
			p = n < (unsigned)cores ? n : (unsigned)cores;
		}
		c = (n + p - 1) / p;
	} else {
		usage_error("--model: unknown model '%s' (process, thread, "
		    "async or hybrid)", model);
	}
	o->procs = p ? p : 1;
	if (!set_t) {
		o->threads = t > WK_WORKER_MAX_THREADS ?
		    WK_WORKER_MAX_THREADS : t;
	}
	if (!set_c) {
		o->concurrency = c;
	}
}

/* What parsing gathers besides the options themselves. */
struct parse_state {
	struct wk_worker_opts *o;
	const char	**loads;
	size_t		*nloads;
	const char	*model;		/* --model */
	unsigned	 jobs;		/* --jobs */
	int		 set_t, set_c;	/* --threads, --concurrency given */
	int		 no_offload;
	int		 set_prefetch;	/* --prefetch given */
};

enum {
	O_CONNECT, O_THREADS, O_CONC, O_PREFETCH, O_SILENCE, O_OFFLOAD,
	O_LOAD, O_ID, O_NAME, O_PARENT, O_JOBS_FD, O_HELP,
	O_MODEL, O_JOBS, O_PROCS, O_TOKEN, O_TOKEN_FILE, O_INSECURE,
	O_TLS_CA, O_TLS_CERT, O_TLS_KEY, O_WAIT, O_NO_OFFLOAD,
	O_URL_FILE, O_REJOIN,
	O_VERSION,
	O_COUNT
};

/* getopt_long's value for table entry i (above every short option). */
#define O_VAL(i)	(256 + (i))

typedef void opt_fn(struct parse_state *st, int id, const char *arg,
    unsigned long n);

/*
 * One option.  A number option (max != 0) is checked against min..max
 * before its function runs and arrives as n; the others get arg.
 */
struct wopt {
	const char	*name;
	int		 has_arg;
	unsigned long	 min, max;
	opt_fn		*set;
};

static opt_fn opt_local, opt_remote, opt_help, opt_version;

static const struct wopt wopts[O_COUNT] = {
	[O_CONNECT] =	{ "connect", required_argument, 0, 0, opt_local },
	[O_THREADS] =	{ "threads", required_argument, 1,
			  WK_WORKER_MAX_THREADS, opt_local },
	[O_CONC] =	{ "concurrency", required_argument, 1,
			  WK_WORKER_MAX_CONC, opt_local },
	[O_PREFETCH] =	{ "prefetch", required_argument, 0,
			  WK_WORKER_MAX_PREFETCH, opt_local },
	[O_SILENCE] =	{ "silence", required_argument, 1, 1000, opt_local },
	[O_OFFLOAD] =	{ "offload", no_argument, 0, 0, opt_local },
	[O_LOAD] =	{ "load", required_argument, 0, 0, opt_local },
	[O_ID] =	{ "id", required_argument, 0, UINT32_MAX, opt_local },
	[O_NAME] =	{ "name", required_argument, 0, 0, opt_local },
	[O_PARENT] =	{ "parent", required_argument, 1, INT_MAX,
			  opt_local },
	[O_JOBS_FD] =	{ "jobs-fd", required_argument, 0, INT_MAX,
			  opt_local },
	[O_HELP] =	{ "help", no_argument, 0, 0, opt_help },
	[O_MODEL] =	{ "model", required_argument, 0, 0, opt_remote },
	[O_JOBS] =	{ "jobs", required_argument, 1,
			  WK_WORKER_MAX_CAPACITY, opt_remote },
	[O_PROCS] =	{ "procs", required_argument, 1, 1024, opt_remote },
	[O_TOKEN] =	{ "token", required_argument, 0, 0, opt_remote },
	[O_TOKEN_FILE] = { "token-file", required_argument, 0, 0,
			  opt_remote },
	[O_INSECURE] =	{ "insecure", no_argument, 0, 0, opt_remote },
	[O_TLS_CA] =	{ "tls-ca", required_argument, 0, 0, opt_remote },
	[O_TLS_CERT] =	{ "tls-cert", required_argument, 0, 0, opt_remote },
	[O_TLS_KEY] =	{ "tls-key", required_argument, 0, 0, opt_remote },
	[O_WAIT] =	{ "wait", required_argument, 0, 86400, opt_remote },
	[O_NO_OFFLOAD] = { "no-offload", no_argument, 0, 0, opt_remote },
	[O_URL_FILE] =	{ "url-file", required_argument, 0, 0, opt_remote },
	[O_REJOIN] =	{ "rejoin", required_argument, 0, 86400, opt_remote },
	[O_VERSION] =	{ "version", no_argument, 0, 0, opt_version },
};

/* The options of every worker: the connection, slots, plugins, names. */
static void
opt_local(struct parse_state *st, int id, const char *arg, unsigned long n)
{
	struct wk_worker_opts *o = st->o;

	switch (id) {
	case O_CONNECT:
		if (*arg == '\0') {
			usage_error("--connect: empty URL");
		}
		o->url = arg;
		break;
	case O_THREADS:
		st->set_t = 1;
		o->threads = (unsigned)n;
		break;
	case O_CONC:
		st->set_c = 1;
		o->concurrency = (unsigned)n;
		break;
	case O_PREFETCH:
		st->set_prefetch = 1;
		o->prefetch = (unsigned)n;
		break;
	case O_SILENCE:
		o->silence = (unsigned)n;
		break;
	case O_OFFLOAD:
		o->offload = 1;
		break;
	case O_LOAD:
		st->loads[(*st->nloads)++] = arg;
		break;
	case O_ID:
		o->id = (uint32_t)n;
		break;
	case O_NAME:
		if (strlen(arg) > WIRE_NAME_MAX) {
			usage_error("--name: longer than %d bytes",
			    WIRE_NAME_MAX);
		}
		o->name = arg;
		break;
	case O_PARENT:
		o->parent = (pid_t)n;
		break;
	case O_JOBS_FD:
		o->jobs_fd = (int)n;
		break;
	}
}

/* The options of a remote worker: its model, the rendezvous, TLS. */
static void
opt_remote(struct parse_state *st, int id, const char *arg, unsigned long n)
{
	struct wk_worker_opts *o = st->o;

	switch (id) {
	case O_MODEL:
		st->model = arg;
		break;
	case O_JOBS:
		st->jobs = (unsigned)n;
		break;
	case O_PROCS:
		o->procs = (unsigned)n;
		break;
	case O_TOKEN:
		o->token = arg;
		break;
	case O_TOKEN_FILE:
		o->token = read_token(arg);
		break;
	case O_INSECURE:
		o->insecure = 1;
		break;
	case O_TLS_CA:
		o->tls_ca = arg;
		break;
	case O_TLS_CERT:
		o->tls_cert = arg;
		break;
	case O_TLS_KEY:
		o->tls_key = arg;
		break;
	case O_WAIT:
		o->wait = (double)n;
		break;
	case O_NO_OFFLOAD:
		st->no_offload = 1;
		break;
	case O_URL_FILE:
		o->url_file = arg;
		break;
	case O_REJOIN:
		o->rejoin = (double)n;
		break;
	}
}

static void
opt_help(struct parse_state *st, int id, const char *arg, unsigned long n)
{
	(void)st;
	(void)id;
	(void)arg;
	(void)n;
	fputs(help_text, stdout);
	exit(WK_EXIT_OK);
}

static void
opt_version(struct parse_state *st, int id, const char *arg, unsigned long n)
{
	(void)st;
	(void)id;
	(void)arg;
	(void)n;
	printf("corun-worker %s\n", PACKAGE_VERSION);
	exit(WK_EXIT_OK);
}

/* The checks across options, once all are in. */
static void
check_opts(struct parse_state *st)
{
	struct wk_worker_opts *o = st->o;
	static char why[1200];
	int rc;

	if (o->url == NULL && o->url_file == NULL) {
		usage_error("--connect URL is required (or --url-file FILE)");
	}
	if (o->url != NULL && o->url_file != NULL) {
		usage_error("--connect and --url-file cannot both be given");
	}
	if ((o->url_file != NULL || o->rejoin > 0) && o->parent != 0) {
		usage_error("--url-file and --rejoin are for remote workers "
		    "(no --parent)");
	}
	wk_rejoin_wait(o);
	if (o->url_file != NULL &&
	    (rc = wk_url_file_load(o, why, sizeof(why))) != 0) {
		if (rc < 0) {
			usage_error("%s", why);
		}
		o->url_why = why;	/* not there: no supervisor (yet) */
	}
	if (o->parent == 0) {
		/* Remote: attached through the rendezvous. */
		if (o->token == NULL && getenv("CORUN_TOKEN") != NULL &&
		    *getenv("CORUN_TOKEN") != '\0') {
			o->token = getenv("CORUN_TOKEN");
		}
		resolve_model(o, st->model, st->jobs, st->set_t, st->set_c);
		/*
		 * A loop blocked by a long job sends no heartbeat, and a
		 * remote worker that falls silent is dropped: blocking kinds
		 * go to the executors unless told otherwise.
		 */
		o->offload = !st->no_offload;
		/*
		 * Room for one job beyond the slots, so that the next one is
		 * here when a job ends (no round trip between jobs); the
		 * supervisor fills it only while jobs are short and no other
		 * worker has a free slot (pool-dispatch.c).
		 */
		if (!st->set_prefetch) {
			o->prefetch = WK_REMOTE_PREFETCH;
		}
		if (o->url != NULL &&
		    wk_attach_check(o, why, sizeof(why)) != 0) {
			usage_error("%s", why);
		}
	} else if (st->model != NULL || st->jobs != 0 || o->procs > 1 ||
	    st->no_offload) {
		usage_error("--model, --jobs, --procs and --no-offload are for "
		    "remote workers (no --parent)");
	}
	if ((unsigned long)o->threads * o->concurrency >
	    WK_WORKER_MAX_CAPACITY) {
		usage_error("--threads %u x --concurrency %u is over the "
		    "limit of %u job slots", o->threads, o->concurrency,
		    WK_WORKER_MAX_CAPACITY);
	}
}

void
wk_options_parse(int argc, char **argv, struct wk_worker_opts *o,
    const char **loads, size_t *nloads)
{
	struct parse_state st = { o, loads, nloads, NULL, 0, 0, 0, 0, 0 };
	struct option longopts[O_COUNT + 1];
	const struct wopt *d;
	char opt[32];
	unsigned long n;
	int c, i;

	for (i = 0; i < O_COUNT; i++) {
		longopts[i].name = wopts[i].name;
		longopts[i].has_arg = wopts[i].has_arg;
		longopts[i].flag = NULL;
		longopts[i].val = O_VAL(i);
	}
	memset(&longopts[O_COUNT], 0, sizeof(longopts[O_COUNT]));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hj:", longopts, NULL)) != -1) {
		if (c == ':') {
			usage_error("%s: missing argument", argv[optind - 1]);
		}
		c = c == 'h' ? O_VAL(O_HELP) : c == 'j' ? O_VAL(O_JOBS) : c;
		if (c < O_VAL(0) || c >= O_VAL(O_COUNT)) {
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
		d = &wopts[c - O_VAL(0)];
		n = 0;
		if (d->max != 0) {
			snprintf(opt, sizeof(opt), "--%s", d->name);
			n = number(opt, optarg, d->min, d->max);
		}
		d->set(&st, c - O_VAL(0), optarg, n);
	}
	if (optind < argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
	}
	check_opts(&st);
}
