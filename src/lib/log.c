/* SPDX-License-Identifier: MIT */
/*
 * log.c - the log line every corun program writes (cr-log.h): the time
 * to the millisecond, the program and its pid, the level, the message;
 * and the level below which lines are dropped, from $CORUN_LOG_LEVEL.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cr-log.h"

extern char *program_invocation_short_name;

static const char *const names[] = { "error", "warn", "info", "debug" };
static int cur_level = -1;	/* -1: not read from the environment yet */

const char *
cr_log_level_name(int level)
{
	return level >= 0 && level <= CR_LOG_DEBUG ? names[level] : "?";
}

int
cr_log_level_parse(const char *s)
{
	if (s == NULL) {
		return -1;
	}
	for (int i = 0; i <= CR_LOG_DEBUG; i++) {
		if (strcmp(s, names[i]) == 0) {
			return i;
		}
	}
	return strcmp(s, "warning") == 0 ? CR_LOG_WARN : -1;
}

int
cr_log_enabled(int level)
{
	if (cur_level < 0) {
		int l = cr_log_level_parse(getenv("CORUN_LOG_LEVEL"));

		cur_level = l >= 0 ? l : CR_LOG_INFO;
	}
	return level <= cur_level;
}

void
cr_log_set_level(int level)
{
	if (level >= 0 && level <= CR_LOG_DEBUG) {
		cur_level = level;
		setenv("CORUN_LOG_LEVEL", names[level], 1);
	}
}

int
cr_log_vformat(char *buf, size_t size, const char *prog, int level,
    const char *fmt, va_list ap)
{
	char ts[32], msg[2048];
	struct timeval tv;
	struct tm tm;
	int n;

	/* The message first: a %m in it names the caller's errno. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	gettimeofday(&tv, NULL);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S",
	    localtime_r(&tv.tv_sec, &tm));
	n = snprintf(buf, size, "%s.%03ld %s[%ld] %s: %s\n", ts,
	    (long)tv.tv_usec / 1000,
	    prog != NULL ? prog : program_invocation_short_name,
	    (long)getpid(), cr_log_level_name(level), msg);
	if (n < 0 || size < 2) {
		return 0;
	}
	if ((size_t)n >= size) {
		n = (int)size - 1;
		buf[n - 1] = '\n';	/* cut short, still one line */
	}
	return n;
}

void
cr_log_vline(FILE *f, const char *prog, int level, const char *fmt,
    va_list ap)
{
	char line[CR_LOG_LINE_MAX];
	int saved = errno, n;

	if (!cr_log_enabled(level)) {
		return;
	}
	n = cr_log_vformat(line, sizeof(line), prog, level, fmt, ap);
	/* One write: lines of processes sharing f do not interleave. */
	fwrite(line, 1, (size_t)n, f);
	fflush(f);
	errno = saved;
}
