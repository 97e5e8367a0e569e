/* SPDX-License-Identifier: MIT */
/*
 * stability.c - N no-op jobs through one process pool (one supervisor),
 * with the resident memory (VmRSS) and the open file descriptors of the
 * supervisor and of every worker sampled as the jobs go through.
 *
 * Jobs go in chunks of -c jobs (corun_pool_map), two chunks in flight, so
 * the queue stays bounded and the pool never runs dry.  A sample is taken
 * every N / -s jobs.  The first sample after a tenth of the jobs is the
 * baseline (allocator pools, nng and libevent buffers have reached their
 * working size by then); at the end, growth over it must stay within
 * -r KB of RSS and +2 descriptors, for the supervisor and each worker, and
 * the workers must be the same processes (none died).  A leak of one
 * allocation per job - 16 bytes - would be 14 MB over a million jobs.
 *
 * Usage: stability [-m process|thread|async] [-n JOBS] [-j N] [-c CHUNK]
 *                  [-s SAMPLES] [-r KB]
 *
 * -j is the concurrency (under process: the workers); the default model is
 * process, where each job is a round trip to a worker; under async one
 * worker takes jobs in batches.
 *
 * Prints one line per sample, then the figures, as text and as a JSON line
 * in the format of bench/ (bench "stability").  Exit 0 when flat, 1 when
 * not, 2 when the run itself failed, 77 (skip) in a sanitizer build.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corun/corun.h>

#include "bench-util.h"

#define MAX_WORKERS	16	/* sampled; more are not */
#define MAX_SAMPLES	1000
#define CHUNK_LIMIT	120.0	/* seconds a chunk may take */

struct sample {
	size_t jobs;
	long rss_kb, fds;
	long wrss_kb[MAX_WORKERS], wfds[MAX_WORKERS];
	int wpid[MAX_WORKERS];
	size_t nw;
};

struct chunk {
	corun_future **f;
	size_t n, done, bad;
};

static corun_loop *loop;
static struct chunk *waiting;	/* stop the loop when it is all done */
static size_t done_total;

static long
status_kb(int pid, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((fp = fopen(path, "r")) == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			kb = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(fp);
	return kb;
}

static long
count_fds(int pid)
{
	char path[64];
	struct dirent *de;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if ((d = opendir(path)) == NULL) {
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			n++;
		}
	}
	closedir(d);
	return n - (pid == getpid());	/* opendir's own descriptor */
}

static void
take(corun_pool *pool, size_t jobs, struct sample *s)
{
	int pids[MAX_WORKERS];

	memset(s, 0, sizeof(*s));
	s->jobs = jobs;
	s->rss_kb = status_kb(getpid(), "VmRSS");
	s->fds = count_fds(getpid());
	s->nw = corun_pool_worker_pids(pool, pids, MAX_WORKERS);
	for (size_t i = 0; i < s->nw; i++) {
		s->wpid[i] = pids[i];
		s->wrss_kb[i] = status_kb(pids[i], "VmRSS");
		s->wfds[i] = count_fds(pids[i]);
	}
	printf("sample: jobs %zu  supervisor rss %ld KB fds %ld", s->jobs,
	    s->rss_kb, s->fds);
	for (size_t i = 0; i < s->nw; i++) {
		printf("  worker %d rss %ld KB fds %ld", s->wpid[i],
		    s->wrss_kb[i], s->wfds[i]);
	}
	printf("\n");
	fflush(stdout);
}

static void
on_done(corun_future *fut, void *arg)
{
	struct chunk *c = arg;
	const struct corun_job_result *r = corun_pool_result(fut);

	if (r == NULL || r->status != 0) {
		c->bad++;
	}
	c->done++;
	done_total++;
	if (c == waiting && c->done == c->n) {
		corun_loop_stop(loop);
	}
}

static void
give_up(void *arg)
{
	int *timed_out = arg;

	*timed_out = 1;
	corun_loop_stop(loop);
}

/* Run the loop until every job of c is done; nonzero on a timeout. */
static int
run_until(struct chunk *c)
{
	corun_handle *h = NULL;
	int timed_out = 0;

	if (c->done == c->n) {
		return 0;
	}
	waiting = c;
	corun_call_later(loop, CHUNK_LIMIT, give_up, &timed_out, &h);
	while (c->done < c->n && !timed_out) {
		corun_loop_run_forever(loop);
	}
	waiting = NULL;
	if (h != NULL) {
		corun_handle_cancel(h);
		corun_handle_release(h);
	}
	return timed_out;
}

static void
chunk_submit(corun_pool *pool, struct chunk *c, const struct corun_job *jobs,
    size_t n)
{
	int err;

	c->n = n;
	c->done = c->bad = 0;
	if ((err = corun_pool_map(pool, jobs, n, c->f)) != 0) {
		bench_fail("corun_pool_map", err);
	}
	for (size_t i = 0; i < n; i++) {
		if ((err = corun_future_add_done_callback(c->f[i], on_done,
		    c)) != 0) {
			bench_fail("corun_future_add_done_callback", err);
		}
	}
}

static size_t
chunk_release(struct chunk *c)
{
	size_t bad = c->bad;

	for (size_t i = 0; i < c->n; i++) {
		corun_future_unref(c->f[i]);
	}
	c->n = 0;
	return bad;
}

static int
grew(const char *who, long base_kb, long last_kb, long base_fds,
    long last_fds, long max_kb)
{
	int bad = 0;

	if (last_kb - base_kb > max_kb) {
		printf("FAIL: %s rss grew %ld KB (limit %ld KB)\n", who,
		    last_kb - base_kb, max_kb);
		bad = 1;
	}
	if (last_fds - base_fds > 2) {
		printf("FAIL: %s open fds grew from %ld to %ld\n", who,
		    base_fds, last_fds);
		bad = 1;
	}
	return bad;
}

int
main(int argc, char **argv)
{
	size_t n = bench_opt_size(argc, argv, 'n', 1000000);
	size_t procs = bench_opt_size(argc, argv, 'j', 2);
	size_t csize = bench_opt_size(argc, argv, 'c', 10000);
	size_t nsamples = bench_opt_size(argc, argv, 's', 20);
	long max_kb = (long)bench_opt_size(argc, argv, 'r', 4096);
	enum corun_model model = CORUN_MODEL_PROCESS;
	struct corun_pool_opts o;
	struct corun_job *jobs;
	struct chunk ch[2];
	struct sample *s, base, last;
	corun_pool *pool;
	corun_future *fin = NULL;
	size_t submitted = 0, bad = 0, ns = 0, next_sample, every, k;
	uint64_t t0;
	double secs;
	long max_rss = 0;
	int err, flat = 1;
	char note[160];

#ifdef CORUN_SANITIZERS
	/* ASan holds freed memory in quarantine (256 MB): RSS says nothing. */
	printf("skip: resident memory is not a measure under AddressSanitizer\n");
	return 77;
#endif
	if (procs > 4096 || n < csize || nsamples < 2 ||
	    nsamples > MAX_SAMPLES) {
		fprintf(stderr, "stability: -j 1..4096, -s 2..%d, -n >= -c\n",
		    MAX_SAMPLES);
		return 2;
	}
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-m") == 0 &&
		    corun_model_parse(argv[i + 1], &model) != 0) {
			fprintf(stderr, "stability: -m %s: not a model\n",
			    argv[i + 1]);
			return 2;
		}
	}
	if ((err = corun_loop_new(&loop)) != 0) {
		bench_fail("corun_loop_new", err);
	}
	o = (struct corun_pool_opts)CORUN_POOL_OPTS_INIT;
	o.model = model;
	o.jobs = (unsigned)procs;
	o.quiet = 0;
	if ((err = corun_pool_new(loop, &o, &pool)) != 0) {
		bench_fail("corun_pool_new", err);
	}
	jobs = calloc(csize, sizeof(*jobs));
	s = calloc(nsamples + 2, sizeof(*s));
	ch[0].f = calloc(csize, sizeof(corun_future *));
	ch[1].f = calloc(csize, sizeof(corun_future *));
	if (jobs == NULL || s == NULL || ch[0].f == NULL || ch[1].f == NULL) {
		bench_fail("calloc", CORUN_ENOMEM);
	}
	for (size_t i = 0; i < csize; i++) {
		jobs[i].kind = "noop";
		jobs[i].tag = i;
	}
	ch[0].n = ch[1].n = 0;
	every = n / nsamples;
	next_sample = every;
	t0 = bench_now_ns();
	/* Two chunks in flight: submit chunk k + 1, wait for chunk k. */
	for (k = 0; submitted < n || ch[(k + 1) % 2].n > 0; k++) {
		struct chunk *cur = &ch[k % 2], *prev = &ch[(k + 1) % 2];

		if (submitted < n) {
			size_t m = n - submitted < csize ? n - submitted :
			    csize;

			chunk_submit(pool, cur, jobs, m);
			submitted += m;
		}
		if (prev->n > 0) {
			if (run_until(prev) != 0) {
				fprintf(stderr, "stability: no progress for "
				    "%g s at %zu jobs done\n", CHUNK_LIMIT,
				    done_total);
				return 2;
			}
			bad += chunk_release(prev);
		}
		if (cur->n > 0 && submitted >= n) {
			/* The last chunk: wait for it here. */
			if (run_until(cur) != 0) {
				fprintf(stderr, "stability: the last chunk "
				    "did not finish\n");
				return 2;
			}
			bad += chunk_release(cur);
		}
		while (done_total >= next_sample && ns < nsamples) {
			take(pool, done_total, &s[ns++]);
			next_sample += every;
		}
	}
	secs = (double)(bench_now_ns() - t0) / 1e9;
	if (ns == 0 || ns < nsamples / 2) {
		fprintf(stderr, "stability: too few samples (%zu)\n", ns);
		return 2;
	}
	/* The baseline: the first sample at or after a tenth of the jobs. */
	base = s[0];
	for (size_t i = 0; i < ns; i++) {
		if (s[i].jobs >= n / 10) {
			base = s[i];
			break;
		}
	}
	last = s[ns - 1];
	for (size_t i = 0; i < ns; i++) {
		if (s[i].jobs >= base.jobs && s[i].rss_kb > max_rss) {
			max_rss = s[i].rss_kb;
		}
	}
	printf("figures stability: jobs %zu, failed %zu, seconds %.1f, "
	    "%.2f us/job; supervisor rss %ld -> %ld KB (max %ld), fds %ld "
	    "-> %ld\n", n, bad, secs, secs * 1e6 / (double)n, base.rss_kb,
	    last.rss_kb, max_rss, base.fds, last.fds);
	if (bad > 0) {
		printf("FAIL: %zu jobs did not complete with status 0\n", bad);
		flat = 0;
	}
	if (base.nw == 0 || last.nw != base.nw) {
		printf("FAIL: %zu then %zu workers alive\n", base.nw, last.nw);
		flat = 0;
	}
	/* Flat: no sample after the baseline above it by more than max_kb. */
	for (size_t i = 0; i < ns; i++) {
		if (s[i].jobs < base.jobs) {
			continue;
		}
		if (grew("supervisor", base.rss_kb, s[i].rss_kb, base.fds,
		    s[i].fds, max_kb)) {
			flat = 0;
		}
		for (size_t w = 0; w < s[i].nw && w < base.nw; w++) {
			char who[64];

			if (s[i].wpid[w] != base.wpid[w]) {
				printf("FAIL: worker %d was replaced by %d\n",
				    base.wpid[w], s[i].wpid[w]);
				flat = 0;
				continue;
			}
			snprintf(who, sizeof(who), "worker %d", base.wpid[w]);
			if (grew(who, base.wrss_kb[w], s[i].wrss_kb[w],
			    base.wfds[w], s[i].wfds[w], max_kb)) {
				flat = 0;
			}
		}
	}
	for (size_t w = 0; w < last.nw && w < base.nw; w++) {
		printf("figures stability: worker %d rss %ld -> %ld KB, fds "
		    "%ld -> %ld\n", last.wpid[w], base.wrss_kb[w],
		    last.wrss_kb[w], base.wfds[w], last.wfds[w]);
	}
	snprintf(note, sizeof(note), "%zu noop jobs, %s model, -j%zu; growth "
	    "after the first tenth", n, corun_model_name(model), procs);
	bench_emit("stability", "corun", "supervisor-rss-growth",
	    (double)(last.rss_kb - base.rss_kb), "KB", n, note);
	bench_emit("stability", "corun", "supervisor-fds-growth",
	    (double)(last.fds - base.fds), "fds", n, note);
	bench_emit("stability", "corun", "rate", (double)n / secs, "jobs/s",
	    n, note);
	if ((err = corun_pool_shutdown(pool, 1, 0, &fin)) != 0) {
		bench_fail("corun_pool_shutdown", err);
	}
	if (fin != NULL) {
		corun_loop_run_until_complete(loop, fin);
		corun_future_unref(fin);
	}
	corun_pool_free(pool);
	corun_loop_free(loop);
	free(ch[0].f);
	free(ch[1].f);
	free(jobs);
	free(s);
	printf("%s\n", flat ? "ok: flat" : "FAIL: not flat");
	return flat ? 0 : 1;
}
