/* SPDX-License-Identifier: MIT */
/*
 * log.c - corund's log: stderr or a file (one line per message, in the
 * format of every corun program: time, corund[pid], level, message; see
 * src/lib/cr-log.h), or syslog at the matching priority.  Everything in
 * corund may call cd_log() (info) and cd_log_at(); main.c chooses where
 * it goes, --log-level what is dropped.
 */
#include "config.h"

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

static void
vlog(int level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };

	if (!cr_log_enabled(level)) {
		return;
	}
	if (use_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		cr_log_vline(log_fp != NULL ? log_fp : stderr, CD_PROG, level,
		    fmt, ap);
	}
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
