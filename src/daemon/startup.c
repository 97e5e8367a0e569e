/* SPDX-License-Identifier: MIT */
/*
 * startup.c - what corund does to the process as it starts: the state
 * directory (made, and locked with flock so a second corund is refused
 * whatever its pidfile says), the pid, going into the background (the
 * parent waits to hear that the child is ready), dropping privileges
 * (--user), and a watchdog on the way out.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>

#include "daemon.h"

static int ready_fd = -1;	/* to the waiting parent when daemonized */

int
cd_mkdirs(const char *path, mode_t mode)
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
int
cd_lock_state_dir(const char *dir, int *fdp)
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

void
cd_write_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) < 0) {
		cd_log("cannot write the pid: %s", strerror(errno));
	}
}

/* Fork into the background; the parent exits when the child is ready. */
int
cd_daemonize(void)
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
			if (!cd_log_to_file()) {
				dup2(fd, 2);
			}
			if (fd > 2) {
				close(fd);
			}
		}
	}
	return 0;
}

void
cd_tell_parent(const char *msg)
{
	if (ready_fd >= 0) {
		ssize_t n = write(ready_fd, msg, strlen(msg));

		(void)n;
		close(ready_fd);
		ready_fd = -1;
	}
}

/* --user: after binding, become USER (the state dir becomes theirs). */
int
cd_drop_privileges(struct cd_daemon *d, char *why, size_t whysize)
{
	const char *names[] = { "", "/lock", "/jobs.db", "/jobs.db-wal",
	    "/jobs.db-shm", "/jobs.acked" };
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

static void *
watchdog_main(void *arg)
{
	sleep(10);
	fprintf(stderr, "corund: teardown is stuck; exiting anyway\n");
	_exit((int)(intptr_t)arg);
}

/* Exit with rc if tearing down takes longer than 10 s. */
void
cd_exit_watchdog(int rc)
{
	pthread_attr_t attr;
	pthread_t tid;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_create(&tid, &attr, watchdog_main, (void *)(intptr_t)rc);
	pthread_attr_destroy(&attr);
}
