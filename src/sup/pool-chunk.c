/* SPDX-License-Identifier: MIT */
/*
 * pool-chunk.c - corun_pool_map_chunked(): many small jobs as a few chunk
 * jobs, one future for all of them.
 *
 * One future and one worker task per job cost about a microsecond each
 * way; for jobs that do nothing much that is the whole cost.  Here the
 * jobs are packed into chunks (src/wire/wire-chunk.h), each sent as one
 * job of the internal kind WIRE_CHUNK_KIND, which the worker runs item by
 * item in one task and answers with one record per item.  Chunks are
 * ordinary pool jobs, so leases, re-leases after a lost worker, cancel
 * and shutdown work on them unchanged: a chunk's result is recorded once,
 * so every item's result is too.  The map's future holds the chunk
 * futures; the items' strings point into the chunks' results, so nothing
 * is copied a second time.
 */
#include "config.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "sup-internal.h"
#include "wire/wire-chunk.h"

/* Chunks per slot when the caller leaves the size to us (as Python's
 * multiprocessing.Pool.map does). */
#define SUP_CHUNKS_PER_SLOT	4
#define SUP_CHUNK_AUTO_MAX	1000

struct sup_map;

struct sup_map_chunk {
	struct sup_map	*m;
	corun_future	*fut;		/* the chunk job (a reference) */
	size_t		 base;		/* its first item */
	size_t		 count;
};

struct sup_map {
	struct corun_future fut;	/* first: what the caller holds */
	size_t		 n;
	size_t		 nchunks;
	size_t		 left;		/* chunks not done */
	struct sup_map_chunk *chunks;
	struct corun_job_result *res;
	size_t		 res_mapped;	/* bytes, if res was mmap'ed */
	/*
	 * The jobs' tags, kept only when one is not 0.  A result's id and
	 * tag are written with its outcome, not when the map is queued:
	 * the results array's pages are then first touched as results come
	 * in, while the workers run, not all at once before the first chunk
	 * leaves (20 MB for 200 000 jobs, a fault every 4 KiB).
	 */
	uint64_t	*tags;
};

/*
 * A large results array is mapped with huge pages where the kernel grants
 * them on request (transparent huge pages in madvise mode): 200 000
 * results touched 5 500 small pages, and their faults took a sixth of a
 * no-op map's time.  Zeroed either way.
 */
#define SUP_RES_HUGE ((size_t)4 << 20)

static struct corun_job_result *
res_alloc(size_t n, size_t *mapped)
{
	size_t bytes = n * sizeof(struct corun_job_result);
	void *p;

	*mapped = 0;
	if (n > SIZE_MAX / sizeof(struct corun_job_result)) {
		return NULL;
	}
	if (bytes < SUP_RES_HUGE) {
		return calloc(n > 0 ? n : 1, sizeof(struct corun_job_result));
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return NULL;
	}
#ifdef MADV_HUGEPAGE
	(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	*mapped = bytes;
	return p;
}

static void
res_free(struct corun_job_result *res, size_t mapped)
{
	if (mapped > 0) {
		munmap(res, mapped);
	} else {
		free(res);
	}
}

static int map_cancel(corun_future *fut);
static void map_destroy(corun_future *fut);

static const struct cr_future_ops map_ops = {
	.cancel = map_cancel,
	.destroy = map_destroy,
};

static int
map_cancel(corun_future *fut)
{
	struct sup_map *m = (struct sup_map *)fut;

	/* The chunks end (cancelled, or stopped with what they did), then
	 * the map completes with every item's outcome. */
	for (size_t i = 0; i < m->nchunks; i++) {
		if (m->chunks[i].fut != NULL &&
		    !corun_future_done(m->chunks[i].fut)) {
			(void)corun_future_cancel(m->chunks[i].fut);
		}
	}
	return 0;
}

static void
map_destroy(corun_future *fut)
{
	struct sup_map *m = (struct sup_map *)fut;

	for (size_t i = 0; i < m->nchunks; i++) {
		if (m->chunks[i].fut != NULL) {
			corun_future_unref(m->chunks[i].fut);
		}
	}
	free(m->chunks);
	free(m->tags);
	res_free(m->res, m->res_mapped);
	free(m);
}

/* Result x of the map, its id and tag set. */
static struct corun_job_result *
item(struct sup_map *m, size_t x)
{
	struct corun_job_result *ir = &m->res[x];

	ir->id = x;
	ir->tag = m->tags != NULL ? m->tags[x] : 0;
	return ir;
}

/* Items [from, c->count) of c ended without a record: status and why. */
static void
fill_missing(struct sup_map_chunk *c, size_t from, int status, const char *msg,
    const struct corun_job_result *r)
{
	for (size_t k = from; k < c->count; k++) {
		struct corun_job_result *ir = item(c->m, c->base + k);

		ir->status = status != 0 ? status : CORUN_EPROTO;
		ir->exit_code = -1;
		ir->out = ir->err = "";
		ir->message = msg != NULL ? msg : "";
		if (r != NULL) {
			ir->attempts = r->attempts;
			ir->start_ns = r->start_ns;
			ir->end_ns = r->end_ns;
			ir->worker_pid = r->worker_pid;
		}
	}
}

static void
chunk_done(corun_future *fut, void *arg)
{
	struct sup_map *m = arg;
	struct sup_map_chunk *c = &m->chunks[((struct sup_job *)fut)->tag];
	const struct corun_job_result *r = corun_pool_result(fut);
	struct wire_chunk_iter it;
	struct wire_chunk_result cr;
	const char *msg = NULL;
	size_t k = 0;
	int borrowed = 0;		/* an item points into r */

	if (r != NULL && r->end_ns > r->start_ns) {
		sup_pool_chunk_ran(((struct sup_job *)fut)->pool,
		    r->end_ns - r->start_ns);
	}
	if (r == NULL) {
		/* Never ran: cancelled, lost, broken pool. */
		(void)corun_future_error(fut, &msg);
		fill_missing(c, 0, corun_future_status(fut), msg, NULL);
	} else if (r->out_len == 0 && r->status != 0) {
		/* Stopped before it began, or refused as a whole. */
		fill_missing(c, 0, r->status, r->message, r);
		borrowed = 1;
	} else {
		if (wire_chunk_iter_init(&it, r->out, r->out_len) == 0 &&
		    it.count == c->count) {
			for (; k < c->count &&
			    wire_chunk_next_result(&it, &cr) == 0; k++) {
				struct corun_job_result *ir =
				    item(m, c->base + k);

				ir->status = (int)cr.status;
				ir->exit_code = cr.exit_code;
				ir->signal = (int)cr.signal;
				ir->attempts = cr.attempts;
				ir->start_ns = cr.start_ns;
				ir->end_ns = cr.end_ns;
				ir->out = cr.out_len > 0 ? cr.out : "";
				ir->out_len = cr.out_len;
				ir->err = cr.err_len > 0 ? cr.err : "";
				ir->err_len = cr.err_len;
				ir->message = cr.msg_len > 0 ? cr.msg : "";
				ir->worker_pid = r->worker_pid;
				borrowed |= cr.out_len > 0 || cr.err_len > 0 ||
				    cr.msg_len > 0;
			}
		}
		if (k < c->count) {
			fill_missing(c, k, r->status != 0 ? r->status :
			    CORUN_EPROTO, r->status != 0 && r->message[0] !=
			    '\0' ? r->message : "malformed chunk output from "
			    "the worker", r);
			borrowed = 1;
		}
	}
	if (!borrowed && r != NULL) {
		/*
		 * Nothing points into the chunk's result: let it go now, so
		 * its memory serves the next chunk instead of new pages.
		 */
		corun_future_unref(c->fut);
		c->fut = NULL;
	}
	if (--m->left == 0) {
		(void)corun_future_set_result(&m->fut, m->res, NULL);
		corun_future_unref(&m->fut);	/* the chunks' reference */
	}
}

static size_t
auto_chunksize(const struct corun_pool *p, size_t n)
{
	size_t slots = (size_t)p->procs * p->threads * p->concurrency;
	size_t cs = (n + slots * SUP_CHUNKS_PER_SLOT - 1) /
	    (slots * SUP_CHUNKS_PER_SLOT);

	return cs < 1 ? 1 : cs > SUP_CHUNK_AUTO_MAX ? SUP_CHUNK_AUTO_MAX : cs;
}

/* Every job valid, as a chunk can carry it?  (All or nothing.) */
static int
check_jobs(const struct corun_job *jobs, size_t n)
{
	const char *prev = NULL;
	size_t i, klen = 0;

	for (i = 0; i < n; i++) {
		const struct corun_job *j = &jobs[i];

		if (j->kind == NULL) {
			return CORUN_EINVAL;
		}
		if (j->kind != prev) {
			klen = strlen(j->kind);
			prev = j->kind;
		}
		if (klen == 0 || klen > WIRE_KIND_MAX || (j->len > 0 &&
		    j->payload == NULL) || !(j->timeout >= 0) ||
		    j->timeout > 4e6 || j->retries < 0) {
			return CORUN_EINVAL;
		}
		if (j->len > WIRE_CHUNK_MAX_PAYLOAD - 4 - WIRE_CHUNK_JOB_FIXED -
		    klen) {
			return CORUN_ERANGE;
		}
	}
	return 0;
}

/* Grow the chunk table by one entry; NULL without memory. */
static struct sup_map_chunk *
chunk_slot(struct sup_map *m, size_t *cap)
{
	struct sup_map_chunk *n;

	if (m->nchunks == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((n = realloc(m->chunks, *cap * sizeof(*n))) == NULL) {
			return NULL;
		}
		m->chunks = n;
	}
	return &m->chunks[m->nchunks];
}

/*
 * Pack the jobs into chunk jobs and queue each one as it is made.  Every
 * SUP_CHUNK_KICK chunks the workers are handed what is queued, so they
 * start on a long map while the rest is still being packed.  Returns the
 * index of the first job not queued (n when all were).
 */
#define SUP_CHUNK_KICK 32

static size_t
queue_chunks(struct corun_pool *p, struct sup_map *m,
    const struct corun_job *jobs, size_t chunksize)
{
	struct wire_chunk_buf b = { NULL, 0, 0 };
	struct sup_map_chunk *c;
	struct sup_job *job;
	size_t i = 0, k, cap = 0;
	int rc = 0;

	while (i < m->n && rc == 0) {
		const char *prev = NULL;
		struct corun_job spec = { WIRE_CHUNK_KIND, NULL, 0, 0, 0, 0 };

		if ((c = chunk_slot(m, &cap)) == NULL ||
		    wire_chunk_begin(&b) != 0) {
			break;
		}
		for (k = 0; k < chunksize && i + k < m->n; k++) {
			if ((rc = wire_chunk_add_job(&b, &jobs[i + k],
			    prev)) != 0) {
				break;
			}
			prev = jobs[i + k].kind;
		}
		if (rc == CORUN_EAGAIN) {
			rc = 0;		/* the chunk is full of bytes */
		}
		if (rc != 0 || k == 0) {
			break;
		}
		wire_chunk_finish(&b, (uint32_t)k);
		spec.payload = b.p;
		spec.len = b.len;
		spec.tag = m->nchunks;	/* chunk_done finds it by this */
		if ((job = sup_pool_job_new(p, &spec, &rc)) == NULL) {
			break;
		}
		job->map_chunk = 1;
		*c = (struct sup_map_chunk){ m, corun_future_ref(&job->fut), i,
		    k };
		m->nchunks++;
		m->left++;
		sup_jobq_push(&p->queue, job);
		p->st.submitted++;
		/* Cannot fail: the first callback is stored in the future. */
		(void)corun_future_add_done_callback(&job->fut, chunk_done, m);
		if (m->nchunks % SUP_CHUNK_KICK == 0) {
			sup_pool_dispatch_now(p);
		}
		i += k;
	}
	wire_chunk_buf_free(&b);
	return i;
}

int
corun_pool_map_chunked(corun_pool *p, const struct corun_job *jobs, size_t n,
    size_t chunksize, corun_future **out)
{
	struct sup_map *m;
	size_t done;
	int rc;

	if (p == NULL || out == NULL || (n > 0 && jobs == NULL)) {
		return CORUN_EINVAL;
	}
	if (p->broken) {
		return CORUN_EBROKEN;
	}
	if (p->closing) {
		return CORUN_ECLOSED;
	}
	if ((rc = check_jobs(jobs, n)) != 0) {
		return rc;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->res = res_alloc(n, &m->res_mapped)) == NULL) {
		free(m);
		return CORUN_ENOMEM;
	}
	cr_future_init(&m->fut, p->loop, &map_ops);
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].tag != 0) {
			if ((m->tags = malloc(n * sizeof(*m->tags))) == NULL) {
				map_destroy(&m->fut);
				return CORUN_ENOMEM;
			}
			for (size_t x = 0; x < n; x++) {
				m->tags[x] = jobs[x].tag;
			}
			break;
		}
	}
	if (chunksize == 0) {
		chunksize = auto_chunksize(p, n);
	}
	corun_future_ref(&m->fut);	/* the chunks', until the last one */
	/* This map's chunks: one held ahead until one of them is timed. */
	p->chunk_ns = 0;
	p->nchunk_times = p->nchunk_sorted = 0;
	done = queue_chunks(p, m, jobs, chunksize);
	if (done < n && m->nchunks == 0) {
		map_destroy(&m->fut);
		return CORUN_ENOMEM;
	}
	/* Out of memory part way: what is queued runs, the rest says so. */
	for (size_t i = done; i < n; i++) {
		(void)item(m, i);
		m->res[i].status = CORUN_ENOMEM;
		m->res[i].exit_code = -1;
		m->res[i].out = m->res[i].err = "";
		m->res[i].message = "out of memory: not submitted";
	}
	if (m->left == 0) {
		(void)corun_future_set_result(&m->fut, m->res, NULL);
		corun_future_unref(&m->fut);
	}
	sup_pool_schedule_dispatch(p);
	*out = &m->fut;
	return 0;
}

const struct corun_job_result *
corun_pool_map_results(const corun_future *fut, size_t *n)
{
	const struct sup_map *m = (const struct sup_map *)fut;

	if (fut == NULL || fut->ops != &map_ops ||
	    corun_future_result(fut, NULL) == NULL) {
		if (n != NULL) {
			*n = 0;
		}
		return NULL;
	}
	if (n != NULL) {
		*n = m->n;
	}
	return m->res;
}
