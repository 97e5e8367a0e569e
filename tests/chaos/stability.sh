#!/bin/sh
# SPDX-License-Identifier: MIT
# stability.sh - no-op jobs through one pool: the supervisor's and the
# workers' RSS and open descriptors stay flat.  1 000 000 jobs under the
# async model (one worker, jobs in batches; about 2 s) and 20 000 under
# the process model (one round trip per job).  make chaos runs 1 000 000
# under both.
set -e
./tests/chaos/stability -m async -j 64 -n 1000000 -s 20
./tests/chaos/stability -m process -j 2 -n 20000 -c 2000 -s 10
