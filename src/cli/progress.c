/* SPDX-License-Identifier: MIT */
/*
 * progress.c - --bar and --progress: one status line on stderr, redrawn
 * in place (\r), only when stderr is a terminal so logs stay clean.
 * Redraws are limited to 10 a second; the last one ends the line.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define CLI_BAR_WIDTH 30

void
cli_progress_init(struct cli_progress *p, int bar, int progress, double now)
{
	memset(p, 0, sizeof(*p));
	p->enabled = (bar || progress) && isatty(STDERR_FILENO);
	p->bar = bar;
	p->t0 = now;
	p->last = -1;
}

static void
fmt_eta(char *buf, size_t len, double secs)
{
	unsigned long s = (unsigned long)(secs + 0.5);

	if (s >= 3600) {
		snprintf(buf, len, "%luh%02lum", s / 3600, s / 60 % 60);
	} else {
		snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
	}
}

void
cli_progress_format(char *buf, size_t len, int bar, uint64_t done,
    uint64_t total, int total_known, double elapsed)
{
	char eta[32] = "?", tot[32], bars[CLI_BAR_WIDTH + 1];
	double rate = elapsed > 0 ? (double)done / elapsed : 0;
	size_t fill, i;
	int pct;

	if (total_known) {
		snprintf(tot, sizeof(tot), "%" PRIu64, total);
		if (rate > 0 && total >= done) {
			fmt_eta(eta, sizeof(eta), (double)(total - done) /
			    rate);
		}
	} else {
		snprintf(tot, sizeof(tot), "%" PRIu64 "+", total);
	}
	if (!bar) {
		snprintf(buf, len, "%" PRIu64 "/%s done, %.1f jobs/s, "
		    "ETA %s", done, tot, rate, eta);
		return;
	}
	pct = total > 0 ? (int)(100 * done / total) : 0;
	fill = total > 0 ? (size_t)(CLI_BAR_WIDTH * done / total) : 0;
	for (i = 0; i < CLI_BAR_WIDTH; i++) {
		bars[i] = i < fill ? '#' : '.';
	}
	bars[CLI_BAR_WIDTH] = '\0';
	snprintf(buf, len, "%3d%% [%s] %" PRIu64 "/%s %.1f/s ETA %s", pct,
	    bars, done, tot, rate, eta);
}

void
cli_progress_update(struct cli_progress *p, uint64_t done, uint64_t total,
    int total_known, double now, int final)
{
	char line[160];

	if (!p->enabled || (!final && p->last >= 0 && now - p->last < 0.1)) {
		return;
	}
	p->last = now;
	cli_progress_format(line, sizeof(line), p->bar, done, total,
	    total_known, now - p->t0);
	fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
	fflush(stderr);
	p->shown = !final;
}

void
cli_progress_clear(struct cli_progress *p)
{
	if (!p->enabled || !p->shown) {
		return;
	}
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = 0;
	p->last = -1;
}
