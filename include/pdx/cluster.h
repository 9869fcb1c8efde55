/* pdx/cluster.h — the processes of a job: shards, SLURM array defaults and
 * MPI ranks.
 *
 * Part of the sweep layer (DESIGN.md: "sweep: scheduling, progress,
 * signals, shards, MPI"); the command line drives it. MPI exists only in a
 * build configured with `-Dmpi=enabled`; elsewhere every process is rank 0
 * of 1. MPI is started only when a launcher (mpirun, srun --mpi) started
 * the process, so an MPI build still runs as a plain program. */
#ifndef PDX_CLUSTER_H
#define PDX_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/error.h"

/* Parse "I/N" (0 <= I < N, N >= 1) into *index and *count. Returns PDX_OK
 * or PDX_ERR_USAGE naming the text. */
pdx_status pdx_cluster_parse_shard(const char *text, uint64_t *index,
                                   uint64_t *count, pdx_error *err);

/* The shard of a SLURM array task: index (SLURM_ARRAY_TASK_ID -
 * SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP of SLURM_ARRAY_TASK_COUNT.
 * *found is 0 (and PDX_OK returned) outside an array job. Returns
 * PDX_ERR_USAGE when the variables do not describe a regular range
 * (e.g. --array=1,4,9: give --shard I/N explicitly). */
pdx_status pdx_cluster_shard_from_env(int *found, uint64_t *index,
                                      uint64_t *count, pdx_error *err);

/* The file of shard `index` of `count` for the output `out`:
 * "<out without .h5 or .nc>.shard-<index>-of-<count>.h5", the index
 * zero-padded to the width of count (so names sort in shard order).
 * Returns PDX_OK or PDX_ERR_USAGE (buffer too small). */
pdx_status pdx_cluster_shard_path(const char *out, uint64_t index,
                                  uint64_t count, char *buf, size_t size,
                                  pdx_error *err);

/* 1 if this pdx was built with MPI. */
int pdx_cluster_have_mpi(void);

/* Start MPI if this is an MPI build launched by an MPI launcher; *rank and
 * *size are 0 and 1 otherwise. Call once, from the main thread, before
 * any thread starts. Returns PDX_OK or PDX_ERR_INTERNAL (MPI failed). */
pdx_status pdx_cluster_init(int *argc, char ***argv, int *rank, int *size,
                            pdx_error *err);

/* The exit code all ranks agree on, given this rank's: the largest code
 * of a failure (not 0, not 75) on any rank, else 75 if any rank stopped
 * early, else 0. Waits for every rank without spinning a core. Returns
 * `code` itself without MPI. */
int pdx_cluster_agree(int code);

/* Wait until every rank got here (without spinning a core); a no-op
 * without MPI. */
void pdx_cluster_barrier(void);

/* Shut MPI down if pdx_cluster_init started it. */
void pdx_cluster_finalize(void);

#endif
