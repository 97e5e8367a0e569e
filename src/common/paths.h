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

#endif /* CM_PATHS_H */
