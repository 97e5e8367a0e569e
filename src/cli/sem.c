/* SPDX-License-Identifier: MIT */
/*
 * sem.c - `corun sem` and `corun run --semaphore`: a counting semaphore
 * shared by separate invocations, as GNU parallel's sem.  The semaphore
 * NAME (--id; default the controlling tty's name, else "default") is a
 * directory ~/.corun/semaphores/NAME holding one lock file per slot
 * (-j N, default 1: a mutex).  A command takes a slot by holding an
 * flock(2) on its file for as long as it runs, so a slot is freed
 * whenever its holder ends, even killed.  Without --fg corun waits for a
 * slot, leaves the command running in the background with the slot, and
 * exits 0; with --fg it waits for the command and exits with its status.
 * --wait waits until every slot of NAME is free.  --st SECS: after SECS
 * take a slot anyway (SECS > 0) or give up with status 1 (SECS < 0).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define SEM_POLL_NS 20000000L	/* 20 ms between tries */

static int
mkdirs(struct cm_buf *b)
{
	char *p;

	for (p = b->p + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(b->p, 0700);
			*p = '/';
		}
	}
	return mkdir(b->p, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* The semaphore's directory (malloc'd), made if missing. */
static char *
sem_dir(const char *id)
{
	const char *home = getenv("HOME"), *tty;
	struct cm_buf b = { 0 };
	const char *c;

	if (id == NULL) {
		tty = ttyname(STDIN_FILENO);
		id = tty != NULL ? tty : "default";
	}
	if (home != NULL && *home != '\0') {
		cm_buf_adds(&b, home);
		cm_buf_adds(&b, "/.corun/semaphores/id-");
	} else {
		char u[64];

		snprintf(u, sizeof(u), "/tmp/corun-sem-%lu/id-",
		    (unsigned long)getuid());
		cm_buf_adds(&b, u);
	}
	for (c = id; *c != '\0'; c++) {
		cm_buf_addc(&b, *c == '/' ? '_' : *c);
	}
	if (b.oom || b.p == NULL || mkdirs(&b) != 0) {
		cm_buf_free(&b);
		return NULL;
	}
	return cm_buf_steal(&b);
}

static int
open_slot(const char *dir, unsigned k)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/slot-%u", dir, k);
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A slot of n held (its fd, locked), -2 when --st gave up, -1 on an
 * error.  *forced: the timeout took one anyway (fd unlocked).
 */
static int
acquire(const char *dir, unsigned n, double st)
{
	struct timespec nap = { 0, SEM_POLL_NS };
	double t0 = mono();
	unsigned k;
	int fd;

	for (;;) {
		for (k = 0; k < n; k++) {
			if ((fd = open_slot(dir, k)) < 0) {
				return -1;
			}
			if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
				return fd;
			}
			close(fd);
		}
		if (st != 0 && mono() - t0 >= (st > 0 ? st : -st)) {
			return st > 0 ? open_slot(dir, 0) : -2;
		}
		nanosleep(&nap, NULL);
	}
}

/* --wait: every slot file of dir free at least once. */
static int
wait_all(const char *dir)
{
	unsigned k;
	int fd;

	for (k = 0;; k++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/slot-%u", dir, k);
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
			return errno == ENOENT ? 0 : -1;
		}
		if (flock(fd, LOCK_EX) != 0) {
			close(fd);
			return -1;
		}
		close(fd);
	}
}

/* The command's words joined by spaces: a line for /bin/sh -c. */
static char *
command_line(const struct cli_run_opts *o)
{
	struct cm_buf b = { 0 };
	size_t w;

	for (w = 0; w < o->ncmd; w++) {
		cm_buf_adds(&b, w ? " " : "");
		cm_buf_adds(&b, o->cmd[w]);
	}
	return cm_buf_steal(&b);
}

/* Run line holding fd; --fg: wait and return its status. */
static int
run_holding(char *line, int fd, int fg)
{
	pid_t pid;
	int st;

	if (!fg && (pid = fork()) != 0) {
		/* the slot stays with the background child */
		return pid < 0 ? CLI_EXIT_ERROR : 0;
	}
	if (!fg) {
		(void)setsid();
	}
	if ((pid = fork()) == 0) {
		close(fd);	/* the command need not hold the lock */
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	st = pid < 0 ? CLI_EXIT_ERROR : WIFEXITED(st) ? WEXITSTATUS(st) :
	    128 + WTERMSIG(st);
	if (!fg) {
		_exit(st);
	}
	return st;
}

int
cli_sem_run(const struct cli_run_opts *o)
{
	char *dir = sem_dir(o->sem_id), *line;
	int fd, rc;

	if (dir == NULL) {
		cli_warn("sem: cannot make the semaphore's directory: %s",
		    strerror(errno));
		return CLI_EXIT_ERROR;
	}
	if (o->sem_wait) {
		rc = wait_all(dir) == 0 ? 0 : CLI_EXIT_ERROR;
		free(dir);
		return rc;
	}
	if (o->ncmd == 0) {
		free(dir);
		cli_warn("sem: no command (or --wait)");
		return CLI_EXIT_ERROR;
	}
	fd = acquire(dir, o->jobs ? o->jobs : 1, o->sem_timeout);
	free(dir);
	if (fd == -2) {
		return 1;
	}
	if (fd < 0 || (line = command_line(o)) == NULL) {
		cli_warn("sem: %s", strerror(errno));
		return CLI_EXIT_ERROR;
	}
	fflush(stdout);
	rc = run_holding(line, fd, o->sem_fg);
	free(line);
	close(fd);
	return rc;
}
