#!/bin/sh
# SPDX-License-Identifier: MIT
# compat-args.sh - GNU parallel conformance, part 1 (commands, arguments
# and inputs): every case of tests/cli/compat/args.cases run with GNU
# parallel and with corun run, outputs, exit statuses and files compared.
: "${srcdir:=.}"
exec sh "$srcdir/tests/cli/compat/compat.sh" "$srcdir/tests/cli/compat/args.cases"
