/* SPDX-License-Identifier: MIT */
/*
 * bench-util.c - timing, memory and output helpers for the benchmarks.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <corun/error.h>

#include "bench-util.h"

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
bench_put_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s);
		} else if ((unsigned char)*s < 0x20) {
			printf("\\u%04x", (unsigned char)*s);
		} else {
			putchar(*s);
		}
	}
	putchar('"');
}

void
bench_emit(const char *bench, const char *impl, const char *variant,
    double value, const char *unit, size_t n, const char *note)
{
	printf("{\"bench\": ");
	bench_put_string(bench);
	printf(", \"impl\": ");
	bench_put_string(impl);
	if (variant != NULL) {
		printf(", \"variant\": ");
		bench_put_string(variant);
	}
	if (value < 0) {
		printf(", \"value\": null");
	} else {
		printf(", \"value\": %.6g", value);
	}
	printf(", \"unit\": ");
	bench_put_string(unit);
	if (n != 0) {
		printf(", \"n\": %zu", n);
	}
	if (note != NULL) {
		printf(", \"note\": ");
		bench_put_string(note);
	}
	printf("}\n");
	fflush(stdout);
}

size_t
bench_status_bytes(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	size_t kb = 0;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			kb = strtoul(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(fp);
	return kb * 1024;
}

size_t
bench_peak_rss(void)
{
	struct rusage ru;
	size_t hwm;

	if ((hwm = bench_status_bytes("VmHWM")) != 0) {
		return hwm;
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		return (size_t)ru.ru_maxrss * 1024;
	}
	return 0;
}

void
bench_fail(const char *what, int err)
{
	int saved = errno;

	fprintf(stderr, "bench: %s: %s", what, corun_strerror(err));
	if (err == CORUN_ESYS) {
		fprintf(stderr, " (%s)", strerror(saved));
	}
	fprintf(stderr, "\n");
	exit(1);
}

size_t
bench_opt_size(int argc, char **argv, char opt, size_t def)
{
	unsigned long long v;
	char *end;
	int i;

	for (i = 1; i + 1 < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] != opt ||
		    argv[i][2] != '\0') {
			continue;
		}
		errno = 0;
		v = strtoull(argv[i + 1], &end, 10);
		if (errno != 0 || end == argv[i + 1] || *end != '\0' ||
		    v == 0) {
			fprintf(stderr, "bench: -%c: bad count '%s'\n", opt,
			    argv[i + 1]);
			exit(2);
		}
		return (size_t)v;
	}
	return def;
}
