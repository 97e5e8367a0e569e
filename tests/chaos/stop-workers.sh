#!/bin/sh
# SPDX-License-Identifier: MIT
# stop-workers.sh - the make check size of chaos.py stop-workers (make chaos runs it
# with --full).
command -v "${PYTHON3:-python3}" >/dev/null 2>&1 ||
    { echo "skip: no python3"; exit 77; }
exec "${PYTHON3:-python3}" "${srcdir:-.}/tests/chaos/chaos.py" stop-workers
