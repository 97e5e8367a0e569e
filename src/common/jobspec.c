/* SPDX-License-Identifier: MIT */
/*
 * jobspec.c - parse and check one job (see jobspec.h): the kind, the
 * fields every job may have, the fields of one reader, and what each
 * reader keeps.  The kinds' own fields are in jobspec-kinds.c.
 *
 * Fields of every job: "kind" (may be left out when "cmd" is an array
 * or "argv" is given: "shell"), "timeout" (seconds), "retries".
 * corun run only: "id" (a string or an integer, shown by --tag, --json
 * and --results).  corund only: "group", "priority", "key", "after".
 * Any other field is an error, so a misspelt "timout" does not silently
 * run without a timeout; a field of the other reader is named as such.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corun/error.h>

#include "fault-internal.h"
#include "jobspec-internal.h"

/* The fields outside the kinds', and who takes them. */
static const struct {
	const char *name;
	unsigned readers;
} common_fields[] = {
	{ "kind", CM_JOBSPEC_RUN | CM_JOBSPEC_CORUND },
	{ "timeout", CM_JOBSPEC_RUN | CM_JOBSPEC_CORUND },
	{ "retries", CM_JOBSPEC_RUN | CM_JOBSPEC_CORUND },
	{ "id", CM_JOBSPEC_RUN },
	{ "group", CM_JOBSPEC_CORUND },
	{ "priority", CM_JOBSPEC_CORUND },
	{ "key", CM_JOBSPEC_CORUND },
	{ "after", CM_JOBSPEC_CORUND },
	{ "after_any", CM_JOBSPEC_CORUND },
	{ "op", CM_JOBSPEC_REQUEST },
	{ "wait", CM_JOBSPEC_REQUEST },
};

#define NCOMMON (sizeof(common_fields) / sizeof(common_fields[0]))

/* The index of key in common_fields, or NCOMMON. */
static size_t
common_field(const char *key)
{
	size_t i;

	for (i = 0; i < NCOMMON; i++) {
		if (strcmp(key, common_fields[i].name) == 0) {
			break;
		}
	}
	return i;
}

static int
valid_kind_name(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > CM_JOBSPEC_NAME_MAX) {
		return 0;
	}
	for (; *k != '\0'; k++) {
		if (!isalnum((unsigned char)*k) && !strchr("_-.:", *k)) {
			return 0;
		}
	}
	return 1;
}

/* The kind: named, or "shell" for an argv in "cmd" or "argv". */
static int
job_kind(json_t *o, const char **kind, struct cm_jobspec_err *e)
{
	json_t *v = json_object_get(o, "kind");
	json_t *cmd = json_object_get(o, "cmd");

	if (v == NULL && (json_is_array(cmd) ||
	    json_object_get(o, "argv") != NULL)) {
		*kind = "shell";
		return 0;
	}
	if ((*kind = json_string_value(v)) == NULL) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"kind\" (a string) is "
		    "missing; %s", cmd != NULL ? "\"cmd\" is an array of "
		    "strings, or a string with \"kind\": \"shell\"" :
		    "a job needs \"kind\" or \"cmd\"");
	}
	/* A NUL (allowed in strings) would hide the rest of the name. */
	if (!valid_kind_name(*kind) || strlen(*kind) != json_string_length(v)) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"kind\": \"%s\" is "
		    "not a kind name (1-255 of A-Z a-z 0-9 _ - . :)", *kind);
	}
	return 0;
}

/* Every field is the kind's or a common one this reader takes. */
static int
check_fields(json_t *o, const char *kind, unsigned flags,
    struct cm_jobspec_err *e)
{
	const char *key;
	char pat[40];
	json_t *v;
	size_t i, n = NCOMMON;

	json_object_foreach(o, key, v) {
		i = common_field(key);
		if (i < n && (common_fields[i].readers & flags)) {
			continue;
		}
		if (i < n && common_fields[i].readers == CM_JOBSPEC_RUN) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "field \"%s\" "
			    "is for corun run; corund numbers its jobs (see "
			    "\"key\")", key);
		}
		if (i < n && common_fields[i].readers == CM_JOBSPEC_CORUND) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "field \"%s\" "
			    "is for corund (corun submit), not corun run", key);
		}
		/* A space would let "ms iter" match the list. */
		if (i == n && strlen(key) < 32 && strchr(key, ' ') == NULL) {
			snprintf(pat, sizeof(pat), " %s ", key);
			if (strstr(cm_jobspec_kind_fields(kind), pat) != NULL) {
				continue;
			}
		}
		return cm_jobspec_fail(e, CORUN_EINVAL, "unknown field \"%s\" "
		    "for kind \"%s\"", key, kind);
	}
	return 0;
}

/* "timeout", "retries", "id". */
static int
run_fields(json_t *o, unsigned flags, struct cm_jobspec_desc *d,
    struct cm_jobspec_err *e)
{
	json_t *v;
	char num[32];

	if ((v = json_object_get(o, "timeout")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1e9) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "\"timeout\" "
			    "must be a non-negative number of seconds");
		}
		if ((flags & CM_JOBSPEC_CORUND) && json_number_value(v) >
		    CM_JOBSPEC_CORUND_TIMEOUT_MAX) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "\"timeout\" "
			    "must be a number of seconds in 0..4000000");
		}
		d->timeout = json_number_value(v);
	}
	if ((v = json_object_get(o, "retries")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "\"retries\" "
			    "must be a non-negative integer");
		}
		if (json_integer_value(v) > CM_JOBSPEC_RETRIES_MAX) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "\"retries\" "
			    "must be at most 1000");
		}
		d->retries = (int)json_integer_value(v);
	}
	if ((v = json_object_get(o, "id")) == NULL) {
		return 0;
	}
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		d->id = cr_strdup(num);
	} else if (cm_jobspec_str(v) != NULL) {
		d->id = cr_strdup(json_string_value(v));
	} else {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"id\" must be a "
		    "string or an integer");
	}
	return d->id != NULL ? 0 : cm_jobspec_oom(e);
}

/* A string field of at most CM_JOBSPEC_NAME_MAX bytes, copied. */
static int
name_field(json_t *o, const char *key, size_t min, char **out,
    struct cm_jobspec_err *e)
{
	json_t *v = json_object_get(o, key);
	const char *s = cm_jobspec_str(v);

	if (v == NULL) {
		return 0;
	}
	if (s == NULL || strlen(s) < min || strlen(s) > CM_JOBSPEC_NAME_MAX) {
		return cm_jobspec_fail(e, CORUN_EINVAL, min > 0 ? "\"%s\" must "
		    "be a string of 1..255 bytes" : "\"%s\" must be a string "
		    "of at most 255 bytes", key);
	}
	return (*out = cr_strdup(s)) != NULL ? 0 : cm_jobspec_oom(e);
}

/* "after" or "after_any": an array of job ids, into *ids. */
static int
id_list(json_t *o, const char *name, int64_t **ids, size_t *n,
    struct cm_jobspec_err *e)
{
	json_t *v, *w;
	size_t i;

	if ((v = json_object_get(o, name)) == NULL) {
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) > CM_JOBSPEC_AFTER_MAX) {
		return cm_jobspec_fail(e, CORUN_EINVAL, "\"%s\" must be an "
		    "array of at most 1000 job ids", name);
	}
	if (json_array_size(v) > 0 && (*ids = cr_calloc(
	    json_array_size(v), sizeof(**ids))) == NULL) {
		return cm_jobspec_oom(e);
	}
	json_array_foreach(v, i, w) {
		if (!json_is_integer(w) || json_integer_value(w) <= 0) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "%s[%zu] is "
			    "not a job id", name, i);
		}
		(*ids)[i] = json_integer_value(w);
	}
	*n = json_array_size(v);
	return 0;
}

/* "group", "priority", "key", "after", "after_any". */
static int
queue_fields(json_t *o, struct cm_jobspec_desc *d, struct cm_jobspec_err *e)
{
	json_t *v;
	int rc;

	if ((rc = name_field(o, "group", 0, &d->group, e)) != 0 ||
	    (rc = name_field(o, "key", 1, &d->key, e)) != 0) {
		return rc;
	}
	if ((v = json_object_get(o, "priority")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) <
		    -CM_JOBSPEC_PRIORITY_MAX || json_integer_value(v) >
		    CM_JOBSPEC_PRIORITY_MAX) {
			return cm_jobspec_fail(e, CORUN_EINVAL, "\"priority\" "
			    "must be an integer in -1000000..1000000");
		}
		d->priority = (int)json_integer_value(v);
	}
	if ((rc = id_list(o, "after", &d->after, &d->nafter, e)) != 0) {
		return rc;
	}
	return id_list(o, "after_any", &d->after_any, &d->nafter_any, e);
}

static int
parse_object(json_t *o, unsigned flags, struct cm_jobspec_desc *d,
    struct cm_jobspec_err *e)
{
	const char *kind;
	int rc;

	if ((rc = job_kind(o, &kind, e)) != 0 ||
	    (rc = check_fields(o, kind, flags, e)) != 0 ||
	    (rc = run_fields(o, flags, d, e)) != 0 ||
	    (rc = queue_fields(o, d, e)) != 0) {
		return rc;
	}
	if ((d->kind = cr_strdup(kind)) == NULL) {
		return cm_jobspec_oom(e);
	}
	return cm_jobspec_build(o, d, e);
}

static void
desc_init(struct cm_jobspec_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->timeout = -1;
	d->retries = -1;
}

/* On error: *d emptied, "where: " before the message. */
static int
finish(int rc, const char *where, struct cm_jobspec_desc *d,
    struct cm_jobspec_err *e)
{
	char msg[sizeof(e->msg)];
	size_t n;

	if (rc == 0) {
		return 0;
	}
	cm_jobspec_desc_free(d);
	if (where != NULL) {
		memcpy(msg, e->msg, sizeof(msg));
		snprintf(e->msg, sizeof(e->msg), "%s: ", where);
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s", msg);
	}
	return rc;
}

int
cm_jobspec_parse_json(json_t *o, const char *where, unsigned flags,
    struct cm_jobspec_desc *d, struct cm_jobspec_err *e)
{
	int rc;

	desc_init(d);
	if (!json_is_object(o)) {
		rc = cm_jobspec_fail(e, CORUN_EINVAL, "a job must be a JSON "
		    "object");
	} else {
		rc = parse_object(o, flags, d, e);
	}
	return finish(rc, where, d, e);
}

int
cm_jobspec_parse_line(const char *line, size_t len, const char *where,
    unsigned flags, struct cm_jobspec_desc *d, struct cm_jobspec_err *e)
{
	json_error_t jerr;
	json_t *o;
	int rc;

	desc_init(d);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (o == NULL) {
		rc = cm_jobspec_fail(e, CORUN_EPROTO, "invalid JSON at column "
		    "%d: %s", jerr.column, jerr.text);
	} else if (!json_is_object(o)) {
		rc = cm_jobspec_fail(e, CORUN_EINVAL, "a line must be a JSON "
		    "object");
	} else {
		rc = parse_object(o, flags, d, e);
	}
	json_decref(o);
	return finish(rc, where, d, e);
}

void
cm_jobspec_desc_free(struct cm_jobspec_desc *d)
{
	free(d->kind);
	free(d->payload);
	free(d->line);
	free(d->id);
	free(d->group);
	free(d->key);
	free(d->after);
	free(d->after_any);
	desc_init(d);
}

void
cm_jobspec_take_run(struct cm_jobspec_desc *d, struct cm_jobspec_run *r)
{
	r->kind = d->kind;
	r->payload = d->payload;
	r->len = d->len;
	r->cmdline = d->line;
	r->id = d->id;
	r->timeout = d->timeout;
	r->retries = d->retries;
	d->kind = d->payload = d->line = d->id = NULL;
	cm_jobspec_desc_free(d);
}

void
cm_jobspec_queued(const struct cm_jobspec_desc *d,
    struct cm_jobspec_queued *q)
{
	q->kind = d->kind;
	q->payload = d->payload;
	q->len = d->len;
	q->group = d->group != NULL ? d->group : "";
	q->priority = d->priority;
	q->timeout = d->timeout < 0 ? 0 : d->timeout;
	q->retries = d->retries < 0 ? 0 : d->retries;
	q->key = d->key;
	q->after = d->after;
	q->nafter = d->nafter;
	q->after_any = d->after_any;
	q->nafter_any = d->nafter_any;
}

void
cm_jobspec_pool_job(const struct cm_jobspec_desc *d, double def_timeout,
    int def_retries, struct corun_job *j)
{
	memset(j, 0, sizeof(*j));
	j->kind = d->kind;
	j->payload = d->payload;
	j->len = d->len;
	j->timeout = d->timeout >= 0 ? d->timeout : def_timeout;
	j->retries = d->retries >= 0 ? d->retries : def_retries;
}
