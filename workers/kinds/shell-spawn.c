/* SPDX-License-Identifier: MIT */
/*
 * shell-spawn.c - start a shell job's program with two fresh pipes.  A
 * program whose full path is known (looked up once per thread) starts
 * through cr_spawn (spawn.c), which does not wait for the exec; others
 * through posix_spawnp, which searches PATH.  The child gets its own
 * process group, default signal dispositions and an empty signal mask.
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

#include "kinds-internal.h"
#include "shell.h"

/*
 * posix_spawnp tries every PATH entry in the child, one failed execve each
 * (nine here for `true`): resolve a bare command name once per thread and
 * spawn the full path.  The worker's PATH does not change; a cached path
 * that stops working is dropped and the lookup done again.
 */
#define WK_PATH_CACHE 32

/* Linux's limit on one argument or environment string, in pages. */
#define WK_ARG_STRLEN_PAGES 32

struct wk_path_ent {
	char name[64];
	char path[256];
};

static __thread struct wk_path_ent wk_paths[WK_PATH_CACHE];
static __thread unsigned wk_paths_next;

static struct wk_path_ent *
path_cached(const char *name)
{
	for (unsigned i = 0; i < WK_PATH_CACHE; i++) {
		if (wk_paths[i].name[0] != '\0' &&
		    strcmp(wk_paths[i].name, name) == 0) {
			return &wk_paths[i];
		}
	}
	return NULL;
}

/* The full path for a bare name, or NULL (let posix_spawnp search). */
static const char *
path_resolve(const char *name)
{
	const char *env = getenv("PATH"), *p, *end;
	struct wk_path_ent *e;
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
			e = &wk_paths[wk_paths_next++ % WK_PATH_CACHE];
			snprintf(e->name, sizeof(e->name), "%s", name);
			memcpy(e->path, buf, (size_t)n + 1);
			return e->path;
		}
	}
	return NULL;
}

void
wk_shell_path_forget(const char *name)
{
	struct wk_path_ent *e = path_cached(name);

	if (e != NULL) {
		e->name[0] = '\0';
	}
}

/*
 * Each posix_spawn_file_actions_add*() checks its descriptors against
 * RLIMIT_NOFILE with a system call: five per spawn.  The actions depend
 * on nothing but the two pipe ends, and pipe numbers repeat from job to
 * job, so the actions of the first WK_FA_CACHE pairs are kept, shared by
 * every thread (read-only once published) and never freed.
 */
#define WK_FA_CACHE 16

struct wk_fa_ent {
	int out, err;
	posix_spawn_file_actions_t fa;
};

static struct wk_fa_ent wk_fa_cache[WK_FA_CACHE];
static unsigned wk_fa_len;		/* published entries (atomic) */
static pthread_mutex_t wk_fa_mu = PTHREAD_MUTEX_INITIALIZER;

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
	unsigned i, n = __atomic_load_n(&wk_fa_len, __ATOMIC_ACQUIRE);
	struct wk_fa_ent *e;

	*built = 0;
	for (i = 0; i < n; i++) {
		if (wk_fa_cache[i].out == out && wk_fa_cache[i].err == err) {
			return &wk_fa_cache[i].fa;
		}
	}
	pthread_mutex_lock(&wk_fa_mu);
	if ((n = wk_fa_len) < WK_FA_CACHE) {
		e = &wk_fa_cache[n];
		e->out = out;
		e->err = err;
		fa_build(&e->fa, out, err);
		__atomic_store_n(&wk_fa_len, n + 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&wk_fa_mu);
		return &e->fa;
	}
	pthread_mutex_unlock(&wk_fa_mu);
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
int
wk_shell_spawn(corun_job_ctx *ctx, const char *path, char **argv, char **envp,
    int search, int out_fd, int rd[2], int wr[2], pid_t *pid,
    struct cr_spawn **sp)
{
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	const char *full;
	int rc;

	*sp = NULL;
	if ((out_fd < 0 && pipe2(op, O_CLOEXEC) != 0) ||
	    pipe2(ep, O_CLOEXEC) != 0) {
		rc = errno;
		goto fail;
	}
	full = search ? NULL : path_resolve(path);
	if (full != NULL) {
		const int fds[4] = { -1, out_fd >= 0 ? out_fd : op[1], ep[1],
		    -1 };

		rc = cr_spawn(full, argv, envp, fds, 0, pid, sp);
	} else {
		rc = spawn_search(path, argv, envp, out_fd >= 0 ? out_fd :
		    op[1], ep[1], pid);
	}
	if (rc != 0) {
		goto fail;
	}
	if (op[0] >= 0) {
		fcntl(op[0], F_SETFL, O_NONBLOCK);
	}
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
	return wk_shell_cannot_run(ctx, argv, envp, rc);
}

/* Bytes execve counts for a NULL-terminated vector (strings and NULs). */
static size_t
vec_bytes(char **v, size_t *n)
{
	size_t bytes = 0;

	for (*n = 0; v != NULL && v[*n] != NULL; (*n)++) {
		bytes += strlen(v[*n]) + 1;
	}
	return bytes;
}

/*
 * One line, whatever the command: the program's name cut to 60 bytes,
 * and for E2BIG the sizes the kernel refused instead of the arguments
 * themselves (a command line of 200 KB is no error message).
 */
int
wk_shell_cannot_run(corun_job_ctx *ctx, char **argv, char **envp, int err)
{
	const char *name = argv[0] != NULL ? argv[0] : "";
	const char *cut = strlen(name) > 60 ? "..." : "";
	size_t nargs, nenv, abytes, ebytes;

	if (err != E2BIG) {
		return corun_job_fail(ctx, CORUN_EFAILED, "shell: cannot run "
		    "'%.60s%s': %s", name, cut, strerror(err));
	}
	abytes = vec_bytes(argv, &nargs);
	ebytes = vec_bytes(envp, &nenv);
	return corun_job_fail(ctx, CORUN_EFAILED, "shell: cannot run "
	    "'%.60s%s': %s (%zu argument(s), %zu bytes; environment %zu "
	    "bytes; the system takes %ld bytes in all, %ld in one argument)",
	    name, cut, strerror(err), nargs, abytes, ebytes,
	    sysconf(_SC_ARG_MAX), WK_ARG_STRLEN_PAGES * sysconf(_SC_PAGESIZE));
}
