/* SPDX-License-Identifier: MIT */
/*
 * wire-chunk.h - the payload and the output of a chunk job (internal).
 *
 * corun_pool_map_chunked() sends many small jobs as a few jobs of the
 * internal kind WIRE_CHUNK_KIND.  A chunk's payload lists its items; the
 * worker runs them one after another in the chunk's task and returns one
 * record per item, in order, as the chunk's stdout.  Both layouts are
 * little-endian and specified in doc/wire-protocol.md ("Chunks").
 *
 * Records are compact, because a chunk's items are often tiny (a no-op
 * job is one byte out and a few back): a flags byte says which fields
 * follow; absent ones take their defaults.
 *
 *   payload  u32 count, then per item: u8 flags, then in this order
 *            0x01 u32 timeout_ms   (default 0)
 *            0x02 u32 retries      (default 0)
 *            0x04 u8 kind_len (1..255), kind  (default: the previous
 *                 item's kind; the first item must have one)
 *            0x08 u32 payload_len, payload, NUL  (default: empty)
 *   output   u32 count, then per item: u8 flags, then
 *            0x01 u32 status       (default 0)
 *            0x02 i32 exit_code    (default -1)
 *            0x04 u32 signal       (default 0)
 *            0x08 u32 attempts     (default 1)
 *            0x10 u32 out_len, out, NUL
 *            0x20 u32 err_len, err, NUL
 *            0x40 u32 msg_len, msg, NUL    (each default: empty)
 *            and always two zigzag LEB128 varints: start_ns minus the
 *            previous item's end_ns (0 before the first), and end_ns
 *            minus start_ns.
 *
 * The NUL after each byte field lets a reader use the fields in place as
 * C strings (payloads and outputs may hold NULs of their own; the length
 * is what counts).  Decoders check every length against the end of the
 * buffer before reading.
 */
#ifndef WIRE_CHUNK_H
#define WIRE_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "corun/job.h"

#define WIRE_CHUNK_KIND		"corun.chunk"
#define WIRE_CHUNK_KIND_LEN	11
/* A chunk's payload stays under this (it is one job of a JOBS frame). */
#define WIRE_CHUNK_MAX_PAYLOAD	(1u << 20)
/* A chunk's output stays under this (it is one result of a frame). */
#define WIRE_CHUNK_MAX_OUTPUT	(8u << 20)
/* The most an item's record takes besides its kind and byte fields. */
#define WIRE_CHUNK_JOB_FIXED	15
#define WIRE_CHUNK_RESULT_FIXED	52

/* A growable byte buffer. */
struct wire_chunk_buf {
	uint8_t	*p;
	size_t	 len, cap;
	uint64_t last_ns;		/* outputs: the previous end_ns */
};

/* Make room for need more bytes; CORUN_ENOMEM on failure. */
int	wire_chunk_reserve(struct wire_chunk_buf *b, size_t need);
void	wire_chunk_buf_free(struct wire_chunk_buf *b);

/* Start a payload or an output: the count, 0 for now. */
int	wire_chunk_begin(struct wire_chunk_buf *b);
/* Store the count of records written since wire_chunk_begin(). */
void	wire_chunk_finish(struct wire_chunk_buf *b, uint32_t count);

/*
 * Append job j to a payload; prev is the previous item's kind (NULL for
 * the first), so a run of one kind stores it once.  CORUN_EINVAL for a
 * bad job (empty or overlong kind, NULL payload with a length, negative
 * timeout or retries), CORUN_EAGAIN if the payload would pass
 * WIRE_CHUNK_MAX_PAYLOAD and already holds records (start a new chunk),
 * CORUN_ERANGE if the job alone does not fit.
 */
int	wire_chunk_add_job(struct wire_chunk_buf *b, const struct corun_job *j,
	    const char *prev);

/* One item of a payload, as read; views into the payload. */
struct wire_chunk_job {
	const char	*kind;		/* not NUL-terminated */
	uint32_t	 kind_len;
	const char	*payload;	/* followed by a NUL */
	uint32_t	 len;
	uint32_t	 timeout_ms;
	uint32_t	 retries;
};

/* One item's outcome. */
struct wire_chunk_result {
	uint32_t	 status;
	int32_t		 exit_code;
	uint32_t	 signal;
	uint32_t	 attempts;
	uint64_t	 start_ns, end_ns;
	const char	*out, *err, *msg;	/* each followed by a NUL */
	uint32_t	 out_len, err_len, msg_len;
};

/* Reading a payload or an output. */
struct wire_chunk_iter {
	const uint8_t	*p, *end;
	uint32_t	 count, index;
	const char	*kind;		/* the previous item's kind */
	uint32_t	 kind_len;
	uint64_t	 last_ns;	/* outputs: the previous end_ns */
};

/*
 * Start reading buf (len bytes): CORUN_EPROTO if it is too short for its
 * count, else 0 and it->count.
 */
int	wire_chunk_iter_init(struct wire_chunk_iter *it, const void *buf,
	    size_t len);
/* The next item: 0, CORUN_EDONE after the last, CORUN_EPROTO if bad. */
int	wire_chunk_next_job(struct wire_chunk_iter *it, struct wire_chunk_job *j);
int	wire_chunk_next_result(struct wire_chunk_iter *it,
	    struct wire_chunk_result *r);

/* Append one outcome to an output. */
int	wire_chunk_add_result(struct wire_chunk_buf *b,
	    const struct wire_chunk_result *r);

#endif /* WIRE_CHUNK_H */
