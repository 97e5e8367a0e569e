/* SPDX-License-Identifier: MIT */
/*
 * shquote.h - what /bin/sh would interpret, and quoting for it: the one
 * rule corun run's templates, the jobs file, corun submit and corund
 * share for "a lone word with shell syntax goes through sh -c" and for
 * the display line of a command.
 *
 * Contract: pure functions of their arguments (no state, any thread).
 */
#ifndef CM_COMMON_SHQUOTE_H
#define CM_COMMON_SHQUOTE_H

#include "buf.h"

/*
 * Nonzero if s holds a character /bin/sh treats specially: blanks,
 * operators, quotes, $, `, \, globs, #, ~, =, %, braces or !.
 */
int cm_has_shell_syntax(const char *s);
/*
 * Append s quoted for /bin/sh: as is when it is non-empty and made only
 * of letters, digits and _-./+, else in single quotes with each ' written
 * as '\''.  0 or CORUN_ENOMEM (see buf.h).
 */
int cm_shquote(struct cm_buf *b, const char *s);

#endif
