/* checksum.c — the per-task checksum of result files: computed at commit,
 * verified on resume, merge, extend and `pdx info`, recomputed for files
 * built from copies (docs/FORMAT.md, "Checksums").
 *
 * A task's checksum is the CRC-32 (zlib's crc32, the ISO-HDLC polynomial
 * Python's zlib.crc32 computes) of the little-endian bytes of its status,
 * its steps and its block of every layout variable in file order: every
 * data variable but wall_seconds (wall-clock time, different in every run)
 * and the checksum itself. It sits in the `checksum` variable next to
 * `status`, one uint32 per task, 0 while pending. CRC-32 finds every
 * error of up to 32 consecutive bits, so every single flipped bit; one
 * number per task names the damaged cell, which a per-chunk filter
 * (Fletcher-32) cannot, and it works on the working file's contiguous,
 * unfiltered datasets that crash safety needs. */
#include "store_internal.h"

#include <zlib.h>

/* Slabs of at most this many bytes are read at once while verifying. */
#define SCAN_BYTES ((size_t)4 << 20)

int pdx__has_checksum(const pdx_store *s)
{
    return s->n_dvars > s->checksum_k;
}

/* CRC-32 of n elements of elem bytes each, in little-endian byte order
 * whatever the host's. */
static uint32_t crc_le(uint32_t crc, const void *data, size_t n, size_t elem)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const unsigned char *p = data;
    unsigned char swapped[512];
    size_t per = sizeof swapped / elem;
    for (size_t i = 0; i < n; i += per) {
        size_t m = n - i < per ? n - i : per;
        for (size_t e = 0; e < m; e++)
            for (size_t b = 0; b < elem; b++)
                swapped[e * elem + b] = p[(i + e) * elem + elem - 1 - b];
        crc = (uint32_t)crc32_z(crc, swapped, m * elem);
    }
    return crc;
#else
    return (uint32_t)crc32_z(crc, data, n * elem);
#endif
}

static uint32_t crc_of_status(int8_t status)
{
    return crc_le((uint32_t)crc32_z(0, Z_NULL, 0), &status, 1, 1);
}

uint32_t pdx__record_checksum(const pdx_store *s, int8_t status,
                              int64_t steps, const double *const *values)
{
    uint32_t crc = crc_of_status(status);
    crc = crc_le(crc, &steps, 1, sizeof steps);
    for (size_t k = DVAR_FIXED; k < s->checksum_k; k++) {
        size_t v = s->dvars[k].source;
        const double *data = values != NULL && values[v] != NULL
                                 ? values[v]
                                 : s->nan_block;
        crc = crc_le(crc, data, pdx__dvar_block_length(s, k), sizeof *data);
    }
    return crc;
}

/* ------------------------------------------------------------------------ */
/* Reading every finished task's data, a slab of tasks at a time            */

typedef struct scan {
    pdx_store *s;
    const int8_t *status; /* per slot of the file */
    uint32_t *crc;        /* computed, per slot */
    uint32_t *stored;     /* the checksum variable, per slot (NULL: not read) */
    uint8_t *bad;         /* unreadable, per slot */
    unsigned char *buf;
    size_t buf_bytes;
} scan;

static int wanted(const scan *c, uint64_t slot)
{
    return c->status[slot] != PDX_TASK_PENDING && !c->bad[slot];
}

/* Add the blocks of slots [first, first + n) of variable k, held in
 * c->buf, to the sums (or, for the checksum variable, keep them). */
static void fold(scan *c, size_t k, uint64_t first, uint64_t n, size_t block,
                 size_t elem)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t slot = first + i;
        if (!wanted(c, slot))
            continue;
        const unsigned char *p = c->buf + i * block * elem;
        if (k == c->s->checksum_k)
            memcpy(&c->stored[slot], p, sizeof(uint32_t));
        else
            c->crc[slot] = crc_le(c->crc[slot], p, block, elem);
    }
}

/* A slab that could not be read (a damaged compressed chunk): each
 * finished slot on its own; those that cannot be read are bad. */
static void read_slots_alone(scan *c, size_t k, uint64_t first, uint64_t n,
                             size_t block_bytes)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t slot = first + i;
        if (!wanted(c, slot))
            continue;
        if (pdx__task_block_io(c->s, k, pdx__file_task(c->s, slot), NULL,
                               c->buf + i * block_bytes, NULL) != PDX_OK) {
            c->bad[slot] = 1;
            H5Eclear2(H5E_DEFAULT);
        }
    }
}

static int read_slab(const scan *c, size_t k, const hsize_t *start,
                     const hsize_t *count, hsize_t length)
{
    hid_t ds = c->s->datasets[k];
    hid_t file_space = H5Dget_space(ds);
    hid_t mem = H5Screate_simple(1, &length, NULL);
    int ok = file_space >= 0 && mem >= 0 &&
             H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL,
                                 count, NULL) >= 0 &&
             H5Dread(ds, pdx__dvar_mem_type(c->s->dvars[k].kind), mem,
                     file_space, H5P_DEFAULT, c->buf) >= 0;
    pdx__close_id(&mem);
    pdx__close_id(&file_space);
    return ok ? 0 : -1;
}

/* Variable k of every wanted slot into the scan. Slabs hold whole rows of
 * the trailing task dimensions: the smallest leading index j whose rows
 * fit in SCAN_BYTES, and up to SCAN_BYTES of them. */
static pdx_status scan_variable(scan *c, size_t k, pdx_error *err)
{
    pdx_store *s = c->s;
    hsize_t dims[MAX_RANK];
    int rank = pdx__dvar_dims(s, k, dims);
    size_t lead = s->shard_count > 1 ? 1 : s->grid->n_axes + 1;
    size_t block = pdx__dvar_block_length(s, k);
    size_t elem = pdx__dvar_elem_size(s->dvars[k].kind);
    double block_bytes = (double)block * (double)elem;
    if (block == 0 || s->n_file_tasks == 0)
        return PDX_OK;
    size_t j = lead - 1;
    uint64_t inner = 1;
    while (j > 0 && (double)inner * (double)dims[j] * block_bytes <=
                        (double)SCAN_BYTES) {
        inner *= dims[j];
        j--;
    }
    double row_bytes = (double)inner * block_bytes;
    uint64_t rows = row_bytes < (double)SCAN_BYTES
                        ? (uint64_t)((double)SCAN_BYTES / row_bytes)
                        : 1;
    size_t need = (size_t)((double)rows * row_bytes);
    if (need > c->buf_bytes) {
        free(c->buf);
        c->buf = malloc(need);
        c->buf_bytes = c->buf != NULL ? need : 0;
        if (c->buf == NULL)
            return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0,
                                 s->dvars[k].name, "out of memory");
    }
    for (uint64_t first = 0; first < s->n_file_tasks;) {
        hsize_t start[MAX_RANK], count[MAX_RANK];
        uint64_t rest = first / inner;
        for (size_t i = j + 1; i-- > 0;) {
            start[i] = rest % dims[i];
            rest /= dims[i];
            count[i] = 1;
        }
        count[j] = dims[j] - start[j] < rows ? dims[j] - start[j] : rows;
        for (int i = (int)j + 1; i < rank; i++) {
            start[i] = 0;
            count[i] = dims[i];
        }
        uint64_t n = count[j] * inner;
        int any = 0;
        for (uint64_t i = 0; i < n && !any; i++)
            any = wanted(c, first + i);
        if (any) {
            if (read_slab(c, k, start, count, (hsize_t)(n * block)) < 0) {
                H5Eclear2(H5E_DEFAULT);
                read_slots_alone(c, k, first, n, block * elem);
            }
            fold(c, k, first, n, block, elem);
        }
        first += n;
    }
    return PDX_OK;
}

/* The computed sums (and, `stored` given, the stored ones) of every
 * finished slot; unreadable slots marked in bad. */
static pdx_status scan_file(pdx_store *s, const int8_t *status, uint32_t *crc,
                            uint32_t *stored, uint8_t *bad, pdx_error *err)
{
    scan c = {s, status, crc, stored, bad, NULL, 0};
    for (uint64_t slot = 0; slot < s->n_file_tasks; slot++)
        crc[slot] = status[slot] != PDX_TASK_PENDING
                        ? crc_of_status(status[slot])
                        : 0;
    pdx_status st = PDX_OK;
    for (size_t k = 0; k < s->n_dvars && st == PDX_OK; k++) {
        if (k == DVAR_STATUS_INDEX || k == DVAR_WALL_INDEX ||
            (k == s->checksum_k && stored == NULL))
            continue;
        st = scan_variable(&c, k, err);
    }
    free(c.buf);
    return st;
}

pdx_status pdx__verify_slots(pdx_store *s, const int8_t *status,
                             uint8_t *bad, uint64_t *checked,
                             pdx_error *err)
{
    size_t n = (size_t)(s->n_file_tasks > 0 ? s->n_file_tasks : 1);
    uint32_t *crc = malloc(n * sizeof *crc);
    uint32_t *stored = malloc(n * sizeof *stored);
    *checked = 0;
    pdx_status st = PDX_OK;
    if (crc == NULL || stored == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, "checksum",
                           "out of memory");
    if (st == PDX_OK)
        st = scan_file(s, status, crc, stored, bad, err);
    for (uint64_t slot = 0; st == PDX_OK && slot < s->n_file_tasks; slot++)
        if (status[slot] != PDX_TASK_PENDING) {
            (*checked)++;
            bad[slot] |= crc[slot] != stored[slot];
        }
    free(crc);
    free(stored);
    return st;
}

pdx_status pdx__write_checksums(pdx_store *s, pdx_error *err)
{
    if (!pdx__has_checksum(s) || s->n_file_tasks == 0)
        return PDX_OK;
    int8_t *status = NULL;
    size_t n = (size_t)s->n_file_tasks;
    uint32_t *crc = malloc(n * sizeof *crc);
    uint8_t *bad = calloc(n, 1);
    pdx_status st = crc == NULL || bad == NULL
                        ? pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0,
                                        "checksum", "out of memory")
                        : pdx__read_file_status(s, &status, err);
    if (st == PDX_OK)
        st = scan_file(s, status, crc, NULL, bad, err);
    for (uint64_t slot = 0; st == PDX_OK && slot < s->n_file_tasks; slot++)
        if (bad[slot]) /* the file was just written: it reads back */
            st = pdx_error_set(err, PDX_ERR_HDF5, s->path, 0, 0, "checksum",
                               "cannot read back task %" PRIu64,
                               pdx__file_task(s, slot));
    if (st == PDX_OK &&
        H5Dwrite(s->datasets[s->checksum_k], H5T_NATIVE_UINT32, H5S_ALL,
                 H5S_ALL, H5P_DEFAULT, crc) < 0)
        st = pdx__h5_error(err, s->path, "checksum", "cannot write");
    free(status);
    free(crc);
    free(bad);
    return st;
}

pdx_status pdx__status_and_damage(pdx_store *s, int8_t **status,
                                  uint8_t **bad, uint64_t *checked,
                                  pdx_error *err)
{
    *bad = NULL;
    *checked = 0;
    pdx_status st = pdx__read_file_status(s, status, err);
    if (st != PDX_OK || !pdx__has_checksum(s))
        return st;
    *bad = calloc((size_t)(s->n_file_tasks > 0 ? s->n_file_tasks : 1), 1);
    if (*bad == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, "checksum",
                           "out of memory");
    if (st == PDX_OK)
        st = pdx__verify_slots(s, *status, *bad, checked, err);
    if (st != PDX_OK) {
        free(*status);
        free(*bad);
        *status = NULL;
        *bad = NULL;
    }
    return st;
}

/* ------------------------------------------------------------------------ */
/* Public: verify, reset                                                     */

void pdx_store_verify_report_clear(pdx_store_verify_report *report)
{
    if (report == NULL)
        return;
    free(report->damaged);
    memset(report, 0, sizeof *report);
}

static pdx_status verify_into(pdx_store *s, pdx_store_verify_report *report,
                              pdx_error *err)
{
    int8_t *status = NULL;
    uint8_t *bad = NULL;
    pdx_status st =
        pdx__status_and_damage(s, &status, &bad, &report->checked, err);
    report->verified = st == PDX_OK && bad != NULL;
    uint64_t n_bad = 0;
    for (uint64_t slot = 0; st == PDX_OK && slot < s->n_file_tasks; slot++) {
        report->finished += status[slot] != PDX_TASK_PENDING;
        n_bad += bad != NULL && bad[slot];
    }
    if (st == PDX_OK && n_bad > 0) {
        report->damaged = malloc((size_t)n_bad * sizeof *report->damaged);
        if (report->damaged == NULL)
            st = pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0,
                               "checksum", "out of memory");
    }
    for (uint64_t slot = 0; st == PDX_OK && n_bad > 0 &&
                            slot < s->n_file_tasks;
         slot++)
        if (bad[slot])
            report->damaged[report->n_damaged++] = pdx__file_task(s, slot);
    free(status);
    free(bad);
    if (st != PDX_OK)
        pdx_store_verify_report_clear(report);
    return st;
}

pdx_status pdx_store_verify(pdx_store *store,
                            pdx_store_verify_report *report, pdx_error *err)
{
    pdx__silence_hdf5();
    if (report != NULL)
        memset(report, 0, sizeof *report);
    if (store == NULL || report == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: store and report are required");
    return verify_into(store, report, err);
}

pdx_status pdx_store_verify_file(const char *path, const pdx_grid *grid,
                                 const pdx_layout *layout,
                                 pdx_store_verify_report *report,
                                 pdx_error *err)
{
    pdx__silence_hdf5();
    if (report != NULL)
        memset(report, 0, sizeof *report);
    if (path == NULL || grid == NULL || layout == NULL || report == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: path, grid, layout and report are "
                             "required");
    pdx_store *s = NULL;
    pdx_status st = pdx__open_for_reading(&s, path, grid, layout, 1, err);
    if (st == PDX_OK)
        st = verify_into(s, report, err);
    pdx__store_free(s);
    return st;
}

pdx_status pdx_store_reset_tasks(pdx_store *store, const uint64_t *tasks,
                                 size_t n, pdx_error *err)
{
    pdx__silence_hdf5();
    if (store == NULL || (n > 0 && tasks == NULL))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: store and tasks are required");
    pdx_store *s = store;
    for (size_t i = 0; i < n; i++)
        if (tasks[i] >= s->grid->n_tasks ||
            (s->shard_count > 1 &&
             pdx__file_slot(s, tasks[i]) == s->n_file_tasks))
            return pdx_error_set(err, PDX_ERR_USAGE, s->path, 0, 0, NULL,
                                 "store: task %" PRIu64 " is not in the file",
                                 tasks[i]);
    const double nan_value = NAN;
    /* first no longer finished (made durable), then back to the values of
     * a pending task: NaN, steps -1, checksum 0 */
    pdx_status st = PDX_OK;
    for (size_t i = 0; i < n && st == PDX_OK; i++)
        st = pdx__write_task_block(s, DVAR_STATUS_INDEX, tasks[i],
                                   pdx__dvar_fill(DVAR_STATUS, &nan_value),
                                   err);
    if (st == PDX_OK && n > 0)
        st = pdx_store_sync(s, err);
    for (size_t i = 0; i < n && st == PDX_OK; i++)
        for (size_t k = 1; k < s->n_dvars && st == PDX_OK; k++) {
            dvar_kind kind = s->dvars[k].kind;
            st = pdx__write_task_block(s, k, tasks[i],
                                       kind == DVAR_F64
                                           ? (const void *)s->nan_block
                                           : pdx__dvar_fill(kind, &nan_value),
                                       err);
        }
    if (st == PDX_OK && n > 0)
        st = pdx_store_sync(s, err);
    return st;
}
