/* SPDX-License-Identifier: MIT */
/*
 * fmath.h - natural logarithm, exponential, power, base-10 logarithm and
 * square root without libm (fmath.c says why), for corun's own code.
 */
#ifndef CORUN_CLI_FMATH_H
#define CORUN_CLI_FMATH_H

double cli_ln(double x);
double cli_exp(double x);
double cli_pow(double b, double y);
double cli_log10(double x);
double cli_sqrt(double x);

#endif
