/* SPDX-License-Identifier: MIT */
/*
 * cr-spawn.h - start a program without posix_spawn's costs (spawn.c);
 * internal to corun, not installed.
 */
#ifndef CR_CR_SPAWN_H
#define CR_CR_SPAWN_H

#include <sys/types.h>

/* The caller waits until the child has exec'd (as with vfork). */
#define CR_SPAWN_WAIT 0x1

/*
 * Start path (a full path) with argv and envp in a process group of its
 * own, every signal at its default and unblocked.  fds[0], fds[1] and
 * fds[2] become its stdin, stdout and stderr (-1: /dev/null); fds[3], if
 * not -1, its descriptor 3.  Returns 0 with *pid and *sp, or an errno
 * value.
 *
 * Without CR_SPAWN_WAIT it returns before the child has exec'd: path is
 * copied, but argv and envp must stay valid until the child is reaped.
 * With it, a failed exec is an error here already.  Either way, once the
 * child is reaped, cr_spawn_end(*sp) releases its stack and returns the
 * errno of a failed execve (the child then exited 127), or 0.
 */
struct cr_spawn;
int cr_spawn(const char *path, char *const argv[], char *const envp[],
    const int fds[4], int flags, pid_t *pid, struct cr_spawn **sp);
int cr_spawn_end(struct cr_spawn *sp);
/*
 * After a CR_SPAWN_WAIT start: the errno of a failed execve (the child
 * has exited 127; reap it, then cr_spawn_end), or 0 (it runs the program).
 */
int cr_spawn_error(const struct cr_spawn *sp);

/*
 * In a stackful task: wait until child pid has exited, without reaping
 * it (its pid, and so its process group's id, stays the caller's until
 * it reaps it).  0, or CORUN_E* (CORUN_ECANCELED when the task is
 * cancelled meanwhile).  (await.c)
 */
int cr_wait_exited(pid_t pid);

#endif
