/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the table of job kinds: the built-in ones, and those that
 * plugins (shared objects exporting corun_job_plugin_init) add, and the
 * internal chunk kind, which corun-worker sets (it reads the wire's chunk
 * layout, so it lives above this layer: workers/kind-chunk.c).
 *
 * Loading happens before job threads start (kinds.h says so), so lookups
 * take no lock.  The comma-separated list of names for error messages is
 * built lazily under a mutex, since unknown-kind errors may come from
 * several job threads at once.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds-internal.h"
#include "kinds.h"

/*
 * The chunk kind, as its owner sets it (wk_kinds_set_chunk), or NULL.
 * Internal: not listed among the known kinds, and never overridden.
 */
static const struct corun_job_kind *chunk_kind;

static const struct corun_job_kind builtin[] = {
	{ "noop", wk_kind_noop, 0 },
	{ "sleep", wk_kind_sleep, 0 },
	{ "block", wk_kind_block, CORUN_KIND_BLOCKING },
	{ "cpu", wk_kind_cpu, CORUN_KIND_BLOCKING },
	{ "shell", wk_kind_shell, 0 },
	{ "net", wk_kind_net, 0 },
};
#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

/* Kinds from plugins, in load order; later ones win. */
static struct corun_job_kind *plugged;
static size_t nplugged;

static pthread_mutex_t names_mu = PTHREAD_MUTEX_INITIALIZER;
static char *names;		/* cached wk_kind_names(); NULL = rebuild */

static int
name_is(const char *kname, const char *name, size_t len)
{
	return strlen(kname) == len && memcmp(kname, name, len) == 0;
}

void
wk_kinds_set_chunk(const struct corun_job_kind *k)
{
	chunk_kind = k;
}

const struct corun_job_kind *
wk_kind_find(const char *name, size_t len)
{
	size_t i;

	if (name == NULL) {
		return NULL;
	}
	if (chunk_kind != NULL && name_is(chunk_kind->name, name, len)) {
		return chunk_kind;
	}
	for (i = nplugged; i > 0; i--) {
		if (name_is(plugged[i - 1].name, name, len)) {
			return &plugged[i - 1];
		}
	}
	for (i = 0; i < NBUILTIN; i++) {
		if (name_is(builtin[i].name, name, len)) {
			return &builtin[i];
		}
	}
	return NULL;
}

size_t
wk_kind_stack(const struct corun_job_kind *k)
{
	/*
	 * Plugins are someone else's code: give them room.  net calls
	 * getaddrinfo, whose NSS modules want more than the default.
	 */
	if (chunk_kind != NULL && k == chunk_kind) {
		return 0;	/* big-stack items get a task of their own */
	}
	if (k->run == wk_kind_net || !(k >= builtin &&
	    k < builtin + NBUILTIN)) {
		return WK_BIG_STACK;
	}
	return 0;
}

/* Append name to the list unless an earlier entry has it (overrides). */
static void
names_add(char *buf, size_t *off, size_t cap, const char *name)
{
	const char *p = buf;
	size_t n = strlen(name);

	while (p < buf + *off) {
		const char *end = strstr(p, ", ");

		if (end == NULL) {
			end = buf + *off;
		}
		if ((size_t)(end - p) == n && memcmp(p, name, n) == 0) {
			return;
		}
		p = end + 2;
	}
	*off += (size_t)snprintf(buf + *off, cap - *off, "%s%s",
	    *off > 0 ? ", " : "", name);
}

const char *
wk_kind_names(void)
{
	const char *r;
	size_t cap = 1, off = 0, i;

	pthread_mutex_lock(&names_mu);
	if (names == NULL) {
		for (i = 0; i < NBUILTIN; i++) {
			cap += strlen(builtin[i].name) + 2;
		}
		for (i = 0; i < nplugged; i++) {
			cap += strlen(plugged[i].name) + 2;
		}
		if ((names = malloc(cap)) != NULL) {
			names[0] = '\0';
			for (i = 0; i < NBUILTIN; i++) {
				names_add(names, &off, cap, builtin[i].name);
			}
			for (i = 0; i < nplugged; i++) {
				names_add(names, &off, cap, plugged[i].name);
			}
		}
	}
	r = names != NULL ? names : "(out of memory)";
	pthread_mutex_unlock(&names_mu);
	return r;
}

/* A kind name must be printable, without blanks or commas: it is listed. */
static int
bad_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255) {
		return 1;
	}
	for (; *name != '\0'; name++) {
		unsigned char c = (unsigned char)*name;

		if (c <= ' ' || c == ',' || c == 0x7f) {
			return 1;
		}
	}
	return 0;
}

static int
check_kinds(const char *path, const struct corun_job_kind *k, size_t n,
    char *why, size_t whylen)
{
	size_t i;

	if (k == NULL) {
		snprintf(why, whylen, "%s: corun_job_plugin_init refused job "
		    "ABI version %d (built for another corun?)", path,
		    CORUN_JOB_ABI_VERSION);
		return CORUN_ENOTSUP;
	}
	if (n == 0) {
		snprintf(why, whylen, "%s: the plugin provides no job kinds",
		    path);
		return CORUN_EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (k[i].name == NULL || bad_name(k[i].name)) {
			snprintf(why, whylen, "%s: kind #%zu has an empty or "
			    "invalid name (1-255 printable bytes, no blanks "
			    "or commas)", path, i + 1);
			return CORUN_EINVAL;
		}
		if (k[i].run == NULL) {
			snprintf(why, whylen, "%s: kind '%s' has no run "
			    "function", path, k[i].name);
			return CORUN_EINVAL;
		}
	}
	return 0;
}

int
wk_kinds_load(const char *path, char *why, size_t whylen)
{
	corun_job_plugin_init_fn init;
	const struct corun_job_kind *k;
	struct corun_job_kind *grown;
	const char *err;
	void *dl, *sym;
	size_t n = 0;
	int rc;

	if (why == NULL || whylen == 0) {
		return CORUN_EINVAL;
	}
	why[0] = '\0';
	if (path == NULL || path[0] == '\0') {
		snprintf(why, whylen, "plugin path is empty");
		return CORUN_EINVAL;
	}
	/*
	 * As with dlopen(3), a name without '/' is looked up in the library
	 * path; callers pass ./x.so for a file in the current directory.
	 */
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		snprintf(why, whylen, "cannot load plugin %s: %s", path,
		    err != NULL ? err : "unknown error");
		return CORUN_ENOENT;
	}
	dlerror();
	sym = dlsym(dl, "corun_job_plugin_init");
	if (sym == NULL) {
		snprintf(why, whylen, "%s: no corun_job_plugin_init symbol "
		    "(not a corun job plugin?)", path);
		dlclose(dl);
		return CORUN_ENOENT;
	}
	/* POSIX guarantees data and function pointers convert for dlsym. */
	*(void **)&init = sym;
	k = init(CORUN_JOB_ABI_VERSION, &n);
	if ((rc = check_kinds(path, k, n, why, whylen)) != 0) {
		dlclose(dl);
		return rc;
	}
	grown = realloc(plugged, (nplugged + n) * sizeof(*grown));
	if (grown == NULL) {
		snprintf(why, whylen, "%s: out of memory", path);
		dlclose(dl);
		return CORUN_ENOMEM;
	}
	plugged = grown;
	/* The strings stay valid: the object is never unloaded. */
	memcpy(plugged + nplugged, k, n * sizeof(*k));
	nplugged += n;
	pthread_mutex_lock(&names_mu);
	free(names);
	names = NULL;
	pthread_mutex_unlock(&names_mu);
	return 0;
}
