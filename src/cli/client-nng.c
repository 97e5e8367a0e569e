/* SPDX-License-Identifier: MIT */
/*
 * client-nng.c - one request to corund over an nng REQ socket, for the
 * URLs client-ipc.c does not speak (tcp://, tls+tcp://, ...).  Only
 * corun-engine links it (main.c installs it with cli_client_set_dial):
 * the corun front stays free of nng and its start-up.
 *
 * REQ would resend a request that got no reply within its resend time;
 * a resent submit could add a job twice, so resending is turned off and
 * a lost daemon is reported instead.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "cli.h"
#include "client.h"

/* The request through an nng REQ socket (any URL nng dials). */
int
cli_client_nng_call(const char *url, const char *text, double timeout,
    char **body, size_t *blen)
{
	nng_socket sock;
	nng_msg *msg = NULL;
	int rv;

	if ((rv = nng_req0_open(&sock)) != 0) {
		cli_warn("nng: %s", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, timeout < 0 ?
	    NNG_DURATION_INFINITE : (nng_duration)(timeout * 1000));
	nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 10000);
	nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, 0);
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0) {
		cli_warn("cannot reach corund at %s: %s (is it running? "
		    "-S URL or $CORUN_SOCKET name another socket)", url,
		    nng_strerror(rv));
		nng_close(sock);
		return -1;
	}
	rv = nng_send(sock, (void *)text, strlen(text), 0);
	if (rv == 0) {
		rv = nng_recvmsg(sock, &msg, 0);
	}
	if (rv != 0) {
		cli_warn("corund at %s: %s", url, rv == NNG_ETIMEDOUT ?
		    "no reply in time" : nng_strerror(rv));
		nng_close(sock);
		return -1;
	}
	*blen = nng_msg_len(msg);
	if ((*body = malloc(*blen + 1)) != NULL) {
		memcpy(*body, nng_msg_body(msg), *blen);
	}
	nng_msg_free(msg);
	nng_close(sock);
	if (*body == NULL) {
		cli_warn("out of memory");
		return -1;
	}
	return 0;
}
