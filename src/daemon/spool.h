/* SPDX-License-Identifier: MIT */
/*
 * spool.h - a running job's output as it is written, for `corun follow`:
 * two files per running job in STATE_DIR/spool (ID.out and ID.err),
 * removed when an attempt starts (a missing file reads as empty), made
 * by the first write of the pool's on_output and appended to,
 * read from a byte offset by the follow op, removed when the job's
 * result is in the store (which then holds the same bytes).  Nothing of
 * it is kept in memory.  All on the loop thread.
 */
#ifndef CD_SPOOL_H
#define CD_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Make STATE_DIR/spool and empty it (nothing runs yet); 0 or -1. */
int cd_spool_init(const char *state_dir);
/*
 * Append len bytes of stream (1 stdout, 2 stderr) of job id.  No file is
 * made before the first write, and a missing file reads as no output
 * yet: making and removing two files per job, most of them never
 * written, was most of corund's own time of a no-op job (ext4's inode
 * allocation; BENCHMARKS.md, submit_wait).
 */
void cd_spool_write(const char *state_dir, int64_t id, int stream,
    const char *data, size_t len);
/* The job's result is stored, or a new attempt starts: its files go. */
void cd_spool_remove(const char *state_dir, int64_t id);
/*
 * Up to max bytes of stream from byte off into a malloc'ed *buf (*n
 * bytes; none when the file is missing or shorter).  0, or -1 with
 * errno (no memory, a read error).
 */
int cd_spool_read(const char *state_dir, int64_t id, int stream, off_t off,
    size_t max, char **buf, size_t *n);

#endif /* CD_SPOOL_H */
