/*
 * wire-header.c - the frame header: written by the encoder
 * (cr_wire_put_header), checked by the decoder (cr_wire_decode_header);
 * frame type names; reasons written into a caller's buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "wire-internal.h"

int
cr_wire_whyf(char *why, size_t whylen, int err, const char *fmt, ...)
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
cr_wire_type_name(int type)
{
	static const char *const names[CR_WIRE_TYPE_MAX + 1] = {
		[CR_WIRE_HELLO] = "HELLO",
		[CR_WIRE_WELCOME] = "WELCOME",
		[CR_WIRE_JOBS] = "JOBS",
		[CR_WIRE_RESULTS] = "RESULTS",
		[CR_WIRE_CREDIT] = "CREDIT",
		[CR_WIRE_HEARTBEAT] = "HEARTBEAT",
		[CR_WIRE_CANCEL] = "CANCEL",
		[CR_WIRE_SHUTDOWN] = "SHUTDOWN",
		[CR_WIRE_BYE] = "BYE",
		[CR_WIRE_OUTPUT] = "OUTPUT",
	};

	if (type < 1 || type > CR_WIRE_TYPE_MAX) {
		return "unknown";
	}
	return names[type];
}

void
cr_wire_put_header(uint8_t *p, uint8_t type)
{
	p[CR_WIRE_OFF_MAGIC] = 'C';
	p[CR_WIRE_OFF_MAGIC + 1] = 'R';
	p[CR_WIRE_OFF_MAGIC + 2] = 'W';
	p[CR_WIRE_OFF_VERSION] = CR_WIRE_VERSION;
	p[CR_WIRE_OFF_TYPE] = type;
	p[CR_WIRE_OFF_FLAGS] = 0;
	cr_wire_put16(p + CR_WIRE_OFF_RESERVED, 0);
	/* Count and body length are written when the frame is finished. */
	cr_wire_put32(p + CR_WIRE_OFF_COUNT, 0);
	cr_wire_put32(p + CR_WIRE_OFF_BODYLEN, 0);
}

int
cr_wire_decode_header(const void *buf, size_t len, size_t max_frame,
    struct cr_wire_header *h, char *why, size_t whylen)
{
	const uint8_t *p = buf;
	size_t limit = cr_wire_limit(max_frame);
	uint16_t reserved;

	if (p == NULL || h == NULL) {
		return cr_wire_whyf(why, whylen, CORUN_EINVAL, "no buffer");
	}
	if (limit < CR_WIRE_HDR_SIZE) {
		return cr_wire_whyf(why, whylen, CORUN_EINVAL,
		    "frame size limit %zu is smaller than a header", limit);
	}
	if (len < CR_WIRE_HDR_SIZE) {
		return cr_wire_whyf(why, whylen, CORUN_EPROTO,
		    "frame too short: %zu bytes, the header needs %d",
		    len, CR_WIRE_HDR_SIZE);
	}
	if (p[0] != 'C' || p[1] != 'R' || p[2] != 'W') {
		return cr_wire_whyf(why, whylen, CORUN_EPROTO,
		    "bad magic %02x %02x %02x at offset 0, expected \"CRW\"",
		    p[0], p[1], p[2]);
	}
	h->version = p[CR_WIRE_OFF_VERSION];
	h->type = p[CR_WIRE_OFF_TYPE];
	h->flags = p[CR_WIRE_OFF_FLAGS];
	h->count = cr_wire_get32(p + CR_WIRE_OFF_COUNT);
	h->body_len = cr_wire_get32(p + CR_WIRE_OFF_BODYLEN);
	reserved = cr_wire_get16(p + CR_WIRE_OFF_RESERVED);
	if (h->version != CR_WIRE_VERSION) {
		return cr_wire_whyf(why, whylen, CORUN_ENOTSUP,
		    "protocol version %u at offset %d is not supported "
		    "(this side speaks version %d)",
		    h->version, CR_WIRE_OFF_VERSION, CR_WIRE_VERSION);
	}
	if (h->type < 1 || h->type > CR_WIRE_TYPE_MAX) {
		return cr_wire_whyf(why, whylen, CORUN_EPROTO,
		    "unknown frame type %u at offset %d", h->type,
		    CR_WIRE_OFF_TYPE);
	}
	if (h->flags != 0) {
		return cr_wire_whyf(why, whylen, CORUN_EPROTO,
		    "%s: flags 0x%02x at offset %d, version %d defines none",
		    cr_wire_type_name(h->type), h->flags, CR_WIRE_OFF_FLAGS,
		    CR_WIRE_VERSION);
	}
	if (reserved != 0) {
		return cr_wire_whyf(why, whylen, CORUN_EPROTO,
		    "%s: reserved field at offset %d is 0x%04x, must be 0",
		    cr_wire_type_name(h->type), CR_WIRE_OFF_RESERVED,
		    reserved);
	}
	if (h->body_len > limit - CR_WIRE_HDR_SIZE) {
		return cr_wire_whyf(why, whylen, CORUN_ERANGE,
		    "%s: body length %u at offset %d is over the frame size "
		    "limit of %zu bytes", cr_wire_type_name(h->type),
		    h->body_len, CR_WIRE_OFF_BODYLEN, limit);
	}
	return 0;
}
