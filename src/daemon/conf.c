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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	free(c->token_file);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
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

int
cd_conf_set(struct cd_conf *c, const char *key, const char *v, char *why,
    size_t whysize)
{
	unsigned long long u;
	double x;

#define BAD(what) do { \
	snprintf(why, whysize, "%s: \"%s\" is not %s", key, v, what); \
	return CORUN_EINVAL; \
} while (0)
	if (strcmp(key, "socket") == 0) {
		if (*v == '\0') {
			BAD("a URL");
		}
		return set_str(&c->socket, v);
	} else if (strcmp(key, "state-dir") == 0) {
		if (*v != '/') {
			BAD("an absolute path");
		}
		return set_str(&c->state_dir, v);
	} else if (strcmp(key, "pidfile") == 0) {
		return set_str(&c->pidfile, v);
	} else if (strcmp(key, "user") == 0) {
		return set_str(&c->user, v);
	} else if (strcmp(key, "log") == 0) {
		if (strcmp(v, "stderr") != 0 && strcmp(v, "syslog") != 0 &&
		    v[0] != '/') {
			BAD("stderr, syslog or an absolute file name");
		}
		return set_str(&c->log, v);
	} else if (strcmp(key, "workers") == 0) {
		if (parse_uint(v, 0, 1024, &u) != 0) {
			BAD("a number of workers in 0..1024 (0 = cores)");
		}
		c->workers = (unsigned)u;
	} else if (strcmp(key, "model") == 0) {
		if (corun_model_parse(v, &c->model) != 0) {
			BAD("process, thread, async or hybrid");
		}
	} else if (strcmp(key, "max-attempts") == 0) {
		if (parse_uint(v, 1, 1000, &u) != 0) {
			BAD("an integer in 1..1000");
		}
		c->max_attempts = (unsigned)u;
	} else if (strcmp(key, "window") == 0) {
		if (parse_uint(v, 1, 1000000, &u) != 0) {
			BAD("an integer in 1..1000000");
		}
		c->window = (unsigned)u;
	} else if (strcmp(key, "heartbeat-timeout") == 0) {
		if (parse_num(v, 0, 86400, &x) != 0 || (x > 0 && x < 0.5)) {
			BAD("0 (off) or seconds in 0.5..86400");
		}
		c->heartbeat_timeout = x;
	} else if (strcmp(key, "graceful-timeout") == 0) {
		if (parse_num(v, 0, 86400, &x) != 0) {
			BAD("seconds in 0..86400");
		}
		c->graceful_timeout = x;
	} else if (strcmp(key, "max-jobs-per-worker") == 0) {
		if (parse_uint(v, 0, 1e12, &u) != 0) {
			BAD("a count (0 = no limit)");
		}
		c->max_jobs_per_worker = (unsigned)(u > 4000000000u ?
		    4000000000u : u);
	} else if (strcmp(key, "restart-max") == 0) {
		if (parse_uint(v, 1, 100000, &u) != 0) {
			BAD("an integer in 1..100000");
		}
		c->restart_max = (unsigned)u;
	} else if (strcmp(key, "restart-window") == 0) {
		if (parse_num(v, 0.1, 86400, &x) != 0) {
			BAD("seconds in 0.1..86400");
		}
		c->restart_window = x;
	} else if (strcmp(key, "purge-age") == 0) {
		if (parse_num(v, 0, 1e9, &x) != 0) {
			BAD("seconds (0 = never)");
		}
		c->purge_age = x;
	} else if (strcmp(key, "purge-count") == 0) {
		if (parse_uint(v, 0, 1e15, &u) != 0) {
			BAD("a count (0 = no limit)");
		}
		c->purge_count = u;
	} else if (strcmp(key, "max-request") == 0) {
		if (parse_uint(v, 1024, 1u << 30, &u) != 0) {
			BAD("bytes in 1024..1073741824");
		}
		c->max_request = (size_t)u;
	} else if (strcmp(key, "listen") == 0) {
		if (strstr(v, "://") == NULL) {
			BAD("an nng URL (tcp://HOST:PORT, tls+tcp://HOST:PORT, "
			    "ipc://PATH)");
		}
		return set_str(&c->listen, v);
	} else if (strcmp(key, "token-file") == 0 ||
	    strcmp(key, "tls-cert") == 0 || strcmp(key, "tls-key") == 0 ||
	    strcmp(key, "tls-ca") == 0) {
		if (*v != '/') {
			BAD("an absolute path");
		}
		return set_str(strcmp(key, "token-file") == 0 ? &c->token_file :
		    strcmp(key, "tls-cert") == 0 ? &c->tls_cert :
		    strcmp(key, "tls-key") == 0 ? &c->tls_key : &c->tls_ca, v);
	} else if (strcmp(key, "insecure") == 0) {
		if (strcmp(v, "yes") == 0) {
			c->insecure = 1;
		} else if (strcmp(v, "no") == 0) {
			c->insecure = 0;
		} else {
			BAD("yes or no");
		}
	} else if (strcmp(key, "remote-timeout") == 0) {
		if (parse_num(v, 0, 86400, &x) != 0 || (x > 0 && x < 0.1)) {
			BAD("0 (10 s) or seconds in 0.1..86400");
		}
		c->remote_timeout = x;
	} else if (strcmp(key, "sync") == 0) {
		if (strcmp(v, "normal") == 0) {
			c->sync_full = 0;
		} else if (strcmp(v, "full") == 0) {
			c->sync_full = 1;
		} else {
			BAD("normal or full");
		}
	} else {
		snprintf(why, whysize, "unknown setting \"%s\"", key);
		return CORUN_EINVAL;
	}
#undef BAD
	return 0;
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
