/* SPDX-License-Identifier: MIT */
/*
 * shell.h - the parts of the shell kind (internal): kind-shell.c turns
 * the payload into a program, shell-run.c runs it, shell-spawn.c starts
 * it.  Calls go that way only.
 */
#ifndef WK_KINDS_SHELL_H
#define WK_KINDS_SHELL_H

#include <sys/types.h>

#include <corun/job.h>

struct cr_spawn;
struct event;

/*
 * Run path with argv and envp in ctx's task, collecting its output and
 * status into ctx (corun_job_fail on failure); the kind's return value.
 */
int	wk_shell_run(corun_job_ctx *ctx, const char *path, char **argv,
	    char **envp);

/*
 * Start path with two fresh pipes: rd[] gets the read ends
 * (non-blocking), wr[] the write ends, which the caller keeps open until
 * the child has exited.  With out_fd >= 0 the child's stdout is out_fd
 * instead (a spill file): rd[0] and wr[0] are then -1.  Through cr_spawn when path's full path is known
 * and search is 0 (*sp is then set and a failed exec shows when the child
 * is reaped: cr_spawn_end), else through posix_spawnp.  0, or the
 * kind's failure (recorded with corun_job_fail).
 */
int	wk_shell_spawn(corun_job_ctx *ctx, const char *path, char **argv,
	    char **envp, int search, int out_fd, int rd[2], int wr[2],
	    pid_t *pid, struct cr_spawn **sp);

/*
 * Record that argv could not be started (err: the exec's errno) as the
 * job's failure, in one line of bounded length; the kind's return value.
 */
int	wk_shell_cannot_run(corun_job_ctx *ctx, char **argv, char **envp,
	    int err);

/* Forget the cached full path of name (it stopped working). */
void	wk_shell_path_forget(const char *name);

/*
 * shell-mem.c: a job's stdout straight into a spill file in memory, kept
 * bounded while it runs (a timer on the job's loop).
 */
struct wk_memout {
	corun_job_ctx *ctx;
	int fd;			/* the file in memory the program writes */
	char *path;
	off_t seen;		/* its size, as counted in spill-mem.c */
	int dfd;		/* once moved: the file in $TMPDIR, else -1 */
	char *dpath;
	off_t moved;		/* bytes copied there and punched out */
	int err;		/* errno of a failed move */
	int tick_us;
	struct event *tick;
};
/* The file for the job's stdout, or -1 (no room, or no memory file). */
int	wk_memout_open(corun_job_ctx *ctx, struct wk_memout *m);
/*
 * The program is gone: the stream takes the file over (wk_job_adopt_file)
 * and the timer stops.  0 or the failure, recorded on ctx.
 */
int	wk_memout_finish(struct wk_memout *m);

#endif /* WK_KINDS_SHELL_H */
