/* SPDX-License-Identifier: MIT */
/*
 * pool-rundir.c - a pool's run directory, the private home of its local
 * workers' ipc sockets.  It is named corun.PID.XXXXXX after the process
 * that made it, so that the first pool of a later process in the same
 * place removes the directories whose maker is gone without removing
 * them (a corun, corund or other program killed with SIGKILL), as
 * pool-job.c does for spill files.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sup-internal.h"

/*
 * The longest $XDG_RUNTIME_DIR used: with "/corun.PID.XXXXXX" (a PID of
 * up to 7 digits) and a worker's "/wI.G" (I < 1024, G a 32-bit count) the
 * socket path stays within sockaddr_un's 108 bytes: 64 + 21 + 17 < 108.
 */
#define SUP_RUNDIR_BASE_MAX 64

/* Nonzero for name's n bytes all letters or digits (mkdtemp's XXXXXX). */
static int
all_alnum(const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))) {
			return 0;
		}
	}
	return 1;
}

/*
 * The PID of a run directory's name, corun.PID.XXXXXX, or 0 for any other
 * name (the PID-less corun.XXXXXX of earlier versions among them).
 */
static pid_t
dir_pid(const char *name)
{
	static const char prefix[] = "corun.";
	const char *s = name + sizeof(prefix) - 1;
	long v = 0;

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0 ||
	    *s < '1' || *s > '9') {
		return 0;
	}
	for (; *s >= '0' && *s <= '9' && v < INT_MAX / 10; s++) {
		v = v * 10 + (*s - '0');
	}
	if (*s != '.' || strlen(s + 1) != 6 || !all_alnum(s + 1, 6)) {
		return 0;
	}
	return (pid_t)v;
}

/* Nonzero for what a pool puts in its run directory: sockets wI.G. */
static int
pool_file(const char *name)
{
	const char *s = name + 1;
	size_t n;

	if (name[0] != 'w' || (n = strspn(s, "0123456789")) == 0 ||
	    s[n] != '.') {
		return 0;
	}
	s += n + 1;
	n = strspn(s, "0123456789");
	return n > 0 && s[n] == '\0';
}

/*
 * Remove the directory name in bfd (the base) if it is a directory of
 * ours, not a symlink: its pool's sockets first.  Anything else in it
 * keeps it (rmdir fails) and is left alone.
 */
static void
remove_dir(int bfd, const char *name)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	fd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (pool_file(e->d_name) &&
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISSOCK(st.st_mode)) {
			(void)unlinkat(fd, e->d_name, 0);
		}
	}
	closedir(d);
	(void)unlinkat(bfd, name, AT_REMOVEDIR);
}

/*
 * Remove base's run directories whose maker (the PID in the name) is no
 * longer a process.  A PID alive, or not ours to signal (EPERM), keeps
 * its directory; so does every PID-less name: a pool of an earlier
 * version may still be running there, and an empty directory or a
 * socket nobody answers yet does not say that it is not.
 */
static void
sweep(const char *base)
{
	struct dirent *e;
	pid_t pid;
	DIR *d;

	if ((d = opendir(base)) == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if ((pid = dir_pid(e->d_name)) > 0 && pid != getpid() &&
		    kill(pid, 0) != 0 && errno == ESRCH) {
			remove_dir(dirfd(d), e->d_name);
		}
	}
	closedir(d);
}

/*
 * A private 0700 directory for the workers' ipc sockets: under
 * XDG_RUNTIME_DIR, else /dev/shm, else /tmp.  /dev/shm is a tmpfs nearly
 * everywhere, while /tmp may be a disk file system: there, making the
 * directory and a socket and removing them costs 220 us per pool on this
 * machine's ext4 /tmp against 35 us in /dev/shm, most of it on the way
 * to the first job and after the last.
 */
int
sup_pool_rundir_make(struct corun_pool *p)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	int n;

	if (base == NULL || *base == '\0' || access(base, W_OK) != 0 ||
	    strlen(base) > SUP_RUNDIR_BASE_MAX) {
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	}
	n = snprintf(p->rundir, sizeof(p->rundir), "%s/corun.%ld.XXXXXX",
	    base, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(p->rundir)) {
		return CORUN_ERANGE;
	}
	if (mkdtemp(p->rundir) == NULL) {
		p->rundir[0] = '\0';
		return CORUN_ESYS;
	}
	return 0;
}

/*
 * Once a process: a directory of many entries (/dev/shm holding 800
 * PID-less corun.XXXXXX left by earlier versions) takes 160 us to read,
 * more than making the run directory and a socket; a program making
 * pool after pool (corun compare, corund's resizes) pays it once.
 */
void
sup_pool_rundir_sweep(const struct corun_pool *p)
{
	static int swept;
	char base[sizeof(p->rundir)];
	char *slash;

	if (__atomic_exchange_n(&swept, 1, __ATOMIC_RELAXED)) {
		return;
	}
	snprintf(base, sizeof(base), "%s", p->rundir);
	if ((slash = strrchr(base, '/')) != NULL && slash != base) {
		*slash = '\0';
		sweep(base);
	}
}
