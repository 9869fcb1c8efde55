/* finish.c — the finished file: its frame, and the compressed copy of the
 * working file's data (chunks packed by pack.c on the run's threads). */
#include "store_internal.h"

#include "pack.h"

#include <omp.h>

/* ------------------------------------------------------------------------ */
/* Finish: compressed copy                                                   */

typedef struct copy_attrs {
    hid_t dst;
    const char *end_time;
    const char *path;
    pdx_error *err;
    pdx_status status;
} copy_attrs;

static herr_t copy_root_attr(hid_t src, const char *name,
                             const H5A_info_t *info, void *data)
{
    (void)info;
    copy_attrs *c = data;
    if (strcmp(name, "end_time") == 0)
        return 0;
    if (strcmp(name, "pdx_complete") == 0) {
        c->status = pdx__put_uint8(c->dst, "/", name, 1, c->path, c->err);
        return c->status == PDX_OK ? 0 : -1;
    }
    hid_t attr = H5Aopen(src, name, H5P_DEFAULT);
    hid_t type = attr < 0 ? H5I_INVALID_HID : H5Aget_type(attr);
    hid_t space = type < 0 ? H5I_INVALID_HID : H5Aget_space(attr);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    size_t size = type < 0 ? 0 : H5Tget_size(type);
    void *buf = NULL;
    if (n < 0 || size == 0) {
        c->status = pdx__h5_error(c->err, c->path, name,
                                  "cannot read attribute of the working file");
    } else if (H5Tdetect_class(type, H5T_VLEN) > 0 ||
               H5Tis_variable_str(type) > 0) {
        c->status = pdx_error_set(c->err, PDX_ERR_MISMATCH, c->path, 0, 0,
                                  name,
                                  "variable-length attribute in a pdx file");
    } else if ((buf = malloc((size_t)(n > 0 ? n : 1) * size)) == NULL) {
        c->status = pdx_error_set(c->err, PDX_ERR_NOMEM, c->path, 0, 0, name,
                                  "out of memory");
    } else if (H5Aread(attr, type, buf) < 0) {
        c->status = pdx__h5_error(c->err, c->path, name,
                                  "cannot read attribute of the working file");
    } else {
        hid_t copy = H5Acreate2(c->dst, name, type, space, H5P_DEFAULT,
                                H5P_DEFAULT);
        if (copy < 0 || H5Awrite(copy, type, buf) < 0)
            c->status = pdx__h5_error(c->err, c->path, name,
                                      "cannot write attribute");
        pdx__close_id(&copy);
    }
    free(buf);
    pdx__close_id(&space);
    pdx__close_id(&type);
    pdx__close_id(&attr);
    if (c->status == PDX_OK && strcmp(name, "start_time") == 0)
        c->status = pdx__put_string(c->dst, "/", "end_time",
                                    c->end_time != NULL ? c->end_time : "",
                                    c->path, c->err);
    return c->status == PDX_OK ? 0 : -1;
}


/* Whether dataset creation properties hold exactly shuffle then deflate
 * at DEFLATE_LEVEL (what pdx__create_dataset gives a final variable). */
static int shuffle_deflate(hid_t dcpl)
{
    if (H5Pget_nfilters(dcpl) != 2)
        return 0;
    unsigned flags, values[4];
    size_t n = 4;
    if (H5Pget_filter2(dcpl, 0, &flags, &n, values, 0, NULL, NULL) !=
        H5Z_FILTER_SHUFFLE)
        return 0;
    n = 4;
    return H5Pget_filter2(dcpl, 1, &flags, &n, values, 0, NULL, NULL) ==
               H5Z_FILTER_DEFLATE &&
           n >= 1 && values[0] == DEFLATE_LEVEL;
}

/* Next chunk start in row-major order; 0 after the last. */
static int next_chunk(int rank, const hsize_t *dims, const hsize_t *chunk,
                      hsize_t *start)
{
    for (int i = rank; i-- > 0;) {
        start[i] += chunk[i];
        if (start[i] < dims[i])
            return 1;
        start[i] = 0;
    }
    return 0;
}

/* A variable being copied into the finished file. */
typedef struct copy_var {
    hid_t src, dst, src_space, dst_space, mem; /* mem: one whole chunk */
    int rank;
    hsize_t dims[MAX_RANK], chunk[MAX_RANK], start[MAX_RANK];
    size_t elem, chunk_length, chunk_bytes;
    hid_t mem_type;
    unsigned char fill[8];
    int packed; /* shuffle + deflate done here, else HDF5 writes it */
    int more;   /* chunks left */
} copy_var;

static pdx_status copy_var_open(const pdx_store *s, size_t k, hid_t dst,
                                copy_var *v, const char *tmp, pdx_error *err)
{
    const dvar *d = &s->dvars[k];
    memset(v, 0, sizeof *v);
    v->src = s->datasets[k];
    v->dst = dst;
    v->src_space = v->dst_space = v->mem = H5I_INVALID_HID;
    v->rank = pdx__dvar_dims(s, k, v->dims);
    v->elem = pdx__dvar_elem_size(d->kind);
    v->mem_type = pdx__dvar_mem_type(d->kind);
    hsize_t total = 1;
    for (int i = 0; i < v->rank; i++)
        total *= v->dims[i];
    if (total == 0)
        return PDX_OK; /* nothing to copy: v->more stays 0 */
    hid_t dcpl = H5Dget_create_plist(dst);
    if (dcpl < 0)
        return pdx__h5_error(err, tmp, d->name,
                             "cannot read creation properties");
    int chunked = H5Pget_layout(dcpl) == H5D_CHUNKED &&
                  H5Pget_chunk(dcpl, v->rank, v->chunk) == v->rank;
    v->packed = chunked && shuffle_deflate(dcpl) &&
                H5Pget_fill_value(dcpl, v->mem_type, v->fill) >= 0;
    H5Pclose(dcpl);
    v->chunk_length = 1;
    for (int i = 0; i < v->rank; i++) {
        if (!chunked)
            v->chunk[i] = v->dims[i];
        v->chunk_length *= v->chunk[i];
    }
    v->chunk_bytes = v->chunk_length * v->elem;
    v->src_space = H5Dget_space(v->src);
    v->dst_space = H5Dget_space(v->dst);
    v->mem = H5Screate_simple(v->rank, v->chunk, NULL);
    if (v->src_space < 0 || v->dst_space < 0 || v->mem < 0)
        return pdx__h5_error(err, tmp, d->name, "cannot get dataspace");
    v->more = 1;
    return PDX_OK;
}

static void copy_var_close(copy_var *v)
{
    pdx__close_id(&v->src_space);
    pdx__close_id(&v->dst_space);
    pdx__close_id(&v->mem);
}

/* Read the next chunk of v into `raw` (chunk_bytes; a packed variable's
 * edges padded with its fill value); an unpacked one is also written. */
static pdx_status copy_var_read(copy_var *v, unsigned char *raw,
                                hsize_t *start, const char *name,
                                const char *tmp, pdx_error *err)
{
    hsize_t count[MAX_RANK], zero[MAX_RANK] = {0};
    memcpy(start, v->start, sizeof v->start);
    for (int i = 0; i < v->rank; i++)
        count[i] = v->dims[i] - v->start[i] < v->chunk[i]
                       ? v->dims[i] - v->start[i]
                       : v->chunk[i];
    if (v->packed)
        for (size_t e = 0; e < v->chunk_length; e++)
            memcpy(raw + e * v->elem, v->fill, v->elem);
    pdx_status status = PDX_OK;
    if (H5Sselect_hyperslab(v->src_space, H5S_SELECT_SET, v->start, NULL,
                            count, NULL) < 0 ||
        H5Sselect_hyperslab(v->mem, H5S_SELECT_SET, zero, NULL, count,
                            NULL) < 0 ||
        H5Dread(v->src, v->mem_type, v->mem, v->src_space, H5P_DEFAULT,
                raw) < 0)
        status = pdx__h5_error(err, tmp, name, "cannot read the working file");
    else if (!v->packed &&
             (H5Sselect_hyperslab(v->dst_space, H5S_SELECT_SET, v->start,
                                  NULL, count, NULL) < 0 ||
              H5Dwrite(v->dst, v->mem_type, v->mem, v->dst_space,
                       H5P_DEFAULT, raw) < 0))
        status = pdx__h5_error(err, tmp, name,
                               "cannot copy to the compressed file");
    v->more = next_chunk(v->rank, v->dims, v->chunk, v->start);
    return status;
}

/* One chunk of a finished variable on its way from the working file: the
 * whole chunk (edges padded with the fill value), then its packed bytes.
 * The filters (shuffle, deflate) run in pack.c, off HDF5 and in parallel,
 * and the bytes go in with H5Dwrite_chunk: what HDF5's own pipeline would
 * do, on every thread of the run. */
typedef struct packed_chunk {
    hsize_t start[MAX_RANK];
    size_t var;            /* the variable it belongs to */
    unsigned char *raw;    /* the chunk's data (chunk_bytes), then room for
                            * its shuffled bytes, then its packed bytes */
    unsigned char *packed; /* pdx_pack_bound(chunk_bytes) */
    pdx_pack_result result;
} packed_chunk;

/* The state of copy_variables: the variables, a batch of chunks, one
 * deflate stream per thread. */
typedef struct copy_job {
    const pdx_store *s;
    const char *tmp;
    pdx_error *err;
    copy_var *v;
    packed_chunk *c;
    size_t max_batch;
    pdx_pack_stream *streams; /* one per thread */
    int threads;
    int parallel;
    unsigned char *scratch; /* an unpacked chunk */
    size_t scratch_bytes;
    size_t next_var; /* the variable whose chunks are read next */
} copy_job;

/* Threads only for at least 4 MiB of chunks (by default): below that,
 * starting them costs more than they save (waking a sleeping thread took
 * up to 8 ms on this project's VM; zlib does ~80 MB/s a core). */
static int copy_in_parallel(const copy_job *job)
{
    const pdx_store *s = job->s;
    double packed_bytes = 0;
    for (size_t k = 0; k < s->n_dvars; k++)
        if (job->v[k].more && job->v[k].packed) {
            double n_chunks = 1;
            for (int i = 0; i < job->v[k].rank; i++)
                n_chunks *= ceil((double)job->v[k].dims[i] /
                                 (double)job->v[k].chunk[i]);
            packed_bytes += n_chunks * (double)job->v[k].chunk_bytes;
        }
    double min_bytes = s->options.parallel_min_bytes > 0
                           ? s->options.parallel_min_bytes
                           : (double)(4 << 20);
    return job->threads > 1 && packed_bytes >= min_bytes;
}

/* Read the next batch of packed chunks into job->c (at most max_batch
 * and 64 MiB of buffers; unpacked variables are copied on the way).
 * *n receives the batch's size (0: nothing left). */
static pdx_status read_batch(copy_job *job, size_t *n)
{
    const size_t budget = (size_t)64 << 20;
    const pdx_store *s = job->s;
    pdx_status status = PDX_OK;
    size_t used = 0;
    *n = 0;
    while (status == PDX_OK && *n < job->max_batch &&
           job->next_var < s->n_dvars) {
        size_t k = job->next_var;
        copy_var *x = &job->v[k];
        if (!x->more) {
            job->next_var++;
            continue;
        }
        if (!x->packed) {
            if (x->chunk_bytes > job->scratch_bytes) {
                free(job->scratch);
                job->scratch = malloc(x->chunk_bytes);
                job->scratch_bytes =
                    job->scratch != NULL ? x->chunk_bytes : 0;
            }
            status = job->scratch == NULL
                         ? pdx_error_set(job->err, PDX_ERR_NOMEM, job->tmp,
                                         0, 0, s->dvars[k].name,
                                         "out of memory")
                         : copy_var_read(x, job->scratch, job->c[0].start,
                                         s->dvars[k].name, job->tmp,
                                         job->err);
            continue;
        }
        packed_chunk *c = &job->c[*n];
        size_t need = 2 * x->chunk_bytes + pdx_pack_bound(x->chunk_bytes);
        if (*n > 0 && used + need > budget)
            break;
        c->raw = malloc(need);
        if (c->raw == NULL)
            return pdx_error_set(job->err, PDX_ERR_NOMEM, job->tmp, 0, 0,
                                 s->dvars[k].name, "out of memory");
        c->packed = c->raw + 2 * x->chunk_bytes;
        c->var = k;
        used += need;
        status = copy_var_read(x, c->raw, c->start, s->dvars[k].name,
                               job->tmp, job->err);
        (*n)++;
    }
    return status;
}

/* Pack the n chunks of the batch, on the job's threads. */
static void pack_batch(copy_job *job, size_t n)
{
#pragma omp parallel for schedule(dynamic, 1) num_threads(job->threads) \
    if (job->parallel && n > 1)
    for (size_t j = 0; j < n; j++) {
        packed_chunk *c = &job->c[j];
        const copy_var *x = &job->v[c->var];
        c->result = pdx_pack_chunk(&job->streams[omp_get_thread_num()],
                                   DEFLATE_LEVEL, c->raw, x->chunk_bytes,
                                   x->elem, c->raw + x->chunk_bytes,
                                   c->packed);
    }
}

/* Write the n packed chunks of the batch, in order, and free them. */
static pdx_status write_batch(copy_job *job, size_t n)
{
    pdx_status status = PDX_OK;
    for (size_t j = 0; j < n && status == PDX_OK; j++) {
        const packed_chunk *c = &job->c[j];
        const char *name = job->s->dvars[c->var].name;
        if (c->result.z_status != Z_OK)
            status = pdx_error_set(job->err,
                                   c->result.z_status == Z_MEM_ERROR
                                       ? PDX_ERR_NOMEM
                                       : PDX_ERR_IO,
                                   job->tmp, 0, 0, name,
                                   "cannot compress a chunk (zlib %d)",
                                   c->result.z_status);
        else if (H5Dwrite_chunk(job->v[c->var].dst, H5P_DEFAULT,
                                c->result.filter_mask, c->start,
                                c->result.packed_size, c->packed) < 0)
            status = pdx__h5_error(job->err, job->tmp, name,
                                   "cannot copy to the compressed file");
    }
    for (size_t j = 0; j < n; j++) {
        free(job->c[j].raw);
        job->c[j].raw = NULL;
    }
    return status;
}

/* Copy every variable into the finished file (out[k] for variable k),
 * whole chunks of the destination at a time. Chunks of all variables are
 * read in batches (4 per thread, at most 64 MiB of buffers), compressed by
 * `threads` threads and written in order: the same file for any thread
 * count. */
static pdx_status copy_variables(const pdx_store *s, const hid_t *out,
                                 const char *tmp, pdx_error *err)
{
    copy_job job = {.s = s, .tmp = tmp, .err = err};
    job.threads = s->options.threads > 0 ? s->options.threads
                                         : omp_get_max_threads();
    job.max_batch = (size_t)job.threads * 4;
    job.v = calloc(s->n_dvars > 0 ? s->n_dvars : 1, sizeof *job.v);
    job.c = calloc(job.max_batch, sizeof *job.c);
    job.streams = calloc((size_t)job.threads, sizeof *job.streams);
    pdx_status status = PDX_OK;
    if (job.v == NULL || job.c == NULL || job.streams == NULL)
        status = pdx_error_set(err, PDX_ERR_NOMEM, tmp, 0, 0, NULL,
                               "out of memory");
    for (size_t k = 0; job.v != NULL && k < s->n_dvars; k++)
        job.v[k].src_space = job.v[k].dst_space = job.v[k].mem =
            H5I_INVALID_HID;
    for (size_t k = 0; k < s->n_dvars && status == PDX_OK; k++)
        status = copy_var_open(s, k, out[k], &job.v[k], tmp, err);
    if (status == PDX_OK)
        job.parallel = copy_in_parallel(&job);
    while (status == PDX_OK) {
        size_t n = 0;
        status = read_batch(&job, &n);
        if (n == 0)
            break;
        if (status == PDX_OK) {
            pack_batch(&job, n);
            status = write_batch(&job, n);
        } else {
            for (size_t j = 0; j < n; j++) {
                free(job.c[j].raw);
                job.c[j].raw = NULL;
            }
        }
    }
    for (size_t j = 0; job.v != NULL && j < s->n_dvars; j++)
        copy_var_close(&job.v[j]);
    for (int t = 0; job.streams != NULL && t < job.threads; t++)
        pdx_pack_stream_end(&job.streams[t]);
    free(job.streams);
    free(job.scratch);
    free(job.c);
    free(job.v);
    return status;
}

/* end_time of a frame built before the run's end: as long as the ISO 8601
 * times pdx writes, overwritten in place by set_end_time */
#define END_TIME_PLACEHOLDER "                    "

/* The finished file's frame at `tmp`: the root attributes of the working
 * file (end_time: `end_time`), every variable created, no data. On
 * failure nothing is left open (`tmp` may remain: the caller removes it). */
static pdx_status build_frame(pdx_store *s, const char *tmp,
                              const char *end_time, hid_t *file, hid_t *out,
                              pdx_error *err)
{
    for (size_t k = 0; k < s->n_dvars; k++)
        out[k] = H5I_INVALID_HID;
    pdx_status status = PDX_OK;
    /* The compressed file is at most the working file's size plus a
     * margin (pdx_pack_repack_space, the documented rule); the working
     * file stays intact if it does not fit. */
    hsize_t working = 0;
    if (H5Fget_filesize(s->file, &working) >= 0)
        status = pdx__check_free_space(s->path,
                                       pdx_pack_repack_space((double)working),
                                       "to repack the result file (the working "
                                       "file is intact)",
                                       err);
    H5Eclear2(H5E_DEFAULT);
    *file = status == PDX_OK ? pdx__create_file(tmp, 1) : H5I_INVALID_HID;
    if (status == PDX_OK && *file < 0)
        status = pdx__h5_error(err, s->path, NULL, "cannot create %s", tmp);
    if (status == PDX_OK) {
        copy_attrs c = {*file, end_time, tmp, err, PDX_OK};
        hsize_t idx = 0;
        herr_t rc = H5Aiterate2(s->file, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx,
                                copy_root_attr, &c);
        if (c.status != PDX_OK)
            status = c.status;
        else if (rc < 0)
            status = pdx__h5_error(err, s->path, "/",
                                   "cannot list the root attributes");
    }
    if (status == PDX_OK)
        status = pdx__build_structure(s, *file, DS_FINAL, tmp, out, err);
    if (status != PDX_OK) {
        for (size_t k = 0; k < s->n_dvars; k++)
            pdx__close_id(&out[k]);
        pdx__discard_file(file);
    }
    return status;
}

/* Give a frame its end_time: in place when it has the placeholder's
 * length (the times pdx writes), else rewritten (then listed last). */
static pdx_status set_end_time(hid_t file, const char *end_time,
                               const char *path, pdx_error *err)
{
    if (end_time == NULL)
        end_time = "";
    size_t n = strlen(end_time);
    hid_t attr = H5Aopen(file, "end_time", H5P_DEFAULT);
    hid_t type = attr < 0 ? H5I_INVALID_HID : H5Aget_type(attr);
    pdx_status status = PDX_OK;
    if (type < 0)
        status = pdx__h5_error(err, path, "/end_time", "cannot open attribute");
    else if (n > 0 && H5Tget_size(type) == n) {
        if (H5Awrite(attr, type, end_time) < 0)
            status =
                pdx__h5_error(err, path, "/end_time", "cannot write attribute");
    } else {
        pdx__close_id(&attr);
        if (H5Adelete(file, "end_time") < 0)
            status = pdx__h5_error(err, path, "/end_time",
                                   "cannot rewrite attribute");
        else
            status =
                pdx__put_string(file, "/", "end_time", end_time, path, err);
    }
    pdx__close_id(&type);
    pdx__close_id(&attr);
    return status;
}

/* Build the finished file's frame into s->final_* (end_time: the value,
 * or END_TIME_PLACEHOLDER for set_end_time to fill). */
static pdx_status make_frame(pdx_store *s, const char *end_time,
                             pdx_error *err)
{
    char *tmp = pdx_file_tmp_path(s->path);
    hid_t *out = calloc(s->n_dvars > 0 ? s->n_dvars : 1, sizeof *out);
    if (tmp == NULL || out == NULL) {
        free(tmp);
        free(out);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory");
    }
    hid_t file = H5I_INVALID_HID;
    pdx_status status = build_frame(s, tmp, end_time, &file, out, err);
    if (status != PDX_OK) {
        unlink(tmp);
        free(tmp);
        free(out);
        return status;
    }
    s->final_tmp = tmp;
    s->final_file = file;
    s->final_out = out;
    return PDX_OK;
}

pdx_status pdx_store_prepare_finish(pdx_store *s, pdx_error *err)
{
    pdx__silence_hdf5();
    if (s == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: no store to prepare");
    if (s->final_tmp != NULL)
        return PDX_OK;
    return make_frame(s, END_TIME_PLACEHOLDER, err);
}

/* pdx_store_finish, writing the finished file to `dest` (NULL: over the
 * working file, from the frame pdx_store_prepare_finish built if any).
 * The working file is left as it is when dest is given. */
pdx_status pdx__finish_into(pdx_store **store, const char *dest,
                            const char *end_time, pdx_error *err)
{
    pdx__silence_hdf5();
    if (store == NULL || *store == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "store: no store to finish");
    pdx_store *s = *store;
    *store = NULL;
    if (dest != NULL) {
        pdx__discard_frame(s); /* built for the working file's name */
        char *copy = strdup(dest);
        if (copy == NULL) {
            pdx__store_free(s);
            return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                                 "out of memory");
        }
        /* s->path names the destination in messages from here on; the
         * working file stays open by its id. */
        free(s->path);
        s->path = copy;
    }
    pdx_status status =
        s->final_tmp != NULL
            ? set_end_time(s->final_file, end_time, s->final_tmp, err)
            : make_frame(s, end_time, err);
    if (status != PDX_OK) {
        pdx__store_free(s); /* and the frame */
        return status;
    }
    char *tmp = s->final_tmp;
    hid_t *out = s->final_out;
    hid_t file = s->final_file;
    s->final_tmp = NULL;
    s->final_out = NULL;
    s->final_file = H5I_INVALID_HID;
    /* The working file is complete on disk before it is copied. */
    if (status == PDX_OK && H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0)
        status = pdx__h5_error(err, s->path, NULL, "cannot flush");
    if (status == PDX_OK)
        status = copy_variables(s, out, tmp, err);
    /* On failure the file is emptied before anything is closed: closing a
     * dataset flushes its chunks, which needs space. */
    if (status != PDX_OK)
        pdx__discard_file(&file);
    for (size_t k = 0; k < s->n_dvars; k++)
        pdx__close_id(&out[k]);
    free(out);
    if (status == PDX_OK)
        status = pdx__seal_file(&file, tmp, s->path, err);
    pdx__discard_file(&file);
    char *path = s->path;
    s->path = NULL;
    pdx__store_free(s); /* closes the working file */
    status = pdx_file_install(tmp, path, status, err);
    free(tmp);
    free(path);
    return status;
}

pdx_status pdx_store_finish(pdx_store **store, const char *end_time,
                            pdx_error *err)
{
    return pdx__finish_into(store, NULL, end_time, err);
}
