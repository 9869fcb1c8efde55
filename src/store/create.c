/* create.c — creating the working file: property lists, free-space check,
 * build under a temporary name, install by rename. */
#include "store_internal.h"

#include <sys/statvfs.h>

/* A new file with the property lists every pdx file uses. A final file's
 * chunk B-trees have nodes of 16 entries instead of 64: measured, this
 * halves the repacked size of small sweeps (40 KB instead of 70 KB for 18
 * tasks) and changes large files by less than 1%. */
hid_t pdx__create_file(const char *name, int final)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = pdx__make_fapl(0);
    hid_t file = H5I_INVALID_HID;
    unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    if (fcpl >= 0 && fapl >= 0 &&
        H5Pset_link_creation_order(fcpl, order) >= 0 &&
        H5Pset_attr_creation_order(fcpl, order) >= 0 &&
        H5Pset_obj_track_times(fcpl, 0) >= 0 &&
        (!final || H5Pset_istore_k(fcpl, 8) >= 0))
        file = H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    hid_t stack = file < 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (stack >= 0)
        H5Eset_current_stack(stack);
    return file;
}

hid_t pdx__open_file(const char *name, unsigned flags, int live)
{
    hid_t fapl = pdx__make_fapl(live);
    hid_t file = fapl >= 0 ? H5Fopen(name, flags, fapl) : H5I_INVALID_HID;
    hid_t stack = file < 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
    if (fapl >= 0)
        H5Pclose(fapl);
    if (stack >= 0)
        H5Eset_current_stack(stack);
    return file;
}

/* Flush, fsync and close a file we wrote; the id is invalid afterwards. */
/* Close a temporary file that failed and will be removed. HDF5 1.10 leaves
 * a file whose close failed (its metadata could not be written) half
 * destroyed: closing it again, which the library also does at exit,
 * crashes. So the file is emptied first: on a full disk that frees what it
 * took, and the close's few metadata writes fit. */
void pdx__discard_file(hid_t *file)
{
    if (*file < 0)
        return;
    int *fd = NULL;
    if (H5Fget_vfd_handle(*file, H5P_DEFAULT, (void **)&fd) >= 0 &&
        fd != NULL && ftruncate(*fd, 0) != 0) {
        /* Nothing more to do: the close below may then fail. */
    }
    pdx__close_file(file);
    H5Eclear2(H5E_DEFAULT);
}

pdx_status pdx__seal_file(hid_t *file, const char *name, const char *path,
                          pdx_error *err)
{
    pdx_status status = PDX_OK;
    if (H5Fflush(*file, H5F_SCOPE_GLOBAL) < 0)
        status = pdx__h5_error(err, path, NULL, "cannot flush %s", name);
    if (status == PDX_OK)
        status = pdx__fsync_file(*file, path, err);
    if (status != PDX_OK) {
        pdx__discard_file(file);
        return status;
    }
    if (pdx__close_file(file) < 0)
        status = pdx__h5_error(err, path, NULL, "cannot close %s", name);
    return status;
}

pdx_status pdx__open_datasets(pdx_store *s, pdx_error *err)
{
    for (size_t k = 0; k < s->n_dvars; k++) {
        if (s->datasets[k] >= 0)
            continue; /* opened by pdx__check_matches */
        s->datasets[k] = H5Dopen2(s->file, s->dvars[k].name, H5P_DEFAULT);
        if (s->datasets[k] < 0)
            return pdx__h5_error(err, s->path, s->dvars[k].name,
                                 "cannot open variable");
    }
    return PDX_OK;
}

/* The working file's size, known in advance: every dataset is allocated
 * at creation. Metadata: a generous bound per dataset and the spec. */
static double working_file_bytes(const pdx_store *s)
{
    double bytes = 65536.0 + 2.0 * (double)s->spec->text_length;
    for (size_t k = 0; k < s->n_dvars; k++) {
        hsize_t dims[MAX_RANK];
        int rank = pdx__dvar_dims(s, k, dims);
        double n = (double)pdx__dvar_elem_size(s->dvars[k].kind);
        for (int i = 0; i < rank; i++)
            n *= (double)dims[i];
        bytes += n + 8192.0;
    }
    for (size_t i = 0; i < s->grid->n_axes; i++)
        bytes += 8.0 * (double)s->grid->shape[i] + 4096.0;
    return bytes;
}

/* Refuse early, with sizes in the message, when a file of `needed` bytes
 * cannot fit next to `path`. This is what keeps a full disk from failing a
 * file's close (see pdx__discard_file). */
pdx_status pdx__check_free_space(const char *path, double needed,
                                 const char *what, pdx_error *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s",
                 slash == path ? 1 : (int)(slash - path), path);
    struct statvfs fs;
    if (statvfs(dir, &fs) != 0)
        return PDX_OK; /* the create reports a missing directory */
    double available = (double)fs.f_bavail * (double)fs.f_frsize;
    if (needed > available)
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "not enough space in %s %s: it needs up to "
                             "%.1f MB, %.1f MB are free",
                             dir, what, needed / 1e6, available / 1e6);
    return PDX_OK;
}

/* Create the complete working file of store s at `tmp` (free space
 * checked first), leaving it open in s->file with the data variables open
 * in s->datasets. On failure nothing is left at `tmp`. */
pdx_status pdx__build_working_file(pdx_store *s, const char *tmp,
                                   const pdx_provenance *provenance,
                                   pdx_error *err)
{
    pdx_status status = pdx__check_free_space(s->path, working_file_bytes(s),
                                              "for the result file", err);
    if (status != PDX_OK)
        return status;
    s->file = pdx__create_file(tmp, 0);
    if (s->file < 0)
        status = pdx__h5_error(err, s->path, NULL, "cannot create %s", tmp);
    if (status == PDX_OK)
        status = pdx__write_root_attributes(s, s->file, provenance, tmp, err);
    if (status == PDX_OK)
        status = pdx__build_structure(s, s->file, DS_WORKING, tmp, s->datasets,
                                      err);
    if (status != PDX_OK) {
        for (size_t k = 0; k < s->n_dvars; k++)
            pdx__close_id(&s->datasets[k]);
        pdx__discard_file(&s->file);
        unlink(tmp);
    }
    return status;
}

/* Make the file built by pdx__build_working_file durable (flushed,
 * fsynced and closed) and rename it from `tmp` to `path`; `keep_open`: the
 * file is opened again before the rename and its datasets stay open for
 * commits (the open descriptor follows the rename). On failure `tmp` is
 * removed and whatever was at `path` is untouched (a file kept open is
 * closed by pdx__store_free).
 *
 * Why closed and opened again rather than only flushed: HDF5 1.10 keeps
 * a block reserved for metadata (1 KiB here) past the data after a flush
 * and gives it back at the next flush -- the first commit's -- by
 * truncating the file *before* it writes the superblock with the smaller
 * end of file. A SIGKILL between the two left a file HDF5 refuses to open
 * ("truncated file: eof < stored_eof"; 1 kill in ~600 of the kill loop).
 * Closing releases the block while the file is still temporary; a file
 * opened again has nothing reserved, so a commit's flush never truncates
 * (tests/kill_loop.py checks every kill; strace shows no ftruncate after
 * the rename). */
pdx_status pdx__install_working_file(pdx_store *s, const char *tmp,
                                     const char *path, int keep_open,
                                     pdx_error *err)
{
    for (size_t k = 0; k < s->n_dvars; k++)
        pdx__close_id(&s->datasets[k]);
    pdx_status status = pdx__seal_file(&s->file, tmp, path, err);
    pdx__discard_file(&s->file);
    if (status == PDX_OK && keep_open) {
        s->file = pdx__open_file(tmp, H5F_ACC_RDWR, 0);
        if (s->file < 0)
            status = pdx__h5_error(err, path, NULL, "cannot open %s again",
                                   tmp);
        if (status == PDX_OK)
            status = pdx__open_datasets(s, err);
        if (status != PDX_OK) {
            for (size_t k = 0; k < s->n_dvars; k++)
                pdx__close_id(&s->datasets[k]);
            pdx__close_file(&s->file);
        }
    }
    return pdx_file_install(tmp, path, status, err);
}

pdx_status pdx_store_create(pdx_store **out, const char *path,
                            const pdx_grid *grid, const pdx_layout *layout,
                            const pdx_provenance *provenance,
                            const pdx_store_options *options, pdx_error *err)
{
    pdx_store *s = NULL;
    pdx_status status =
        pdx__store_begin(out, &s, path, grid, layout, options, err);
    if (status != PDX_OK)
        return status;
    char *tmp = pdx_file_tmp_path(path);
    if (tmp == NULL) {
        pdx__store_free(s);
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    }
    status = pdx__build_working_file(s, tmp, provenance, err);
    if (status == PDX_OK)
        status = pdx__install_working_file(s, tmp, path, 1, err);
    free(tmp);
    if (status != PDX_OK) {
        pdx__store_free(s);
        return status;
    }
    *out = s;
    return PDX_OK;
}
