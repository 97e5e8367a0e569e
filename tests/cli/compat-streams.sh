#!/bin/sh
# SPDX-License-Identifier: MIT
# compat-streams.sh - GNU parallel conformance, part 2 (--pipe and
# --pipepart, --joblog and resuming, results, output modes): every case
# of tests/cli/compat/streams.cases run with GNU parallel and with corun
# run, outputs, exit statuses and files compared.
: "${srcdir:=.}"
exec sh "$srcdir/tests/cli/compat/compat.sh" "$srcdir/tests/cli/compat/streams.cases"
