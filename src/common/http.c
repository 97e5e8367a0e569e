/* SPDX-License-Identifier: MIT */
/*
 * http.c - the web listener (http.h): binding, the routes, the control
 * token.  /events is http-sse.c's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "common/http-internal.h"

static int
loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0) {
		return 1;
	}
	if (inet_pton(AF_INET, host, &a4) == 1) {
		return (ntohl(a4.s_addr) >> 24) == 127;
	}
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Reply with a body of type ctype (takes body, malloc'd). */
static void
reply(struct evhttp_request *req, int code, const char *ctype, char *body,
    size_t len)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (b == NULL || evbuffer_add(b, body, len) != 0) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
	} else {
		evhttp_add_header(out, "Content-Type", ctype);
		evhttp_add_header(out, "Cache-Control", "no-store");
		evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", b);
	}
	if (b != NULL) {
		evbuffer_free(b);
	}
	free(body);
}

static void
reply_json_error(struct evhttp_request *req, int code, const char *msg)
{
	char *body = malloc(strlen(msg) * 2 + 64);
	size_t n = 0;

	if (body == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	n += (size_t)sprintf(body, "{\"ok\": false, \"error\": \"");
	for (const char *p = msg; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			body[n++] = '\\';
		}
		body[n++] = (*p == '\n' || *p == '\t') ? ' ' : *p;
	}
	n += (size_t)sprintf(body + n, "\"}\n");
	reply(req, code, "application/json", body, n);
}

static void
serve_metrics(struct cm_http *h, struct evhttp_request *req)
{
	struct cm_buf b = { 0 };
	char *body;
	size_t len;

	h->ops->metrics(h->arg, &b);
	len = b.len;
	if ((body = cm_buf_steal(&b)) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

static void
serve_text(struct evhttp_request *req, const char *ctype, char *s)
{
	if (s == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	reply(req, 200, ctype, s, strlen(s));
}

/* The value of key in the request's query string (malloc'd) or NULL. */
static char *
query_arg(struct evhttp_request *req, const char *key)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *q = u != NULL ? evhttp_uri_get_query(u) : NULL;
	struct evkeyvalq kv;
	const char *v;
	char *r = NULL;

	if (q == NULL || evhttp_parse_query_str(q, &kv) != 0) {
		return NULL;
	}
	if ((v = evhttp_find_header(&kv, key)) != NULL) {
		r = strdup(v);
	}
	evhttp_clear_headers(&kv);
	return r;
}

static void
serve_job(struct cm_http *h, struct evhttp_request *req)
{
	char *id = query_arg(req, "id"), *e, *body;
	long long n = id != NULL ? strtoll(id, &e, 10) : 0;
	int found = 0;

	if (id == NULL || *id == '\0' || *e != '\0' || n <= 0) {
		free(id);
		reply_json_error(req, 400, "expected /api/job?id=N with N a job"
		    " id (a positive integer)");
		return;
	}
	free(id);
	body = h->ops->job != NULL ? h->ops->job(h->arg, n, &found) : NULL;
	if (body == NULL) {
		reply_json_error(req, found ? 500 : 404, found ? "out of memory"
		    : "no such job");
		return;
	}
	serve_text(req, "application/json", body);
}

/* Constant-time comparison of the presented token with ours. */
static int
token_ok(const struct cm_http *h, struct evhttp_request *req)
{
	const char *t = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "X-Corun-Token");
	size_t n, m;
	unsigned char diff = 0;

	if (h->token == NULL || t == NULL) {
		return 0;
	}
	n = strlen(h->token);
	m = strlen(t);
	for (size_t i = 0; i < n; i++) {
		diff |= (unsigned char)(h->token[i] ^ t[i < m ? i : 0]);
	}
	return diff == 0 && n == m;
}

static void
serve_control(struct cm_http *h, struct evhttp_request *req)
{
	char *action, *arg, why[512];
	int rc;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply_json_error(req, 405, "control actions are POST requests");
		return;
	}
	if (h->ops->control == NULL || !token_ok(h, req)) {
		reply_json_error(req, 403, h->token == NULL ? "read-only: no "
		    "control token is configured" : "wrong or missing control "
		    "token (header X-Corun-Token)");
		return;
	}
	action = query_arg(req, "action");
	arg = query_arg(req, "arg");
	why[0] = '\0';
	rc = h->ops->control(h->arg, action != NULL ? action : "",
	    arg != NULL ? arg : "", why, sizeof(why));
	free(action);
	free(arg);
	if (rc != 0) {
		reply_json_error(req, 400, why);
		return;
	}
	serve_text(req, "application/json", strdup("{\"ok\": true}\n"));
}

static void
route(struct evhttp_request *req, void *arg)
{
	struct cm_http *h = arg;
	const char *uri = evhttp_request_get_uri(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;

	if (path == NULL) {
		evhttp_send_error(req, HTTP_BADREQUEST, "bad request line");
	} else if (strcmp(path, "/api/control") == 0) {
		serve_control(h, req);
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		reply_json_error(req, 405, "only GET here");
	} else if (strcmp(path, "/metrics") == 0) {
		serve_metrics(h, req);
	} else if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
		serve_text(req, "text/html; charset=utf-8",
		    strdup(cm_dashboard_html));
	} else if (strcmp(path, "/events") == 0) {
		cm_http_sse_start(h, req);
	} else if (strcmp(path, "/api/state") == 0) {
		serve_text(req, "application/json", h->ops->state(h->arg));
	} else if (strcmp(path, "/api/job") == 0) {
		serve_job(h, req);
	} else {
		(void)uri;
		reply_json_error(req, 404, "not found: try /, /metrics, "
		    "/events, /api/state, /api/job?id=N, /api/control");
	}
}

int
cm_http_open(struct event_base *base, const char *addr, const char *token,
    double push_s, const struct cm_http_ops *ops, void *arg,
    struct cm_http **out, char *why, size_t whysize)
{
	struct cm_http *h;
	char host[256];
	int port;

	if (cm_http_split(addr, host, sizeof(host), &port, why, whysize) != 0) {
		return -1;
	}
	if ((token == NULL || *token == '\0') && !loopback(host)) {
		snprintf(why, whysize, "%.200s: not a loopback address, and no "
		    "control token is configured (http-token-file)", addr);
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (token != NULL && *token != '\0' &&
	    (h->token = strdup(token)) == NULL) ||
	    (h->http = evhttp_new(base)) == NULL) {
		snprintf(why, whysize, "out of memory");
		goto fail;
	}
	h->base = base;
	h->ops = ops;
	h->arg = arg;
	h->push_s = push_s > 0.01 ? push_s : 1.0;
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(h->http, 4096);
	evhttp_set_max_headers_size(h->http, 16384);
	evhttp_set_gencb(h->http, route, h);
	if ((h->sock = evhttp_bind_socket_with_handle(h->http, host,
	    (ev_uint16_t)port)) == NULL) {
		snprintf(why, whysize, "cannot listen on %.200s (address in use,"
		    " or not an address of this host)", addr);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	if (h != NULL && h->http != NULL) {
		evhttp_free(h->http);
	}
	if (h != NULL) {
		free(h->token);
	}
	free(h);
	return -1;
}

void
cm_http_close(struct cm_http *h)
{
	if (h == NULL) {
		return;
	}
	cm_http_sse_close_all(h);
	evhttp_free(h->http);
	free(h->token);
	free(h);
}

size_t
cm_http_clients(const struct cm_http *h)
{
	return h != NULL ? h->nsse : 0;
}

int
cm_http_port(const struct cm_http *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(h->sock);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		return -1;
	}
	return ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
}
