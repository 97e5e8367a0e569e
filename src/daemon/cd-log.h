/* SPDX-License-Identifier: MIT */
/*
 * cd-log.h - corund's log (log.c): any file of corund may call cd_log();
 * main.c chooses where the lines go (stderr, a file, syslog) and
 * --log-level which are dropped.  Lines are whole: one write each, or
 * one for all those held (cd_log_hold).
 */
#ifndef CD_LOG_H
#define CD_LOG_H

/* log.c: where cd_log writes; any file of corund may call it. */
void cd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same at a level of src/lib/cr-log.h (CR_LOG_ERROR .. CR_LOG_DEBUG). */
void cd_log_at(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Log to "syslog", or append to an absolute file name (also stderr, for
   the pool's messages); another value keeps stderr.  -1: cannot open. */
int cd_log_open(const char *how);
/* SIGUSR1: open the log file again (rotated); -1 if there is none. */
int cd_log_reopen(void);
/* 1 when the log goes to a file (daemonizing keeps stderr on it). */
int cd_log_to_file(void);
/*
 * Hold the lines logged from now on (not syslog's) and write them in one
 * write at cd_log_release(), or sooner when they fill the buffer: the
 * feed step's lines, so a job's start does not wait on a log write.  A
 * line keeps the time it was logged at.
 */
void cd_log_hold(void);
void cd_log_release(void);

#endif /* CD_LOG_H */
