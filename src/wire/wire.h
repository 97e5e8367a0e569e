/* SPDX-License-Identifier: MIT */
/*
 * wire.h - the supervisor <-> worker frame codec (internal).
 *
 * Every nng message between the supervisor and a worker is one frame: a
 * 16-byte header followed by a body.  This module only turns frames into
 * bytes and bytes into frames; it knows nothing about sockets.  The byte
 * layout, limits and the receiver's duty on each error are specified in
 * doc/wire-protocol.md; keep the two in step.
 *
 * Encoding: a struct wire_builder owns one growable buffer.  Batch
 * frames (JOBS, RESULTS, CANCEL) are built with begin / add... / finish;
 * add reports CORUN_EAGAIN when the record would push the frame past the
 * builder's target size or record count, so the caller sends the frame
 * and starts the next one.  Single frames (HELLO, WELCOME, CREDIT,
 * HEARTBEAT, SHUTDOWN, BYE) are encoded in one call.  The finished frame
 * stays valid until the next begin / encode / reset / fini on the builder.
 * A builder is reused without reallocating.
 *
 * Decoding: wire_decode() checks the whole frame (header, every record,
 * exact length) before it returns 0, so a frame is accepted or refused as
 * a unit and a caller never acts on half a batch.  Records are then read
 * with wire_next_*(), which cannot fail on a decoded frame.  Byte
 * fields are views (pointer + length) into the caller's buffer: no copy,
 * no allocation, no NUL terminator.  The buffer must outlive the views.
 *
 * Every function returns 0 or a CORUN_E* code (corun/error.h).  Decode
 * errors come with a reason that names the field and its byte offset.
 * Nothing here keeps global state; distinct builders and frames may be
 * used from distinct threads.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "corun/error.h"

#define WIRE_VERSION		1	/* the only version this code speaks */
#define WIRE_HDR_SIZE	16	/* bytes before the body */
#define WIRE_MAX_FRAME	(16u << 20)	/* default frame size limit */
#define WIRE_TARGET		(64u << 10)	/* default batch target size */
#define WIRE_WHY_SIZE	160	/* enough for any reason string */

/* Per-field limits, checked by both the encoder and the decoder. */
#define WIRE_KIND_MAX	255	/* job kind: 1..255 bytes */
#define WIRE_NAME_MAX	255	/* worker name */
#define WIRE_TOKEN_MAX	1024	/* auth token */
#define WIRE_REASON_MAX	4096	/* WELCOME / BYE reason */
#define WIRE_ERRMSG_MAX	65535	/* result error message */

enum wire_type {
	WIRE_HELLO = 1,	/* worker -> supervisor */
	WIRE_WELCOME = 2,	/* supervisor -> worker */
	WIRE_JOBS = 3,	/* supervisor -> worker, batch of jobs */
	WIRE_RESULTS = 4,	/* worker -> supervisor, batch of results */
	WIRE_CREDIT = 5,	/* worker -> supervisor */
	WIRE_HEARTBEAT = 6,	/* both ways */
	WIRE_CANCEL = 7,	/* supervisor -> worker, batch of job ids */
	WIRE_SHUTDOWN = 8,	/* supervisor -> worker */
	WIRE_BYE = 9,	/* worker -> supervisor */
	WIRE_OUTPUT = 10	/* worker -> supervisor, batch of output */
};
#define WIRE_TYPE_MAX	10

/* Job flags (wire_job.flags). */
#define WIRE_JOB_STREAM	0x1	/* send output lines as they come */
#define WIRE_JOB_SPILL	0x2	/* large output to a file (local workers) */
#define WIRE_JOB_SPILL_MEM 0x4	/* ... first in memory (WIRE_SPILL_MEM_DIR) */
#define WIRE_JOB_FLAGS	0x7	/* every flag defined */

/*
 * Spill in memory (WIRE_JOB_SPILL_MEM): where a worker puts spill files
 * while a stream stays under WIRE_SPILL_MEM_MAX, when this is a tmpfs
 * and $TMPDIR is not; past that the stream moves to $TMPDIR.  The
 * worker's kinds, which do not see the wire, say the same in
 * WK_SPILL_MEM_DIR and WK_SPILL_MEM_MAX (workers/kinds/kinds-internal.h).
 */
#define WIRE_SPILL_MEM_DIR	"/dev/shm"
#define WIRE_SPILL_MEM_MAX	((size_t)8 << 20)

/* Streams of an OUTPUT record. */
#define WIRE_STDOUT		1
#define WIRE_STDERR		2
#define WIRE_STDOUT_FILE	3	/* data: the file holding all stdout */
#define WIRE_STDERR_FILE	4	/* ... all stderr (WIRE_JOB_SPILL) */

/*
 * A byte field: on decode it points into the received buffer; on encode
 * the builder copies len bytes from ptr (ptr may be NULL when len is 0).
 * String fields must not contain NUL bytes; their encoding (UTF-8 by
 * convention) is not checked.
 */
struct wire_bytes {
	const uint8_t	*ptr;
	uint32_t	 len;
};

struct wire_hello {
	uint8_t		max_version;	/* highest version the worker speaks */
	uint32_t	pid;
	uint32_t	procs;		/* model: P processes */
	uint32_t	threads;	/* model: T threads per process */
	uint32_t	concurrency;	/* model: C jobs in flight per loop */
	uint32_t	capacity;	/* job slots in this worker */
	struct wire_bytes token;	/* string, empty = no token */
	struct wire_bytes name;	/* string */
};

struct wire_welcome {
	uint8_t		accepted;	/* 0 or 1 */
	uint8_t		version;	/* version chosen for the session */
	uint32_t	worker_id;
	uint32_t	heartbeat_ms;
	struct wire_bytes reason;	/* string, why refused; may be empty */
};

struct wire_job {
	uint64_t	id;
	uint32_t	attempt;
	uint32_t	timeout_ms;	/* 0 = none */
	uint32_t	flags;		/* opaque to the codec */
	struct wire_bytes kind;	/* string, 1..WIRE_KIND_MAX */
	struct wire_bytes payload;	/* opaque bytes */
};

struct wire_result {
	uint64_t	id;
	uint32_t	attempt;
	uint32_t	status;		/* 0 or a CORUN_E* code */
	int32_t		exit_code;
	uint32_t	signal;		/* 0 = not killed by a signal */
	uint64_t	start_ns;	/* worker CLOCK_REALTIME, ns */
	uint64_t	end_ns;
	struct wire_bytes out;	/* stdout bytes */
	struct wire_bytes err;	/* stderr bytes */
	struct wire_bytes errmsg;	/* string */
};

/*
 * Output a running job made so far (only for jobs sent with
 * WIRE_JOB_STREAM): whole lines, in order per job and stream.  The
 * job's RESULT still carries its whole output.  Or, for jobs sent with
 * WIRE_JOB_SPILL, streams 3 and 4: the path of the file that holds the
 * stream's whole output instead of the RESULT (sent just before it).
 */
struct wire_output {
	uint64_t	id;
	uint32_t	attempt;
	uint32_t	stream;		/* WIRE_STDOUT ... WIRE_STDERR_FILE */
	struct wire_bytes data;	/* opaque bytes */
};

struct wire_heartbeat {
	uint64_t	seq;
	uint32_t	running;	/* running; sup->worker: leased */
	uint64_t	lag_ns;		/* sender's event loop lag */
};

/*
 * SHUTDOWN's graceful field: cancel every job; finish the running ones
 * and hand the held ones back unstarted; or run everything held, then
 * leave (the supervisor has nothing more to send).
 */
#define WIRE_SHUTDOWN_CANCEL	0
#define WIRE_SHUTDOWN_GRACEFUL	1
#define WIRE_SHUTDOWN_DRAIN	2

struct wire_shutdown {
	uint8_t		graceful;	/* WIRE_SHUTDOWN_CANCEL, _GRACEFUL, _DRAIN */
	uint32_t	deadline_ms;	/* 0 = none */
};

struct wire_bye {
	uint32_t	code;		/* 0 = normal exit, else CORUN_E* */
	struct wire_bytes reason;	/* string */
};

/* ---- encoding ---------------------------------------------------------- */

struct wire_builder {
	uint8_t		*buf;
	size_t		 len;		/* bytes used, header included */
	size_t		 cap;
	size_t		 target;	/* soft size: add says "full" past it */
	size_t		 max_frame;	/* hard size: never exceeded */
	uint32_t	 max_records;	/* add says "full" at this count */
	uint32_t	 count;
	uint8_t		 type;		/* 0 = no frame begun */
	uint8_t		 finished;
};

/*
 * Prepare a builder.  target is the soft frame size (0 = WIRE_TARGET),
 * max_records the record count limit (0 = no limit but the size), and
 * max_frame the hard size limit (0 = WIRE_MAX_FRAME); it should match
 * the receiver's limit.  Allocates nothing; the buffer grows on use.
 * CORUN_EINVAL if max_frame is smaller than a header or target exceeds it.
 */
int	wire_builder_init(struct wire_builder *b, size_t target,
	    uint32_t max_records, size_t max_frame);
/* Free the buffer.  The builder may be initialised again. */
void	wire_builder_fini(struct wire_builder *b);
/* Drop any frame in progress; keep the buffer for reuse. */
void	wire_builder_reset(struct wire_builder *b);

/*
 * Start a batch frame: WIRE_JOBS, WIRE_RESULTS, WIRE_CANCEL or
 * WIRE_OUTPUT (CORUN_EINVAL otherwise).  Discards any previous frame.
 */
int	wire_builder_begin(struct wire_builder *b, int type);

/*
 * Append one record.  Returns:
 *   0               appended;
 *   CORUN_EAGAIN    not appended: the frame has max_records records, or
 *                   the record would take it past the target size.  Send
 *                   this frame and add the record to the next one.  A
 *                   record that alone exceeds the target is still taken
 *                   into an empty frame, so every record can be sent;
 *   CORUN_ERANGE    not appended: the record cannot fit in any frame
 *                   (max_frame), or a string is over its limit;
 *   CORUN_EINVAL    not appended: a string holds a NUL, the kind is empty,
 *                   or ptr is NULL with len > 0;
 *   CORUN_ESTATE    the builder holds no open frame of the matching type;
 *   CORUN_ENOMEM    buffer growth failed; the frame is unchanged.
 */
int	wire_add_job(struct wire_builder *b, const struct wire_job *j);
int	wire_add_result(struct wire_builder *b,
	    const struct wire_result *r);
int	wire_add_cancel(struct wire_builder *b, uint64_t id);
/* As above; CORUN_EINVAL also for a stream other than 1 to 4. */
int	wire_add_output(struct wire_builder *b,
	    const struct wire_output *o);

/* Set the credit a RESULTS frame carries (default 0).  CORUN_ESTATE else. */
int	wire_set_credit(struct wire_builder *b, uint32_t credit);

/*
 * Nonzero when the open frame has max_records records or has reached the
 * target size: the caller should finish and send it now.
 */
int	wire_builder_full(const struct wire_builder *b);
/* Records in the open frame. */
uint32_t wire_builder_count(const struct wire_builder *b);

/*
 * Write the header's count and length and hand out the frame.  Finishing
 * twice returns the same frame.  CORUN_ESTATE if no frame was begun.
 */
int	wire_builder_finish(struct wire_builder *b,
	    const uint8_t **frame, size_t *len);

/*
 * Encode a whole single-record frame into the builder (discarding what it
 * held) and hand it out as wire_builder_finish() does.  Field checks
 * as for wire_add_job(); CORUN_EINVAL for a bool field not 0 or 1 or
 * a version of 0.
 */
int	wire_encode_hello(struct wire_builder *b,
	    const struct wire_hello *h, const uint8_t **frame, size_t *len);
int	wire_encode_welcome(struct wire_builder *b,
	    const struct wire_welcome *w, const uint8_t **frame,
	    size_t *len);
int	wire_encode_credit(struct wire_builder *b, uint32_t credit,
	    const uint8_t **frame, size_t *len);
int	wire_encode_heartbeat(struct wire_builder *b,
	    const struct wire_heartbeat *hb, const uint8_t **frame,
	    size_t *len);
int	wire_encode_shutdown(struct wire_builder *b,
	    const struct wire_shutdown *s, const uint8_t **frame,
	    size_t *len);
int	wire_encode_bye(struct wire_builder *b,
	    const struct wire_bye *bye, const uint8_t **frame, size_t *len);

/* ---- decoding ---------------------------------------------------------- */

struct wire_header {
	uint8_t		version;
	uint8_t		type;
	uint8_t		flags;
	uint32_t	count;		/* records in the body */
	uint32_t	body_len;	/* bytes after the header */
};

/*
 * A decoded frame.  The union member matching hdr.type is filled in;
 * batch frames are read with wire_next_*().  All views point into the
 * buffer given to wire_decode().
 */
struct wire_frame {
	struct wire_header hdr;
	union {
		struct wire_hello	 hello;
		struct wire_welcome	 welcome;
		struct wire_heartbeat heartbeat;
		struct wire_shutdown	 shutdown;
		struct wire_bye	 bye;
		uint32_t		 credit;	/* CREDIT, RESULTS */
	} u;
	const uint8_t	*recs;		/* first record */
	const uint8_t	*end;		/* one past the body */
	const uint8_t	*next;		/* iterator position */
	uint32_t	 index;		/* records returned so far */
};

/*
 * Check the 16-byte header at buf (len bytes available) against the size
 * limit max_frame (0 = WIRE_MAX_FRAME) and fill *h.  Does not look at
 * the body, so a stream transport can learn the frame size
 * (WIRE_HDR_SIZE + h->body_len) from the header alone.
 * Returns 0, CORUN_EPROTO (short, bad magic, flags, reserved bytes,
 * unknown type), CORUN_ENOTSUP (version), CORUN_ERANGE (over the limit)
 * or CORUN_EINVAL (NULL buffer, or a limit smaller than a header).
 * why (may be NULL) receives a NUL-terminated reason of at most whylen
 * bytes.
 */
int	wire_decode_header(const void *buf, size_t len, size_t max_frame,
	    struct wire_header *h, char *why, size_t whylen);

/*
 * Check and decode one whole frame of exactly len bytes.  On error *f is
 * unspecified, why receives the reason, and the return value is
 * CORUN_EPROTO (malformed), CORUN_ENOTSUP (version) or CORUN_ERANGE (the
 * frame or a field is over its limit); CORUN_EINVAL for NULL arguments.
 */
int	wire_decode(const void *buf, size_t len, size_t max_frame,
	    struct wire_frame *f, char *why, size_t whylen);

/*
 * Read the next record of a decoded batch frame.  0 and the record,
 * CORUN_EDONE after the last one, CORUN_EINVAL on a frame of another
 * type.
 */
int	wire_next_job(struct wire_frame *f, struct wire_job *j);
int	wire_next_result(struct wire_frame *f, struct wire_result *r);
int	wire_next_cancel(struct wire_frame *f, uint64_t *id);
int	wire_next_output(struct wire_frame *f, struct wire_output *o);
/* Restart the record iteration. */
void	wire_rewind(struct wire_frame *f);

/* "HELLO", "JOBS", ...; "unknown" for other values.  Never NULL. */
const char *wire_type_name(int type);

#endif /* WIRE_H */
