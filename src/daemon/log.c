/*
 * log.c - corund's log: stderr (with a time stamp), a file, or syslog.
 * Everything in corund may call cd_log(); main.c chooses where it goes.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

static int use_syslog;
static FILE *log_fp;
static char *log_path;

void
cd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(LOG_NOTICE, fmt, ap);
	} else {
		FILE *f = log_fp != NULL ? log_fp : stderr;
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S",
		    localtime_r(&now, &tm));
		fprintf(f, "%s corund[%ld]: ", ts, (long)getpid());
		vfprintf(f, fmt, ap);
		fputc('\n', f);
		fflush(f);
	}
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
