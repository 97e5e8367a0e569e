/* SPDX-License-Identifier: MIT */
/*
 * cr-log.h - one log line format for every corun program and the pool
 * inside them (log.c): "TIME PROGRAM[PID] LEVEL: message", and the
 * level below which lines are dropped.  Internal to the tree: corund's,
 * corun-worker's and the supervisor's log files call it.
 *
 * The level starts from $CORUN_LOG_LEVEL (error, warn, info or debug;
 * default info) and cr_log_set_level() exports it there, so the workers
 * a program starts log at its level.  Not thread-safe to change while
 * other threads log; logging itself is one fprintf per line.
 */
#ifndef CORUN_CR_LOG_H
#define CORUN_CR_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum cr_log_level {
	CR_LOG_ERROR = 0,
	CR_LOG_WARN,
	CR_LOG_INFO,
	CR_LOG_DEBUG
};

/* "error", "warn", "info", "debug". */
const char *cr_log_level_name(int level);

/* The level named s (also "warning"), or -1. */
int cr_log_level_parse(const char *s);

/* Whether a line at level is written. */
int cr_log_enabled(int level);

/* Set the level and $CORUN_LOG_LEVEL for the children to come. */
void cr_log_set_level(int level);

/* The longest line written; a longer message is cut short. */
#define CR_LOG_LINE_MAX 2200

/*
 * Format one line, newline included, into buf (at most size - 1 bytes
 * and a NUL); its length.  What cr_log_vline() writes, for a caller that
 * gathers lines to write them at once.
 */
int cr_log_vformat(char *buf, size_t size, const char *prog, int level,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/*
 * Write one line on f, "2026-12-07T03:58:04.123 prog[pid] level: ..."
 * (prog NULL: the program's own name), if level is enabled.
 */
void cr_log_vline(FILE *f, const char *prog, int level, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

#endif /* CORUN_CR_LOG_H */
