/* SPDX-License-Identifier: MIT */
/*
 * wire-header.c - the frame header: written by the encoder
 * (wire_put_header), checked by the decoder (wire_decode_header);
 * frame type names; reasons written into a caller's buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "wire-internal.h"

int
wire_whyf(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

const char *
wire_type_name(int type)
{
	static const char *const names[WIRE_TYPE_MAX + 1] = {
		[WIRE_HELLO] = "HELLO",
		[WIRE_WELCOME] = "WELCOME",
		[WIRE_JOBS] = "JOBS",
		[WIRE_RESULTS] = "RESULTS",
		[WIRE_CREDIT] = "CREDIT",
		[WIRE_HEARTBEAT] = "HEARTBEAT",
		[WIRE_CANCEL] = "CANCEL",
		[WIRE_SHUTDOWN] = "SHUTDOWN",
		[WIRE_BYE] = "BYE",
		[WIRE_OUTPUT] = "OUTPUT",
	};

	if (type < 1 || type > WIRE_TYPE_MAX) {
		return "unknown";
	}
	return names[type];
}

void
wire_put_header(uint8_t *p, uint8_t type)
{
	p[WIRE_OFF_MAGIC] = 'C';
	p[WIRE_OFF_MAGIC + 1] = 'R';
	p[WIRE_OFF_MAGIC + 2] = 'W';
	p[WIRE_OFF_VERSION] = WIRE_VERSION;
	p[WIRE_OFF_TYPE] = type;
	p[WIRE_OFF_FLAGS] = 0;
	wire_put16(p + WIRE_OFF_RESERVED, 0);
	/* Count and body length are written when the frame is finished. */
	wire_put32(p + WIRE_OFF_COUNT, 0);
	wire_put32(p + WIRE_OFF_BODYLEN, 0);
}

int
wire_decode_header(const void *buf, size_t len, size_t max_frame,
    struct wire_header *h, char *why, size_t whylen)
{
	const uint8_t *p = buf;
	size_t limit = wire_limit(max_frame);
	uint16_t reserved;

	if (p == NULL || h == NULL) {
		return wire_whyf(why, whylen, CORUN_EINVAL, "no buffer");
	}
	if (limit < WIRE_HDR_SIZE) {
		return wire_whyf(why, whylen, CORUN_EINVAL,
		    "frame size limit %zu is smaller than a header", limit);
	}
	if (len < WIRE_HDR_SIZE) {
		return wire_whyf(why, whylen, CORUN_EPROTO,
		    "frame too short: %zu bytes, the header needs %d",
		    len, WIRE_HDR_SIZE);
	}
	if (p[0] != 'C' || p[1] != 'R' || p[2] != 'W') {
		return wire_whyf(why, whylen, CORUN_EPROTO,
		    "bad magic %02x %02x %02x at offset 0, expected \"CRW\"",
		    p[0], p[1], p[2]);
	}
	h->version = p[WIRE_OFF_VERSION];
	h->type = p[WIRE_OFF_TYPE];
	h->flags = p[WIRE_OFF_FLAGS];
	h->count = wire_get32(p + WIRE_OFF_COUNT);
	h->body_len = wire_get32(p + WIRE_OFF_BODYLEN);
	reserved = wire_get16(p + WIRE_OFF_RESERVED);
	if (h->version != WIRE_VERSION) {
		return wire_whyf(why, whylen, CORUN_ENOTSUP,
		    "protocol version %u at offset %d is not supported "
		    "(this side speaks version %d)",
		    h->version, WIRE_OFF_VERSION, WIRE_VERSION);
	}
	if (h->type < 1 || h->type > WIRE_TYPE_MAX) {
		return wire_whyf(why, whylen, CORUN_EPROTO,
		    "unknown frame type %u at offset %d", h->type,
		    WIRE_OFF_TYPE);
	}
	if (h->flags != 0) {
		return wire_whyf(why, whylen, CORUN_EPROTO,
		    "%s: flags 0x%02x at offset %d, version %d defines none",
		    wire_type_name(h->type), h->flags, WIRE_OFF_FLAGS,
		    WIRE_VERSION);
	}
	if (reserved != 0) {
		return wire_whyf(why, whylen, CORUN_EPROTO,
		    "%s: reserved field at offset %d is 0x%04x, must be 0",
		    wire_type_name(h->type), WIRE_OFF_RESERVED,
		    reserved);
	}
	if (h->body_len > limit - WIRE_HDR_SIZE) {
		return wire_whyf(why, whylen, CORUN_ERANGE,
		    "%s: body length %u at offset %d is over the frame size "
		    "limit of %zu bytes", wire_type_name(h->type),
		    h->body_len, WIRE_OFF_BODYLEN, limit);
	}
	return 0;
}
