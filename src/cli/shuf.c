/* SPDX-License-Identifier: MIT */
/*
 * shuf.c - `--shuf`: read every job's values, shuffle them (Fisher-Yates
 * on a seed from the clock and the pid; a preview order, not a secret),
 * hand them out one by one.  See shuf.h.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shuf.h"

static void
free_set(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		free(v[i]);
	}
	free(v);
}

/* Keep a copy of one job's values. */
static int
keep(struct cli_shuf *s, const char **args, size_t n)
{
	char **v;
	size_t i;

	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char ***sets = realloc(s->sets, cap * sizeof(*sets));
		size_t *lens;

		if (sets == NULL) {
			return CORUN_ENOMEM;
		}
		s->sets = sets;
		if ((lens = realloc(s->lens, cap * sizeof(*lens))) == NULL) {
			return CORUN_ENOMEM;
		}
		s->lens = lens;
		s->cap = cap;
	}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		return CORUN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if ((v[i] = strdup(args[i])) == NULL) {
			free_set(v);
			return CORUN_ENOMEM;
		}
	}
	s->sets[s->count] = v;
	s->lens[s->count++] = n;
	return 0;
}

static void
shuffle(struct cli_shuf *s)
{
	struct timespec ts;
	uint64_t x;
	size_t i, j, n;
	char **v;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 16) ^ 0x9e3779b97f4a7c15ULL;
	for (i = s->count; i > 1; i--) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (size_t)(x % i);
		v = s->sets[i - 1];
		s->sets[i - 1] = s->sets[j];
		s->sets[j] = v;
		n = s->lens[i - 1];
		s->lens[i - 1] = s->lens[j];
		s->lens[j] = n;
	}
}

int
cli_shuf_next(struct cli_shuf *s, struct cli_batch *b, struct cli_input *in,
    int nonblock, const char ***args, size_t *nargs, struct cli_err *e)
{
	const char **v;
	size_t n;
	int rc;

	while (!s->ready) {
		rc = cli_batch_next(b, in, nonblock, &v, &n, e);
		if (rc == CORUN_EDONE) {
			shuffle(s);
			s->ready = 1;
		} else if (rc != 0) {
			return rc;
		} else if (keep(s, v, n) != 0) {
			return cli_errf(e, CORUN_ENOMEM, "--shuf: out of "
			    "memory");
		}
	}
	if (s->next > 0) {
		/* The last job's values are formed into its command. */
		free_set(s->sets[s->next - 1]);
		s->sets[s->next - 1] = NULL;
	}
	if (s->next == s->count) {
		return CORUN_EDONE;
	}
	*args = (const char **)s->sets[s->next];
	*nargs = s->lens[s->next++];
	return 0;
}

void
cli_shuf_free(struct cli_shuf *s)
{
	size_t i;

	for (i = 0; i < s->count; i++) {
		free_set(s->sets[i]);
	}
	free(s->sets);
	free(s->lens);
	memset(s, 0, sizeof(*s));
}
