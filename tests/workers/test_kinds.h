/* SPDX-License-Identifier: MIT */
/*
 * test_kinds.h - helpers shared by test_kinds.c and test_kinds_proc.c.
 */
#ifndef CR_TEST_KINDS_H
#define CR_TEST_KINDS_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include <corun/corun.h>

#include "kinds.h"

#define MAXF 64

extern corun_loop *loop;

/* Fixture: a fresh loop; teardown releases every job future. */
void setup(void);
void teardown(void);

double ms_since(uint64_t t0);

/* Start a job (id 7, 8, ...; attempt 2); the fixture keeps the future. */
corun_future *start(const char *kind, const void *p, size_t len,
    uint32_t tmo, int offload);

/* Run the loop until f is done; check the outcome's invariants. */
const struct wk_job_outcome *wait_job(corun_future *f);

/* start + wait_job, without offload. */
const struct wk_job_outcome *run1(const char *kind, const void *p,
    size_t len, uint32_t tmo);
#define RUNS(kind, s, tmo) run1((kind), (s), strlen(s), (tmo))

/* Run the loop for about seconds. */
void spin(double seconds);

/* wait_job on every job started so far. */
void wait_all(void);

/* test_kinds_proc.c: shell, net and plugin tests. */
void add_proc_tests(Suite *s);

#endif /* CR_TEST_KINDS_H */
