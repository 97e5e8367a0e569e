/* SPDX-License-Identifier: MIT */
/*
 * session-send.c - the frames the session builds and sends one at a
 * time: HELLO (which attach.c also presents at a rendezvous), BYE, and
 * the step from an encoder's return to the connection for any of them.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "worker.h"

void
wk_session_hello(const struct wk_state *w, const char *token,
    struct wire_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->max_version = WIRE_VERSION;
	h->pid = (uint32_t)getpid();
	h->procs = 1;
	h->threads = w->opt.threads;
	h->concurrency = w->opt.concurrency;
	h->capacity = w->window;
	h->name.ptr = (const uint8_t *)w->opt.name;
	h->name.len = (uint32_t)strlen(w->opt.name);
	if (token != NULL && token[0] != '\0') {
		h->token.ptr = (const uint8_t *)token;
		h->token.len = (uint32_t)strlen(token);
	}
}

int
wk_session_send(struct wk_state *w, int rc, const uint8_t *frame, size_t len)
{
	if (rc != 0) {
		wk_log(w, "cannot encode a frame: %s", corun_strerror(rc));
		return rc;
	}
	return wk_conn_send(w, frame, len);
}

void
wk_session_send_bye(struct wk_state *w)
{
	struct wire_bye bye;
	const uint8_t *frame = NULL;
	size_t len = 0;
	int rc;

	memset(&bye, 0, sizeof(bye));
	bye.code = (uint32_t)w->bye_code;
	bye.reason.ptr = (const uint8_t *)w->bye_reason;
	bye.reason.len = (uint32_t)strlen(w->bye_reason);
	rc = wire_encode_bye(&w->wb, &bye, &frame, &len);
	(void)wk_session_send(w, rc, frame, len);
}
