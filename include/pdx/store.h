/* pdx/store.h — result files: netCDF-4 compatible HDF5 with named
 * dimensions, crash-safe per-task commits, final compressed repack.
 *
 * The only module that includes hdf5.h (src/store/). HDF5 is not called
 * concurrently by pdx: callers serialise every pdx_store_* call (the sweep
 * does so in one named critical section), so no function here is
 * thread-safe unless its comment says so. File layout: docs/FORMAT.md.
 *
 * Ownership: a pdx_store (opaque) is created by pdx_store_create,
 * pdx_store_open or pdx_store_create_extended and released by
 * pdx_store_finish or pdx_store_destroy; the grid (and its spec) and the
 * layout it was made for are borrowed and must outlive it. Structs filled
 * for the caller (pdx_store_info, pdx_store_description) own their
 * strings until their _clear function. The store never parses a spec or
 * builds a grid: callers hand it the grids it needs. Every status returned
 * is also set in `err` (which may be NULL) with a message naming the file
 * and the HDF5 object.
 *
 * Write protocol (see DESIGN.md): every dataset is created up front,
 * unfiltered, space allocated early, filled with NaN (status 0 = pending),
 * in a file created under a temporary name and then renamed to `path`.
 * A commit writes the task's data, flushes, sets its status, flushes.
 * pdx_store_finish rewrites the file compressed (shuffle + deflate) under a
 * temporary name and renames it over `path`. */
#ifndef PDX_STORE_H
#define PDX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/layout.h"

/* An open result file (working file) taking commits. Opaque. */
typedef struct pdx_store pdx_store;

typedef struct pdx_provenance {
    const char *pdx_version;  /* e.g. "0.1.0" */
    const char *git_describe; /* "unknown" if not built from git */
    const char *command_line;
    const char *host;
    const char *start_time;   /* ISO 8601 UTC */
    const char *rng;          /* "philox4x32-10" */
    int rng_key_version;      /* bumped when streams change */
} pdx_provenance;

typedef struct pdx_store_options {
    int fsync_each_commit; /* fsync the file after every commit (after
                            * the data and again after the status, so
                            * that a node crash cannot keep a status
                            * without its data) */
    uint64_t shard_index;  /* shard_count > 1: a shard file holding only */
    uint64_t shard_count;  /*   the tasks pdx_grid_shard_tasks deals to
                            *   shard_index, along a `task` dimension
                            *   (docs/FORMAT.md); 0 or 1: the whole grid */
    int threads;           /* threads that compress the finished file's
                            * chunks (0: OpenMP's default), started for
                            * at least parallel_min_bytes of chunks */
    double parallel_min_bytes; /* 0: 4 MiB */
} pdx_store_options;

/* Create a new working file at `path` for every task of `grid` (or of the
 * shard `options` name; options may be NULL: whole grid, defaults), built
 * under a temporary name and renamed over `path` (so an existing file is
 * replaced only by a complete new one). *out receives the store (NULL on
 * failure); the grid, its spec and the layout must outlive it.
 * Returns PDX_OK, PDX_ERR_IO (also when the directory has too little free
 * space for the file, checked first), PDX_ERR_HDF5 (message names path and
 * the object), PDX_ERR_NOMEM, PDX_ERR_USAGE (grid, spec and layout
 * disagree, or a layout variable name is reserved or repeated),
 * PDX_ERR_TOO_BIG (more than 28 axes). */
pdx_status pdx_store_create(pdx_store **out, const char *path,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_provenance *provenance,
                            const pdx_store_options *options, pdx_error *err);

/* Open an existing working file written by pdx_store_create for further
 * commits (resume); *out as for pdx_store_create. Temporaries next to
 * `path` left by killed processes of this host are removed (also by
 * pdx_store_create). Returns PDX_OK, PDX_ERR_MISMATCH (its spec SHA-256,
 * grid shape, layout or shard differ from the arguments, or it is a
 * finished file: the message names what differs), PDX_ERR_IO,
 * PDX_ERR_HDF5, PDX_ERR_NOMEM, PDX_ERR_USAGE (as pdx_store_create). */
pdx_status pdx_store_open(pdx_store **out, const char *path,
                          const pdx_grid *grid, const pdx_layout *layout,
                          const pdx_store_options *options, pdx_error *err);

/* Read-only look at an existing file: the SHA-256 of the spec it was
 * written for ("" if none) and whether the run in it finished (the file was
 * repacked by pdx_store_finish and takes no more commits). Returns PDX_OK,
 * PDX_ERR_IO/PDX_ERR_HDF5 (cannot open), PDX_ERR_MISMATCH (not pdx). */
pdx_status pdx_store_probe(const char *path, char spec_sha256[65],
                           int *complete, pdx_error *err);

/* What a result file holds, read without opening it for writing
 * (pdx_store_inspect). Strings are owned by the struct. A shard file's
 * whole grid is not here: the store does not parse specs; build it from
 * spec_text (pdx_spec_parse_string, pdx_grid_create). */
typedef struct pdx_store_info {
    char spec_sha256[65];
    char *spec_text;           /* the spec as given (NUL-terminated) */
    size_t spec_length;
    char *spec_path;
    int complete;              /* finished (repacked) */
    uint64_t shard_index;      /* 0 and 1 for a whole-grid file */
    uint64_t shard_count;
    uint64_t tasks;            /* tasks the file holds */
    uint64_t by_status[4];     /* tasks by pdx_task_status */
    int rng_key_version;
    char rng[64], pdx_version[64], git_describe[128], start_time[64];
    int is_theory;             /* root attribute source = "theory": a
                                * theory file (pdx theory), never a
                                * simulation's results */
} pdx_store_info;

/* Read the spec, shard, progress and provenance of a pdx result file (a
 * live one too: no file lock) into *info (zeroed first; on failure left
 * empty). Returns PDX_OK, PDX_ERR_IO, PDX_ERR_HDF5, PDX_ERR_MISMATCH (not a
 * pdx file), PDX_ERR_NOMEM. Free the strings with pdx_store_info_clear
 * (accepts NULL; leaves the struct zeroed). */
pdx_status pdx_store_inspect(const char *path, pdx_store_info *info,
                             pdx_error *err);
void pdx_store_info_clear(pdx_store_info *info);

/* What is at a path a command is about to write (the overwrite policy,
 * pdx_output_decide in pdx/run.h, decides on it). Values are stable. */
typedef enum pdx_file_kind {
    PDX_FILE_ABSENT = 0,       /* nothing there */
    PDX_FILE_EMPTY = 1,        /* a regular file of 0 bytes: holds nothing */
    PDX_FILE_RESULT = 2,       /* a pdx result file (pdx run, pdx merge) */
    PDX_FILE_THEORY = 3,       /* a pdx theory file (source = "theory") */
    PDX_FILE_FOREIGN_HDF5 = 4, /* HDF5 without pdx_schema_version */
    PDX_FILE_NOT_HDF5 = 5,     /* a regular file that is not HDF5 (a spec,
                                * text, anything else) */
    PDX_FILE_NOT_REGULAR = 6   /* a directory, device, FIFO or socket */
} pdx_file_kind;

/* Classify what is at `path` (a symbolic link is followed) into *kind
 * without writing and without the file lock (a live file too). Returns
 * PDX_OK, PDX_ERR_IO (cannot stat or read it: the message names the file
 * and the reason), PDX_ERR_HDF5 (an HDF5 signature, but HDF5 cannot open
 * it: damaged or truncated). Thread-compatible as every store call. */
pdx_status pdx_store_file_kind(const char *path, pdx_file_kind *kind,
                               pdx_error *err);

/* "a theory file (pdx theory)", "not an HDF5 file", ...: what a kind is,
 * for messages. Static strings; thread-safe. */
const char *pdx_file_kind_text(pdx_file_kind kind);

/* For every task of the file at `path` that is not pending, set
 * status[task] (status has the whole grid's n_tasks entries; others are
 * left as they are, so calls over the files of a sweep build the union).
 * The file must be for `grid`'s spec: the caller builds that grid (from
 * pdx_store_inspect's spec_text) and `layout` (pdx_sweep_layout); both are
 * borrowed. Live files are read without a lock. Returns PDX_OK,
 * PDX_ERR_IO, PDX_ERR_HDF5, PDX_ERR_MISMATCH, PDX_ERR_NOMEM, PDX_ERR_USAGE
 * (path, grid or layout missing or inconsistent). */
pdx_status pdx_store_gather_status(const char *path, const pdx_grid *grid,
                                   const pdx_layout *layout, int8_t *status,
                                   pdx_error *err);

/* What the check of a file's per-task checksums found (docs/FORMAT.md,
 * "Checksums"). Owns `damaged`: free with pdx_store_verify_report_clear. */
typedef struct pdx_store_verify_report {
    int verified;       /* 1: the file has checksums and every finished
                         * task was checked; 0: a file of an older pdx
                         * without them, nothing checked ("unverified") */
    uint64_t finished;  /* tasks of the file that are not pending */
    uint64_t checked;   /* of them, checked (all when verified, else 0) */
    uint64_t n_damaged; /* of them, damaged: data or checksum unreadable,
                         * or the checksum does not match the data */
    uint64_t *damaged;  /* their tasks (global index), ascending */
} pdx_store_verify_report;

/* Free the list of a report and zero it. Accepts NULL. */
void pdx_store_verify_report_clear(pdx_store_verify_report *report);

/* Check every finished task of the open working file against its
 * checksum (reads all of their data). *report is zeroed first and filled
 * (also for a file without checksums: verified 0). Returns PDX_OK (damage
 * is reported, not an error), PDX_ERR_HDF5 (e.g. `status` unreadable),
 * PDX_ERR_NOMEM, PDX_ERR_USAGE. */
pdx_status pdx_store_verify(pdx_store *store,
                            pdx_store_verify_report *report, pdx_error *err);

/* The same for the file at `path` (working or finished, whole grid or
 * shard), opened read-only without the file lock (a live file too), for
 * `grid` and `layout` of its spec (borrowed; the caller builds them, as
 * for pdx_store_gather_status). Returns PDX_OK, PDX_ERR_IO, PDX_ERR_HDF5,
 * PDX_ERR_MISMATCH (not a result file of this grid), PDX_ERR_NOMEM,
 * PDX_ERR_USAGE. */
pdx_status pdx_store_verify_file(const char *path, const pdx_grid *grid,
                                 const pdx_layout *layout,
                                 pdx_store_verify_report *report,
                                 pdx_error *err);

/* pdx_store_gather_status, (report not NULL) pdx_store_verify_file and
 * (info not NULL) the file's shard, completeness and tasks by status (of
 * pdx_store_inspect's fields: the spec and provenance are left empty) of
 * one file with one opening: what `pdx info` does for each of a sweep's
 * shard files. Same returns as pdx_store_verify_file (a file of another
 * spec: PDX_ERR_MISMATCH). */
pdx_status pdx_store_scan_file(const char *path, const pdx_grid *grid,
                               const pdx_layout *layout, int8_t *status,
                               pdx_store_verify_report *report,
                               pdx_store_info *info, pdx_error *err);

/* Make `tasks` (n global indices, in the file) pending again, with the
 * values of a pending task (NaN, steps -1, checksum 0): first every status
 * (flushed and fsynced), then the data. For damaged tasks before a
 * resume runs them again. Returns PDX_OK, PDX_ERR_HDF5, PDX_ERR_IO,
 * PDX_ERR_USAGE (a task not in the file). */
pdx_status pdx_store_reset_tasks(pdx_store *store, const uint64_t *tasks,
                                 size_t n, pdx_error *err);

/* What pdx_store_merge found. */
typedef struct pdx_store_merge_report {
    uint64_t tasks;        /* of the whole grid */
    uint64_t finished;     /* done, diverged or failed in some source */
    uint64_t overlapping;  /* finished in several inputs, identically */
    uint64_t missing;      /* pending in every source */
    uint64_t first_missing[8]; /* the first min(missing, 8) of them */
    int target_read;       /* the existing target was a source */
    uint64_t kept;         /* finished only in the existing target */
    char warning[512];     /* inputs written by different pdx builds */
    uint64_t damaged;      /* damaged finished tasks found in the sources
                            * (pdx_store_verify_report): never copied */
    uint64_t damaged_task[8];   /* the first min(damaged, 8) of them */
    size_t damaged_source[8];   /* ... and their source: an index into
                                 * inputs, n_inputs for the target */
    uint64_t damaged_missing;   /* damaged tasks no source holds intact:
                                 * counted in `missing` too */
    uint64_t unverified;   /* sources without checksums (an older pdx) */
} pdx_store_merge_report;

/* Merge result files of the spec of `grid` (shard files and whole-grid
 * files, working or finished, in any mix) into `path`. The caller builds
 * `grid` and `layout` from the inputs' spec (borrowed; the store parses no
 * spec) and fills *report (always, also on failure). Every input must
 * be for the same spec (SHA-256), grid, layout and random-number streams;
 * a task finished in several inputs must agree in every variable but
 * wall_seconds. Every source's finished tasks are checked against their
 * checksums first: a damaged one is never copied (the report lists it;
 * another source's intact copy is taken, else it is missing). A merge
 * only adds finished tasks: an existing file at
 * `path` of the same spec is a source too (after the inputs; it must be
 * readable, of the same streams, and agree with the inputs like one), so
 * a task finished (done, diverged or failed) there stays finished with
 * its data; a file at `path` of another spec, or no pdx file, is simply
 * replaced (the caller decides whether it may be). With every task
 * finished, `path` becomes a finished file equal to one a single process
 * writes (docs/FORMAT.md, "Identity"); with tasks missing it is refused
 * (PDX_ERR_MISMATCH, nothing written) unless `partial`, which writes a
 * working file that `pdx run` resumes. The file is built under temporary
 * names and renamed over `path`, which may be one of the inputs. Returns
 * PDX_OK, PDX_ERR_MISMATCH (naming the files and the task), PDX_ERR_IO
 * (also: too little free space), PDX_ERR_HDF5, PDX_ERR_NOMEM,
 * PDX_ERR_USAGE. */
pdx_status pdx_store_merge(const char *path, const char *const *inputs,
                           size_t n_inputs, const pdx_grid *grid,
                           const pdx_layout *layout,
                           const pdx_provenance *provenance, int partial,
                           const char *end_time,
                           pdx_store_merge_report *report, pdx_error *err);

/* As pdx_store_create, but the new file starts with every finished task
 * of the whole-grid file `base` that it holds: `base` was written for a
 * spec whose grid, `base_grid`, lies inside `grid` (pdx_grid_embed: axis
 * values and replicas added, nothing else changed), and cells are matched
 * by their parameter values. The caller builds `base_grid` from the spec
 * stored in `base` (pdx_store_inspect's spec_text and spec_path); it may
 * be NULL when there is none to build (no spec, a shard file: the store
 * then says why) and is only borrowed. `base` may be `path` itself
 * (extending a file in place: it is replaced only by the complete new
 * file), or the merged file of an earlier sweep when `options` name a
 * shard. `base` may also be a shard file when `options` name the same
 * shard and `base_grid` is `grid` (a damaged finished shard file rebuilt
 * with its intact tasks). Tasks of `base` whose checksum does not match
 * are not kept (pdx_store_verify_report: *damage, zeroed first, when not
 * NULL; clear it). *carried receives the tasks kept. Returns PDX_OK,
 * PDX_ERR_MISMATCH (not an extension: the message names the key; `base` a
 * shard file or holding no spec; `base_grid` not the grid of its spec),
 * PDX_ERR_USAGE (out, base or, for a whole-grid pdx file, base_grid
 * missing), PDX_ERR_IO, PDX_ERR_HDF5, PDX_ERR_NOMEM. */
pdx_status pdx_store_create_extended(pdx_store **out, const char *path,
                                     const char *base,
                                     const pdx_grid *base_grid,
                                     const pdx_grid *grid,
                                     const pdx_layout *layout,
                                     const pdx_provenance *provenance,
                                     const pdx_store_options *options,
                                     uint64_t *carried,
                                     pdx_store_verify_report *damage,
                                     pdx_error *err);

/* Status of every task of the grid into `status` (the caller's n_tasks
 * int8 values, pdx_task_status; tasks outside a shard file's shard read as
 * pending). Returns PDX_OK, PDX_ERR_HDF5, PDX_ERR_IO, PDX_ERR_NOMEM. */
pdx_status pdx_store_read_status(pdx_store *store, int8_t *status,
                                 pdx_error *err);

/* Write one task's results and mark it with record->status (protocol
 * above). A NULL record->values or values[v] writes NaN. Returns PDX_OK,
 * PDX_ERR_HDF5, PDX_ERR_IO (e.g. disk full: the file stays valid and the
 * task stays pending), PDX_ERR_USAGE (task out of range, status not 1..3). */
pdx_status pdx_store_commit(pdx_store *store, const pdx_task_record *record,
                            pdx_error *err);

/* Commit n records at once: every task's data, one flush, every status,
 * one flush (a bundle costs two flushes instead of 2n). A status reaches
 * the file only after the data of the whole batch was flushed, so a task
 * marked finished always has its data; on failure some or none of the
 * batch's statuses are set and the file stays valid. Same returns as
 * pdx_store_commit. */
pdx_status pdx_store_commit_many(pdx_store *store,
                                 const pdx_task_record *records, size_t n,
                                 pdx_error *err);

/* Finish: write end_time, repack compressed under a temporary name, rename
 * over the working file, and destroy the store (*store set to NULL, also
 * on failure, where the uncompressed working file is left intact). Needs
 * free space up to the working file's size (checked first: PDX_ERR_IO).
 * Returns PDX_OK, PDX_ERR_IO, PDX_ERR_HDF5, PDX_ERR_NOMEM. */
pdx_status pdx_store_finish(pdx_store **store, const char *end_time,
                            pdx_error *err);

/* Build the finished file's frame ahead of pdx_store_finish (a temporary
 * file with the root attributes and every variable, no data yet), e.g. on
 * a thread with no task left while others still run; pdx_store_finish then
 * only copies the data. Optional; the frame is removed by
 * pdx_store_destroy. Returns PDX_OK, PDX_ERR_IO (no space), PDX_ERR_HDF5,
 * PDX_ERR_NOMEM; on failure pdx_store_finish builds it itself. */
pdx_status pdx_store_prepare_finish(pdx_store *store, pdx_error *err);

/* Make every commit so far durable: flush and fsync the working file
 * (before closing a stopped run: its snapshot). Returns PDX_OK,
 * PDX_ERR_HDF5, PDX_ERR_IO. */
pdx_status pdx_store_sync(pdx_store *store, pdx_error *err);

/* Close without finishing (the file stays a valid, resumable working
 * file; a frame of pdx_store_prepare_finish is removed). Accepts NULL and
 * a NULL *store; sets *store to NULL. Cannot fail. */
void pdx_store_destroy(pdx_store **store);

/* What `pdx info` shows of one dimension coordinate (a dimension scale). */
typedef struct pdx_store_dimension {
    char *name;
    uint64_t length;
    char *flag_meanings; /* a choice axis' names, space-separated
                          * (its strings, or the CF flag_meanings of a
                          * file of pdx before issue 19); NULL if none */
    char *scale;         /* pdx_scale ("list", "lin", "log"), NULL if none */
    char *units;         /* NULL if none */
    int has_values;      /* values readable as numbers (no flag_meanings,
                          * length > 0): the first and the last */
    double first, last;
} pdx_store_dimension;

/* One data variable (a dataset that is not a dimension scale). */
typedef struct pdx_store_variable {
    char *name;
    size_t rank;
    char **dims;     /* rank names of the attached dimension scales, ""
                      * where none is attached */
    char *long_name; /* NULL if none */
    char *units;     /* NULL if none */
    int damaged_attributes; /* an attribute cannot be read (HDF5 found its
                             * header damaged) */
} pdx_store_variable;

/* Status codes counted separately by pdx_store_describe (0 .. 7: task
 * statuses of result files, cell statuses of theory files). */
#define PDX_STORE_STATUS_CODES 8

/* Everything `pdx info FILE` prints, as read from a result or theory
 * file. Strings are owned by the struct; NULL for an absent attribute. */
typedef struct pdx_store_description {
    int is_theory;      /* root attribute source = "theory" */
    int complete;       /* pdx_complete: finished (repacked) */
    double replicas;    /* the replicas attribute, 0 if absent */
    uint64_t shard_index, shard_count; /* 0 and 1 for a whole-grid file */
    uint64_t n_status;  /* entries of `status`: the file's tasks (cells of
                         * a theory file) */
    uint64_t status_counts[PDX_STORE_STATUS_CODES]; /* entries by code */
    uint64_t status_other; /* entries with any other code */
    int damaged_root_attributes; /* a root attribute cannot be read */
    char *title, *spec_path, *spec_sha256, *theories, *pdx_version,
        *git_describe, *rng, *host, *command_line, *start_time, *end_time;
    size_t n_dimensions;   /* in creation order (name order for a file */
    pdx_store_dimension *dimensions; /* that does not track it) */
    size_t n_variables;
    pdx_store_variable *variables;
} pdx_store_description;

/* Describe any pdx result or theory file at `path` into *description
 * (zeroed first; empty on failure): root attributes, task or cell counts
 * by status, dimension coordinates, variables. Opens read-only without the
 * file lock (HDF5 >= 1.10.7) so that it works while a run is writing; a
 * user's HDF5_USE_FILE_LOCKING=TRUE still wins over that, which is the
 * command line's to override (src/cli_info.c), not the library's.
 * Attributes that cannot be read count as absent. Returns PDX_OK,
 * PDX_ERR_IO (cannot read or open), PDX_ERR_HDF5 (no readable `status`),
 * PDX_ERR_MISMATCH (not a pdx file), PDX_ERR_NOMEM, PDX_ERR_USAGE (path
 * or description NULL). Free with pdx_store_description_clear. */
pdx_status pdx_store_describe(const char *path,
                              pdx_store_description *description,
                              pdx_error *err);

/* 1 if the store has a short label (long_name and units, docs/FORMAT.md
 * "Attributes") for the variable, coordinate or spec key `name`, else 0:
 * a name without one is written with its name as long_name. */
int pdx_store_has_label(const char *name);

/* Free the strings of a description and zero it. Accepts NULL. */
void pdx_store_description_clear(pdx_store_description *description);

/* Initialise HDF5 and silence its automatic error printing (once, at
 * start-up, before any other HDF5 call; the store also silences it on
 * entry to every call, since thread-safe HDF5 keeps that setting per
 * thread). Replaces HDF5's exit handler with one that shuts the library
 * down unless a file could not be closed after a write error (a full disk,
 * `ulimit -f`): HDF5 1.10 would crash closing it again at exit. Call it
 * from the main thread; later calls only silence the errors. */
void pdx_store_init_library(void);

/* SHA-256 of `length` bytes as 64 lowercase hex digits and a NUL (the
 * `spec_sha256` attribute). Thread-safe. */
void pdx_store_sha256_hex(const void *data, size_t length, char hex[65]);

/* The identity of a spec (issue 19), the `spec_sha256` attribute of the
 * result and theory files pdx writes: the SHA-256 (hex) of its canonical
 * text (pdx_spec's `canonical`), so comments, layout and key order do not
 * change it. Thread-safe. */
void pdx_store_spec_sha256(const pdx_spec *spec, char hex[65]);

/* 1 if `file_sha`, a file's `spec_sha256`, identifies `spec`: its
 * canonical hash, or the hash of its raw text (spec->text), which files of
 * pdx before issue 19 hold, or one of spec->older_sha256 (the raw-text
 * hash of an older file whose spec text parses to this spec). 0 for NULL
 * or "". Thread-safe. */
int pdx_store_spec_matches(const pdx_spec *spec, const char *file_sha);

/* An int8 variable per cell (axes only) with CF flags, for theory files
 * (`status`, `theory`, `phase`). */
typedef struct pdx_store_flag_var {
    const char *name;
    const char *long_name;
    size_t n_flags;
    const int8_t *flag_values;  /* n_flags codes */
    const char *flag_meanings;  /* their names, space-separated */
    const int8_t *data;         /* n_cells values, cells in grid order */
} pdx_store_flag_var;

/* Everything a theory file holds besides the grid's coordinates. */
typedef struct pdx_store_theory {
    const pdx_layout *layout;     /* float64 variables of shape (axes...,
                                   * dims...): no replica dimension */
    const double *const *values;  /* values[v]: n_cells x the product of
                                   * its dims, row-major, NaN = none */
    const pdx_store_flag_var *flags;
    size_t n_flags;
    const char *const *attributes; /* n_attributes (name, text) pairs of
                                    * extra root attributes */
    size_t n_attributes;
} pdx_store_theory;

/* Write a theory file for `grid` at `path` in one go (docs/FORMAT.md,
 * "Theory files"): the result file's root attributes (spec, provenance,
 * param:*) plus `source` = "theory" and `pdx_complete` = 1, the axis and
 * extra-dimension coordinates, the flag and float64 variables, compressed;
 * built under a temporary name and renamed over `path` (temporaries of
 * killed writers next to it are removed first; the caller applies the
 * overwrite policy, pdx_output_check). Returns PDX_OK,
 * PDX_ERR_USAGE (missing data, a name used twice or reserved),
 * PDX_ERR_IO (also: too little free space), PDX_ERR_HDF5, PDX_ERR_NOMEM. */
pdx_status pdx_store_write_theory(const char *path, const pdx_grid *grid,
                                  const pdx_store_theory *theory,
                                  const pdx_provenance *provenance,
                                  pdx_error *err);

#endif
