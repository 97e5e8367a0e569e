/* SPDX-License-Identifier: MIT */
/*
 * fault.c - fault injection counters and the allocation wrappers (see
 * fault-internal.h for the model and the CORUN_FAULT syntax).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <corun/error.h>

#include "fault-internal.h"

struct cr_fault_site {
	unsigned long n;	/* the call that fails; 0 = not armed */
	int forever;
	unsigned long calls;
	unsigned long hits;
};

int cr_fault_armed;
static struct cr_fault_site sites[CR_FAULT_NCLASS];
static unsigned long alloc_failures;	/* injected or real */
static int alloc_held;			/* cr_fault_hold() depth */

static const char *const names[CR_FAULT_NCLASS] = {
	[CR_FAULT_ALLOC] = "alloc",
	[CR_FAULT_IO] = "io",
	[CR_FAULT_NET] = "net",
	[CR_FAULT_LISTEN] = "listen",
	[CR_FAULT_RX] = "rx",
};

const char *
cr_fault_name(int cls)
{
	if (cls < 0 || cls >= CR_FAULT_NCLASS) {
		return "unknown";
	}
	return names[cls];
}

int
cr_fault_check(int cls)
{
	struct cr_fault_site *s;
	unsigned long k;

	if (cls < 0 || cls >= CR_FAULT_NCLASS) {
		return 0;
	}
	s = &sites[cls];
	if (__atomic_load_n(&s->n, __ATOMIC_RELAXED) == 0 ||
	    (cls == CR_FAULT_ALLOC && __atomic_load_n(&alloc_held,
	    __ATOMIC_RELAXED) > 0)) {
		return 0;
	}
	k = __atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
	if (k == s->n || (s->forever && k > s->n)) {
		__atomic_add_fetch(&s->hits, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

int
cr_fault_set(int cls, unsigned long n, int forever)
{
	struct cr_fault_site *s;

	if (cls < 0 || cls >= CR_FAULT_NCLASS || n == 0) {
		return CORUN_EINVAL;
	}
	s = &sites[cls];
	__atomic_store_n(&s->n, 0, __ATOMIC_SEQ_CST);
	s->forever = forever != 0;
	s->calls = 0;
	s->hits = 0;
	__atomic_store_n(&s->n, n, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cr_fault_armed, 1, __ATOMIC_SEQ_CST);
	return 0;
}

void
cr_fault_clear(void)
{
	__atomic_store_n(&cr_fault_armed, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < CR_FAULT_NCLASS; i++) {
		__atomic_store_n(&sites[i].n, 0, __ATOMIC_SEQ_CST);
	}
}

unsigned long
cr_fault_hits(int cls)
{
	if (cls < 0 || cls >= CR_FAULT_NCLASS) {
		return 0;
	}
	return __atomic_load_n(&sites[cls].hits, __ATOMIC_RELAXED);
}

unsigned long
cr_fault_calls(int cls)
{
	if (cls < 0 || cls >= CR_FAULT_NCLASS) {
		return 0;
	}
	return __atomic_load_n(&sites[cls].calls, __ATOMIC_RELAXED);
}

/* One CLASS:N[:MODE] item of len bytes at p. */
static int
parse_item(const char *p, size_t len, int *cls, unsigned long *n,
    int *forever)
{
	char buf[64], *colon, *end, *mode;

	if (len == 0 || len >= sizeof(buf)) {
		return CORUN_EINVAL;
	}
	memcpy(buf, p, len);
	buf[len] = '\0';
	if ((colon = strchr(buf, ':')) == NULL) {
		return CORUN_EINVAL;
	}
	*colon = '\0';
	*cls = -1;
	for (int i = 0; i < CR_FAULT_NCLASS; i++) {
		if (strcmp(buf, names[i]) == 0) {
			*cls = i;
		}
	}
	if (*cls < 0 || colon[1] < '0' || colon[1] > '9') {
		return CORUN_EINVAL;
	}
	errno = 0;
	*n = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *n == 0) {
		return CORUN_EINVAL;
	}
	*forever = 0;
	if (*end == '\0') {
		return 0;
	}
	if (*end != ':') {
		return CORUN_EINVAL;
	}
	mode = end + 1;
	if (strcmp(mode, "forever") == 0) {
		*forever = 1;
	} else if (strcmp(mode, "once") != 0) {
		return CORUN_EINVAL;
	}
	return 0;
}

int
cr_fault_parse(const char *spec)
{
	int cls[CR_FAULT_NCLASS * 4], forever[CR_FAULT_NCLASS * 4];
	unsigned long n[CR_FAULT_NCLASS * 4];
	size_t k = 0;
	const char *p = spec;

	/* Check the whole spec before arming anything. */
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (k == sizeof(cls) / sizeof(cls[0]) ||
		    parse_item(p, len, &cls[k], &n[k], &forever[k]) != 0) {
			return CORUN_EINVAL;
		}
		k++;
		p += len;
		if (*p == ',') {
			p++;
		}
	}
	if (k == 0) {
		return CORUN_EINVAL;
	}
	for (size_t i = 0; i < k; i++) {
		cr_fault_set(cls[i], n[i], forever[i]);
	}
	return 0;
}

int
cr_fault_setenv(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		return 0;
	}
	return cr_fault_parse(v);
}

void
cr_fault_hold(int on)
{
	__atomic_add_fetch(&alloc_held, on ? 1 : -1, __ATOMIC_RELAXED);
}

unsigned long
cr_fault_alloc_failures(void)
{
	return __atomic_load_n(&alloc_failures, __ATOMIC_RELAXED);
}

static void *
failed(void)
{
	__atomic_add_fetch(&alloc_failures, 1, __ATOMIC_RELAXED);
	errno = ENOMEM;
	return NULL;
}

void *
cr_malloc(size_t size)
{
	void *p;

	if (cr_fault(CR_FAULT_ALLOC) || (p = malloc(size)) == NULL) {
		return failed();
	}
	return p;
}

void *
cr_calloc(size_t n, size_t size)
{
	void *p;

	if (cr_fault(CR_FAULT_ALLOC) || (p = calloc(n, size)) == NULL) {
		return failed();
	}
	return p;
}

void *
cr_realloc(void *p, size_t size)
{
	void *q;

	if (cr_fault(CR_FAULT_ALLOC) || (q = realloc(p, size)) == NULL) {
		return failed();
	}
	return q;
}

char *
cr_strdup(const char *s)
{
	char *p;

	if (cr_fault(CR_FAULT_ALLOC) || (p = strdup(s)) == NULL) {
		return failed();
	}
	return p;
}
