/*
 * main.c - corun-worker: options, setup, signals, teardown.
 *
 * The supervisor listens on a private nng URL and starts
 *
 *   corun-worker --connect URL --threads T --concurrency C [--offload]
 *       [--load FILE.so]... [--id N] [--name NAME] [--parent PID]
 *
 * The worker dials back, introduces itself (HELLO), and runs the jobs it
 * is sent until it is told to stop or its supervisor goes away.  Signals
 * arrive through the main loop (libevent signal events); no handler does
 * work of its own.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <event2/event.h>

#include "kinds.h"
#include "worker.h"
#ifdef CR_NNG_THREADS
#include "nng-threads.h"
#endif

#define USAGE \
"usage: corun-worker --connect URL [--threads T] [--concurrency C]\n" \
"                    [--prefetch N] [--silence N] [--offload]\n" \
"                    [--load FILE.so]... [--id N]\n" \
"                    [--name NAME] [--parent PID] [--jobs-fd FD]\n" \
"       corun-worker --connect URL [--model M] [-j N] [--procs P]\n" \
"                    [--token T | --token-file F] [--insecure]\n" \
"                    [--tls-ca F] [--tls-cert F [--tls-key F]]\n" \
"                    [--wait S] [--no-offload] [other options above]\n"

static const char help_text[] = USAGE
"\n"
"Run corun jobs for the supervisor listening at URL (nng: ipc://, tcp://,\n"
"tls+tcp://).  Normally started by corun, not by hand.\n"
"\n"
"  --connect URL      dial the supervisor at URL (required)\n"
"  --threads T        job threads, each with its own loop (1..256, default 1;\n"
"                     1 runs jobs on the I/O loop itself)\n"
"  --concurrency C    jobs in flight per loop (1..65536, default 1)\n"
"  --prefetch N       hold up to N jobs beyond the free slots, so the next\n"
"                     job is here when a slot frees (0..65536, default 0)\n"
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
"\n"
"Without --parent the worker is remote: URL is the rendezvous of a corun\n"
"run --listen or corund listen; it presents the token there first.\n"
"  --model M          process, thread, async or hybrid (with -j N)\n"
"  -j, --jobs N       job slots in all (default: the number of cores)\n"
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
"\n"
"Signals: TERM finishes running jobs, then exits; INT (or a second\n"
"signal) cancels them, killing their process groups, then exits.\n"
"\n"
"Exit status: 0 shut down as asked; 1 bad option, plugin or refused;\n"
"2 protocol error from the supervisor; 3 supervisor unreachable or gone.\n";


static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("corun-worker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n" USAGE "Try 'corun-worker --help'.\n", stderr);
	exit(CR_EXIT_SETUP);
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

enum {
	OPT_CONNECT = 256, OPT_THREADS, OPT_CONC, OPT_PREFETCH, OPT_SILENCE,
	OPT_OFFLOAD,
	OPT_LOAD,
	OPT_ID, OPT_NAME, OPT_PARENT, OPT_HELP,
	OPT_MODEL, OPT_JOBS, OPT_PROCS, OPT_TOKEN, OPT_TOKEN_FILE,
	OPT_INSECURE, OPT_TLS_CA, OPT_TLS_CERT, OPT_TLS_KEY, OPT_WAIT,
	OPT_NO_OFFLOAD, OPT_JOBS_FD
};

static const struct option longopts[] = {
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "concurrency", required_argument, NULL, OPT_CONC },
	{ "prefetch", required_argument, NULL, OPT_PREFETCH },
	{ "silence", required_argument, NULL, OPT_SILENCE },
	{ "offload", no_argument, NULL, OPT_OFFLOAD },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "id", required_argument, NULL, OPT_ID },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "parent", required_argument, NULL, OPT_PARENT },
	{ "jobs-fd", required_argument, NULL, OPT_JOBS_FD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "procs", required_argument, NULL, OPT_PROCS },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
	{ NULL, 0, NULL, 0 }
};

/* The first line of path, for --token-file. */
static const char *
read_token(const char *path)
{
	static char buf[CR_WIRE_TOKEN_MAX + 2];
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
	if (buf[n] == '\0' && n > CR_WIRE_TOKEN_MAX) {
		usage_error("--token-file %s: longer than %d bytes", path,
		    CR_WIRE_TOKEN_MAX);
	}
	buf[n] = '\0';
	if (n == 0) {
		usage_error("--token-file %s: the first line is empty", path);
	}
	return buf;
}

/* A remote worker's model: --model/--jobs to P x T x C. */
static void
resolve_model(struct cr_worker_opts *o, const char *model, unsigned jobs,
    int set_t, int set_c)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = jobs ? jobs : cores > 0 ? (unsigned)cores : 1;
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
		o->threads = t > CR_WORKER_MAX_THREADS ?
		    CR_WORKER_MAX_THREADS : t;
	}
	if (!set_c) {
		o->concurrency = c;
	}
}

/* Parse argv; the --load files are returned in loads (argc entries). */
static void
parse(int argc, char **argv, struct cr_worker_opts *o, const char **loads,
    size_t *nloads)
{
	const char *model = NULL;
	unsigned jobs = 0;
	int c, set_t = 0, set_c = 0, no_offload = 0;
	char why[300];

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hj:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MODEL:
			model = optarg;
			break;
		case 'j':
		case OPT_JOBS:
			jobs = (unsigned)number("--jobs", optarg, 1,
			    CR_WORKER_MAX_CAPACITY);
			break;
		case OPT_PROCS:
			o->procs = (unsigned)number("--procs", optarg, 1, 1024);
			break;
		case OPT_TOKEN:
			o->token = optarg;
			break;
		case OPT_TOKEN_FILE:
			o->token = read_token(optarg);
			break;
		case OPT_INSECURE:
			o->insecure = 1;
			break;
		case OPT_TLS_CA:
			o->tls_ca = optarg;
			break;
		case OPT_TLS_CERT:
			o->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			o->tls_key = optarg;
			break;
		case OPT_WAIT:
			o->wait = (double)number("--wait", optarg, 0, 86400);
			break;
		case OPT_NO_OFFLOAD:
			no_offload = 1;
			break;
		case OPT_CONNECT:
			if (*optarg == '\0') {
				usage_error("--connect: empty URL");
			}
			o->url = optarg;
			break;
		case OPT_THREADS:
			set_t = 1;
			o->threads = (unsigned)number("--threads", optarg, 1,
			    CR_WORKER_MAX_THREADS);
			break;
		case OPT_CONC:
			set_c = 1;
			o->concurrency = (unsigned)number("--concurrency",
			    optarg, 1, CR_WORKER_MAX_CONC);
			break;
		case OPT_PREFETCH:
			o->prefetch = (unsigned)number("--prefetch", optarg, 0,
			    CR_WORKER_MAX_CONC);
			break;
		case OPT_SILENCE:
			o->silence = (unsigned)number("--silence", optarg, 1,
			    1000);
			break;
		case OPT_OFFLOAD:
			o->offload = 1;
			break;
		case OPT_LOAD:
			loads[(*nloads)++] = optarg;
			break;
		case OPT_ID:
			o->id = (uint32_t)number("--id", optarg, 0,
			    UINT32_MAX);
			break;
		case OPT_NAME:
			if (strlen(optarg) > CR_WIRE_NAME_MAX) {
				usage_error("--name: longer than %d bytes",
				    CR_WIRE_NAME_MAX);
			}
			o->name = optarg;
			break;
		case OPT_PARENT:
			o->parent = (pid_t)number("--parent", optarg, 1,
			    INT_MAX);
			break;
		case OPT_JOBS_FD:
			o->jobs_fd = (int)number("--jobs-fd", optarg, 0,
			    INT_MAX);
			break;
		case 'h':
		case OPT_HELP:
			fputs(help_text, stdout);
			exit(CR_EXIT_OK);
		case ':':
			usage_error("%s: missing argument", argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		usage_error("unexpected argument '%s'", argv[optind]);
	}
	if (o->url == NULL) {
		usage_error("--connect URL is required");
	}
	if (o->parent == 0) {
		/* Remote: attached through the rendezvous. */
		if (o->token == NULL && getenv("CORUN_TOKEN") != NULL &&
		    *getenv("CORUN_TOKEN") != '\0') {
			o->token = getenv("CORUN_TOKEN");
		}
		resolve_model(o, model, jobs, set_t, set_c);
		/*
		 * A loop blocked by a long job sends no heartbeat, and a
		 * remote worker that falls silent is dropped: blocking kinds
		 * go to the executors unless told otherwise.
		 */
		o->offload = !no_offload;
		if (cr_attach_check(o, why, sizeof(why)) != 0) {
			usage_error("%s", why);
		}
	} else if (model != NULL || jobs != 0 || o->procs > 1 || no_offload) {
		usage_error("--model, --jobs, --procs and --no-offload are for "
		    "remote workers (no --parent)");
	}
	if ((unsigned long)o->threads * o->concurrency >
	    CR_WORKER_MAX_CAPACITY) {
		usage_error("--threads %u x --concurrency %u is over the "
		    "limit of %u job slots", o->threads, o->concurrency,
		    CR_WORKER_MAX_CAPACITY);
	}
}

/* Signals come through the loop: nothing runs in a real handler. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cr_worker *w = arg;

	(void)what;
	/* TERM: finish what runs.  INT, or a second signal: stop it now. */
	if (++w->sigterms == 1 && sig == SIGTERM) {
		cr_log(w, "%s: finishing running jobs", strsignal((int)sig));
		cr_session_shutdown(w, 1, 0, "terminated by signal");
	} else if (sig == SIGINT && w->sigterms == 1) {
		cr_log(w, "%s: cancelling running jobs", strsignal((int)sig));
		cr_session_shutdown(w, 0, 0, "interrupted");
	} else {
		cr_log(w, "%s again: cancelling running jobs",
		    strsignal((int)sig));
		cr_session_shutdown(w, 0, 0, "terminated by signal");
	}
}

static void
default_name(struct cr_worker *w, char *buf, size_t len)
{
	char host[128];

	if (gethostname(host, sizeof(host)) != 0) {
		snprintf(host, sizeof(host), "localhost");
	}
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, len, "%s:%ld", host, (long)getpid());
	w->opt.name = buf;
}

/*
 * --jobs-fd: the supervisor writes one JOBS frame (or nothing) to this
 * pipe and closes it.  Read to end of file, start the jobs, and give the
 * loop two turns so that they have spawned their processes before the
 * connection is set up (nng's threads and the dial take a millisecond).
 * Their results wait for the session; the rest of the window is granted
 * with HELLO.  A frame that does not decode is a setup error.
 */
#define CR_FIRST_MAX (64u << 10)	/* the supervisor writes 48 KiB at most */

static int
first_jobs(struct cr_worker *w)
{
	struct cr_wire_frame f;
	char why[CR_WIRE_WHY_SIZE];
	uint8_t *buf;
	size_t len = 0;
	ssize_t n;
	int rc = 0;

	if ((buf = malloc(CR_FIRST_MAX + 1)) == NULL) {
		cr_log(w, "--jobs-fd: out of memory");
		return -1;
	}
	while (len <= CR_FIRST_MAX && ((n = read(w->opt.jobs_fd, buf + len,
	    CR_FIRST_MAX + 1 - len)) > 0 || (n < 0 && errno == EINTR))) {
		len += n > 0 ? (size_t)n : 0;
	}
	close(w->opt.jobs_fd);
	w->opt.jobs_fd = -1;
	if (len > CR_FIRST_MAX) {
		cr_log(w, "--jobs-fd: more than %u bytes", CR_FIRST_MAX);
		rc = -1;
	} else if (len > 0) {
		if (cr_wire_decode(buf, len, CR_WIRE_MAX_FRAME, &f, why,
		    sizeof(why)) != 0) {
			cr_log(w, "--jobs-fd: %s", why);
			rc = -1;
		} else if (f.hdr.type != CR_WIRE_JOBS ||
		    f.hdr.count > w->window) {
			cr_log(w, "--jobs-fd: not a JOBS frame of at most %u "
			    "jobs", w->window);
			rc = -1;
		} else {
			w->first_jobs = f.hdr.count;
			cr_dispatch_first(w, &f);
			(void)corun_loop_run_once(w->loop, 0);
			(void)corun_loop_run_once(w->loop, 0);
		}
	}
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct cr_worker wk;
	struct cr_worker *w = &wk;
	struct event *sigev[2] = { NULL, NULL };
	char why[512], name[200];
	const char **loads;
	size_t nloads = 0, i;
	int rc, abandoned;

	cr_session_init(w);
	w->opt.threads = 1;
	w->opt.concurrency = 1;
	w->opt.silence = 3;
	if ((loads = calloc((size_t)argc + 1, sizeof(*loads))) == NULL) {
		perror("corun-worker");
		return CR_EXIT_SETUP;
	}
	w->opt.wait = 10;
	w->opt.jobs_fd = -1;
	parse(argc, argv, &w->opt, loads, &nloads);
	if (w->opt.procs > 1) {
		/* P processes, each attached on its own. */
		return cr_procs_run(argc, argv, w->opt.procs);
	}
	if (w->opt.name == NULL) {
		default_name(w, name, sizeof(name));
	}
	w->capacity = w->opt.threads * w->opt.concurrency;
	w->window = w->capacity + w->opt.prefetch;
	signal(SIGPIPE, SIG_IGN);
#ifdef CR_NNG_THREADS
	/* One connection: two task threads and one timeout thread will do. */
	cr_nng_cpus = 1;
#endif

	if (w->opt.parent != 0) {
#ifdef __linux__
		/* Leave with the supervisor, then close the race. */
		/* Like SIGINT: cancel the jobs (kill their groups), leave. */
		(void)prctl(PR_SET_PDEATHSIG, SIGINT);
#endif
		if (getppid() != w->opt.parent) {
			cr_log(w, "parent process %ld is already gone",
			    (long)w->opt.parent);
			return CR_EXIT_LOST;
		}
	}
	for (i = 0; i < nloads; i++) {
		if (cr_kinds_load(loads[i], why, sizeof(why)) != 0) {
			cr_log(w, "--load %s: %s", loads[i], why);
			return CR_EXIT_SETUP;
		}
	}
	free(loads);

	if ((rc = cr_wire_builder_init(&w->wb, 0, 0, 0)) != 0 ||
	    (rc = corun_loop_new(&w->loop)) != 0) {
		cr_log(w, "setup failed: %s", corun_strerror(rc));
		return CR_EXIT_SETUP;
	}
	if (cr_dispatch_init(w, why, sizeof(why)) != 0) {
		cr_log(w, "setup failed: %s", why);
		return CR_EXIT_SETUP;
	}
	if (w->opt.parent == 0) {
		const char *rendezvous = w->opt.url;

		if (cr_attach(w, why, sizeof(why), &rc) != 0) {
			cr_log(w, "%s", why);
			cr_attach_fini(w);
			(void)cr_dispatch_fini(w);
			return rc;
		}
		cr_log(w, "let in at %s: session %s, %u job slot(s)",
		    rendezvous, w->opt.url, w->window);
	}
	sigev[0] = evsignal_new(corun_loop_base(w->loop), SIGTERM, on_signal,
	    w);
	sigev[1] = evsignal_new(corun_loop_base(w->loop), SIGINT, on_signal,
	    w);
	for (i = 0; i < 2; i++) {
		if (sigev[i] == NULL || event_add(sigev[i], NULL) != 0) {
			cr_log(w, "cannot watch signals");
			return CR_EXIT_SETUP;
		}
	}
	if (w->opt.jobs_fd >= 0 && first_jobs(w) != 0) {
		return CR_EXIT_SETUP;
	}
	if (cr_conn_open(w, why, sizeof(why)) != 0) {
		cr_log(w, "%s", why);
		if (w->running > 0) {
			/* First jobs run: kill their groups before leaving. */
			cr_session_lost(w, "no supervisor");
			(void)corun_loop_run_forever(w->loop);
		}
		for (i = 0; i < 2; i++) {
			event_free(sigev[i]);
		}
		cr_conn_close(w);
		(void)cr_dispatch_fini(w);
		return CR_EXIT_LOST;
	}
	if (cr_session_start(w) == 0) {
		(void)corun_loop_run_forever(w->loop);
	} else {
		if (w->running > 0) {
			cr_session_lost(w, "cannot start the session");
			(void)corun_loop_run_forever(w->loop);
		}
		if (w->exit_code == 0) {
			w->exit_code = CR_EXIT_LOST;
		}
	}

	for (i = 0; i < 2; i++) {
		event_free(sigev[i]);
	}
	cr_conn_leave(w);
	abandoned = cr_dispatch_fini(w);
	if (abandoned) {
		/* Jobs stuck in blocking code keep their threads: skip the
		 * teardown and leave at once. */
		fflush(NULL);
		_exit(w->exit_code);
	}
	cr_session_fini(w);
	cr_attach_fini(w);
	corun_loop_free(w->loop);
	return w->exit_code;
}
