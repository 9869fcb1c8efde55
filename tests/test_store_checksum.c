/* test_store_checksum.c — the per-task checksums of result files (issue 21,
 * item 6; docs/FORMAT.md, "Checksums"): what is summed, verification of
 * working, finished and shard files, reset, merge and extend around damaged
 * tasks, files without checksums. tests/checksum_test.sh covers the
 * command line. */
#include "pdx/rng.h"
#include "pdx/store.h"

#include "pdx/grid.h"
#include "pdx/spec.h"

#include <hdf5.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pdx_test.h"

static const char sweep_text[] =
    "name: sums\nseed: 2385\nreplicas: 2\nteacher: {hidden: 2}\n"
    "student: {hidden: [1, 3]}\ntrain: {learning_rate: [0.5, 2.385]}\n"
    "record: {times: [0.5, 1, 2]}\n";

static const pdx_var_desc sum_vars[2] = {
    {"eg", "generalization error", "1", 1, {PDX_DIM_TIME}},
    {"Q", "student-student overlaps", "1", 3,
     {PDX_DIM_TIME, PDX_DIM_STUDENT_UNIT, PDX_DIM_STUDENT_UNIT2}},
};

#define N_TIMES 3
#define K 3
#define Q_LENGTH (N_TIMES * K * K)

typedef struct fixture {
    char dir[64];
    char path[160];
    pdx_spec *spec;
    pdx_grid *grid;
    pdx_layout layout;
    double eg[N_TIMES], q[Q_LENGTH];
    const double *values[2];
} fixture;

static const pdx_provenance provenance = {
    "0.1.0", "test", "pdx run sums.yaml", "testhost", "2026-12-04T17:00:00Z",
    PDX_RNG_NAME, PDX_RNG_KEY_VERSION};

static void check_ok(pdx_status status, const pdx_error *err)
{
    if (status != PDX_OK) {
        char buf[1200];
        pdx_error_format(err, buf, sizeof buf);
        fail_msg("status %s: %s", pdx_status_name(status), buf);
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/pdx-test-sums-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/out.h5", f->dir);
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_spec_parse_string(&f->spec, sweep_text, strlen(sweep_text),
                              "sums.yaml", &err) != PDX_OK ||
        pdx_grid_create(&f->grid, f->spec, &err) != PDX_OK)
        return -1;
    f->layout.vars = sum_vars;
    f->layout.n_vars = 2;
    f->layout.dim_size[PDX_DIM_TIME] = N_TIMES;
    f->layout.dim_size[PDX_DIM_STUDENT_UNIT] = K;
    f->layout.dim_size[PDX_DIM_STUDENT_UNIT2] = K;
    f->values[0] = f->eg;
    f->values[1] = f->q;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (getenv("PDX_TEST_KEEP") == NULL && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    pdx_grid_destroy(&f->grid);
    pdx_spec_destroy(&f->spec);
    free(f);
    return 0;
}

/* Task `task`'s record: high-entropy values, NaN beyond the cell's K. */
static pdx_task_record record_of(fixture *f, uint64_t task)
{
    pdx_params p;
    pdx_grid_cell_params(f->grid, task / f->grid->replicas, &p);
    for (size_t t = 0; t < N_TIMES; t++) {
        f->eg[t] = 0.2385 * (double)(task + 1) + 0.0137 * (double)t;
        for (size_t k = 0; k < K; k++)
            for (size_t l = 0; l < K; l++)
                f->q[(t * K + k) * K + l] =
                    k < (size_t)p.student_hidden &&
                            l < (size_t)p.student_hidden
                        ? f->eg[t] + 0.101 * (double)k - 0.0707 * (double)l
                        : NAN;
    }
    pdx_task_record r = {task, PDX_TASK_DONE, 1000 + 37 * (int64_t)task,
                         0.125 * (double)task, f->values};
    return r;
}

/* A file at `path` with the tasks of shard index/count (count 1: the whole
 * grid) committed where done[task] (NULL: all), finished or not. */
static void write_file(fixture *f, const char *path, uint64_t index,
                       uint64_t count, const int *done, int finish)
{
    pdx_store_options o = {.shard_index = index, .shard_count = count};
    pdx_store *store = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    check_ok(pdx_store_create(&store, path, f->grid, &f->layout, &provenance,
                              &o, &err),
             &err);
    uint64_t *tasks = NULL, n = 0;
    check_ok(pdx_grid_shard_tasks(f->grid, index, count, &tasks, &n, &err),
             &err);
    for (uint64_t i = 0; i < n; i++) {
        if (done != NULL && !done[tasks[i]])
            continue;
        pdx_task_record r = record_of(f, tasks[i]);
        check_ok(pdx_store_commit(store, &r, &err), &err);
    }
    free(tasks);
    if (finish)
        check_ok(pdx_store_finish(&store, "2026-12-04T17:01:00Z", &err),
                 &err);
    else
        pdx_store_destroy(&store);
}

/* Flip bit `bit` of element `element` of `slot`'s block of `name` (through
 * HDF5: a finished file's chunk is recompressed, the value changed). */
static void flip(const char *path, const char *name, uint64_t slot,
                 size_t element, int bit)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    assert_true(file >= 0 && ds >= 0 && type >= 0 && space >= 0);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    hid_t status = H5Dopen2(file, "status", H5P_DEFAULT);
    hid_t status_space = H5Dget_space(status);
    hssize_t slots = H5Sget_simple_extent_npoints(status_space);
    size_t size = H5Tget_size(type), block = (size_t)(n / slots);
    unsigned char *raw = malloc((size_t)n * size);
    assert_true(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    raw[(slot * block + element) * size + (size_t)bit / 8] ^=
        (unsigned char)(1u << (bit % 8));
    assert_true(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    free(raw);
    H5Sclose(status_space);
    H5Dclose(status);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(ds);
    assert_true(H5Fclose(file) >= 0);
}

/* An older pdx's file: the checksum variable removed. */
static void drop_checksums(const char *path)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    assert_true(H5Ldelete(file, "checksum", H5P_DEFAULT) >= 0);
    assert_true(H5Fclose(file) >= 0);
}

static pdx_store_verify_report verify(fixture *f, const char *path)
{
    pdx_store_verify_report r;
    pdx_error err;
    pdx_error_clear(&err);
    check_ok(pdx_store_verify_file(path, f->grid, &f->layout, &r, &err),
             &err);
    return r;
}

static uint32_t read_checksum(const char *path, uint64_t slot)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "checksum", H5P_DEFAULT);
    uint32_t sums[64];
    assert_true(ds >= 0 && H5Dread(ds, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL,
                                   H5P_DEFAULT, sums) >= 0);
    H5Dclose(ds);
    H5Fclose(file);
    return sums[slot];
}

/* The checksum is zlib's CRC-32 of status, steps and every layout
 * variable's block (not wall_seconds), little-endian; 0 while pending. */
static void test_checksum_is_crc32_of_the_results(void **state)
{
    fixture *f = *state;
    int done[8] = {0, 1, 0, 0, 0, 1, 0, 0};
    write_file(f, f->path, 0, 1, done, 0);
    pdx_task_record r = record_of(f, 5);
    uint32_t want = (uint32_t)crc32(0, Z_NULL, 0);
    want = (uint32_t)crc32(want, (const Bytef *)&r.status, 1);
    want = (uint32_t)crc32(want, (const Bytef *)&r.steps, 8);
    want = (uint32_t)crc32(want, (const Bytef *)f->eg, sizeof f->eg);
    want = (uint32_t)crc32(want, (const Bytef *)f->q, sizeof f->q);
    assert_int_equal(read_checksum(f->path, 5), want);
    assert_int_equal(read_checksum(f->path, 4), 0);
    pdx_store_verify_report v = verify(f, f->path);
    assert_int_equal(v.verified, 1);
    assert_int_equal(v.finished, 2);
    assert_int_equal(v.checked, 2);
    assert_int_equal(v.n_damaged, 0);
    assert_null(v.damaged);
    pdx_store_verify_report_clear(&v);
}

/* A flipped bit in a value, a status, a checksum: each task named, in
 * working and finished files. */
static void test_checksum_finds_flipped_bits(void **state)
{
    fixture *f = *state;
    int done[8] = {1, 1, 1, 1, 1, 1, 0, 1};
    write_file(f, f->path, 0, 1, done, 0);
    flip(f->path, "Q", 3, 4, 0);      /* a value's lowest bit */
    flip(f->path, "status", 6, 0, 0); /* pending -> done, no data */
    flip(f->path, "checksum", 1, 0, 17);
    flip(f->path, "wall_seconds", 2, 0, 40); /* not summed: no damage */
    pdx_store_verify_report v = verify(f, f->path);
    assert_int_equal(v.finished, 8);
    assert_int_equal(v.n_damaged, 3);
    assert_int_equal(v.damaged[0], 1);
    assert_int_equal(v.damaged[1], 3);
    assert_int_equal(v.damaged[2], 6);
    pdx_store_verify_report_clear(&v);

    char fin[192];
    snprintf(fin, sizeof fin, "%s/fin.h5", f->dir);
    write_file(f, fin, 0, 1, NULL, 1);
    flip(fin, "eg", 7, 2, 62);
    v = verify(f, fin);
    assert_int_equal(v.checked, 8);
    assert_int_equal(v.n_damaged, 1);
    assert_int_equal(v.damaged[0], 7);
    pdx_store_verify_report_clear(&v);
}

/* Reset: damaged tasks pending again with a pending task's values; a
 * resumed store commits them anew and the file verifies. */
static void test_checksum_reset_and_rerun(void **state)
{
    fixture *f = *state;
    write_file(f, f->path, 0, 1, NULL, 0);
    flip(f->path, "eg", 2, 0, 3);
    pdx_store *store = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    check_ok(pdx_store_open(&store, f->path, f->grid, &f->layout, NULL,
                            &err),
             &err);
    pdx_store_verify_report v;
    check_ok(pdx_store_verify(store, &v, &err), &err);
    assert_int_equal(v.n_damaged, 1);
    check_ok(pdx_store_reset_tasks(store, v.damaged, v.n_damaged, &err),
             &err);
    int8_t status[8];
    check_ok(pdx_store_read_status(store, status, &err), &err);
    assert_int_equal(status[2], PDX_TASK_PENDING);
    assert_int_equal(status[3], PDX_TASK_DONE);
    pdx_store_verify_report_clear(&v);
    check_ok(pdx_store_verify(store, &v, &err), &err);
    assert_int_equal(v.finished, 7);
    assert_int_equal(v.n_damaged, 0);
    uint64_t outside = 8;
    assert_int_equal(pdx_store_reset_tasks(store, &outside, 1, &err),
                     PDX_ERR_USAGE);
    pdx_task_record r = record_of(f, 2);
    check_ok(pdx_store_commit(store, &r, &err), &err);
    check_ok(pdx_store_finish(&store, "2026-12-04T17:02:00Z", &err), &err);
    char clean[192];
    snprintf(clean, sizeof clean, "%s/clean.h5", f->dir);
    write_file(f, clean, 0, 1, NULL, 1);
    assert_int_equal(read_checksum(f->path, 2), read_checksum(clean, 2));
    v = verify(f, f->path);
    assert_int_equal(v.n_damaged, 0);
    assert_int_equal(v.checked, 8);
    pdx_store_verify_report_clear(&v);
    assert_int_equal(pdx_store_verify(NULL, &v, &err), PDX_ERR_USAGE);
}

/* A file without checksums opens, resumes and finishes as before, and is
 * unverified; a shard file is checked slot by slot. */
static void test_checksum_older_files_and_shards(void **state)
{
    fixture *f = *state;
    int done[8] = {1, 1, 1, 0, 0, 0, 0, 0};
    write_file(f, f->path, 0, 1, done, 0);
    drop_checksums(f->path);
    pdx_store_verify_report v = verify(f, f->path);
    assert_int_equal(v.verified, 0);
    assert_int_equal(v.finished, 3);
    assert_int_equal(v.checked, 0);
    assert_int_equal(v.n_damaged, 0);
    pdx_store *store = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    check_ok(pdx_store_open(&store, f->path, f->grid, &f->layout, NULL,
                            &err),
             &err);
    for (uint64_t t = 3; t < 8; t++) {
        pdx_task_record r = record_of(f, t);
        check_ok(pdx_store_commit(store, &r, &err), &err);
    }
    check_ok(pdx_store_finish(&store, "2026-12-04T17:03:00Z", &err), &err);
    v = verify(f, f->path);
    assert_int_equal(v.verified, 0);
    assert_int_equal(v.finished, 8);

    char shard[192];
    snprintf(shard, sizeof shard, "%s/out.shard-1-of-2.h5", f->dir);
    write_file(f, shard, 1, 2, NULL, 1);
    uint64_t *tasks = NULL, n = 0;
    check_ok(pdx_grid_shard_tasks(f->grid, 1, 2, &tasks, &n, &err), &err);
    flip(shard, "Q", 1, 0, 5); /* the shard's second task */
    v = verify(f, shard);
    assert_int_equal(v.checked, n);
    assert_int_equal(v.n_damaged, 1);
    assert_int_equal(v.damaged[0], tasks[1]);
    pdx_store_verify_report_clear(&v);
    free(tasks);
}

/* Merge never copies a damaged task: an intact copy elsewhere is taken,
 * else it is missing (refused; --partial leaves it pending). Extend keeps
 * only intact tasks and names the others. */
static void test_checksum_merge_and_extend(void **state)
{
    fixture *f = *state;
    char s0[192], s1[192], whole[192], out[192], ext[192];
    snprintf(s0, sizeof s0, "%s/m.shard-0-of-2.h5", f->dir);
    snprintf(s1, sizeof s1, "%s/m.shard-1-of-2.h5", f->dir);
    snprintf(whole, sizeof whole, "%s/whole.h5", f->dir);
    snprintf(out, sizeof out, "%s/merged.h5", f->dir);
    snprintf(ext, sizeof ext, "%s/ext.h5", f->dir);
    write_file(f, s0, 0, 2, NULL, 1);
    write_file(f, s1, 1, 2, NULL, 0);
    write_file(f, whole, 0, 1, NULL, 1);
    uint64_t *tasks = NULL, n = 0;
    pdx_error err;
    pdx_error_clear(&err);
    check_ok(pdx_grid_shard_tasks(f->grid, 1, 2, &tasks, &n, &err), &err);
    uint64_t bad = tasks[0];
    free(tasks);
    flip(s1, "eg", 0, 1, 9);
    const char *inputs[3] = {s0, s1, whole};
    pdx_store_merge_report rep;
    assert_int_equal(pdx_store_merge(out, inputs, 2, f->grid, &f->layout,
                                     &provenance, 0, "end", &rep, &err),
                     PDX_ERR_MISMATCH);
    assert_non_null(strstr(err.message, "damaged"));
    assert_int_equal(access(out, F_OK), -1);
    assert_int_equal(rep.damaged, 1);
    assert_int_equal(rep.damaged_task[0], bad);
    assert_int_equal(rep.damaged_source[0], 1);
    assert_int_equal(rep.damaged_missing, 1);
    assert_int_equal(rep.missing, 1);
    check_ok(pdx_store_merge(out, inputs, 2, f->grid, &f->layout,
                             &provenance, 1, "end", &rep, &err),
             &err);
    pdx_store_verify_report v = verify(f, out);
    assert_int_equal(v.finished, 7);
    assert_int_equal(v.n_damaged, 0);
    pdx_store_verify_report_clear(&v);
    unlink(out);
    check_ok(pdx_store_merge(out, inputs, 3, f->grid, &f->layout,
                             &provenance, 0, "end", &rep, &err),
             &err);
    assert_int_equal(rep.damaged, 1);
    assert_int_equal(rep.damaged_missing, 0);
    assert_int_equal(rep.missing, 0);
    v = verify(f, out);
    assert_int_equal(v.checked, 8);
    assert_int_equal(v.n_damaged, 0);
    pdx_store_verify_report_clear(&v);

    /* extend (here: rebuild) a damaged finished file */
    flip(whole, "Q", 4, 0, 1);
    pdx_store *store = NULL;
    uint64_t carried = 0;
    check_ok(pdx_store_create_extended(&store, ext, whole, f->grid, f->grid,
                                       &f->layout, &provenance, NULL,
                                       &carried, &v, &err),
             &err);
    assert_int_equal(carried, 7);
    assert_int_equal(v.verified, 1);
    assert_int_equal(v.n_damaged, 1);
    assert_int_equal(v.damaged[0], 4);
    pdx_store_verify_report_clear(&v);
    check_ok(pdx_store_verify(store, &v, &err), &err);
    assert_int_equal(v.finished, 7);
    assert_int_equal(v.n_damaged, 0);
    pdx_store_verify_report_clear(&v);
    pdx_store_destroy(&store);
}

int main(void)
{
    pdx_store_init_library();
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_checksum_is_crc32_of_the_results),
        T(test_checksum_finds_flipped_bits),
        T(test_checksum_reset_and_rerun),
        T(test_checksum_older_files_and_shards),
        T(test_checksum_merge_and_extend),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
