/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - the fuzz targets, one per parser (fuzz/fuzz_*.c).
 *
 * Each target feeds one input to the real parser and checks cheap
 * invariants, calling abort() when one fails.  It returns 0 when the
 * parser accepted the input, or the parser's CORUN_E* code with a
 * non-empty reason in why.  The libFuzzer entry points call these; so
 * does tests/fuzz/test_fuzz_regress.c, which replays fuzz/corpus/ and
 * fuzz/regress/ in the normal build (compiled with CR_FUZZ_REPLAY, the
 * files define no LLVMFuzzerTestOneInput).
 */
#ifndef CR_FUZZ_H
#define CR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define CR_FUZZ_WHY_SIZE 1024

int	cr_fuzz_wire(const uint8_t *data, size_t size, char *why,
	    size_t whylen);
int	cr_fuzz_ctl(const uint8_t *data, size_t size, char *why,
	    size_t whylen);
int	cr_fuzz_jobsfile(const uint8_t *data, size_t size, char *why,
	    size_t whylen);
int	cr_fuzz_conf(const uint8_t *data, size_t size, char *why,
	    size_t whylen);
int	cr_fuzz_spipc(const uint8_t *data, size_t size, char *why,
	    size_t whylen);

/* Abort with a message when an invariant does not hold. */
#define CR_FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		cr_fuzz_fail(__FILE__, __LINE__, #cond); \
	} \
} while (0)

void	cr_fuzz_fail(const char *file, int line, const char *what)
	    __attribute__((noreturn));

/*
 * The libFuzzer entry point of a harness: it runs fn, the function the
 * replay test (tests/fuzz/test_fuzz_regress.c) calls too.  Empty in the replay
 * build, which has no libFuzzer.
 */
#ifndef CR_FUZZ_REPLAY
#define CR_FUZZ_ENTRY(fn) \
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
int \
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
{ \
	char why[CR_FUZZ_WHY_SIZE]; \
 \
	(void)fn(data, size, why, sizeof(why)); \
	return 0; \
}
#else
#define CR_FUZZ_ENTRY(fn)
#endif

#endif /* CR_FUZZ_H */
