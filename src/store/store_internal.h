/* store_internal.h — private to src/store/: the store object, format
 * constants and the helpers its files share (docs/FORMAT.md).
 *
 * The only file of pdx that includes hdf5.h. Everything here runs under the
 * caller's serialisation (one thread at a time); the only global state is
 * HDF5's own. The one parallel loop, compressing the finished file's
 * chunks, calls only zlib and plain C (HDF5 is not thread-safe).
 *
 * Working file: every dataset created up front, contiguous, unfiltered,
 * space allocated early and filled (NaN, status 0, steps -1), so that the
 * file's metadata never changes after creation and a killed run leaves a
 * valid file (DESIGN.md, "Crash safety"). Final file: the same layout with
 * chunked, shuffled and deflated data variables, written under a temporary
 * name and renamed over the working file.
 *
 * Format bounds are (1.8, 1.8): superblock version 2, which HDF5 1.10+
 * does not mark "open for writing" (superblock 3 would need `h5clear -s`
 * after every kill), which supports dense attribute storage (a spec text
 * over 64 KiB) and link/attribute creation order, and which every
 * netCDF-4 and h5py build reads. */
#ifndef PDX_STORE_INTERNAL_H
#define PDX_STORE_INTERNAL_H

#include "pdx/store.h"

#include "pdx/rng.h"
#include "pdx/spec.h"

#include "fileutil.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCHEMA_VERSION 1
#define MAX_RANK 32                    /* H5S_MAX_RANK */
#define CHUNK_MAX_BYTES (1u << 20)     /* final file: at most ~1 MiB ... */
#define CHUNK_MIN_BYTES (64u << 10)    /* ... and whole cells up to 64 KiB */
/* deflate level 1: on the W1 benchmark's file level 4 saved 0.2 % of the
 * size and cost 0.3-1.5 ms more per repack (a serial step) */
#define DEFLATE_LEVEL 1

static const char *const dim_names[PDX_DIM_COUNT] = PDX_DIM_NAMES;
static const char *const dim_long_names[PDX_DIM_COUNT] = {
    "training time alpha = steps/N",
    "student hidden unit k",
    "student hidden unit l (second index of K x K)",
    "teacher hidden unit m",
    "teacher hidden unit n (second index of M x M)",
    "hidden layer l of a deep network (pre-activations h^l)",
    "perturbation budget eps (record.budgets, in record.norm)",
    "perturbation size of the local energy (record.perturbations): "
    "fraction p of binary weights flipped, or sigma of w_i (1 + sigma z_i)",
    "eigenvalue rank i of the gradient-noise covariance D (1: largest)",
    "eigenvalue rank j of D (second index of k x k)",
};
static const char *const scale_names[] = {"list", "lin", "log"};
static const char *const status_meanings = "pending done diverged failed";

typedef enum dvar_kind {
    DVAR_STATUS,
    DVAR_STEPS,
    DVAR_F64,
    DVAR_CHECKSUM
} dvar_kind;

/* One data variable of shape (axes..., replica, extra...). The first three
 * are store's own (status, steps, wall_seconds); layout variables follow,
 * and last the per-task checksum (checksum.c), absent from files of older
 * pdx versions: there the store's n_dvars stops before it, so every loop
 * over the data variables leaves it out. */
typedef struct dvar {
    const char *name;
    const char *long_name;
    const char *units;
    dvar_kind kind;
    size_t n_extra;
    pdx_dim extra[3];
    size_t source; /* layout variables: index in the layout (and in a task
                    * record's values), which skips omitted ones */
} dvar;

enum { DVAR_STATUS_INDEX, DVAR_STEPS_INDEX, DVAR_WALL_INDEX, DVAR_FIXED };

struct pdx_store {
    char *path;
    const pdx_grid *grid;
    const pdx_spec *spec;
    const pdx_layout *layout;
    pdx_store_options options;
    char spec_sha256[65];
    size_t n_dvars;    /* checksum_k + 1, or checksum_k for a file without
                        * checksums (written by an older pdx) */
    size_t checksum_k; /* index of the checksum variable in dvars */
    dvar *dvars;
    int dim_used[PDX_DIM_COUNT];
    hid_t file;
    hid_t *datasets; /* n_dvars, open in the working file */
    /* pdx__block_io's dataspaces, made once (a commit's writes each
     * created two; dataset shapes never change): per data variable, the
     * file space and a memory space of io_length elements */
    hid_t *io_file_space, *io_mem_space;
    hsize_t *io_length;
    /* A shard file (shard_count > 1) holds only the tasks of its shard,
     * file_tasks[0..n_file_tasks-1] ascending, along a `task` dimension. */
    uint64_t shard_index, shard_count;
    uint64_t *file_tasks;
    uint64_t n_file_tasks;
    double *nan_block; /* for NULL values in a record */
    size_t nan_block_length;
    /* The finished file's frame built ahead by pdx_store_prepare_finish
     * (final_tmp NULL: none): root attributes and empty variables. */
    char *final_tmp;
    hid_t final_file;
    hid_t *final_out; /* n_dvars */
};

typedef enum ds_mode {
    DS_COORDINATE, /* contiguous, written at once */
    DS_WORKING,    /* contiguous, allocated early, filled */
    DS_FINAL       /* chunked, shuffle + deflate */
} ds_mode;

/* checksum.c: the per-task CRC-32 (docs/FORMAT.md, "Checksums") */
/* 1 if the store's file has (or will have) the checksum variable. */
int pdx__has_checksum(const pdx_store *s);
/* CRC-32 of a task's results as pdx_store_commit writes them: its status,
 * steps and each layout variable's block (values[v], NULL: NaN). */
uint32_t pdx__record_checksum(const pdx_store *s, int8_t status,
                              int64_t steps, const double *const *values);
/* For each slot of the file (n_file_tasks) that is not pending in
 * `status`: bad[slot] = 1 if its data or checksum cannot be read or do
 * not match. *checked counts the slots verified. The file must have
 * checksums. */
pdx_status pdx__verify_slots(pdx_store *s, const int8_t *status,
                             uint8_t *bad, uint64_t *checked,
                             pdx_error *err);
/* Compute the checksum of every finished task of the open working file
 * from its data and write the checksum variable whole (merge, extend:
 * files built from copies). No-op for a file without checksums. */
pdx_status pdx__write_checksums(pdx_store *s, pdx_error *err);
/* The file's status and which finished slots are damaged (*bad: NULL for
 * a file without checksums; both owned by the caller). */
pdx_status pdx__status_and_damage(pdx_store *s, int8_t **status,
                                  uint8_t **bad, uint64_t *checked,
                                  pdx_error *err);

/* commit.c: a task's block of a data variable (selection, read, write) */
pdx_status pdx__block_io(pdx_store *s, size_t k, const hsize_t *start,
                         const hsize_t *count, uint64_t task, const void *in,
                         void *out, pdx_error *err);
pdx_status pdx__task_block_io(pdx_store *s, size_t k, uint64_t task,
                              const void *in, void *out, pdx_error *err);
int pdx__task_selection(const pdx_store *s, size_t k, uint64_t task,
                        hsize_t *start, hsize_t *count, hsize_t *length);
pdx_status pdx__write_task_block(pdx_store *s, size_t k, uint64_t task,
                                 const void *data, pdx_error *err);
/* Read the blocks of variable k of the n slots first .. first + n - 1 of
 * the file (file order: tasks of a whole-grid file, the task list of a
 * shard file) into `out`, with one read. */
pdx_status pdx__slots_read(pdx_store *s, size_t k, uint64_t first,
                           uint64_t n, void *out, pdx_error *err);

/* create.c: files, their property lists, the working file */
pdx_status pdx__build_working_file(pdx_store *s, const char *tmp,
                                   const pdx_provenance *provenance,
                                   pdx_error *err);
pdx_status pdx__check_free_space(const char *path, double needed,
                                 const char *what, pdx_error *err);
hid_t pdx__create_file(const char *name, int final);
void pdx__discard_file(hid_t *file);
pdx_status pdx__install_working_file(pdx_store *s, const char *tmp,
                                     const char *path, int keep_open,
                                     pdx_error *err);
pdx_status pdx__open_datasets(pdx_store *s, pdx_error *err);
hid_t pdx__open_file(const char *name, unsigned flags, int live);
pdx_status pdx__seal_file(hid_t *file, const char *name, const char *path,
                          pdx_error *err);

/* finish.c: the finished (compressed) copy */
pdx_status pdx__finish_into(pdx_store **store, const char *dest,
                            const char *end_time, pdx_error *err);

/* h5util.c: HDF5 errors, ids, attributes, fsync */
void pdx__close_id(hid_t *id);
/* Close a file id (invalid afterwards); -1 if HDF5 failed to. A file
 * whose close failed is left half destroyed by HDF5 1.10 and its id stays
 * registered: closing it again, as the library's shutdown does, crashes.
 * So a failure is remembered and pdx_store_init_library's exit handler
 * then skips the shutdown (issue 21). */
int pdx__close_file(hid_t *file);
void pdx__copy_text_attr(hid_t file, const char *name, char *buf, size_t size);
pdx_status pdx__fsync_file(hid_t file, const char *path, pdx_error *err);
int pdx__get_double(hid_t obj, const char *name, double *value);
int pdx__get_text(hid_t obj, const char *name, char **out);
/* Report the HDF5 call that just failed. Must be called before any other
 * HDF5 API call (each one clears the error stack). `object` is the
 * dataset or attribute ("/eg", "/@spec"); the file is `path`. */
pdx_status pdx__h5_error(pdx_error *err, const char *path,
                         const char *object, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
hid_t pdx__make_fapl(int for_reading_live);
pdx_status pdx__put_attr(hid_t obj, const char *object, const char *name,
                         hid_t file_type, hid_t mem_type, size_t n,
                         const void *data, const char *path, pdx_error *err);
pdx_status pdx__put_double(hid_t obj, const char *object, const char *name,
                           double value, const char *path, pdx_error *err);
pdx_status pdx__put_int32(hid_t obj, const char *object, const char *name,
                          int32_t value, const char *path, pdx_error *err);
pdx_status pdx__put_int64(hid_t obj, const char *object, const char *name,
                          int64_t value, const char *path, pdx_error *err);
pdx_status pdx__put_string(hid_t obj, const char *object, const char *name,
                           const char *value, const char *path, pdx_error *err);
pdx_status pdx__put_text(hid_t obj, const char *object, const char *name,
                         const char *value, size_t length, const char *path,
                         pdx_error *err);
pdx_status pdx__put_uint8(hid_t obj, const char *object, const char *name,
                          uint8_t value, const char *path, pdx_error *err);
void pdx__silence_hdf5(void);
hid_t pdx__names_type(void);
int pdx__read_names(hid_t ds, size_t n, char **names);
/* choice_names.c: the same, the names of variable-length strings read
 * from the file at `path` without HDF5's global heap code (a damaged heap
 * crashes HDF5 1.10): 1, 0 (not strings), -1 (HDF5 error), -2 (the
 * file's bytes are not a consistent heap: damaged). */
int pdx__read_names_checked(const char *path, hid_t file, hid_t ds, size_t n,
                            char **names);

/* inspect.c: existing pdx files opened read-only */
/* The tasks of the store's shard (ascending; a new array, NULL when
 * none), from the deal of its grid among shard_count shards, computed
 * once per (spec, count) and kept for the process: reading 1,000 shard
 * files of one sweep deals once, not 1,000 times. */
pdx_status pdx__shard_file_tasks(const pdx_store *s, uint64_t **tasks,
                                 uint64_t *n, pdx_error *err);
uint64_t pdx__file_task(const pdx_store *s, uint64_t slot);
pdx_status pdx__open_for_reading(pdx_store **out, const char *path,
                                 const pdx_grid *grid, const pdx_layout *layout,
                                 int live, pdx_error *err);
pdx_status pdx__open_pdx_file(const char *path, int live, hid_t *out,
                              pdx_error *err);
pdx_status pdx__read_file_status(pdx_store *s, int8_t **out, pdx_error *err);

/* layout.c: the store object, its data variables and their shapes */
/* dimension i of the grid: its (first) axis and that axis' key */
const pdx_axis *pdx__axis(const pdx_store *s, size_t i);
const pdx_key *pdx__axis_key(const pdx_store *s, size_t i);
/* The zip members that are no dimension (issue 19: auxiliary coordinates
 * along their group's dimension) as the `coordinates` attribute lists
 * them, "key key ..." into buf; returns how many (0: no zip group). */
size_t pdx__zip_coordinates(const pdx_store *s, char *buf, size_t size);
void pdx__describe_task(const pdx_store *s, uint64_t task, char *buf,
                        size_t size);
void pdx__discard_frame(pdx_store *s);
int pdx__dvar_dims(const pdx_store *s, size_t k, hsize_t *dims);
size_t pdx__dvar_block_length(const pdx_store *s, size_t k);
size_t pdx__dvar_elem_size(dvar_kind kind);
hid_t pdx__dvar_file_type(dvar_kind kind);
const void *pdx__dvar_fill(dvar_kind kind, const double *nan_value);
hid_t pdx__dvar_mem_type(dvar_kind kind);
uint64_t pdx__file_slot(const pdx_store *s, uint64_t task);
size_t pdx__lead_dims(const pdx_store *s);
int pdx__name_taken(const pdx_store *s, const char *name, size_t n_dvars);
void pdx__store_free(pdx_store *s);
/* The start of pdx_store_create and pdx_store_open: HDF5 silenced, *out
 * cleared (an error for a NULL out), the store object for `path` in *s,
 * and the temporaries of dead processes next to `path` removed. */
pdx_status pdx__store_begin(pdx_store **out, pdx_store **s, const char *path,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_store_options *options, pdx_error *err);
pdx_status pdx__store_new(pdx_store **out, const char *path,
                          const pdx_grid *grid, const pdx_layout *layout,
                          const pdx_store_options *options, pdx_error *err);

/* resume.c: does a file match a grid, layout and shard? */
pdx_status pdx__check_matches(pdx_store *s, int writing, pdx_error *err);
int pdx__read_shard(hid_t file, uint64_t *index, uint64_t *count);

/* The value of coordinate d (a pdx_dim) at index j: the recorded time,
 * the layer l = j + 1, or the index itself. */
double pdx__dim_coordinate(const pdx_store *s, int d, size_t j);

/* dimscales.c: dimension scales attached in bulk. pdx__attach_scales
 * writes dataset ds's DIMENSION_LIST (scales[d] on dimension d) and
 * records the links; pdx__write_scale_links writes every linked scale's
 * REFERENCE_LIST (the scales still open) and frees the record. */
typedef struct pdx__scale_link {
    hid_t scale;
    hobj_ref_t dataset;
    int dimension;
} pdx__scale_link;
typedef struct pdx__scale_links {
    size_t n, cap;
    pdx__scale_link *link;
} pdx__scale_links;
pdx_status pdx__attach_scales(hid_t ds, const char *name, int rank,
                              const hid_t *scales, pdx__scale_links *links,
                              const char *path, pdx_error *err);
pdx_status pdx__write_scale_links(pdx__scale_links *links, const char *path,
                                  pdx_error *err);
void pdx__scale_links_free(pdx__scale_links *links);

/* structure.c: datasets, coordinates and root attributes */
pdx_status pdx__build_structure(const pdx_store *s, hid_t file, ds_mode mode,
                                const char *path, hid_t *datasets,
                                pdx_error *err);
pdx_status pdx__create_axis(const pdx_store *s, hid_t file, size_t i,
                            pdx__scale_links *links, const char *path,
                            hid_t *out, pdx_error *err);
hid_t pdx__create_dataset(hid_t file, const char *name, hid_t type, int rank,
                          const hsize_t *dims, hid_t fill_type,
                          const void *fill, ds_mode mode, size_t n_axes,
                          size_t elem_size);
pdx_status pdx__create_dim_coordinates(const pdx_store *s, hid_t file,
                                       const pdx_layout *layout,
                                       const char *path, hid_t *dim_scales,
                                       pdx_error *err);
pdx_status pdx__create_index_coordinate(hid_t file, const pdx_spec *spec,
                                        const char *name,
                                        const char *long_name,
                                        const double *times, hsize_t n,
                                        const char *times_scale,
                                        const char *path, hid_t *out,
                                        pdx_error *err);
/* metadata.c: long_name (short, with its symbol), units (none for flags)
 * and description (the long text, if any) of variable or coordinate
 * `name`; `theory` picks the theory file's labels where they differ. */
pdx_status pdx__put_labels(hid_t ds, const pdx_spec *spec, int theory,
                           const char *name, const char *description,
                           const char *path, pdx_error *err);
void pdx__time_units(const pdx_spec *spec, char *out, size_t size);
pdx_status pdx__write_root_attributes(const pdx_store *s, hid_t file,
                                      const pdx_provenance *p, const char *path,
                                      pdx_error *err);

#endif
