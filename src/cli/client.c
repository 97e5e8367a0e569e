/* SPDX-License-Identifier: MIT */
/*
 * client.c - one request to corund and its reply.
 *
 * An ipc:// URL (corund's default) is served by client-ipc.c, which
 * speaks nng's REQ protocol with plain system calls; any other URL by
 * the dial function the program installed (corun-engine: client-nng.c,
 * an nng REQ socket).  The corun front links no nng and installs none:
 * it hands commands for other URLs to corun-engine (front.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/paths.h"
#include "cli.h"
#include "client-internal.h"
#include "client.h"

/*
 * corund answers any request up to 256 MiB (too_large when it is over
 * its max-request) and drops larger ones unanswered: never send those.
 */
#define CLI_CLIENT_MAX_SEND ((size_t)256 << 20)

static cli_client_dial_fn dial_other;

void
cli_client_set_dial(cli_client_dial_fn fn)
{
	dial_other = fn;
}

/* Worked out once per process: the front asks before the command does,
   and the default may stat /run/user/UID. */
const char *
cli_client_url(void)
{
	static char buf[4096];
	static const char *url;
	const char *env;

	if (url != NULL) {
		return url;
	}
	env = getenv("CORUN_SOCKET");
	if (env != NULL && *env != '\0') {
		url = env;
	} else if (cd_default_socket(buf, sizeof(buf)) != 0) {
		url = "ipc:///run/corun/ctl";
	} else {
		url = buf;
	}
	return url;
}

/*
 * The request over ipc:// without nng (client-ipc.c: no nng threads to
 * start and join for one request), once the socket's directory passed
 * the checks dial_ours makes.
 */
static int
ipc_call(const char *url, const char *text, double timeout, char **body,
    size_t *blen)
{
	char why[1024];	/* a socket path and why it is unsafe */

	if (cd_socket_dir_check(url, 0, why, sizeof(why)) != 0) {
		cli_warn("%s", why);
		return -1;
	}
	return cli_client_ipc_call(url, text, strlen(text), timeout, body,
	    blen);
}

int
cli_client_call(json_t *req, double timeout, json_t **reply)
{
	const char *url = cli_client_url();
	json_error_t jerr;
	json_t *r, *e;
	char *text, *body = NULL;
	size_t blen = 0;
	int rv;

	*reply = NULL;
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		cli_warn("out of memory");
		return CLI_CLIENT_FAILED;
	}
	if (strlen(text) > CLI_CLIENT_MAX_SEND) {
		cli_warn("request of %zu bytes is too large: corund takes at "
		    "most %zu", strlen(text), CLI_CLIENT_MAX_SEND);
		free(text);
		return CLI_CLIENT_FAILED;
	}
	if (strncmp(url, "ipc://", 6) == 0) {
		rv = ipc_call(url, text, timeout, &body, &blen);
	} else if (dial_other != NULL) {
		rv = dial_other(url, text, timeout, &body, &blen);
	} else {
		cli_warn("%s: only ipc:// URLs are served here", url);
		rv = -1;
	}
	free(text);
	if (rv != 0) {
		return CLI_CLIENT_FAILED;
	}
	r = json_loadb(body, blen, 0, &jerr);
	free(body);
	if (!json_is_object(r)) {
		cli_warn("corund sent a reply that is not a JSON object");
		json_decref(r);
		return CLI_CLIENT_FAILED;
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		e = json_object_get(r, "error");
		cli_warn("corund: %s: %s",
		    json_string_value(json_object_get(e, "code")) ?
		    json_string_value(json_object_get(e, "code")) : "error",
		    json_string_value(json_object_get(e, "message")) ?
		    json_string_value(json_object_get(e, "message")) : "?");
		json_decref(r);
		return CLI_CLIENT_FAILED;
	}
	*reply = r;
	return 0;
}

void
cli_client_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
}
