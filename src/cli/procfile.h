/* SPDX-License-Identifier: MIT */
/*
 * procfile.h - `-j FILE`: the number of jobs at once is read from FILE,
 * and read again each time a job ends (as GNU parallel reads its
 * procfile again), so editing the file changes how many jobs run at
 * once while corun runs.  Called on the loop thread.
 */
#ifndef CORUN_CLI_PROCFILE_H
#define CORUN_CLI_PROCFILE_H

/*
 * Read FILE's first word (N, N%, +N, -N or 0, as -j takes them) into
 * *out.  0, or CORUN_EINVAL (unreadable, or not such a word: *out is left
 * as it was, so a file caught half written keeps the last value).
 */
int cli_procfile_read(const char *path, unsigned *out);

#endif /* CORUN_CLI_PROCFILE_H */
