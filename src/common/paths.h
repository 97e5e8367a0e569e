/* SPDX-License-Identifier: MIT */
/*
 * paths.h - where corund keeps its state and its control socket by
 * default (paths.c); corund and the corun client agree on them without a
 * flag.
 */
#ifndef CM_PATHS_H
#define CM_PATHS_H

#include <stddef.h>

/* The default control URL / state dir for this user; 0 or CORUN_ERANGE
   (CORUN_EINVAL: no state dir can be found). */
int cd_default_socket(char *buf, size_t size);
int cd_default_state_dir(char *buf, size_t size);

/*
 * When url is the default ipc:// control URL, check the directory that
 * holds it: a real directory (lstat: not a symlink), owned by the
 * effective uid, no access for group or others (root: not writable by
 * group or others).  create (corund): make it 0700 first when missing;
 * otherwise (the client) a missing directory passes (the dial fails).
 * Any other URL was named by the user and passes unchecked.
 * 0, or CORUN_ESYS with why set to one line naming the directory and
 * what is wrong with it.
 */
int cd_socket_dir_check(const char *url, int create, char *why,
    size_t whysize);

#endif /* CM_PATHS_H */
