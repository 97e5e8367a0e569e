/*
 * kind-shell.c - run a command: directly when it has no shell syntax,
 * through /bin/sh -c when it is one word that does.  A program whose full
 * path is known (looked up once per thread) starts through cr_spawn
 * (spawn.c), which does not wait for the exec; others through
 * posix_spawnp, which searches PATH.
 *
 * The child gets its own process group (so a timeout can kill the whole
 * tree), /dev/null as stdin, default signal dispositions and an empty
 * signal mask (the worker may ignore SIGPIPE or block signals; children
 * must not inherit that).  stdout and stderr are drained into the job's
 * buffers by two plain libevent events (no task, no stack each), so a
 * child that fills one pipe while we wait on the other cannot deadlock.
 * This task waits for the child's exit without reaping it, holding the
 * pipes' write ends meanwhile, so that the child closing its output (most
 * coreutils close stdout before they exit) wakes nobody; then it lets go
 * of them, reads what is left, waits for the end of file only if the
 * child left something behind that still holds the pipes, and reaps.
 * One wake-up per job's exit: the path from a child's exit to the next
 * spawn is a handful of system calls.
 *
 * On cancel (timeout or the caller): SIGTERM to the group, up to
 * CR_KILL_GRACE seconds for the leader to exit, then SIGKILL to the group
 * (whatever of it is left), reap, stop the readers.  The leader is reaped
 * only after the SIGKILL, so its pid, and so the group id, cannot have
 * been reused when we signal it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include <corun/task.h>

#include "kinds-internal.h"
#include "kinds.h"

extern char **environ;

/*
 * A single word containing any of these is shell code, not a program
 * name: pipes and lists (| & ;), redirections (< >), subshells and
 * groups (( ) { }), expansions ($ ` ~ and the globs * ? [ ]), quoting
 * (\ " '), comments (#), assignments (=), job specs (%), history-style !
 * and line breaks.  Blanks alone do not need a shell (see split_fields).
 */
static const char shell_chars[] = "|&;<>(){}$`~*?[]\\\"'#=%!\n\r";

/*
 * Words that only mean something to a shell (reserved words and
 * builtins that have no program of their own or act on the shell).
 */
static const char *const shell_words[] = {
	"!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi",
	"for", "if", "in", "then", "until", "while", ".", "alias", "bg",
	"break", "cd", "command", "continue", "eval", "exec", "exit",
	"export", "fg", "getopts", "hash", "jobs", "local", "read",
	"readonly", "return", "set", "shift", "source", "times", "trap",
	"type", "ulimit", "umask", "unalias", "unset", "wait", NULL
};

/* Reads per event callback, so one chatty child cannot hog the loop. */
#define CR_DRAIN_READS 16

/* The two output pipes of a running child. */
struct drain {
	corun_job_ctx *ctx;
	int fd[2];			/* stdout, stderr */
	struct event *ev[2];		/* NULL once that side is done */
	int open;			/* sides not at end of file */
	int rc[2];			/* CORUN_E* that stopped a side */
	int sys_errno[2];
	corun_future *eof;		/* both sides done */
};

static int
is_shell_word(const char *w)
{
	for (size_t i = 0; shell_words[i] != NULL; i++) {
		if (strcmp(w, shell_words[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Split s in place at blanks; returns the field count (0 if blank). */
static size_t
split_fields(char *s, char **argv, size_t max)
{
	size_t n = 0;

	while (*s != '\0' && n < max) {
		while (*s == ' ' || *s == '\t') {
			*s++ = '\0';
		}
		if (*s == '\0') {
			break;
		}
		argv[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			s++;
		}
	}
	return n;
}

/* inherited environment, minus what the env words override, plus them */
static char **
build_env(char **words, size_t nwords)
{
	size_t ninh = 0, n = 0, i, j;
	char **env;

	while (environ != NULL && environ[ninh] != NULL) {
		ninh++;
	}
	if ((env = calloc(ninh + nwords + 1, sizeof(*env))) == NULL) {
		return NULL;
	}
	for (i = 0; i < ninh; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq != NULL ? (size_t)(eq - environ[i]) :
		    strlen(environ[i]);

		for (j = 0; j < nwords; j++) {
			if (strncmp(words[j], environ[i], klen) == 0 &&
			    words[j][klen] == '=') {
				break;
			}
		}
		if (j == nwords) {
			env[n++] = environ[i];
		}
	}
	for (j = 0; j < nwords; j++) {
		env[n++] = words[j];
	}
	env[n] = NULL;
	return env;
}

static void
drain_close(struct drain *d, int i)
{
	if (d->ev[i] != NULL) {
		event_free(d->ev[i]);
		d->ev[i] = NULL;
		d->open--;
	}
}

/*
 * Read what side i holds, up to CR_DRAIN_READS reads; close the side at
 * end of file or on an error.
 */
static void
drain_side(struct drain *d, int i)
{
	char buf[16384];
	ssize_t n;
	int k, rc;

	for (k = 0; k < CR_DRAIN_READS && d->ev[i] != NULL; k++) {
		n = read(d->fd[i], buf, sizeof(buf));
		if (n > 0) {
			rc = i ? corun_job_write_err(d->ctx, buf, (size_t)n) :
			    corun_job_write_out(d->ctx, buf, (size_t)n);
			if (rc != 0) {
				d->rc[i] = rc;
				drain_close(d, i);
			}
		} else if (n == 0) {
			drain_close(d, i);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else if (errno != EINTR) {
			d->sys_errno[i] = errno;
			d->rc[i] = CORUN_ESYS;
			drain_close(d, i);
		}
	}
}

static void
drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drain *d = arg;

	(void)what;
	drain_side(d, fd == d->fd[0] ? 0 : 1);
	if (d->open == 0 && !corun_future_done(d->eof)) {
		(void)corun_future_set_result(d->eof, NULL, NULL);
	}
}

static int
drain_start(struct drain *d, corun_job_ctx *ctx, const int fds[2])
{
	struct event_base *base = corun_loop_base(ctx->loop);
	int i, rc;

	memset(d, 0, sizeof(*d));
	d->ctx = ctx;
	d->fd[0] = fds[0];
	d->fd[1] = fds[1];
	if ((rc = corun_future_new(ctx->loop, &d->eof)) != 0) {
		return rc;
	}
	for (i = 0; i < 2; i++) {
		d->ev[i] = event_new(base, fds[i], EV_READ | EV_PERSIST,
		    drain_cb, d);
		if (d->ev[i] == NULL || event_add(d->ev[i], NULL) != 0) {
			return CORUN_ENOMEM;
		}
		d->open++;
	}
	return 0;
}

/* Take what is still readable now, then stop watching. */
static void
drain_stop(struct drain *d)
{
	for (int i = 0; i < 2; i++) {
		drain_side(d, i);
		drain_close(d, i);
	}
	if (d->eof != NULL) {
		corun_future_unref(d->eof);
		d->eof = NULL;
	}
}

/* Sleep a little, whatever cancel requests arrive meanwhile. */
static void
nap(double *delay)
{
	corun_sleep(*delay);
	if (*delay < 0.02) {
		*delay *= 2;
	}
}

/*
 * Stop the process group pid leads.  If the leader has not been reaped:
 * TERM, wait up to CR_KILL_GRACE for it to exit (without reaping), KILL,
 * then reap it into *status.  Returns 1 if *status was set.
 */
static int
terminate(pid_t pid, int reaped, int *status)
{
	uint64_t until = corun_loop_now_ns() +
	    (uint64_t)(CR_KILL_GRACE * 1e9);
	double delay = 0.001;
	siginfo_t si;
	pid_t r;

	kill(-pid, SIGTERM);
	while (corun_loop_now_ns() < until) {
		memset(&si, 0, sizeof(si));
		if (reaped) {
			if (kill(-pid, 0) != 0) {
				break;
			}
		} else if (waitid(P_PID, (id_t)pid, &si,
		    WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
			break;
		}
		nap(&delay);
	}
	kill(-pid, SIGKILL);
	if (reaped) {
		return 0;
	}
	delay = 0.001;
	while ((r = waitpid(pid, status, WNOHANG)) == 0 ||
	    (r < 0 && errno == EINTR)) {
		nap(&delay);
	}
	return r == pid;
}

/*
 * posix_spawnp tries every PATH entry in the child, one failed execve each
 * (nine here for `true`): resolve a bare command name once per thread and
 * spawn the full path.  The worker's PATH does not change; a cached path
 * that stops working is dropped and the lookup done again.
 */
#define CR_PATH_CACHE 32

struct cr_path_ent {
	char name[64];
	char path[256];
};

static __thread struct cr_path_ent cr_paths[CR_PATH_CACHE];
static __thread unsigned cr_paths_next;

static struct cr_path_ent *
path_cached(const char *name)
{
	for (unsigned i = 0; i < CR_PATH_CACHE; i++) {
		if (cr_paths[i].name[0] != '\0' &&
		    strcmp(cr_paths[i].name, name) == 0) {
			return &cr_paths[i];
		}
	}
	return NULL;
}

/* The full path for a bare name, or NULL (let posix_spawnp search). */
static const char *
path_resolve(const char *name)
{
	const char *env = getenv("PATH"), *p, *end;
	struct cr_path_ent *e;
	char buf[sizeof(e->path)];

	if (strchr(name, '/') != NULL || strlen(name) >= sizeof(e->name) ||
	    env == NULL) {
		return NULL;
	}
	if ((e = path_cached(name)) != NULL) {
		return e->path;
	}
	for (p = env; *p != '\0'; p = *end ? end + 1 : end) {
		size_t dlen;
		int n;

		end = strchr(p, ':');
		if (end == NULL) {
			end = p + strlen(p);
		}
		dlen = (size_t)(end - p);
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)dlen,
		    dlen ? p : ".", name);
		if (dlen == 0 || n < 0 || (size_t)n >= sizeof(buf)) {
			continue;	/* relative entries: leave to spawnp */
		}
		if (access(buf, X_OK) == 0) {
			e = &cr_paths[cr_paths_next++ % CR_PATH_CACHE];
			snprintf(e->name, sizeof(e->name), "%s", name);
			memcpy(e->path, buf, (size_t)n + 1);
			return e->path;
		}
	}
	return NULL;
}

static void
path_forget(const char *name)
{
	struct cr_path_ent *e = path_cached(name);

	if (e != NULL) {
		e->name[0] = '\0';
	}
}

/*
 * Each posix_spawn_file_actions_add*() checks its descriptors against
 * RLIMIT_NOFILE with a system call: five per spawn.  The actions depend
 * on nothing but the two pipe ends, and pipe numbers repeat from job to
 * job, so the actions of the first CR_FA_CACHE pairs are kept, shared by
 * every thread (read-only once published) and never freed.
 */
#define CR_FA_CACHE 16

struct cr_fa_ent {
	int out, err;
	posix_spawn_file_actions_t fa;
};

static struct cr_fa_ent cr_fa_cache[CR_FA_CACHE];
static unsigned cr_fa_len;		/* published entries (atomic) */
static pthread_mutex_t cr_fa_mu = PTHREAD_MUTEX_INITIALIZER;

static void
fa_build(posix_spawn_file_actions_t *fa, int out, int err)
{
	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, out, 1);
	posix_spawn_file_actions_adddup2(fa, err, 2);
}

/* The actions for this pair: cached, or built in *tmp (*built set). */
static const posix_spawn_file_actions_t *
file_actions(int out, int err, posix_spawn_file_actions_t *tmp, int *built)
{
	unsigned i, n = __atomic_load_n(&cr_fa_len, __ATOMIC_ACQUIRE);
	struct cr_fa_ent *e;

	*built = 0;
	for (i = 0; i < n; i++) {
		if (cr_fa_cache[i].out == out && cr_fa_cache[i].err == err) {
			return &cr_fa_cache[i].fa;
		}
	}
	pthread_mutex_lock(&cr_fa_mu);
	if ((n = cr_fa_len) < CR_FA_CACHE) {
		e = &cr_fa_cache[n];
		e->out = out;
		e->err = err;
		fa_build(&e->fa, out, err);
		__atomic_store_n(&cr_fa_len, n + 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&cr_fa_mu);
		return &e->fa;
	}
	pthread_mutex_unlock(&cr_fa_mu);
	fa_build(tmp, out, err);
	*built = 1;
	return tmp;
}

/*
 * A program found by a PATH search in the child (no cached full path, or
 * one that stopped working): posix_spawnp, with the same setup as
 * cr_spawn gives.
 */
static int
spawn_search(const char *path, char **argv, char **envp, int out, int err,
    pid_t *pid)
{
	const posix_spawn_file_actions_t *fa;
	posix_spawn_file_actions_t tmp;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc, built;

	fa = file_actions(out, err, &tmp, &built);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(pid, path, fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	if (built) {
		posix_spawn_file_actions_destroy(&tmp);
	}
	return rc;
}

/*
 * Start the program with two fresh pipes.  The common case, a program
 * whose full path is known (cached), goes through cr_spawn (spawn.c),
 * which returns before the child has exec'd: *sp is then set and a failed
 * exec shows when the child is reaped.  search (or no known path) starts
 * it with posix_spawnp, which reports a failed exec here.
 *
 * rd[] gets the read ends (non-blocking), wr[] the write ends, which the
 * caller keeps open until the child has exited (see run_once).
 */
static int
spawn(corun_job_ctx *ctx, const char *path, char **argv, char **envp,
    int search, int rd[2], int wr[2], pid_t *pid, struct cr_spawn **sp)
{
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	const char *full;
	int rc;

	*sp = NULL;
	if (pipe2(op, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
		rc = errno;
		goto fail;
	}
	full = search ? NULL : path_resolve(path);
	if (full != NULL) {
		const int fds[4] = { -1, op[1], ep[1], -1 };

		rc = cr_spawn(full, argv, envp, fds, 0, pid, sp);
	} else {
		rc = spawn_search(path, argv, envp, op[1], ep[1], pid);
	}
	if (rc != 0) {
		goto fail;
	}
	fcntl(op[0], F_SETFL, O_NONBLOCK);
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	rd[0] = op[0];
	rd[1] = ep[0];
	wr[0] = op[1];
	wr[1] = ep[1];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0) {
			close(op[i]);
		}
		if (ep[i] >= 0) {
			close(ep[i]);
		}
	}
	return corun_job_fail(ctx, CORUN_EFAILED, "shell: cannot run '%s': %s",
	    argv[0], strerror(rc));
}

/* Record how the child ended; returns the kind's status. */
static int
exit_status(corun_job_ctx *ctx, int st)
{
	if (WIFEXITED(st)) {
		corun_job_set_exit(ctx, WEXITSTATUS(st), 0);
		if (WEXITSTATUS(st) != 0) {
			return corun_job_fail(ctx, CORUN_EFAILED, "exit %d",
			    WEXITSTATUS(st));
		}
		return 0;
	}
	if (WIFSIGNALED(st)) {
		corun_job_set_exit(ctx, -1, WTERMSIG(st));
		return corun_job_fail(ctx, CORUN_EFAILED,
		    "killed by signal %d", WTERMSIG(st));
	}
	return corun_job_fail(ctx, CORUN_EFAILED, "unexpected wait status "
	    "%#x", (unsigned)st);
}

/*
 * Run argv once and collect its output and status; *exec_err is set
 * instead when the program could not be started (cr_spawn's children
 * report that only when reaped).
 *
 * We hold the pipes' write ends until the child has exited, so that its
 * closing them (coreutils close stdout before they exit, and the exit
 * closes the rest) is no end of file and wakes nobody: the loop wakes for
 * the child's output and once for its exit.  A wake-up at each close
 * comes while the child is still exiting, finds nothing to reap, and can
 * take the CPU from the very child it waits for.  Once the child is
 * reaped our write ends go and what the pipes hold is read at once; only
 * the child's own children still holding them (something it left in the
 * background) make us wait for their end of file, as a shell's $(...)
 * would.
 */
static int
run_once(corun_job_ctx *ctx, const char *path, char **argv, char **envp,
    int search, int *exec_err)
{
	struct cr_spawn *sp;
	struct drain d;
	int fds[2] = { -1, -1 }, wr[2] = { -1, -1 }, st = 0, rc, reaped = 0;
	int cancelled = 0, i;
	pid_t pid;

	*exec_err = 0;
	if ((rc = spawn(ctx, path, argv, envp, search, fds, wr, &pid,
	    &sp)) != 0) {
		return rc;
	}
	if (drain_start(&d, ctx, fds) != 0) {
		cancelled = 1;	/* no memory: treat as a stop */
		rc = corun_job_fail(ctx, CORUN_ENOMEM, "shell: out of memory");
	}
	if (!cancelled && (rc = cr_wait_exited(pid)) != 0) {
		if (rc != CORUN_ECANCELED) {
			rc = corun_job_fail(ctx, rc, "shell: waiting for pid "
			    "%ld: %s", (long)pid, corun_strerror(rc));
		}
		cancelled = 1;
	}
	for (i = 0; i < 2; i++) {
		close(wr[i]);
	}
	if (!cancelled) {
		/* Usually the end of file is there already. */
		for (i = 0; i < 2; i++) {
			drain_side(&d, i);
		}
		if (d.open > 0 && corun_await(d.eof) != 0) {
			cancelled = 1;	/* kill what holds them */
		}
	}
	if (!cancelled) {
		pid_t r;

		while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
			continue;
		}
		if (r == pid) {
			reaped = 1;
		} else {
			rc = corun_job_fail(ctx, CORUN_ESYS, "shell: reaping "
			    "pid %ld: %s", (long)pid, strerror(errno));
		}
	}
	if (cancelled && terminate(pid, reaped, &st)) {
		reaped = 1;
	}
	drain_stop(&d);
	for (i = 0; i < 2; i++) {
		close(fds[i]);
	}
	/* Its stack is free once it is reaped (never before). */
	if (reaped) {
		int e = cr_spawn_end(sp);

		if (e != 0 && !cancelled) {
			*exec_err = e;
			return 0;
		}
	}
	if (reaped) {
		/* Record the signal even if we killed it ourselves. */
		int xrc = exit_status(ctx, st);

		if (!cancelled) {
			rc = xrc;
		}
	}
	if (cancelled) {
		return rc != 0 ? rc : CORUN_ECANCELED;
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		if (d.rc[i] != 0) {
			errno = d.sys_errno[i];
			rc = corun_job_fail(ctx, d.rc[i], "shell: reading "
			    "std%s: %s", i == 0 ? "out" : "err",
			    d.sys_errno[i] != 0 ? strerror(d.sys_errno[i]) :
			    corun_strerror(d.rc[i]));
		}
	}
	return rc;
}

/* Run argv and collect its output and status. */
static int
run(corun_job_ctx *ctx, const char *path, char **argv, char **envp)
{
	int rc, err;

	rc = run_once(ctx, path, argv, envp, 0, &err);
	if (err == ENOENT || err == EACCES || err == ENOEXEC) {
		/* A cached path that stopped working: search PATH again. */
		path_forget(path);
		rc = run_once(ctx, path, argv, envp, 1, &err);
	}
	if (err != 0) {
		return corun_job_fail(ctx, CORUN_EFAILED, "shell: cannot run "
		    "'%s': %s", argv[0], strerror(err));
	}
	return rc;
}

int
cr_kind_shell(corun_job_ctx *ctx)
{
	char **words = NULL, **argv = NULL, **envp = NULL, *line = NULL;
	char *shargv[4];
	size_t nwords = 0, nargv, nenv, i, off;
	const char *path;
	int rc;

	/* Words are NUL-terminated; the last one may lack its NUL. */
	/* Every word takes at least its NUL: len + 1 words at most. */
	if ((words = calloc(ctx->len + 2, sizeof(*words))) == NULL) {
		return corun_job_fail(ctx, CORUN_ENOMEM, "shell: out of "
		    "memory");
	}
	for (off = 0; off < ctx->len; off += strlen(ctx->payload + off) + 1) {
		words[nwords++] = ctx->payload + off;
	}
	for (nargv = 0; nargv < nwords && words[nargv][0] != '\0'; nargv++) {
		continue;
	}
	if (nargv == 0) {
		free(words);
		return corun_job_fail(ctx, CORUN_EINVAL, "shell: bad payload: "
		    "no command words");
	}
	nenv = nargv < nwords ? nwords - nargv - 1 : 0;
	for (i = 0; i < nenv; i++) {
		const char *w = words[nargv + 1 + i];

		if (w[0] == '=' || strchr(w, '=') == NULL) {
			rc = corun_job_fail(ctx, CORUN_EINVAL, "shell: bad "
			    "payload: environment word '%.64s' is not "
			    "KEY=VALUE", w);
			free(words);
			return rc;
		}
	}
	words[nargv] = NULL;
	argv = words;
	path = argv[0];
	if (nargv == 1 && strpbrk(argv[0], shell_chars) == NULL &&
	    strpbrk(argv[0], " \t") != NULL) {
		/* Blanks only: split as sh would, and skip the shell. */
		if ((line = strdup(argv[0])) == NULL ||
		    (argv = calloc(strlen(line) / 2 + 2,
		    sizeof(*argv))) == NULL) {
			rc = corun_job_fail(ctx, CORUN_ENOMEM, "shell: out "
			    "of memory");
			goto out;
		}
		if (split_fields(line, argv, strlen(line) / 2 + 1) == 0) {
			rc = corun_job_fail(ctx, CORUN_EINVAL, "shell: bad "
			    "payload: the command is blank");
			goto out;
		}
		path = argv[0];
	}
	if (nargv == 1 && (strpbrk(words[0], shell_chars) != NULL ||
	    is_shell_word(argv[0]))) {
		shargv[0] = "sh";
		shargv[1] = "-c";
		shargv[2] = words[0];
		shargv[3] = NULL;
		path = "/bin/sh";
		if (argv != words) {
			free(argv);
		}
		argv = shargv;
	}
	if ((envp = build_env(words + nargv + 1, nenv)) == NULL) {
		rc = corun_job_fail(ctx, CORUN_ENOMEM, "shell: out of memory");
		goto out;
	}
	rc = run(ctx, path, argv, envp);
out:
	free(envp);
	if (argv != words && argv != shargv) {
		free(argv);
	}
	free(line);
	free(words);
	return rc;
}
