/* SPDX-License-Identifier: MIT */
/*
 * shquote.c - the shell-syntax test and quoting for /bin/sh (see
 * shquote.h).
 */
#include "config.h"

#include <string.h>

#include "shquote.h"

int
cm_has_shell_syntax(const char *s)
{
	/* Anything sh treats specially, including blanks and globs. */
	return s[strcspn(s, " \t\n\r|&;<>()$`\\\"'*?[]#~=%{}!")] != '\0';
}

static int
shell_safe(const char *s)
{
	if (*s == '\0') {
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("_-./+", *s))) {
			return 0;
		}
	}
	return 1;
}

int
cm_shquote(struct cm_buf *b, const char *s)
{
	int rc;

	if (shell_safe(s)) {
		return cm_buf_adds(b, s);
	}
	if ((rc = cm_buf_addc(b, '\'')) != 0) {
		return rc;
	}
	for (; *s != '\0'; s++) {
		rc = *s == '\'' ? cm_buf_adds(b, "'\\''") : cm_buf_addc(b, *s);
		if (rc != 0) {
			return rc;
		}
	}
	return cm_buf_addc(b, '\'');
}
