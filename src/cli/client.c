/* SPDX-License-Identifier: MIT */
/*
 * client.c - one request to corund and its reply, over nng REQ.
 *
 * REQ would resend a request that got no reply within its resend time;
 * a resent submit could add a job twice, so resending is turned off and
 * a lost daemon is reported instead.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "common/paths.h"
#include "cli.h"
#include "client-internal.h"
#include "client.h"

/*
 * corund answers any request up to 256 MiB (too_large when it is over
 * its max-request) and drops larger ones unanswered: never send those.
 */
#define CLI_CLIENT_MAX_SEND ((size_t)256 << 20)

const char *
cli_client_url(void)
{
	static char buf[4096];
	const char *env = getenv("CORUN_SOCKET");

	if (env != NULL && *env != '\0') {
		return env;
	}
	if (cd_default_socket(buf, sizeof(buf)) != 0) {
		return "ipc:///run/corun/ctl";
	}
	return buf;
}

/*
 * Dial url, and make sure (ipc://) that our uid or root serves it before
 * anything is sent: 0, or -1 with one line printed.
 */
static int
dial_ours(nng_socket sock, const char *url)
{
	int rv;

	if (cli_client_guard(sock, url) != 0) {
		return -1;
	}
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0) {
		cli_warn("cannot reach corund at %s: %s (is it running? "
		    "-S URL or $CORUN_SOCKET name another socket)", url,
		    nng_strerror(rv));
		return -1;
	}
	return cli_client_peer_ok(url);
}

int
cli_client_call(json_t *req, double timeout, json_t **reply)
{
	const char *url = cli_client_url();
	nng_socket sock;
	nng_msg *msg = NULL;
	json_error_t jerr;
	json_t *r, *e;
	char *text;
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
	if ((rv = nng_req0_open(&sock)) != 0) {
		cli_warn("nng: %s", nng_strerror(rv));
		free(text);
		return CLI_CLIENT_FAILED;
	}
	nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, timeout < 0 ?
	    NNG_DURATION_INFINITE : (nng_duration)(timeout * 1000));
	nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 10000);
	nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, 0);
	if (dial_ours(sock, url) != 0) {
		free(text);
		nng_close(sock);
		return CLI_CLIENT_FAILED;
	}
	rv = nng_send(sock, text, strlen(text), 0);
	free(text);
	if (rv == 0) {
		rv = nng_recvmsg(sock, &msg, 0);
	}
	if (rv != 0) {
		cli_warn("corund at %s: %s", url, rv == NNG_ETIMEDOUT ?
		    "no reply in time" : nng_strerror(rv));
		nng_close(sock);
		return CLI_CLIENT_FAILED;
	}
	r = json_loadb(nng_msg_body(msg), nng_msg_len(msg), 0, &jerr);
	nng_msg_free(msg);
	nng_close(sock);
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
