/*
 * main.c - corund: options, the state directory lock, daemonizing,
 * logging, signals (through the loop), readiness, privilege dropping.
 *
 * Start-up order matters: settle the options, take the lock on the state
 * directory (flock, so a second corund is refused whatever its pidfile
 * says), fork into the background before anything touches nng (nng is not
 * fork-safe), open the store and recover, bind the control socket, drop
 * privileges, start the pool, and only then say READY.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/paths.h"
#include "daemon.h"
#include "fault-internal.h"

static void exit_watchdog(int rc);

static int use_syslog;
static FILE *log_fp;
static char *log_path;
static int ready_fd = -1;	/* to the waiting parent when daemonized */

static const char usage_text[] =
    "usage: corund [--foreground] [--config FILE] [--state-dir DIR]\n"
    "              [--socket URL] [--workers N] [--model M]\n"
    "              [--pidfile FILE] [--user USER] [--log stderr|syslog|FILE]\n"
    "              [--heartbeat-timeout S] [--graceful-timeout S]\n"
    "              [--max-jobs-per-worker N] [--window N]\n"
    "              [--listen URL] [--token-file FILE]\n"
    "       corund -h | --help | --version\n";

void
cd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(LOG_NOTICE, fmt, ap);
	} else {
		FILE *f = log_fp != NULL ? log_fp : stderr;
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S",
		    localtime_r(&now, &tm));
		fprintf(f, "%s corund[%ld]: ", ts, (long)getpid());
		vfprintf(f, fmt, ap);
		fputc('\n', f);
		fflush(f);
	}
	va_end(ap);
}

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
void
cd_notify(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	char msg[512];
	socklen_t salen;
	va_list ap;
	int fd, n;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path)) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@') {
		sa.sun_path[0] = '\0';	/* abstract namespace */
	}
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		return;
	}
	while (sendto(fd, msg, (size_t)(n < (int)sizeof(msg) ? n :
	    (int)sizeof(msg) - 1), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    salen) < 0 && errno == EINTR) {
	}
	close(fd);
}

static int
open_log(const char *how)
{
	if (how != NULL && strcmp(how, "syslog") == 0) {
		openlog("corund", LOG_PID, LOG_DAEMON);
		use_syslog = 1;
		return 0;
	}
	if (how != NULL && how[0] == '/') {
		FILE *f = fopen(how, "a");

		if (f == NULL) {
			return -1;
		}
		if (log_fp != NULL) {
			fclose(log_fp);
		}
		log_fp = f;
		/* The pool logs worker losses to stderr: into the file too. */
		dup2(fileno(f), 2);
		if (how != log_path) {
			/* SIGUSR1 reopens log_path itself: keep it. */
			free(log_path);
			log_path = strdup(how);
		}
	}
	return 0;
}

void
cd_quit(struct cd_daemon *d)
{
	corun_loop_stop(d->loop);
}

/* ---- settings: file, then command line ----------------------------- */

struct override {
	const char *key, *value;
};

static struct override overrides[64];
static size_t noverrides;

static int
build_conf(struct cd_conf *c, const char *path, char *why, size_t whysize)
{
	char sub[512];

	cd_conf_init(c);
	if (path != NULL && cd_conf_load(c, path, why, whysize) != 0) {
		cd_conf_free(c);
		return -1;
	}
	for (size_t i = 0; i < noverrides; i++) {
		if (cd_conf_set(c, overrides[i].key, overrides[i].value, sub,
		    sizeof(sub)) != 0) {
			snprintf(why, whysize, "--%s", sub);
			cd_conf_free(c);
			return -1;
		}
	}
	return 0;
}

static unsigned
workers_of(const struct cd_conf *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return c->workers ? c->workers : n > 0 ? (unsigned)n : 1;
}

static void
reload(struct cd_daemon *d)
{
	struct cd_conf nc;
	char why[768];

	if (d->conf_path == NULL) {
		cd_log("SIGHUP: no --config file; nothing to reload");
		return;
	}
	cd_notify("RELOADING=1");
	if (build_conf(&nc, d->conf_path, why, sizeof(why)) != 0) {
		cd_log("SIGHUP: keeping the old settings: %s", why);
		cd_notify("READY=1\nSTATUS=config reload failed: %s", why);
		return;
	}
	if ((nc.socket != NULL && d->conf.socket != NULL &&
	    strcmp(nc.socket, d->conf.socket) != 0) ||
	    (nc.state_dir != NULL && d->conf.state_dir != NULL &&
	    strcmp(nc.state_dir, d->conf.state_dir) != 0)) {
		cd_log("SIGHUP: socket and state-dir changes need a restart");
	}
	/* Keep what was resolved at start; take the rest. */
	free(nc.socket);
	free(nc.state_dir);
	free(nc.pidfile);
	free(nc.user);
	nc.socket = d->conf.socket;
	nc.state_dir = d->conf.state_dir;
	nc.pidfile = d->conf.pidfile;
	nc.user = d->conf.user;
	d->conf.socket = d->conf.state_dir = d->conf.pidfile = NULL;
	d->conf.user = NULL;
	nc.sync_full = d->conf.sync_full;
	nc.max_request = d->conf.max_request;	/* fixed at bind */
	if (nc.log != NULL && (d->conf.log == NULL ||
	    strcmp(nc.log, d->conf.log) != 0) && nc.log[0] == '/') {
		open_log(nc.log);
	}
	{
		int pool_change = nc.model != d->conf.model ||
		    workers_of(&nc) != workers_of(&d->conf) ||
		    nc.heartbeat_timeout != d->conf.heartbeat_timeout ||
		    nc.max_jobs_per_worker != d->conf.max_jobs_per_worker ||
		    (nc.listen == NULL) != (d->conf.listen == NULL) ||
		    (nc.listen != NULL && strcmp(nc.listen,
		    d->conf.listen) != 0);

		cd_conf_free(&d->conf);
		d->conf = nc;
		if (pool_change) {
			d->workers = 0;	/* a new pool with the new settings */
			cd_feed_scale(d, workers_of(&nc));
		}
	}
	cd_log("SIGHUP: reloaded %s", d->conf_path);
	cd_notify("READY=1\nSTATUS=running, %u workers", d->workers);
	cd_feed_kick(d);
}

/* ---- signals (libevent signal events: run on the loop) ------------- */

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cd_daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
		cd_log("SIGTERM: draining (graceful timeout %.0f s)",
		    d->conf.graceful_timeout);
		cd_feed_drain(d, 0);
		break;
	case SIGINT:
	case SIGQUIT:
		cd_log("%s: stopping now", sig == SIGINT ? "SIGINT" :
		    "SIGQUIT");
		cd_feed_drain(d, 1);
		break;
	case SIGHUP:
		reload(d);
		break;
	case SIGTTIN:
		if (!d->exiting) {
			cd_feed_scale(d, d->workers + 1);
		}
		break;
	case SIGTTOU:
		if (!d->exiting && d->workers > 1) {
			cd_feed_scale(d, d->workers - 1);
		}
		break;
	case SIGUSR1:
		if (log_path != NULL && open_log(log_path) == 0) {
			cd_log("SIGUSR1: log reopened");
		}
		break;
	}
}

/* ---- start-up ------------------------------------------------------ */

static int
mkdirs(const char *path, mode_t mode)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
				return -1;
			}
			*p = '/';
		}
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST) {
		return -1;
	}
	return 0;
}

/* flock DIR/lock: held for the process's life, refused to a second one. */
static int
lock_state_dir(const char *dir, int *fdp)
{
	char path[4096], pid[32] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", CD_PROG, path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		fprintf(stderr, "%s: another corund (pid %s) uses %s\n",
		    CD_PROG, pid[0] ? pid : "?", dir);
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

static void
write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) < 0) {
		cd_log("cannot write the pid: %s", strerror(errno));
	}
}

/* Fork into the background; the parent exits when the child is ready. */
static int
daemonize(void)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0 || (pid = fork()) < 0) {
		return -1;
	}
	if (pid > 0) {
		char msg[1024];
		ssize_t n, got = 0;

		close(p[1]);
		while ((n = read(p[0], msg + got, sizeof(msg) - 1 -
		    (size_t)got)) > 0 || (n < 0 && errno == EINTR)) {
			got += n > 0 ? n : 0;
		}
		msg[got] = '\0';
		if (strcmp(msg, "ok") == 0) {
			_exit(0);
		}
		fprintf(stderr, "%s: %s\n", CD_PROG, got > 0 ? msg :
		    "failed to start (see the log)");
		_exit(1);
	}
	close(p[0]);
	setsid();
	if ((pid = fork()) < 0) {
		_exit(1);
	} else if (pid > 0) {
		_exit(0);
	}
	ready_fd = p[1];
	fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	if (chdir("/") != 0) {
		return -1;
	}
	{
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (log_fp == NULL) {
				dup2(fd, 2);
			}
			if (fd > 2) {
				close(fd);
			}
		}
	}
	return 0;
}

static void
tell_parent(const char *msg)
{
	if (ready_fd >= 0) {
		ssize_t n = write(ready_fd, msg, strlen(msg));

		(void)n;
		close(ready_fd);
		ready_fd = -1;
	}
}

static int
fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
fatal(const char *fmt, ...)
{
	char msg[5120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ready_fd >= 0) {
		tell_parent(msg);
	}
	cd_log("%s", msg);
	return 1;
}

/* --user: after binding, become USER (the state dir becomes theirs). */
static int
drop_privileges(struct cd_daemon *d, char *why, size_t whysize)
{
	const char *names[] = { "", "/lock", "/jobs.db", "/jobs.db-wal",
	    "/jobs.db-shm" };
	struct passwd *pw;
	char path[4096];

	if (d->conf.user == NULL) {
		return 0;
	}
	if ((pw = getpwnam(d->conf.user)) == NULL) {
		snprintf(why, whysize, "--user %s: no such user", d->conf.user);
		return -1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", d->conf.state_dir,
		    names[i]);
		if (chown(path, pw->pw_uid, pw->pw_gid) != 0 && i < 2) {
			snprintf(why, whysize, "chown %s: %s", path,
			    strerror(errno));
			return -1;
		}
	}
	if (strncmp(d->conf.socket, "ipc://", 6) == 0 &&
	    chown(d->conf.socket + 6, pw->pw_uid, pw->pw_gid) != 0) {
		snprintf(why, whysize, "chown %s: %s", d->conf.socket + 6,
		    strerror(errno));
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(why, whysize, "becoming %s: %s", pw->pw_name,
		    strerror(errno));
		return -1;
	}
	setenv("HOME", pw->pw_dir, 1);
	return 0;
}

static const struct option longopts[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, 'd' },
	{ "socket", required_argument, NULL, 'S' },
	{ "workers", required_argument, NULL, 'w' },
	{ "model", required_argument, NULL, 'm' },
	{ "pidfile", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "log", required_argument, NULL, 'l' },
	{ "heartbeat-timeout", required_argument, NULL, 1 },
	{ "graceful-timeout", required_argument, NULL, 2 },
	{ "max-jobs-per-worker", required_argument, NULL, 3 },
	{ "window", required_argument, NULL, 4 },
	{ "listen", required_argument, NULL, 5 },
	{ "token-file", required_argument, NULL, 6 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int
run(struct cd_daemon *d, int lockfd)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGTTIN,
	    SIGTTOU, SIGUSR1 };
	struct event *sev[sizeof(sigs) / sizeof(sigs[0])] = { NULL };
	char why[4608];
	size_t rq, fl;
	int rc = 1;

	if (cd_store_open(d->conf.state_dir, d->conf.sync_full, &d->store,
	    why, sizeof(why)) != 0) {
		return fatal("store: %s", why);
	}
	if (cd_store_recover(d->store, d->conf.max_attempts,
	    (uint64_t)time(NULL) * 1000000000ull, &rq, &fl) != 0) {
		return fatal("store: recovery: %s",
		    cd_store_errmsg(d->store));
	}
	if (rq + fl > 0) {
		cd_log("recovered: %zu job(s) that were running re-queued, "
		    "%zu failed (attempts exhausted)", rq, fl);
	}
	if (corun_loop_new(&d->loop) != 0) {
		return fatal("cannot create the loop");
	}
	d->started_ns = corun_loop_now_ns();
	if (cd_ctl_open(d, d->conf.socket, why, sizeof(why)) != 0) {
		rc = fatal("control socket: %s", why);
		goto out;
	}
	if (drop_privileges(d, why, sizeof(why)) != 0) {
		rc = fatal("%s", why);
		goto out;
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sev[i] = evsignal_new(corun_loop_base(d->loop), sigs[i],
		    on_signal, d);
		if (sev[i] == NULL || evsignal_add(sev[i], NULL) != 0) {
			rc = fatal("cannot watch signal %d", sigs[i]);
			goto out;
		}
	}
	d->conf.workers = workers_of(&d->conf);
	if (cd_feed_start(d) != 0) {
		rc = fatal("cannot start the workers");
		goto out;
	}
	write_pid(lockfd);
	if (d->conf.pidfile != NULL) {
		FILE *f = fopen(d->conf.pidfile, "w");

		if (f == NULL) {
			rc = fatal("%s: %s", d->conf.pidfile, strerror(errno));
			goto out;
		}
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	/* Tests: fail the Nth call from the first request on. */
	if (cr_fault_setenv("CORUN_FAULT") != 0) {
		rc = fatal("CORUN_FAULT=%s: expected CLASS:N[:once|:forever]"
		    "[,...] with CLASS alloc, io, net or listen", getenv("CORUN_FAULT"));
		goto out;
	}
	cd_log("ready: %s, state %s, %u workers (%s)", d->conf.socket,
	    d->conf.state_dir, d->workers, corun_model_name(d->conf.model));
	cd_notify("READY=1\nSTATUS=running, %u workers\nMAINPID=%ld",
	    d->workers, (long)getpid());
	tell_parent("ok");
	corun_loop_run_forever(d->loop);
	cd_log("stopped: %llu result(s) recorded",
	    (unsigned long long)d->results_recorded);
	rc = 0;
out:
	/*
	 * Everything acknowledged is on disk by now.  nng 1.5.2 can block
	 * for good in a close (nng issues 1543, 1813): a stop must not.
	 * Worker sockets avoid the cause found (src/sup/sockclose.c); a
	 * client's message arriving as the control socket closes can still
	 * meet it.
	 */
	exit_watchdog(rc);
	cd_ctl_flush_waiters(d, "corund is stopping");
	cd_feed_stop(d);
	cd_ctl_close(d);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sev[i] != NULL) {
			event_free(sev[i]);
		}
	}
	if (d->conf.pidfile != NULL && rc == 0) {
		unlink(d->conf.pidfile);
	}
	corun_loop_free(d->loop);
	if (getenv("CORUN_FAULT") != NULL) {
		cd_log("CORUN_FAULT=%s: %lu alloc, %lu io, %lu net failure(s) "
		    "injected", getenv("CORUN_FAULT"),
		    cr_fault_hits(CR_FAULT_ALLOC), cr_fault_hits(CR_FAULT_IO),
		    cr_fault_hits(CR_FAULT_NET));
	}
	return rc;
}

static void *
watchdog_main(void *arg)
{
	sleep(10);
	fprintf(stderr, "corund: teardown is stuck; exiting anyway\n");
	_exit((int)(intptr_t)arg);
}

/* Exit with rc if tearing down takes longer than 10 s. */
static void
exit_watchdog(int rc)
{
	pthread_attr_t attr;
	pthread_t tid;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_create(&tid, &attr, watchdog_main, (void *)(intptr_t)rc);
	pthread_attr_destroy(&attr);
}

int
main(int argc, char **argv)
{
	static struct cd_daemon daemon_state;
	struct cd_daemon *d = &daemon_state;
	char why[1024], buf[4096];
	int foreground = 0, opt, lockfd = -1, rc;
	const char *key;

	while ((opt = getopt_long(argc, argv, "fc:d:S:w:m:p:u:l:h", longopts,
	    NULL)) != -1) {
		key = NULL;
		switch (opt) {
		case 'f':
			foreground = 1;
			break;
		case 'c':
			d->conf_path = realpath(optarg, NULL);
			if (d->conf_path == NULL) {
				fprintf(stderr, "%s: %s: %s\n", CD_PROG, optarg,
				    strerror(errno));
				return 1;
			}
			break;
		case 'd': key = "state-dir"; break;
		case 'S': key = "socket"; break;
		case 'w': key = "workers"; break;
		case 'm': key = "model"; break;
		case 'p': key = "pidfile"; break;
		case 'u': key = "user"; break;
		case 'l': key = "log"; break;
		case 1: key = "heartbeat-timeout"; break;
		case 2: key = "graceful-timeout"; break;
		case 3: key = "max-jobs-per-worker"; break;
		case 4: key = "window"; break;
		case 5: key = "listen"; break;
		case 6: key = "token-file"; break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("%s %s\n", CD_PROG, PACKAGE_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 1;
		}
		if (key != NULL && noverrides < 64) {
			overrides[noverrides].key = key;
			overrides[noverrides++].value = optarg;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", CD_PROG,
		    argv[optind]);
		fputs(usage_text, stderr);
		return 1;
	}
	if (build_conf(&d->conf, d->conf_path, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: %s\n", CD_PROG, why);
		return 1;
	}
	if (d->conf.state_dir == NULL) {
		if (cd_default_state_dir(buf, sizeof(buf)) != 0) {
			fprintf(stderr, "%s: no state directory: set "
			    "--state-dir or $XDG_STATE_HOME\n", CD_PROG);
			return 1;
		}
		d->conf.state_dir = strdup(buf);
	}
	if (d->conf.socket == NULL) {
		if (cd_default_socket(buf, sizeof(buf)) != 0) {
			fprintf(stderr, "%s: socket path too long\n", CD_PROG);
			return 1;
		}
		d->conf.socket = strdup(buf);
	}
	if (d->conf.pidfile != NULL && d->conf.pidfile[0] != '/') {
		char *abs = NULL;

		/* We chdir("/") in the background: make it absolute. */
		if (getcwd(buf, sizeof(buf)) != NULL &&
		    asprintf(&abs, "%s/%s", buf, d->conf.pidfile) > 0) {
			free(d->conf.pidfile);
			d->conf.pidfile = abs;
		}
	}
	if (mkdirs(d->conf.state_dir, 0700) != 0) {
		fprintf(stderr, "%s: %s: %s\n", CD_PROG, d->conf.state_dir,
		    strerror(errno));
		return 1;
	}
	if (lock_state_dir(d->conf.state_dir, &lockfd) != 0) {
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (d->conf.log != NULL && open_log(d->conf.log) != 0) {
		fprintf(stderr, "%s: log %s: %s\n", CD_PROG, d->conf.log,
		    strerror(errno));
		return 1;
	}
	if (!foreground && daemonize() != 0) {
		fprintf(stderr, "%s: cannot go to the background: %s\n",
		    CD_PROG, strerror(errno));
		return 1;
	}
	rc = run(d, lockfd);
	tell_parent(rc == 0 ? "ok" : "failed to start (see the log)");
	cd_store_close(d->store);
	cd_conf_free(&d->conf);
	free(d->conf_path);
	close(lockfd);
	return rc;
}
