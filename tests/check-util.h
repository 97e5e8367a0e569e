/* SPDX-License-Identifier: MIT */
/*
 * check-util.h - helpers shared by the Check programs.
 */
#ifndef CORUN_CHECK_UTIL_H
#define CORUN_CHECK_UTIL_H

#include <check.h>
#include <stdlib.h>

/*
 * Run one suite and exit with the status automake expects.  The number of
 * failed tests decides the exit code.
 */
static inline int
cr_check_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int nfailed;

	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* CORUN_CHECK_UTIL_H */
