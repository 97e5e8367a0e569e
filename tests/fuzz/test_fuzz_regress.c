/* SPDX-License-Identifier: MIT */
/*
 * test_fuzz_regress.c - replay the fuzz seeds and every crash the fuzzers
 * found, in the normal build, through the same targets as make fuzz
 * (fuzz/fuzz_*.c, compiled without libFuzzer) and so with the same
 * invariant checks.
 *
 * fuzz/corpus/NAME/ and fuzz/regress/NAME/ hold inputs for the parser
 * NAME.  A file named ok-* must be accepted, err-* refused with a
 * reason; any other file must be one or the other, without a crash
 * (Check runs each test in a child, so an abort is a failure).  The ctl
 * inputs share one store, fed in directory order, so an input whose
 * answer depends on earlier ones (a job id) carries neither prefix.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-util.h"
#include "fuzz.h"

#ifndef CR_FUZZ_DIR
#error "CR_FUZZ_DIR must name the fuzz directory of the source tree"
#endif

typedef int (*target_fn)(const uint8_t *, size_t, char *, size_t);

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	ck_assert_msg(!ferror(f), "%s: read error", path);
	fclose(f);
	*len = n;
	return buf;
}

/* Feed every file of DIR/NAME to fn; the number of files. */
static size_t
replay(const char *dir, const char *name, target_fn fn)
{
	char path[4096], why[CR_FUZZ_WHY_SIZE];
	struct dirent *de;
	DIR *dp;
	uint8_t *buf;
	size_t len, n = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s/%s", CR_FUZZ_DIR, dir, name);
	if ((dp = opendir(path)) == NULL) {
		ck_assert_msg(errno == ENOENT, "%s: %s", path,
		    strerror(errno));
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.') {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s/%s/%s", CR_FUZZ_DIR, dir,
		    name, de->d_name);
		buf = slurp(path, &len);
		rc = fn(buf, len, why, sizeof(why));
		free(buf);
		if (strncmp(de->d_name, "ok-", 3) == 0) {
			ck_assert_msg(rc == 0, "%s: refused (%d): %s", path,
			    rc, why);
		} else if (strncmp(de->d_name, "err-", 4) == 0) {
			ck_assert_msg(rc != 0, "%s: accepted, expected an "
			    "error", path);
		}
		if (rc != 0) {
			ck_assert_msg(why[0] != '\0', "%s: error %d without "
			    "a reason", path, rc);
		}
		n++;
	}
	closedir(dp);
	return n;
}

static void
replay_all(const char *name, target_fn fn)
{
	size_t n = replay("corpus", name, fn);

	ck_assert_msg(n > 0, "fuzz/corpus/%s has no seeds", name);
	replay("regress", name, fn);
}

START_TEST(test_wire)
{
	replay_all("wire", cr_fuzz_wire);
}
END_TEST

START_TEST(test_ctl)
{
	replay_all("ctl", cr_fuzz_ctl);
}
END_TEST

START_TEST(test_jobsfile)
{
	replay_all("jobsfile", cr_fuzz_jobsfile);
}
END_TEST

START_TEST(test_conf)
{
	replay_all("conf", cr_fuzz_conf);
}
END_TEST

START_TEST(test_spipc)
{
	replay_all("spipc", cr_fuzz_spipc);
}
END_TEST

static Suite *
fuzz_regress_suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("replay");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wire);
	tcase_add_test(tc, test_ctl);
	tcase_add_test(tc, test_jobsfile);
	tcase_add_test(tc, test_conf);
	tcase_add_test(tc, test_spipc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return cr_check_main(fuzz_regress_suite());
}
