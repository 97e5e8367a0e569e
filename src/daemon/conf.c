/* SPDX-License-Identifier: MIT */
/*
 * conf.c - corund's settings: defaults, corund.conf (KEY = VALUE lines)
 * and the command line, which set the same keys through cd_conf_set().
 *
 * Loading goes into a fresh struct, so a bad file (at start or on SIGHUP)
 * changes nothing: the caller keeps the old settings and logs why.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cr-log.h"
#include "daemon.h"

void
cd_conf_init(struct cd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->workers = 0;		/* the number of cores */
	c->model = CORUN_MODEL_PROCESS;
	c->max_attempts = 3;
	c->window = 1024;
	c->heartbeat_timeout = 30;
	c->graceful_timeout = 30;
	c->restart_max = 10;
	c->restart_window = 10;
	c->purge_age = 7 * 86400;
	c->purge_count = 1000000;
	c->max_request = 16u << 20;
}

void
cd_conf_free(struct cd_conf *c)
{
	free(c->socket);
	free(c->state_dir);
	free(c->pidfile);
	free(c->user);
	free(c->log);
	free(c->listen);
	free(c->sbatch_options);
	free(c->token_file);
	free(c->http);
	free(c->http_token_file);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->on_done);
	memset(c, 0, sizeof(*c));
}

static int
set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL) {
		return CORUN_ENOMEM;
	}
	free(*dst);
	*dst = s;
	return 0;
}

static int
parse_num(const char *v, double lo, double hi, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(x >= lo && x <= hi)) {
		return -1;
	}
	*out = x;
	return 0;
}

static int
parse_uint(const char *v, double lo, double hi, unsigned long long *out)
{
	double x;

	if (parse_num(v, lo, hi, &x) != 0 || x != (double)(unsigned long long)x) {
		return -1;
	}
	*out = (unsigned long long)x;
	return 0;
}

/* Each setter: 0, -1 when v is not what the key takes, or an error. */
static int
set_socket(struct cd_conf *c, const char *v)
{
	return *v == '\0' ? -1 : set_str(&c->socket, v);
}

static int
set_log(struct cd_conf *c, const char *v)
{
	if (strcmp(v, "stderr") != 0 && strcmp(v, "syslog") != 0 &&
	    v[0] != '/') {
		return -1;
	}
	return set_str(&c->log, v);
}

static int
set_log_level(struct cd_conf *c, const char *v)
{
	int l = cr_log_level_parse(v);

	if (l < 0) {
		return -1;
	}
	c->log_level = l + 1;
	return 0;
}

static int
set_model(struct cd_conf *c, const char *v)
{
	return corun_model_parse(v, &c->model) != 0 ? -1 : 0;
}

static int
set_max_jobs(struct cd_conf *c, const char *v)
{
	unsigned long long u;

	if (parse_uint(v, 0, 1e12, &u) != 0) {
		return -1;
	}
	c->max_jobs_per_worker = (unsigned)(u > 4000000000u ? 4000000000u :
	    u);
	return 0;
}

static int
set_listen(struct cd_conf *c, const char *v)
{
	return strstr(v, "://") == NULL ? -1 : set_str(&c->listen, v);
}

/* --http: HOST:PORT (the listener checks the address itself). */
static int
set_http(struct cd_conf *c, const char *v)
{
	const char *colon = strrchr(v, ':');

	return colon == NULL || colon == v || colon[1] == '\0' ? -1 :
	    set_str(&c->http, v);
}

/* One of two words: 0 for the first, 1 for the second, else -1. */
static int
word(const char *v, const char *w0, const char *w1)
{
	return strcmp(v, w0) == 0 ? 0 : strcmp(v, w1) == 0 ? 1 : -1;
}

static int
set_insecure(struct cd_conf *c, const char *v)
{
	int x = word(v, "no", "yes");

	return x < 0 ? -1 : (c->insecure = x, 0);
}

static int
set_launcher(struct cd_conf *c, const char *v)
{
	int x = word(v, "none", "slurm");

	return x < 0 ? -1 : (c->launcher_slurm = x, 0);
}

static int
set_sync(struct cd_conf *c, const char *v)
{
	int x = word(v, "normal", "full");

	return x < 0 ? -1 : (c->sync_full = x, 0);
}

enum {
	T_FN,		/* its own setter */
	T_STR,		/* any string */
	T_PATH,		/* an absolute path */
	T_UINT,		/* unsigned, in lo..hi */
	T_U64,		/* uint64_t, in lo..hi */
	T_SIZE,		/* size_t, in lo..hi */
	T_NUM		/* double, in lo..hi, and 0 or at least least */
};

#define OFF(f) offsetof(struct cd_conf, f)

static const struct setting {
	const char *key;
	int type;
	size_t off;
	double lo, hi, least;
	int (*set)(struct cd_conf *c, const char *v);
	const char *what;	/* what a good value is */
} settings[] = {
	{ "socket", T_FN, 0, 0, 0, 0, set_socket, "a URL" },
	{ "state-dir", T_PATH, OFF(state_dir), 0, 0, 0, NULL,
	    "an absolute path" },
	{ "pidfile", T_STR, OFF(pidfile), 0, 0, 0, NULL, "" },
	{ "user", T_STR, OFF(user), 0, 0, 0, NULL, "" },
	{ "log", T_FN, 0, 0, 0, 0, set_log,
	    "stderr, syslog or an absolute file name" },
	{ "log-level", T_FN, 0, 0, 0, 0, set_log_level,
	    "error, warn, info or debug" },
	{ "workers", T_UINT, OFF(workers), 0, 1024, 0, NULL,
	    "a number of workers in 0..1024 (0 = cores)" },
	{ "model", T_FN, 0, 0, 0, 0, set_model,
	    "process, thread, async or hybrid" },
	{ "max-attempts", T_UINT, OFF(max_attempts), 1, 1000, 0, NULL,
	    "an integer in 1..1000" },
	{ "window", T_UINT, OFF(window), 1, 1000000, 0, NULL,
	    "an integer in 1..1000000" },
	{ "heartbeat-timeout", T_NUM, OFF(heartbeat_timeout), 0, 86400, 0.5,
	    NULL, "0 (off) or seconds in 0.5..86400" },
	{ "graceful-timeout", T_NUM, OFF(graceful_timeout), 0, 86400, 0,
	    NULL, "seconds in 0..86400" },
	{ "max-jobs-per-worker", T_FN, 0, 0, 0, 0, set_max_jobs,
	    "a count (0 = no limit)" },
	{ "restart-max", T_UINT, OFF(restart_max), 1, 100000, 0, NULL,
	    "an integer in 1..100000" },
	{ "restart-window", T_NUM, OFF(restart_window), 0.1, 86400, 0, NULL,
	    "seconds in 0.1..86400" },
	{ "purge-age", T_NUM, OFF(purge_age), 0, 1e9, 0, NULL,
	    "seconds (0 = never)" },
	{ "purge-count", T_U64, OFF(purge_count), 0, 1e15, 0, NULL,
	    "a count (0 = no limit)" },
	{ "max-request", T_SIZE, OFF(max_request), 1024, 1u << 30, 0, NULL,
	    "bytes in 1024..1073741824" },
	{ "listen", T_FN, 0, 0, 0, 0, set_listen,
	    "an nng URL (tcp://HOST:PORT, tls+tcp://HOST:PORT, ipc://PATH)" },
	{ "token-file", T_PATH, OFF(token_file), 0, 0, 0, NULL,
	    "an absolute path" },
	{ "tls-cert", T_PATH, OFF(tls_cert), 0, 0, 0, NULL,
	    "an absolute path" },
	{ "tls-key", T_PATH, OFF(tls_key), 0, 0, 0, NULL,
	    "an absolute path" },
	{ "tls-ca", T_PATH, OFF(tls_ca), 0, 0, 0, NULL, "an absolute path" },
	{ "insecure", T_FN, 0, 0, 0, 0, set_insecure, "yes or no" },
	{ "remote-timeout", T_NUM, OFF(remote_timeout), 0, 86400, 0.1, NULL,
	    "0 (10 s) or seconds in 0.1..86400" },
	{ "sync", T_FN, 0, 0, 0, 0, set_sync, "normal or full" },
	{ "launcher", T_FN, 0, 0, 0, 0, set_launcher, "none or slurm" },
	{ "slurm-workers", T_UINT, OFF(slurm_workers), 1, 100000, 0, NULL,
	    "an integer in 1..100000" },
	{ "sbatch-options", T_STR, OFF(sbatch_options), 0, 0, 0, NULL, "" },
	{ "on-done", T_STR, OFF(on_done), 0, 0, 0, NULL, "" },
	{ "http", T_FN, 0, 0, 0, 0, set_http,
	    "HOST:PORT (127.0.0.1:9090, [::1]:9090)" },
	{ "http-token-file", T_PATH, OFF(http_token_file), 0, 0, 0, NULL,
	    "an absolute path" },
};

/* Set a table-described field: 0, -1 (not a good value) or an error. */
static int
set_field(struct cd_conf *c, const struct setting *t, const char *v)
{
	char *field = (char *)c + t->off;
	unsigned long long u;
	double x;

	switch (t->type) {
	case T_PATH:
		if (*v != '/') {
			return -1;
		}
		/* FALLTHROUGH */
	case T_STR:
		return set_str((char **)(void *)field, v);
	case T_NUM:
		if (parse_num(v, t->lo, t->hi, &x) != 0 ||
		    (x > 0 && x < t->least)) {
			return -1;
		}
		*(double *)(void *)field = x;
		return 0;
	default:
		if (parse_uint(v, t->lo, t->hi, &u) != 0) {
			return -1;
		}
		if (t->type == T_UINT) {
			*(unsigned *)(void *)field = (unsigned)u;
		} else if (t->type == T_U64) {
			*(uint64_t *)(void *)field = u;
		} else {
			*(size_t *)(void *)field = (size_t)u;
		}
		return 0;
	}
}

int
cd_conf_set(struct cd_conf *c, const char *key, const char *v, char *why,
    size_t whysize)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct setting *t = &settings[i];
		int rc;

		if (strcmp(key, t->key) != 0) {
			continue;
		}
		rc = t->type == T_FN ? t->set(c, v) : set_field(c, t, v);
		if (rc == -1) {
			snprintf(why, whysize, "%s: \"%s\" is not %s", key, v,
			    t->what);
			return CORUN_EINVAL;
		}
		return rc;
	}
	snprintf(why, whysize, "unknown setting \"%s\"", key);
	return CORUN_EINVAL;
}

unsigned
cd_conf_workers(const struct cd_conf *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return c->workers ? c->workers : n > 0 ? (unsigned)n : 1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1])) {
		*--e = '\0';
	}
	return s;
}

int
cd_conf_load(struct cd_conf *c, const char *path, char *why, size_t whysize)
{
	char line[4096], sub[512];
	FILE *f;
	int lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		return CORUN_ESYS;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *k, *v, *eq;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(why, whysize, "%s:%d: line too long", path,
			    lineno);
			rc = CORUN_EINVAL;
			break;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#') {
			continue;
		}
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(why, whysize, "%s:%d: expected KEY = VALUE",
			    path, lineno);
			rc = CORUN_EINVAL;
			break;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if ((rc = cd_conf_set(c, k, v, sub, sizeof(sub))) != 0) {
			snprintf(why, whysize, "%s:%d: %s", path, lineno, sub);
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(why, whysize, "%s: read error", path);
		rc = CORUN_ESYS;
	}
	fclose(f);
	return rc;
}
