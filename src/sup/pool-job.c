/* SPDX-License-Identifier: MIT */
/*
 * pool-job.c - a job's outcome: its future completed with a result or an
 * error, streamed output handed to the caller, and a lease taken back.
 * The lowest part of the pool: it calls nothing else of it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sup-internal.h"

/*
 * The bytes of received spill files in WIRE_SPILL_MEM_DIR not removed
 * yet (this process's pools together): while it stays under
 * SUP_SPILL_MEM_HELD, jobs may spill in memory (WIRE_JOB_SPILL_MEM).
 * Results may be freed on any thread, hence atomic.
 */
static size_t spill_mem_held;

int
sup_pool_spill_mem_room(void)
{
	return __atomic_load_n(&spill_mem_held, __ATOMIC_RELAXED) <
	    SUP_SPILL_MEM_HELD;
}

/* A file in the memory directory: its size, else 0. */
static size_t
mem_size(const char *path)
{
	static const char dir[] = WIRE_SPILL_MEM_DIR "/";
	struct stat st;

	if (strncmp(path, dir, sizeof(dir) - 1) != 0 ||
	    strchr(path + sizeof(dir) - 1, '/') != NULL ||
	    stat(path, &st) != 0 || st.st_size <= 0) {
		return 0;
	}
	return (size_t)st.st_size;
}

/* Remove a received spill file (and count its memory back). */
static void
file_drop(const char *path)
{
	size_t n = mem_size(path);

	if (unlink(path) == 0 && n > 0) {
		__atomic_sub_fetch(&spill_mem_held, n, __ATOMIC_RELAXED);
	}
}

/* The job is done: drop the pool's reference. */
static void
job_done(struct sup_job *job)
{
	job->state = SUP_JOB_DONE;
	job->pool->st.completed++;
	corun_future_unref(&job->fut);
}

void
sup_pool_job_fail(struct sup_job *job, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (code == CORUN_ECANCELED) {
		cr_future_complete_cancelled(&job->fut);
	} else {
		corun_future_set_verror(&job->fut, code, fmt, ap);
		job->pool->st.failed++;
	}
	va_end(ap);
	job_done(job);
}

/* Hand streamed output to the caller (opts.on_output). */
void
sup_pool_deliver(struct sup_job *job, int stream, const uint8_t *data,
    size_t len)
{
	const struct corun_pool_opts *o = &job->pool->opts;

	if (len > 0 && o->on_output != NULL) {
		o->on_output(o->output_arg, job->tag, stream,
		    (const char *)data, len);
	}
	job->streamed[stream - 1] += (uint32_t)len;
}

/* A path as workers name spill files: /DIR/corun-out-PID-XXXXXX. */
static char *
file_path(const uint8_t *path, size_t len)
{
	static const char base[] = "/corun-out-";
	const char *p;
	char *s;

	if (len == 0 || len >= PATH_MAX || path[0] != '/' ||
	    memchr(path, '\0', len) != NULL || (s = strndup((const char *)path,
	    len)) == NULL) {
		return NULL;
	}
	p = strrchr(s, '/');
	if (strncmp(p, base, sizeof(base) - 1) != 0) {
		free(s);
		return NULL;
	}
	for (p += sizeof(base) - 1; *p >= '0' && *p <= '9'; p++) {
		continue;
	}
	if (*p != '-' || strlen(p + 1) != 6) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * Take a received file over: corun-out-WPID-XXXXXX becomes
 * corun-res-OURPID-WPID-XXXXXX, which the sweep after its worker's end
 * (sup_pool_files_sweep) leaves alone, and which a later pool removes
 * once we are gone without removing it (sup_pool_files_orphans: we were
 * killed).  The name the file has after it.
 */
static char *
claim(char *s)
{
	char *b = strrchr(s, '/') + 1, *n;

	if (asprintf(&n, "%.*scorun-res-%ld-%s", (int)(b - s), s,
	    (long)getpid(), b + sizeof("corun-out-") - 1) < 0) {
		return s;
	}
	if (rename(s, n) != 0) {
		free(n);
		n = s;
	} else {
		free(s);
	}
	__atomic_add_fetch(&spill_mem_held, mem_size(n), __ATOMIC_RELAXED);
	return n;
}

/* Remove dir's corun-out-PID-XXXXXX files. */
static void
sweep_dir(const char *dir, pid_t pid)
{
	struct dirent *e;
	char prefix[48];
	size_t n;
	DIR *d;

	n = (size_t)snprintf(prefix, sizeof(prefix), "corun-out-%ld-",
	    (long)pid);
	if ((d = opendir(dir)) == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, n) == 0 &&
		    strlen(e->d_name) == n + 6) {
			(void)unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	closedir(d);
}

/* The pid a spill file's name begins with (after its prefix), or 0. */
static pid_t
name_pid(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	long v = 0;

	if (strncmp(name, prefix, n) != 0) {
		return 0;
	}
	for (name += n; *name >= '0' && *name <= '9' && v < INT_MAX / 10;
	    name++) {
		v = v * 10 + (*name - '0');
	}
	return *name == '-' && strlen(name) >= 7 ? (pid_t)v : 0;
}

/* Remove dir's spill files whose owner (the PID in the name) is gone. */
static void
orphans_dir(const char *dir)
{
	struct dirent *e;
	pid_t pid;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if ((pid = name_pid(e->d_name, "corun-res-")) == 0 &&
		    (pid = name_pid(e->d_name, "corun-out-")) == 0) {
			continue;
		}
		if (pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) {
			(void)unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	closedir(d);
}

void
sup_pool_files_orphans(void)
{
	const char *dir = getenv("TMPDIR");

	if (dir == NULL || dir[0] != '/') {
		dir = "/tmp";
	}
	orphans_dir(dir);
	orphans_dir(WIRE_SPILL_MEM_DIR);
}

void
sup_pool_files_sweep(pid_t pid)
{
	const char *dir = getenv("TMPDIR");

	if (dir == NULL || dir[0] != '/') {
		dir = "/tmp";
	}
	sweep_dir(dir, pid);
	sweep_dir(WIRE_SPILL_MEM_DIR, pid);
}

void
sup_pool_job_file(struct sup_job *job, int stream, const uint8_t *path,
    size_t len)
{
	char *s = file_path(path, len);
	int i = stream == WIRE_STDERR_FILE;

	if (s == NULL) {
		return;
	}
	if (job == NULL || !job->spill) {
		unlink(s);
		free(s);
		return;
	}
	if (job->files[i] != NULL) {
		file_drop(job->files[i]);
		free(job->files[i]);
	}
	job->files[i] = claim(s);
}

void
sup_pool_job_files_drop(struct sup_job *job)
{
	for (int i = 0; i < 2; i++) {
		if (job->files[i] != NULL) {
			file_drop(job->files[i]);
			free(job->files[i]);
			job->files[i] = NULL;
		}
	}
}

/* A result's destructor: its spill files go with it. */
static void
result_free(void *p)
{
	struct corun_job_result *res = p;

	if (res->out_file != NULL) {
		file_drop(res->out_file);
		free((char *)res->out_file);
	}
	if (res->err_file != NULL) {
		file_drop(res->err_file);
		free((char *)res->err_file);
	}
	free(res);
}

/* The output a streamed job's result has beyond what OUTPUT brought. */
static void
deliver_rest(struct sup_job *job, const struct wire_result *r)
{
	if (r->out.len > job->streamed[0]) {
		sup_pool_deliver(job, WIRE_STDOUT,
		    r->out.ptr + job->streamed[0],
		    r->out.len - job->streamed[0]);
	}
	if (r->err.len > job->streamed[1]) {
		sup_pool_deliver(job, WIRE_STDERR,
		    r->err.ptr + job->streamed[1],
		    r->err.len - job->streamed[1]);
	}
}

void
sup_pool_job_succeed(struct sup_job *job, const struct wire_result *r,
    pid_t pid, const char *host)
{
	struct corun_job_result *res;
	size_t size, hlen = host != NULL ? strlen(host) : 0;
	char *s;

	if (job->stream) {
		deliver_rest(job, r);
	}
	size = sizeof(*res) + r->out.len + r->err.len + r->errmsg.len + 4 +
	    hlen;
	if ((res = malloc(size)) == NULL) {
		sup_pool_job_fail(job, CORUN_ENOMEM, "no memory for the result");
		return;
	}
	memset(res, 0, sizeof(*res));
	res->id = job->id;
	res->tag = job->tag;
	res->status = (int)r->status;
	res->exit_code = r->exit_code;
	res->signal = (int)r->signal;
	res->attempts = job->attempts;
	res->start_ns = r->start_ns;
	res->end_ns = r->end_ns;
	res->worker_pid = (int)pid;
	s = (char *)(res + 1);
	res->out = s;
	res->out_len = r->out.len;
	memcpy(s, r->out.ptr, r->out.len);
	s += r->out.len;
	*s++ = '\0';
	res->err = s;
	res->err_len = r->err.len;
	memcpy(s, r->err.ptr, r->err.len);
	s += r->err.len;
	*s++ = '\0';
	res->message = s;
	memcpy(s, r->errmsg.ptr, r->errmsg.len);
	s[r->errmsg.len] = '\0';
	if (host != NULL) {
		s += r->errmsg.len + 1;
		memcpy(s, host, hlen + 1);
		res->host = s;
	}
	res->out_file = job->files[0];
	res->err_file = job->files[1];
	job->files[0] = job->files[1] = NULL;
	if (res->status != 0) {
		job->pool->st.failed++;
	}
	corun_future_set_result(&job->fut, res, result_free);
	job_done(job);
}

/* Take a leased job back from its worker. */
void
sup_pool_unlease(struct corun_pool *p, struct sup_job *job)
{
	sup_jobmap_del(&p->leased, job->id);
	sup_jobq_remove(&job->worker->leases, job);
	job->worker = NULL;
	job->state = SUP_JOB_QUEUED;
}

void
sup_pool_fail_queue(struct corun_pool *p, int code, const char *why)
{
	struct sup_job *job;

	while ((job = sup_jobq_pop(&p->queue)) != NULL) {
		sup_pool_job_fail(job, code, "%s", why);
	}
}
