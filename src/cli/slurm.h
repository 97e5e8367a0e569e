/* SPDX-License-Identifier: MIT */
/*
 * slurm.h - `corun run --slurm` (slurm.c): Slurm starts the remote
 * workers, inside an allocation (srun, one step per node) or outside one
 * (an sbatch array).
 */
#ifndef CORUN_CLI_SLURM_H
#define CORUN_CLI_SLURM_H

#include "cli.h"

/*
 * With --slurm, fill in what the run needs from Slurm: --listen (this
 * host, port 0) and a fresh token unless given, --remote-only, and the
 * --worker-cmd (and, inside an allocation, a --worker-host per node).
 * Runs scontrol inside an allocation.  Without --slurm, nothing.  Strings
 * it sets live until the process exits.  0, or -1 with e set.
 */
int cli_slurm_prepare(struct cli_run_opts *o, struct cli_err *e);

#endif /* CORUN_CLI_SLURM_H */
