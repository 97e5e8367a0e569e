/* SPDX-License-Identifier: MIT */
/*
 * jobmap.c - the queue of jobs and the id -> leased job table.
 */
#include "config.h"

#include <stdlib.h>

#include "sup-internal.h"

void
sup_jobq_push(struct sup_jobq *q, struct sup_job *job)
{
	job->next = NULL;
	job->prev = q->tail;
	if (q->tail != NULL) {
		q->tail->next = job;
	} else {
		q->head = job;
	}
	q->tail = job;
	q->len++;
}

void
sup_jobq_push_front(struct sup_jobq *q, struct sup_job *job)
{
	job->prev = NULL;
	job->next = q->head;
	if (q->head != NULL) {
		q->head->prev = job;
	} else {
		q->tail = job;
	}
	q->head = job;
	q->len++;
}

void
sup_jobq_remove(struct sup_jobq *q, struct sup_job *job)
{
	if (job->prev != NULL) {
		job->prev->next = job->next;
	} else {
		q->head = job->next;
	}
	if (job->next != NULL) {
		job->next->prev = job->prev;
	} else {
		q->tail = job->prev;
	}
	job->next = job->prev = NULL;
	q->len--;
}

struct sup_job *
sup_jobq_pop(struct sup_jobq *q)
{
	struct sup_job *job = q->head;

	if (job != NULL) {
		sup_jobq_remove(q, job);
	}
	return job;
}

/* Ids are sequential: a multiplicative hash spreads them. */
static size_t
slot_of(uint64_t id, size_t cap)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

static int
grow(struct sup_jobmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	struct sup_job **slots = calloc(cap, sizeof(*slots));

	if (slots == NULL) {
		return CORUN_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		struct sup_job *job = m->slots[i];

		if (job != NULL) {
			size_t s = slot_of(job->id, cap);

			while (slots[s] != NULL) {
				s = (s + 1) & (cap - 1);
			}
			slots[s] = job;
		}
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int
sup_jobmap_put(struct sup_jobmap *m, struct sup_job *job)
{
	size_t s;

	if ((m->len + 1) * 4 > m->cap * 3 && grow(m) != 0) {
		return CORUN_ENOMEM;
	}
	s = slot_of(job->id, m->cap);
	while (m->slots[s] != NULL) {
		s = (s + 1) & (m->cap - 1);
	}
	m->slots[s] = job;
	m->len++;
	return 0;
}

struct sup_job *
sup_jobmap_get(const struct sup_jobmap *m, uint64_t id)
{
	size_t s;

	if (m->cap == 0) {
		return NULL;
	}
	for (s = slot_of(id, m->cap); m->slots[s] != NULL;
	    s = (s + 1) & (m->cap - 1)) {
		if (m->slots[s]->id == id) {
			return m->slots[s];
		}
	}
	return NULL;
}

void
sup_jobmap_del(struct sup_jobmap *m, uint64_t id)
{
	size_t s, j, home;

	if (m->cap == 0) {
		return;
	}
	for (s = slot_of(id, m->cap); m->slots[s] != NULL;
	    s = (s + 1) & (m->cap - 1)) {
		if (m->slots[s]->id == id) {
			break;
		}
	}
	if (m->slots[s] == NULL) {
		return;
	}
	m->slots[s] = NULL;
	m->len--;
	/* Shift back the entries of the probe run so lookups still find them. */
	for (j = (s + 1) & (m->cap - 1); m->slots[j] != NULL;
	    j = (j + 1) & (m->cap - 1)) {
		home = slot_of(m->slots[j]->id, m->cap);
		if (((j - home) & (m->cap - 1)) >= ((j - s) & (m->cap - 1))) {
			m->slots[s] = m->slots[j];
			m->slots[j] = NULL;
			s = j;
		}
	}
}

void
sup_jobmap_fini(struct sup_jobmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}
