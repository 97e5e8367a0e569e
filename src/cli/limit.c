/* SPDX-License-Identifier: MIT */
/*
 * limit.c - running `--limit`'s command before a job starts (see
 * limit.h).  A plain fork and exec of the shell parallel would use; the
 * child is reaped by its pid, so the pool's own children are untouched.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "limit.h"

int
cli_limit_check(const char *cmd, struct cli_err *e)
{
	static const char *const builtin[] = { "io", "load", "mem" };
	size_t i, n = strcspn(cmd, " \t");

	if (cmd[strspn(cmd, " \t")] == '\0') {
		return cli_errf(e, CORUN_EINVAL, "--limit: the command is "
		    "empty");
	}
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (n == strlen(builtin[i]) && strncmp(cmd, builtin[i], n) ==
		    0) {
			return cli_errf(e, CORUN_EINVAL, "--limit: parallel's "
			    "built-in \"%s\" limit is not supported; give a "
			    "command (see --memfree for memory)", builtin[i]);
		}
	}
	return 0;
}

int
cli_limit_run(const char *cmd)
{
	char *sh = cli_sh_pick(0);
	const char *path = sh != NULL ? sh : "/bin/sh";
	int status, fd;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		free(sh);
		return -1;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		setenv("SSHLOGIN", ":", 1);
		execl(path, path, "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(sh);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return -1;
		}
	}
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
