/* SPDX-License-Identifier: MIT */
/*
 * kind-basic.c - the kinds that exist to compare concurrency models:
 * noop, sleep (a loop timer), block (a blocking sleep: the async trap, on
 * purpose) and cpu (a deterministic compute kernel).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <corun/task.h>

#include "kinds-internal.h"

/* Longest accepted duration: 30 days, far beyond any sane job. */
#define WK_MAX_MS ((uint64_t)30 * 24 * 3600 * 1000)

/*
 * Parse decimal digits followed by suffix (may be "") and nothing else.
 * Returns 0 and *v, or -1.  The payload copy is NUL-terminated but may
 * hold NULs of its own, hence the explicit length.
 */
static int
parse_count(const char *p, size_t len, const char *suffix, uint64_t max,
    uint64_t *v)
{
	size_t i = 0, slen = strlen(suffix);
	uint64_t n = 0;

	if (len <= slen || memcmp(p + len - slen, suffix, slen) != 0) {
		return -1;
	}
	len -= slen;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return -1;
		}
		n = n * 10 + (uint64_t)(p[i] - '0');
		if (n > max) {
			return -1;
		}
	}
	*v = n;
	return 0;
}

int
wk_parse_ms(corun_job_ctx *ctx, uint64_t *ms)
{
	if (parse_count(ctx->payload, ctx->len, "ms", WK_MAX_MS, ms) == 0 ||
	    parse_count(ctx->payload, ctx->len, "", WK_MAX_MS, ms) == 0) {
		return 0;
	}
	return corun_job_fail(ctx, CORUN_EINVAL, "%s: bad payload '%.*s': "
	    "expected milliseconds (digits, at most %" PRIu64 ")", ctx->name,
	    (int)(ctx->len > 64 ? 64 : ctx->len), ctx->payload, WK_MAX_MS);
}

int
wk_kind_noop(corun_job_ctx *ctx)
{
	(void)ctx;
	return 0;
}

int
wk_kind_sleep(corun_job_ctx *ctx)
{
	uint64_t ms;
	int rc;

	if ((rc = wk_parse_ms(ctx, &ms)) != 0) {
		return rc;
	}
	return corun_sleep((double)ms / 1000.0);
}

int
wk_kind_block(corun_job_ctx *ctx)
{
	struct timespec ts;
	uint64_t ms;
	int rc;

	if ((rc = wk_parse_ms(ctx, &ms)) != 0) {
		return rc;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	/* Blocks the thread on purpose: nothing else on its loop runs. */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		continue;
	}
	return 0;
}

/* ---- cpu ---------------------------------------------------------------- */

/* Rounds between looks at the clock (and at a stop request). */
#define CPU_CHUNK 16384
#define CPU_MAX_ITER ((uint64_t)1 << 50)

struct cpu_state {
	uint64_t x;		/* xorshift64 state */
	uint64_t h;		/* FNV-1a style accumulator: the checksum */
};

/*
 * n rounds of the kernel: an xorshift64 step mixed into an FNV-1a hash of
 * its bytes.  Only integer arithmetic, so the checksum after N rounds is
 * the same on every machine and every run.
 */
static void
cpu_rounds(struct cpu_state *s, uint64_t n)
{
	uint64_t x = s->x, h = s->h;

	while (n-- > 0) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (int b = 0; b < 64; b += 16) {
			h ^= (x >> b) & 0xffff;
			h *= 0x100000001b3ULL;
		}
	}
	s->x = x;
	s->h = h;
}

int
wk_kind_cpu(corun_job_ctx *ctx)
{
	struct cpu_state s = { 0x9e3779b97f4a7c15ULL, 0xcbf29ce484222325ULL };
	uint64_t iter = 0, ms = 0, done = 0, end = 0, step;
	char line[64];
	int n, timed = 0;

	if (parse_count(ctx->payload, ctx->len, "iter", CPU_MAX_ITER,
	    &iter) != 0) {
		iter = 0;
		if (parse_count(ctx->payload, ctx->len, "ms", WK_MAX_MS,
		    &ms) != 0 && parse_count(ctx->payload, ctx->len, "",
		    WK_MAX_MS, &ms) != 0) {
			return corun_job_fail(ctx, CORUN_EINVAL, "cpu: bad "
			    "payload '%.*s': expected MS, MSms or Niter",
			    (int)(ctx->len > 64 ? 64 : ctx->len),
			    ctx->payload);
		}
		end = corun_loop_now_ns() + ms * 1000000u;
		timed = 1;
	}
	/*
	 * Whole chunks, so the clock is read once per CPU_CHUNK rounds and
	 * the count is a multiple of it in the timed form; the checksum
	 * depends only on the total rounds either way.
	 */
	for (;;) {
		if (!timed) {
			if (done == iter) {
				break;
			}
			step = iter - done < CPU_CHUNK ? iter - done :
			    CPU_CHUNK;
		} else {
			if (corun_loop_now_ns() >= end) {
				break;
			}
			step = CPU_CHUNK;
		}
		if (wk_job_stopping(ctx) != 0) {
			return CORUN_ECANCELED;
		}
		cpu_rounds(&s, step);
		done += step;
	}
	n = snprintf(line, sizeof(line), "%016" PRIx64 " %" PRIu64 "\n",
	    s.h, done);
	return corun_job_write_out(ctx, line, (size_t)n);
}
