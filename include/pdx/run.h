/* pdx/run.h — the policy for one run's output: which file, and whether an
 * existing one is complete, resumed, extended, created anew or refused;
 * running the sweep into it; finishing it (repack, or a snapshot after a
 * stop) and, under MPI, merging the ranks' shard files.
 *
 * Layer: above sweep, store and cluster, below the command line (which
 * only turns argv into pdx_run_settings and the outcome into an exit code
 * and messages). The decision itself is pdx_run_decide, a pure function
 * of the settings and what was found on disk (tests/test_run.c covers
 * each row of its table).
 *
 * Sequence: pdx_run_settings_default, set fields, pdx_run_create (checks
 * the settings, reads the spec), pdx_run_open (takes the lock of the run's
 * file, surveys the disk, decides, opens), pdx_run_execute (the sweep) when the outcome says so,
 * pdx_run_finish, pdx_run_merge_shards (MPI rank 0), pdx_run_destroy.
 * A pdx_run is used by one thread; the sweep inside pdx_run_execute starts
 * its own team. pdx_run prints nothing itself but the sweep's progress. */
#ifndef PDX_RUN_H
#define PDX_RUN_H

#include <signal.h>
#include <stdint.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/spec.h"
#include "pdx/store.h"
#include "pdx/sweep.h"

#define PDX_RUN_MAX_THREADS 4096 /* threads: 1 .. this (0: OpenMP's) */
#define PDX_RUN_MAX_BUNDLE 64    /* bundle: 1 .. this (0: the default) */
#define PDX_RUN_MAX_GRACE 1e7    /* grace: 0 .. this seconds (< 0: default) */

/* What a run does and where; pdx_run_settings_default() fills every field
 * (dav1d's Dav1dSettings style: take the defaults, change what you need).
 * Strings are borrowed: they must outlive the pdx_run. */
typedef struct pdx_run_settings {
    const char *output;       /* the sweep's result file; NULL: the spec's
                               * name + ".h5" in the working directory */
    uint64_t shard_index;     /* shard_count 0: not chosen; MPI ranks or a */
    uint64_t shard_count;     /*   SLURM array choose it, else the whole
                               *   grid; 1: the whole grid; > 1: shard
                               *   index of count, into a shard file */
    int force;                /* start over, replacing the results of the
                               * output (a pdx result file only: see
                               * pdx_output_decide) */
    int extend;               /* the spec adds axis values or replicas to
                               * the output's spec: keep its results (not
                               * with force) */
    int quiet;                /* no progress on stderr */
    int fsync_each;           /* fsync after every commit */
    int threads;              /* 0: OpenMP's default */
    int bundle;               /* online tasks sharing an input, at most
                               * (0: the sweep's default) */
    double grace;             /* seconds running tasks get after a stop
                               * signal; < 0: the sweep's default */
    double commit_window;     /* seconds a finished task may wait to be
                               * committed with others (0: each job
                               * alone); < 0: the sweep's default */
    int progress_tty;         /* progress as a live bar (stderr a TTY) */
    volatile sig_atomic_t *stop; /* raised by the caller's signal handler
                                  * (NULL: never stopped) */
    const char *command_line; /* provenance; "" if NULL */
    int mpi_rank, mpi_size;   /* this process under MPI (0 and 1: none) */
    const char *const *overrides; /* "KEY=VALUE" replacing keys of the spec
                                   * (pdx_spec_parse_file_overrides) */
    size_t n_overrides;
    const uint8_t *task_mask; /* NULL: every pending task; else only the
                               * pending tasks t with task_mask[t] != 0
                               * (n_tasks entries, owned by the caller;
                               * pdx refine's rounds). Whole grid only:
                               * shard_count must be 1 and no MPI */
} pdx_run_settings;

/* Defaults: output from the spec, shard not chosen, no force, no extend,
 * progress on, all threads, default bundle and grace, no MPI. */
pdx_run_settings pdx_run_settings_default(void);

/* Check every field. Returns PDX_OK or PDX_ERR_USAGE, with err->key the
 * field ("output", "force" (with extend), "shard" (also a task mask with
 * shards), "threads", "bundle", "grace", "commit_window", "mpi") and a
 * message naming the command-line option. Thread-safe. */
pdx_status pdx_run_settings_validate(const pdx_run_settings *settings,
                                     pdx_error *err);

/* Bytes of memory of this machine (INFINITY if unknown). Thread-safe. */
double pdx_run_machine_memory_bytes(void);

/* Refuse a run whose memory estimate (pdx_sweep_memory_bytes with
 * `threads` threads) exceeds 80% of the machine's memory: PDX_ERR_TOO_BIG
 * naming the spec file and what to reduce; else PDX_OK. Thread-safe. */
pdx_status pdx_run_check_memory(const pdx_spec *spec, const pdx_grid *grid,
                                int threads, pdx_error *err);

/* ---- The overwrite policy of every command that writes a file ----
 *
 * run, merge and theory write whole files over an output path. One rule
 * for all: a file that holds results is never replaced without --force;
 * a file that is not a pdx file of the writer's kind (a theory file for
 * run and merge, a result file for theory, a foreign HDF5 file, a spec or
 * any other non-HDF5 file, a directory) is never written over, even with
 * --force; a theory file is never taken for a simulation's results nor
 * the reverse (the root attribute source = "theory" tells them apart).
 * A symbolic link is written through: the file written is its target. */

/* What a command writes. */
typedef enum pdx_output_writer {
    PDX_WRITER_RESULT = 0, /* pdx run, pdx merge: result files */
    PDX_WRITER_THEORY = 1  /* pdx theory: theory files */
} pdx_output_writer;

/* What the policy allows at an output path (pdx_output_decide). */
typedef enum pdx_output_action {
    PDX_OUTPUT_WRITE = 0,    /* nothing of value there: write the file */
    PDX_OUTPUT_REPLACE = 1,  /* --force: replace a file of the writer's
                              * kind, giving up what it holds */
    PDX_OUTPUT_EXISTING = 2, /* a file of the writer's kind that may be
                              * continued: the command's own table decides
                              * (run: pdx_run_decide; merge) */
    PDX_OUTPUT_COMPLETE = 3, /* already holds this spec's finished output:
                              * nothing to do */
    PDX_OUTPUT_REFUSE = 4    /* left alone */
} pdx_output_action;

/* What is at the output, as far as the policy needs it. */
typedef struct pdx_output_found {
    pdx_file_kind kind; /* pdx_store_file_kind */
    int same_spec;      /* a pdx file written for this spec (SHA-256) */
    int complete;       /* a finished pdx file (theory files always are) */
} pdx_output_found;

typedef struct pdx_output_decision {
    pdx_output_action action;
    int even_forced;    /* REFUSE: --force does not change it */
    const char *reason; /* one line, static: the row of the table */
} pdx_output_decision;

/* The overwrite policy, in order (first match wins):
 *   nothing there, or an empty file                    -> WRITE
 *   not a pdx file of the writer's kind                -> REFUSE (even
 *     with --force: another pdx kind, foreign HDF5, not HDF5, not a
 *     regular file)
 *   --force                                            -> REPLACE
 *   finished for this spec                             -> COMPLETE
 *   result writer (run, merge)                         -> EXISTING
 *   theory writer: a theory file of another spec       -> REFUSE
 * Pure: reads only its arguments; thread-safe. */
pdx_output_decision pdx_output_decide(pdx_output_writer writer, int force,
                                      const pdx_output_found *found);

/* Short stable name of an output action ("write", "replace", ...). */
const char *pdx_output_action_name(pdx_output_action action);

/* Look at `path` for `writer` and decide (pdx_output_decide) with the
 * spec of SHA-256 `spec_sha256` and `force`. *resolved receives the path
 * to write, malloc'ed (the caller frees it): `path`, or the target of a
 * symbolic link. On REFUSE and COMPLETE, *reason (may be NULL) says why,
 * naming the file and what to do. Returns PDX_OK, PDX_ERR_USAGE (an empty
 * path), PDX_ERR_IO (a link whose target does not exist; the file cannot
 * be looked at), PDX_ERR_HDF5 (a damaged HDF5 file), PDX_ERR_NOMEM. */
pdx_status pdx_output_check(pdx_output_writer writer, const char *path,
                            const char *spec_sha256, int force,
                            pdx_output_decision *decision, char **resolved,
                            pdx_error *reason, pdx_error *err);

/* The path to write for output `path`: a copy of it, or the target of the
 * symbolic link it names (pdx writes through links; *out malloc'ed, the
 * caller frees it). Returns PDX_OK, PDX_ERR_IO (a dangling link, a loop),
 * PDX_ERR_NOMEM. Thread-safe. */
pdx_status pdx_output_resolve(const char *path, char **out, pdx_error *err);

/* The lock of an output, held for the whole life of any writer (run,
 * merge, theory): flock(2) on the hidden sidecar file ".OUT.lock" next
 * to OUT, taken before the overwrite policy looks at OUT, so that a new output is created
 * under it too. A kernel lock: a killed writer's lock dies with it (its
 * lock file stays behind, harmless, until the next writer of OUT). A
 * second writer fails at once; --force does not break a live lock.
 * Readers (pdx info, Python) take no lock and are never blocked. */
typedef struct pdx_file_lock pdx_output_lock;

/* Take the exclusive lock of output `path` (through a symbolic link: of
 * its target) without waiting. Returns PDX_OK (*out set; release it with
 * pdx_output_lock_release), PDX_ERR_IO (another process holds it: the
 * message names the file and the holder's host and pid; a dangling link;
 * a file system without flock: the message names PDX_LOCK=off, which
 * writes without the lock), PDX_ERR_NOMEM. Thread-safe. */
pdx_status pdx_output_lock_take(pdx_output_lock **out, const char *path,
                                pdx_error *err);

/* Release the lock. Accepts NULL; sets *lock to NULL. */
void pdx_output_lock_release(pdx_output_lock **lock);

/* What an output can be asked to do (pdx_run_decide). */
typedef enum pdx_run_action {
    PDX_RUN_CREATE = 0,     /* a new file; every task pending */
    PDX_RUN_RESUME = 1,     /* the file's working run continues */
    PDX_RUN_EXTEND = 2,     /* a new file keeping the finished tasks of
                             * the file (or of the sweep's merged file,
                             * for a shard) its spec extends */
    PDX_RUN_COMPLETE = 3,   /* the file is finished for this spec */
    PDX_RUN_SWEEP_COMPLETE = 4, /* a shard whose sweep's merged file is
                                 * finished for this spec: nothing to do,
                                 * no merge */
    PDX_RUN_REFUSE = 5      /* the file holds something else: left alone */
} pdx_run_action;

/* What is on disk, as far as the decision needs it. `file` is the file
 * this run writes (a shard file when sharded), `merged` the sweep's
 * output when sharded (unused otherwise). The *_refused facts come from
 * trying an action the table chose before (pdx_run_open retries). */
typedef struct pdx_run_found {
    int sharded;              /* this run writes one shard of several */
    int file_exists;          /* something that is not an empty file */
    int file_is_pdx;          /* a pdx result file (pdx_store_inspect) */
    pdx_file_kind file_kind;  /* what the file is (for the reason) */
    int file_same_spec;       /* of this spec (SHA-256) */
    int file_complete;        /* finished, with this run's shard */
    int file_damaged;         /* finished for this spec, but some tasks'
                               * checksums do not match their data */
    int resume_refused;       /* pdx_store_open: does not match */
    int merged_exists;
    int merged_foreign;       /* the merged file is not a pdx result file
                               * (a theory file, foreign, not HDF5) */
    int merged_same_spec;
    int merged_complete;      /* finished whole-grid file of this spec */
    int extend_refused;       /* pdx_store_create_extended: no extension */
} pdx_run_found;

typedef struct pdx_run_decision {
    pdx_run_action action;
    int about_merged;   /* the action is about the merged file (EXTEND
                         * from it, REFUSE it, SWEEP_COMPLETE) */
    int hint_extend;    /* REFUSE: --extend might have helped */
    int even_forced;    /* REFUSE: not a pdx result file; --force does
                         * not change it (pdx_output_decide) */
    const char *reason; /* one line, static: the row of the table */
} pdx_run_decision;

/* The decision table, in order (first match wins):
 *   file exists, not a pdx result file      -> REFUSE (even with --force;
 *                                              pdx_output_decide's rule)
 *   sharded, merged not a pdx result file   -> REFUSE (merged; even with
 *                                              --force)
 *   sharded, no force, merged finished for this spec -> SWEEP_COMPLETE
 *   force                                   -> CREATE
 *   file exists, finished for this spec, damaged tasks -> EXTEND (from
 *                                              the file: its intact tasks
 *                                              kept, the damaged run
 *                                              again), or REFUSE when that
 *                                              rebuild was refused
 *   file exists, finished for this spec     -> COMPLETE
 *   file exists, resume not refused         -> RESUME
 *   file refused, no --extend / sharded / same spec -> REFUSE
 *   file refused, its extension refused     -> REFUSE
 *   file refused, --extend                  -> EXTEND (from the file)
 *   no file, whole grid or no merged file   -> CREATE
 *   no file, merged of another spec, no --extend -> REFUSE (merged)
 *   no file, extension of merged refused    -> REFUSE (merged)
 *   no file, merged exists                  -> EXTEND (from merged)
 * (hint_extend: REFUSE rows other than "not a pdx result file",
 * without --extend.) An empty file counts as no file. Pure: reads only its arguments; thread-safe. */
pdx_run_decision pdx_run_decide(const pdx_run_settings *settings,
                                const pdx_run_found *found);

/* Short stable name of an action ("create", "resume", ...). */
const char *pdx_run_action_name(pdx_run_action action);

typedef struct pdx_run pdx_run;

/* What pdx_run_open decided and did. */
typedef struct pdx_run_outcome {
    pdx_run_decision decision;
    const char *path;   /* the file the decision is about (owned by the
                         * run): the run's file (also for EXTEND), or the
                         * merged file (REFUSE, SWEEP_COMPLETE) */
    int opened;         /* RESUME / EXTEND: the store is open (set even
                         * when a later step of pdx_run_open failed) */
    uint64_t carried;   /* EXTEND: finished tasks kept */
    const char *base;   /* EXTEND: the file they were kept from */
    pdx_error reason;   /* REFUSE: what does not match; for a file of
                         * another spec, the keys that differ with old
                         * and new values (pdx_spec_describe_difference) */
    int spec_extends;   /* REFUSE of a file of another spec: 1 this spec
                         * extends it (pdx_grid_embed: --extend keeps its
                         * results), 0 it does not, -1 not known */
    const pdx_store_verify_report *verify; /* RESUME, EXTEND, COMPLETE,
                         * SWEEP_COMPLETE: the check of the file's (for
                         * EXTEND: the base's) checksums; RESUME's damaged
                         * tasks were made pending and run again, EXTEND's
                         * are not kept. Owned by the run; NULL if no check
                         * was made */
} pdx_run_outcome;

/* Check the settings, choose the shard (settings, MPI rank, SLURM array),
 * parse the spec at `spec_path` and build its grid. *out is NULL on
 * failure. Settings strings are borrowed. Returns PDX_OK, PDX_ERR_USAGE
 * (settings; SLURM variables), PDX_ERR_SPEC, PDX_ERR_IO (spec file),
 * PDX_ERR_TOO_BIG (grid), PDX_ERR_NOMEM. */
pdx_status pdx_run_create(pdx_run **out, const char *spec_path,
                          const pdx_run_settings *settings, pdx_error *err);

/* Check that the run fits in memory, name the file, look at what is on
 * disk, decide (pdx_run_decide) and act: open the file to resume, build
 * the extended file, or read nothing (CREATE: the sweep creates the file;
 * COMPLETE, SWEEP_COMPLETE, REFUSE: nothing to run). On PDX_OK *outcome
 * says which. Returns PDX_OK, PDX_ERR_TOO_BIG (memory), PDX_ERR_USAGE
 * (file name), PDX_ERR_IO, PDX_ERR_HDF5, PDX_ERR_SPEC (the file's spec
 * no longer parses), PDX_ERR_MISMATCH, PDX_ERR_NOMEM. Call once. */
pdx_status pdx_run_open(pdx_run *run, pdx_run_outcome *outcome,
                        pdx_error *err);

/* Run the pending tasks (after CREATE, RESUME or EXTEND) with the sweep.
 * *summary is filled. Returns PDX_OK, PDX_ERR_STOPPED (stop raised;
 * finished tasks are committed), the store's error for a failed creation
 * (pdx_run_has_store is then 0) or commit, PDX_ERR_NOMEM. */
pdx_status pdx_run_execute(pdx_run *run, pdx_sweep_summary *summary,
                           pdx_error *err);

/* 1 if the run holds an open store (after pdx_run_execute: the file was
 * created). */
int pdx_run_has_store(const pdx_run *run);

/* Finish the file after pdx_run_execute returned `run_status`: PDX_OK
 * repacks it compressed (pdx_store_finish); anything else makes the
 * snapshot of the finished tasks durable (pdx_store_sync). The store is
 * closed either way. Returns PDX_OK (also with no store), PDX_ERR_IO,
 * PDX_ERR_HDF5, PDX_ERR_NOMEM; after a failed repack the uncompressed
 * file stays valid. */
pdx_status pdx_run_finish(pdx_run *run, pdx_status run_status,
                          pdx_error *err);

/* MPI rank 0, after every rank finished: merge the ranks' shard files
 * into the output and remove them. *n_files receives the number of shard
 * files. Returns PDX_OK, PDX_ERR_INTERNAL (the shard files cannot be
 * named), the errors of pdx_store_merge. */
pdx_status pdx_run_merge_shards(pdx_run *run, uint64_t *n_files,
                                pdx_error *err);

/* What the run works on, owned by it (valid until pdx_run_destroy). */
const pdx_spec *pdx_run_spec(const pdx_run *run);
const pdx_grid *pdx_run_grid(const pdx_run *run);
const char *pdx_run_output_path(const pdx_run *run); /* the sweep's */
const char *pdx_run_file_path(const pdx_run *run);   /* this run's */
int pdx_run_threads(const pdx_run *run);             /* resolved */
uint64_t pdx_run_shard_index(const pdx_run *run);
uint64_t pdx_run_shard_count(const pdx_run *run);    /* 1: whole grid */

/* A result or theory file at `path` written by a pdx before the canonical
 * spec identity (issue 19; its spec_sha256 the hash of its spec's raw
 * text) is of `spec` when the spec text it stores parses to the same
 * canonical form: then its identity is added to spec->older_sha256, which
 * pdx_store_spec_matches accepts from then on. Returns 1 if the file is of
 * `spec` (either identity), 0 if not, or if it cannot be read or its text
 * does not parse. */
int pdx_run_older_identity(pdx_spec *spec, const char *path);

/* Close the store (left resumable), release the lock and free the run. Accepts NULL; sets
 * *run to NULL. */
void pdx_run_destroy(pdx_run **run);

#endif
