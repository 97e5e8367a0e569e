/* SPDX-License-Identifier: MIT */
/*
 * log.c - corund's log: stderr or a file (one line per message, in the
 * format of every corun program: time, corund[pid], level, message; see
 * src/lib/cr-log.h), or syslog at the matching priority.  Everything in
 * corund may call cd_log() (info) and cd_log_at(); main.c chooses where
 * it goes, --log-level what is dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cr-log.h"
#include "daemon.h"

static int use_syslog;
static FILE *log_fp;
static char *log_path;

/* Lines held by cd_log_hold(), written at once by cd_log_release(). */
static struct {
	int on;
	size_t n;
	char buf[4 * CR_LOG_LINE_MAX];
} held;

static void
flush_held(void)
{
	FILE *f = log_fp != NULL ? log_fp : stderr;
	int saved = errno;

	if (held.n > 0) {
		fwrite(held.buf, 1, held.n, f);
		fflush(f);
		held.n = 0;
	}
	errno = saved;
}

static void
vlog(int level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };
	int saved = errno;

	if (!cr_log_enabled(level)) {
		return;
	}
	if (use_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else if (held.on) {
		if (held.n + CR_LOG_LINE_MAX > sizeof(held.buf)) {
			flush_held();
		}
		held.n += (size_t)cr_log_vformat(held.buf + held.n,
		    CR_LOG_LINE_MAX, CD_PROG, level, fmt, ap);
	} else {
		cr_log_vline(log_fp != NULL ? log_fp : stderr, CD_PROG, level,
		    fmt, ap);
	}
	errno = saved;
}

void
cd_log_hold(void)
{
	static int registered;

	if (!registered) {
		/* An exit() while lines are held still writes them. */
		registered = atexit(flush_held) == 0;
	}
	held.on = 1;
}

void
cd_log_release(void)
{
	held.on = 0;
	flush_held();
}

void
cd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(CR_LOG_INFO, fmt, ap);
	va_end(ap);
}

void
cd_log_at(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int
cd_log_open(const char *how)
{
	flush_held();	/* into the file they were logged for */
	if (how != NULL && strcmp(how, "syslog") == 0) {
		openlog("corund", LOG_PID, LOG_DAEMON);
		use_syslog = 1;
		return 0;
	}
	if (how != NULL && how[0] == '/') {
		FILE *f = fopen(how, "a");

		if (f == NULL) {
			return -1;
		}
		if (log_fp != NULL) {
			fclose(log_fp);
		}
		log_fp = f;
		/* The pool logs worker losses to stderr: into the file too. */
		dup2(fileno(f), 2);
		if (how != log_path) {
			/* SIGUSR1 reopens log_path itself: keep it. */
			free(log_path);
			log_path = strdup(how);
		}
	}
	return 0;
}

int
cd_log_reopen(void)
{
	if (log_path == NULL) {
		return -1;
	}
	return cd_log_open(log_path);
}

int
cd_log_to_file(void)
{
	return log_fp != NULL;
}
