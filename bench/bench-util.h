/* SPDX-License-Identifier: MIT */
/*
 * bench-util.h - helpers shared by the benchmark programs.
 *
 * Every benchmark prints one JSON line per figure on stdout:
 *
 *	{"bench": NAME, "impl": IMPL, "variant": V, "value": X, "unit": U,
 *	 "n": COUNT, "note": TEXT}
 *
 * "variant", "n" and "note" are optional; bench/mkreport.py reads them.
 */
#ifndef CORUN_BENCH_UTIL_H
#define CORUN_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

/*
 * Print one figure.  variant and note may be NULL; n == 0 leaves it out.
 * value < 0 is printed as null (the figure could not be measured).
 */
void bench_emit(const char *bench, const char *impl, const char *variant,
    double value, const char *unit, size_t n, const char *note);

/*
 * A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); 0 if unknown.
 */
size_t bench_status_bytes(const char *field);

/* Peak resident set size of this process in bytes (VmHWM, else rusage). */
size_t bench_peak_rss(void);

/* Exit with a message naming what failed and the corun error code. */
void bench_fail(const char *what, int err) __attribute__((noreturn));

/*
 * Parse "-n COUNT" style arguments: returns the value of the option letter
 * opt from argv, or def.  Exits on a malformed number.
 */
size_t bench_opt_size(int argc, char **argv, char opt, size_t def);

#endif /* CORUN_BENCH_UTIL_H */
