/* SPDX-License-Identifier: MIT */
/*
 * corun/corun.h - the whole libcorun API.
 */
#ifndef CORUN_CORUN_H
#define CORUN_CORUN_H

#include <corun/error.h>
#include <corun/loop.h>
#include <corun/future.h>
#include <corun/co.h>
#include <corun/task.h>
#include <corun/timeout.h>
#include <corun/sync.h>
#include <corun/queue.h>
#include <corun/threadsafe.h>
#include <corun/exception.h>
#include <corun/executor.h>
#include <corun/job.h>
#include <corun/pool.h>

#define CORUN_VERSION "0.1.0"

#endif /* CORUN_CORUN_H */
