/*
 * wire-chunk.c - encode and decode chunk payloads and outputs (see
 * wire-chunk.h for the layouts).
 */
#include <stdlib.h>
#include <string.h>

#include "wire-chunk.h"
#include "wire-internal.h"

int
cr_chunk_reserve(struct cr_chunk_buf *b, size_t need)
{
	size_t cap;
	uint8_t *n;

	if (need <= b->cap - b->len) {
		return 0;
	}
	cap = b->cap != 0 ? b->cap : 4096;
	while (cap - b->len < need) {
		if (cap > SIZE_MAX / 2) {
			return CORUN_ENOMEM;
		}
		cap *= 2;
	}
	if ((n = realloc(b->p, cap)) == NULL) {
		return CORUN_ENOMEM;
	}
	b->p = n;
	b->cap = cap;
	return 0;
}

void
cr_chunk_buf_free(struct cr_chunk_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
cr_chunk_begin(struct cr_chunk_buf *b)
{
	b->len = 0;
	if (cr_chunk_reserve(b, 4) != 0) {
		return CORUN_ENOMEM;
	}
	cr_wire_put32(b->p, 0);
	b->len = 4;
	return 0;
}

void
cr_chunk_finish(struct cr_chunk_buf *b, uint32_t count)
{
	if (b->len >= 4) {
		cr_wire_put32(b->p, count);
	}
}

int
cr_chunk_add_job(struct cr_chunk_buf *b, const struct corun_job *j,
    const char *prev)
{
	size_t klen, need;
	double ms;
	uint8_t *p;

	if (prev != NULL && (prev == j->kind || (j->kind != NULL &&
	    strcmp(prev, j->kind) == 0))) {
		klen = 0;	/* same kind as the item before: checked */
	} else if ((klen = j->kind != NULL ? strlen(j->kind) : 0) == 0 ||
	    klen > CR_WIRE_KIND_MAX) {
		return CORUN_EINVAL;
	}
	if ((j->len > 0 && j->payload == NULL) || !(j->timeout >= 0) ||
	    j->timeout > 4e6 || j->retries < 0) {
		return CORUN_EINVAL;
	}
	if (j->len > CR_CHUNK_MAX_PAYLOAD - 4 - CR_CHUNK_JOB_FIXED - 1 -
	    klen) {
		return CORUN_ERANGE;
	}
	need = CR_CHUNK_JOB_FIXED + klen + j->len + 1;
	if (b->len + need > CR_CHUNK_MAX_PAYLOAD) {
		return CORUN_EAGAIN;
	}
	if (cr_chunk_reserve(b, need) != 0) {
		return CORUN_ENOMEM;
	}
	p = b->p + b->len;
	ms = j->timeout * 1000 + 0.5;
	cr_wire_put32(p, j->timeout > 0 && ms < 1 ? 1 : (uint32_t)ms);
	cr_wire_put32(p + 4, (uint32_t)j->retries);
	cr_wire_put32(p + 8, (uint32_t)klen);
	cr_wire_put32(p + 12, (uint32_t)j->len);
	p += CR_CHUNK_JOB_FIXED;
	memcpy(p, j->kind, klen);
	p += klen;
	if (j->len > 0) {
		memcpy(p, j->payload, j->len);
	}
	p[j->len] = '\0';
	b->len += need;
	return 0;
}

int
cr_chunk_iter_init(struct cr_chunk_iter *it, const void *buf, size_t len)
{
	memset(it, 0, sizeof(*it));
	if (buf == NULL || len < 4) {
		return CORUN_EPROTO;
	}
	it->p = buf;
	it->end = it->p + len;
	it->count = cr_wire_get32(it->p);
	it->p += 4;
	return 0;
}

/* Take len bytes and the NUL after them; NULL if they are not there. */
static const char *
take_field(struct cr_chunk_iter *it, uint32_t len)
{
	const char *s = (const char *)it->p;

	if ((size_t)(it->end - it->p) <= len || it->p[len] != '\0') {
		return NULL;
	}
	it->p += (size_t)len + 1;
	return s;
}

int
cr_chunk_next_job(struct cr_chunk_iter *it, struct cr_chunk_job *j)
{
	uint32_t klen;

	if (it->index >= it->count) {
		return CORUN_EDONE;
	}
	if (it->end - it->p < CR_CHUNK_JOB_FIXED) {
		return CORUN_EPROTO;
	}
	j->timeout_ms = cr_wire_get32(it->p);
	j->retries = cr_wire_get32(it->p + 4);
	klen = cr_wire_get32(it->p + 8);
	j->len = cr_wire_get32(it->p + 12);
	it->p += CR_CHUNK_JOB_FIXED;
	if (klen > CR_WIRE_KIND_MAX || (size_t)(it->end - it->p) < klen) {
		return CORUN_EPROTO;
	}
	if (klen > 0) {
		it->kind = (const char *)it->p;
		it->kind_len = klen;
		it->p += klen;
	} else if (it->kind == NULL) {
		return CORUN_EPROTO;	/* "the previous kind" with none */
	}
	j->kind = it->kind;
	j->kind_len = it->kind_len;
	if ((j->payload = take_field(it, j->len)) == NULL) {
		return CORUN_EPROTO;
	}
	it->index++;
	return 0;
}

int
cr_chunk_add_result(struct cr_chunk_buf *b, const struct cr_chunk_result *r)
{
	size_t need = CR_CHUNK_RESULT_FIXED + (size_t)r->out_len +
	    r->err_len + r->msg_len + 3;
	uint8_t *p;

	if (cr_chunk_reserve(b, need) != 0) {
		return CORUN_ENOMEM;
	}
	p = b->p + b->len;
	cr_wire_put32(p, r->status);
	cr_wire_put32(p + 4, (uint32_t)r->exit_code);
	cr_wire_put32(p + 8, r->signal);
	cr_wire_put32(p + 12, r->attempts);
	cr_wire_put64(p + 16, r->start_ns);
	cr_wire_put64(p + 24, r->end_ns);
	cr_wire_put32(p + 32, r->out_len);
	cr_wire_put32(p + 36, r->err_len);
	cr_wire_put32(p + 40, r->msg_len);
	p += CR_CHUNK_RESULT_FIXED;
	if (r->out_len > 0) {
		memcpy(p, r->out, r->out_len);
	}
	p += r->out_len;
	*p++ = '\0';
	if (r->err_len > 0) {
		memcpy(p, r->err, r->err_len);
	}
	p += r->err_len;
	*p++ = '\0';
	if (r->msg_len > 0) {
		memcpy(p, r->msg, r->msg_len);
	}
	p[r->msg_len] = '\0';
	b->len += need;
	return 0;
}

int
cr_chunk_next_result(struct cr_chunk_iter *it, struct cr_chunk_result *r)
{
	if (it->index >= it->count) {
		return CORUN_EDONE;
	}
	if (it->end - it->p < CR_CHUNK_RESULT_FIXED) {
		return CORUN_EPROTO;
	}
	r->status = cr_wire_get32(it->p);
	r->exit_code = (int32_t)cr_wire_get32(it->p + 4);
	r->signal = cr_wire_get32(it->p + 8);
	r->attempts = cr_wire_get32(it->p + 12);
	r->start_ns = cr_wire_get64(it->p + 16);
	r->end_ns = cr_wire_get64(it->p + 24);
	r->out_len = cr_wire_get32(it->p + 32);
	r->err_len = cr_wire_get32(it->p + 36);
	r->msg_len = cr_wire_get32(it->p + 40);
	it->p += CR_CHUNK_RESULT_FIXED;
	if ((r->out = take_field(it, r->out_len)) == NULL ||
	    (r->err = take_field(it, r->err_len)) == NULL ||
	    (r->msg = take_field(it, r->msg_len)) == NULL) {
		return CORUN_EPROTO;
	}
	it->index++;
	return 0;
}
