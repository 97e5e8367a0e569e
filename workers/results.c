/* SPDX-License-Identifier: MIT */
/*
 * results.c - finished jobs out: RESULTS frames and the credit they carry.
 *
 * dispatch.c queues each finished job on the worker's finished list and
 * schedules one flush per loop iteration; the flush packs the list into
 * as few RESULTS frames as the target size allows.  Each frame grants
 * the slots its results freed, unless the worker is shutting down.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "worker.h"

/* Output kept per stream when a result is too large for a frame. */
#define WK_OUT_KEEP		(4u << 20)

static void
to_wire(const struct wk_state *w, const struct wk_job *j,
    struct wire_result *r)
{
	const struct wk_job_outcome *oc = &j->oc;
	size_t mlen = oc->message != NULL ? strlen(oc->message) : 0;

	memset(r, 0, sizeof(*r));
	r->id = j->id;
	r->attempt = j->attempt;
	r->status = (uint32_t)oc->status;
	r->exit_code = oc->exit_code;
	r->signal = (uint32_t)oc->signal;
	r->start_ns = oc->start_ns;
	r->end_ns = oc->end_ns;
	if (oc->out != NULL) {
		r->out.ptr = (const uint8_t *)oc->out;
		r->out.len = (uint32_t)oc->out_len;
	}
	if (oc->err != NULL) {
		r->err.ptr = (const uint8_t *)oc->err;
		r->err.len = (uint32_t)oc->err_len;
	}
	r->errmsg.ptr = (const uint8_t *)oc->message;
	r->errmsg.len = (uint32_t)(mlen > WIRE_ERRMSG_MAX ?
	    WIRE_ERRMSG_MAX : mlen);
	wk_handback_result(w, r);
}

/* Add one result, cutting it down if it cannot fit in any frame. */
static int
add_result(struct wk_state *w, const struct wk_job *j)
{
	struct wire_result r;
	char msg[128];
	int rc;

	to_wire(w, j, &r);
	if ((rc = wire_add_result(&w->wb, &r)) != CORUN_ERANGE &&
	    rc != CORUN_EINVAL) {
		return rc;
	}
	snprintf(msg, sizeof(msg), "result too large: stdout %zu, stderr "
	    "%zu bytes; kept at most %u of each", j->oc.out_len,
	    j->oc.err_len, WK_OUT_KEEP);
	r.status = CORUN_ERANGE;
	r.out.len = r.out.len > WK_OUT_KEEP ? WK_OUT_KEEP : r.out.len;
	r.err.len = r.err.len > WK_OUT_KEEP ? WK_OUT_KEEP : r.err.len;
	r.errmsg.ptr = (const uint8_t *)msg;
	r.errmsg.len = (uint32_t)strlen(msg);
	if ((rc = wire_add_result(&w->wb, &r)) == CORUN_ERANGE ||
	    rc == CORUN_EINVAL) {
		r.out.len = r.err.len = 0;
		rc = wire_add_result(&w->wb, &r);
	}
	return rc;
}

/*
 * The spill records of the frame just sent reached the supervisor: the
 * files are its own now.
 */
static void
spills_sent(struct wk_state *w, struct wk_job *upto)
{
	struct wk_job *j;

	for (j = w->done_head; j != NULL; j = j == upto ? NULL : j->dnext) {
		if (j->files_added & 1) {
			free(j->oc.out_file);
			j->oc.out_file = NULL;
		}
		if (j->files_added & 2) {
			free(j->oc.err_file);
			j->oc.err_file = NULL;
		}
		j->files_added = 0;
	}
}

/* Send the frame being built; 0 or -1. */
static int
send_built(struct wk_state *w)
{
	const uint8_t *frame;
	size_t len;

	if (wire_builder_finish(&w->wb, &frame, &len) != 0 ||
	    wk_conn_send(w, frame, len) != 0) {
		return -1;
	}
	return 0;
}

/*
 * Spill: the files holding the output of the jobs about to be reported,
 * as OUTPUT records (streams 3 and 4) ahead of their results.  Files not
 * told of (a lost connection, a worker handing its jobs back) are
 * removed with their job.
 */
static void
flush_spills(struct wk_state *w)
{
	struct wire_output o;
	struct wk_job *j, *last = NULL;
	int i, rc;

	if (w->handback) {
		return;		/* results go back unrun: no output */
	}
	for (j = w->done_head; j != NULL && !w->lost; j = j->dnext) {
		for (i = 0; i < 2; i++) {
			char *f = i ? j->oc.err_file : j->oc.out_file;

			if (f == NULL) {
				continue;
			}
			if (last == NULL) {
				(void)wire_builder_begin(&w->wb, WIRE_OUTPUT);
			}
			last = j;
			o.id = j->id;
			o.attempt = j->attempt;
			o.stream = i ? WIRE_STDERR_FILE : WIRE_STDOUT_FILE;
			o.data.ptr = (const uint8_t *)f;
			o.data.len = (uint32_t)strlen(f);
			if ((rc = wire_add_output(&w->wb, &o)) == CORUN_EAGAIN) {
				if (send_built(w) != 0) {
					return;
				}
				spills_sent(w, j);
				(void)wire_builder_begin(&w->wb, WIRE_OUTPUT);
				rc = wire_add_output(&w->wb, &o);
			}
			if (rc == 0) {
				j->files_added |= (uint8_t)(1 << i);
			}
		}
	}
	if (last != NULL && wire_builder_count(&w->wb) > 0 &&
	    send_built(w) == 0) {
		spills_sent(w, last);
	}
}

/* OUTPUT frames for the output streamed jobs wrote since the last flush. */
static void
flush_output(struct wk_state *w)
{
	struct wire_output o;
	struct wk_outchunk *c;
	const uint8_t *frame;
	size_t len;
	int rc;

	while (w->outp_head != NULL && !w->lost) {
		(void)wire_builder_begin(&w->wb, WIRE_OUTPUT);
		while ((c = w->outp_head) != NULL) {
			o.id = c->id;
			o.attempt = c->attempt;
			o.stream = c->stream;
			o.data.ptr = (const uint8_t *)c->data;
			o.data.len = (uint32_t)c->len;
			if ((rc = wire_add_output(&w->wb, &o)) ==
			    CORUN_EAGAIN) {
				break;
			}
			/* Too big for a frame: the result carries it. */
			w->outp_head = c->next;
			free(c);
		}
		if (w->outp_head == NULL) {
			w->outp_tail = NULL;
		}
		if (wire_builder_count(&w->wb) > 0 &&
		    (wire_builder_finish(&w->wb, &frame, &len) != 0 ||
		    wk_conn_send(w, frame, len) != 0)) {
			break;
		}
	}
}

void
wk_dispatch_flush(struct wk_state *w)
{
	const uint8_t *frame;
	struct wk_job *j;
	uint32_t n, credit;
	size_t len;
	int rc;

	if (!w->sock_open) {
		return;		/* first jobs' results wait for the session */
	}
	flush_output(w);
	flush_spills(w);
	while (w->done_head != NULL && !w->lost) {
		(void)wire_builder_begin(&w->wb, WIRE_RESULTS);
		n = 0;
		while ((j = w->done_head) != NULL) {
			rc = add_result(w, j);
			if (rc == CORUN_EAGAIN) {
				break;
			}
			if (rc != 0) {
				wk_log(w, "dropping the result of job %llu: "
				    "%s", (unsigned long long)j->id,
				    corun_strerror(rc));
			}
			w->done_head = j->dnext;
			if (w->done_head == NULL) {
				w->done_tail = NULL;
			}
			w->done_count--;
			n++;
			wk_job_unref(j);
		}
		/* Freed slots go back as credit, unless we are leaving. */
		credit = w->state == WK_W_RUNNING || w->state == WK_W_HELLO ?
		    n : 0;
		(void)wire_set_credit(&w->wb, credit);
		if (wire_builder_finish(&w->wb, &frame, &len) != 0 ||
		    wk_conn_send(w, frame, len) != 0) {
			break;
		}
		w->granted += credit;
	}
	if (w->lost) {
		wk_dispatch_drop_results(w);
	}
}

void
wk_dispatch_drop_results(struct wk_state *w)
{
	struct wk_outchunk *c;
	struct wk_job *j;

	while ((c = w->outp_head) != NULL) {
		w->outp_head = c->next;
		free(c);
	}
	w->outp_tail = NULL;
	while ((j = w->done_head) != NULL) {
		w->done_head = j->dnext;
		wk_job_unref(j);
	}
	w->done_tail = NULL;
	w->done_count = 0;
}
