/* merge.c — merge the files of one sweep; extend a finished file to a
 * larger grid. */
#include "store_internal.h"

#include <sys/stat.h>

/* Do inputs a and b hold the same results for `task` (every variable but
 * wall_seconds, bit for bit; the checksums follow from them)? */
static pdx_status compare_task(pdx_store *a, pdx_store *b, uint64_t task,
                               void *buf_a, void *buf_b, pdx_error *err)
{
    for (size_t k = 0; k < a->checksum_k; k++) {
        if (k == DVAR_WALL_INDEX)
            continue;
        hsize_t start[MAX_RANK], count[MAX_RANK], length;
        pdx__task_selection(a, k, task, start, count, &length);
        pdx_status st = pdx__task_block_io(a, k, task, NULL, buf_a, err);
        if (st == PDX_OK)
            st = pdx__task_block_io(b, k, task, NULL, buf_b, err);
        if (st != PDX_OK)
            return st;
        if (memcmp(buf_a, buf_b,
                   (size_t)length * pdx__dvar_elem_size(a->dvars[k].kind)) !=
            0) {
            char where[512];
            pdx__describe_task(a, task, where, sizeof where);
            return pdx_error_set(err, PDX_ERR_MISMATCH, b->path, 0, 0,
                                 a->dvars[k].name,
                                 "task %" PRIu64 " (%s) is finished in both "
                                 "%s and %s with different values; refusing "
                                 "to merge",
                                 task, where, a->path, b->path);
        }
    }
    return PDX_OK;
}

/* The random-number streams every input of a merge must share, and the
 * build that wrote the first input. */
typedef struct merge_origin {
    char rng[64], version[64], describe[128];
    double key;
} merge_origin;

/* Source j (open in `in`, named `name`) against the first input's origin
 * (j == 0: sets it; `first_name` names the first input): other streams are
 * refused, another build is a warning. */
static pdx_status check_origin(const pdx_store *in, size_t j,
                               const char *name, const char *first_name,
                               merge_origin *first,
                               pdx_store_merge_report *report, pdx_error *err)
{
    merge_origin o = {"", "", "", 0};
    pdx__copy_text_attr(in->file, "rng", o.rng, sizeof o.rng);
    pdx__copy_text_attr(in->file, "pdx_version", o.version,
                        sizeof o.version);
    pdx__copy_text_attr(in->file, "git_describe", o.describe,
                        sizeof o.describe);
    pdx__get_double(in->file, "rng_key_version", &o.key);
    H5Eclear2(H5E_DEFAULT);
    if (j == 0) {
        *first = o;
    } else if (strcmp(o.rng, first->rng) != 0 || o.key != first->key) {
        return pdx_error_set(err, PDX_ERR_MISMATCH, name, 0, 0,
                             "/@rng_key_version",
                             "random numbers %s version %g, but %s has %s "
                             "version %g: the results are not comparable",
                             o.rng, o.key, first_name, first->rng,
                             first->key);
    } else if ((strcmp(o.version, first->version) != 0 ||
                strcmp(o.describe, first->describe) != 0) &&
               report->warning[0] == '\0') {
        snprintf(report->warning, sizeof report->warning,
                 "%s was written by pdx %s (%s), %s by pdx %s (%s)", name,
                 o.version, o.describe, first_name, first->version,
                 first->describe);
    }
    return PDX_OK;
}

/* Each task finished in source j goes to owner[task] = j unless an
 * earlier source has it, which must then hold the same results. The
 * existing target (`target`: the last source) only adds tasks that no
 * input holds: those count as kept, not as overlaps. A task whose
 * checksum does not match is not claimed: it is counted in the report and
 * marked in damaged[task]. */
static pdx_status claim_tasks(pdx_store *const *in, size_t j, int target,
                              uint32_t *owner, uint8_t *damaged, void *buf_a,
                              void *buf_b, pdx_store_merge_report *report,
                              pdx_error *err)
{
    int8_t *status = NULL;
    uint8_t *bad = NULL;
    uint64_t checked = 0;
    pdx_status st = pdx__status_and_damage(in[j], &status, &bad, &checked,
                                           err);
    report->unverified += st == PDX_OK && bad == NULL;
    for (uint64_t i = 0; st == PDX_OK && i < in[j]->n_file_tasks; i++) {
        if (status[i] == PDX_TASK_PENDING)
            continue;
        uint64_t task = pdx__file_task(in[j], i);
        if (bad != NULL && bad[i]) {
            if (report->damaged < 8) {
                report->damaged_task[report->damaged] = task;
                report->damaged_source[report->damaged] = j;
            }
            report->damaged++;
            damaged[task] = 1;
            continue;
        }
        if (owner[task] == UINT32_MAX) {
            owner[task] = (uint32_t)j;
            report->kept += target != 0;
            continue;
        }
        st = compare_task(in[owner[task]], in[j], task, buf_a, buf_b, err);
        report->overlapping += target == 0;
    }
    free(status);
    free(bad);
    return st;
}

/* Is the merge's target `path` a source too: an existing pdx file of the
 * inputs' spec (`spec_sha256`) that is not one of the inputs (compared by
 * device and inode, so any name of an input counts)? A file of another
 * spec, or no pdx file, is not: the caller decided that it may be
 * replaced. */
static int target_is_source(const char *path, const char *const *inputs,
                            size_t n_inputs, const char *spec_sha256)
{
    struct stat target, input;
    if (stat(path, &target) != 0 || !S_ISREG(target.st_mode))
        return 0;
    for (size_t j = 0; j < n_inputs; j++)
        if (stat(inputs[j], &input) == 0 && input.st_dev == target.st_dev &&
            input.st_ino == target.st_ino)
            return 0;
    char sha[65];
    int complete = 0;
    if (pdx_store_probe(path, sha, &complete, NULL) != PDX_OK)
        return 0;
    return strcmp(sha, spec_sha256) == 0;
}

/* Open the inputs, then the target if it is a source (in[n_inputs],
 * report->target_read), check their origins and claim their finished
 * tasks. */
static pdx_status open_sources(const char *path, const char *const *inputs,
                               size_t n_inputs, const pdx_grid *grid,
                               const pdx_layout *layout, pdx_store **in,
                               uint32_t *owner, uint8_t *damaged,
                               void **buf_a, void **buf_b,
                               pdx_store_merge_report *report, pdx_error *err)
{
    merge_origin first = {"", "", "", 0};
    pdx_status st = PDX_OK;
    size_t n = n_inputs;
    for (size_t j = 0; j < n && st == PDX_OK; j++) {
        int target = j == n_inputs;
        const char *name = target ? path : inputs[j];
        st = pdx__open_for_reading(&in[j], name, grid, layout, 0, err);
        if (st == PDX_OK)
            st = check_origin(in[j], j, name, inputs[0], &first, report, err);
        if (st == PDX_OK && *buf_a == NULL) {
            size_t bytes = 8 * (in[j]->nan_block_length > 0
                                    ? in[j]->nan_block_length
                                    : 1);
            *buf_a = malloc(bytes);
            *buf_b = malloc(bytes);
            if (*buf_a == NULL || *buf_b == NULL)
                st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                                   "out of memory");
        }
        if (st == PDX_OK)
            st = claim_tasks(in, j, target, owner, damaged, *buf_a, *buf_b,
                             report, err);
        if (st == PDX_OK && j + 1 == n_inputs &&
            target_is_source(path, inputs, n_inputs, in[0]->spec_sha256)) {
            report->target_read = 1;
            n++;
        }
    }
    return st;
}

/* Write the merged file: every owned task from its owner, into a working
 * file at `work`, then finished into `path` (no task missing) or renamed
 * to `path` as a working file. */
static pdx_status write_merged(const char *path, const char *work,
                               pdx_store *const *in, const uint32_t *owner,
                               const pdx_grid *grid, const pdx_layout *layout,
                               const pdx_provenance *provenance,
                               const char *end_time, uint64_t missing,
                               void *buf, pdx_error *err)
{
    pdx_store *s = NULL;
    pdx_file_remove_stale_temporaries(path);
    pdx_status st = pdx__store_new(&s, path, grid, layout, NULL, err);
    if (st == PDX_OK)
        st = pdx__build_working_file(s, work, provenance, err);
    if (st != PDX_OK) {
        pdx__store_free(s);
        return st;
    }
    for (uint64_t t = 0; t < grid->n_tasks && st == PDX_OK; t++) {
        if (owner[t] == UINT32_MAX)
            continue;
        for (size_t k = 0; k < s->checksum_k && st == PDX_OK; k++) {
            st = pdx__task_block_io(in[owner[t]], k, t, NULL, buf, err);
            if (st == PDX_OK)
                st = pdx__write_task_block(s, k, t, buf, err);
        }
    }
    /* computed from the copies (the sources' were checked): also for
     * sources of an older pdx without them */
    if (st == PDX_OK)
        st = pdx__write_checksums(s, err);
    if (st != PDX_OK) {
        for (size_t k = 0; k < s->n_dvars; k++)
            pdx__close_id(&s->datasets[k]);
        pdx__discard_file(&s->file);
        unlink(work);
    } else if (missing == 0) {
        st = pdx__finish_into(&s, path, end_time, err);
        unlink(work);
    } else {
        st = pdx__install_working_file(s, work, path, 0, err);
    }
    pdx__store_free(s);
    return st;
}

pdx_status pdx_store_merge(const char *path, const char *const *inputs,
                           size_t n_inputs, const pdx_grid *grid,
                           const pdx_layout *layout,
                           const pdx_provenance *provenance, int partial,
                           const char *end_time,
                           pdx_store_merge_report *report, pdx_error *err)
{
    pdx__silence_hdf5();
    memset(report, 0, sizeof *report);
    report->tasks = grid != NULL ? grid->n_tasks : 0;
    if (path == NULL || inputs == NULL || n_inputs == 0 || grid == NULL ||
        n_inputs >= UINT32_MAX)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "merge: an output, a grid and 1 .. 2^32-2 "
                             "inputs are required");
    const uint32_t none = UINT32_MAX;
    /* the inputs and, last, the existing target */
    pdx_store **in = calloc(n_inputs + 1, sizeof *in);
    uint32_t *owner = malloc((size_t)(grid->n_tasks ? grid->n_tasks : 1) *
                             sizeof *owner);
    uint8_t *damaged = calloc((size_t)(grid->n_tasks ? grid->n_tasks : 1), 1);
    void *buf_a = NULL, *buf_b = NULL;
    char *work = pdx_file_temporary_path(path, "merge");
    pdx_status st = PDX_OK;
    if (in == NULL || owner == NULL || damaged == NULL || work == NULL) {
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
        goto done;
    }
    for (uint64_t t = 0; t < grid->n_tasks; t++)
        owner[t] = none;
    st = open_sources(path, inputs, n_inputs, grid, layout, in, owner,
                      damaged, &buf_a, &buf_b, report, err);
    if (st != PDX_OK)
        goto done;
    for (uint64_t t = 0; t < grid->n_tasks; t++) {
        if (owner[t] != none) {
            report->finished++;
        } else {
            if (report->missing < 8)
                report->first_missing[report->missing] = t;
            report->missing++;
            report->damaged_missing += damaged[t];
        }
    }
    if (report->missing > 0 && !partial) {
        char where[512];
        pdx__describe_task(in[0], report->first_missing[0], where,
                           sizeof where);
        char damage[128] = "";
        if (report->damaged_missing > 0)
            snprintf(damage, sizeof damage,
                     "; %" PRIu64 " of them damaged (checksum mismatch) "
                     "where they are finished",
                     report->damaged_missing);
        st = pdx_error_set(err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                           "%" PRIu64 " of %" PRIu64 " tasks are missing "
                           "(pending in every input, or damaged%s), the "
                           "first: task %" PRIu64 " (%s); nothing written",
                           report->missing, report->tasks, damage,
                           report->first_missing[0], where);
        goto done;
    }

    st = write_merged(path, work, in, owner, grid, layout, provenance,
                      end_time, report->missing, buf_a, err);

done:
    if (in != NULL)
        for (size_t j = 0; j <= n_inputs; j++)
            pdx__store_free(in[j]);
    free(in);
    free(owner);
    free(damaged);
    free(buf_a);
    free(buf_b);
    free(work);
    return st;
}

/* Length of dimension coordinate `name` in `file`, or `fallback` when the
 * file has none. */
static size_t coordinate_length(hid_t file, const char *name, size_t fallback)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return fallback;
    }
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    pdx__close_id(&space);
    pdx__close_id(&ds);
    H5Eclear2(H5E_DEFAULT);
    return n >= 0 ? (size_t)n : fallback;
}

/* The task of `grid` whose cell has the values of `old_grid`'s task
 * (map: pdx_grid_embed's, old axis value -> new index, axes after each
 * other). */
static uint64_t embedded_task(const pdx_grid *old_grid, const pdx_grid *grid,
                              const size_t *map, uint64_t task)
{
    size_t n_axes = old_grid->n_axes;
    uint64_t rest = task / old_grid->replicas, cell = 0, stride = 1;
    size_t offset = 0;
    for (size_t a = 0; a < n_axes; a++)
        offset += old_grid->shape[a];
    for (size_t a = n_axes; a-- > 0;) {
        offset -= old_grid->shape[a];
        cell += map[offset + rest % old_grid->shape[a]] * stride;
        rest /= old_grid->shape[a];
        stride *= grid->shape[a];
    }
    return cell * grid->replicas + task % old_grid->replicas;
}

/* Every finished task of the old file that the new file holds, by cell
 * values: the new task's block takes the old block (extra dimensions may
 * have grown: the rest stays NaN). `block` holds the largest old block.
 * Damaged tasks (bad[slot], bad may be NULL) are left pending. */
static pdx_status carry_tasks(pdx_store *old, pdx_store *s,
                              const size_t *map, const int8_t *status,
                              const uint8_t *bad, double *block,
                              uint64_t *carried, pdx_error *err)
{
    const pdx_grid *old_grid = old->grid, *grid = s->grid;
    pdx_status st = PDX_OK;
    for (uint64_t slot = 0; slot < old->n_file_tasks && st == PDX_OK;
         slot++) {
        if (status[slot] == PDX_TASK_PENDING || (bad != NULL && bad[slot]))
            continue;
        uint64_t task = pdx__file_task(old, slot);
        uint64_t new_task = embedded_task(old_grid, grid, map, task);
        if (s->shard_count > 1 &&
            pdx__file_slot(s, new_task) == s->n_file_tasks)
            continue;
        for (size_t k = 0; k < s->checksum_k && st == PDX_OK; k++) {
            hsize_t start[MAX_RANK], count[MAX_RANK], length;
            hsize_t old_start[MAX_RANK], old_count[MAX_RANK];
            int rank =
                pdx__task_selection(s, k, new_task, start, count, &length);
            int old_rank = pdx__task_selection(old, k, task, old_start,
                                               old_count, &length);
            /* extra dimensions: the old extents */
            int extra = (int)old->dvars[k].n_extra;
            for (int i = 0; i < extra; i++)
                count[rank - extra + i] = old_count[old_rank - extra + i];
            st = pdx__task_block_io(old, k, task, NULL, block, err);
            if (st == PDX_OK)
                st = pdx__block_io(s, k, start, count, new_task, block, NULL,
                                   err);
        }
        (*carried)++;
    }
    return st;
}

/* May `base`, a shard file (shard `index` of `count`), be carried into
 * the new file? Only into the same shard of the same spec: a damaged
 * finished shard file rebuilt with its intact tasks. */
static int same_shard_rebuild(uint64_t index, uint64_t count,
                              const pdx_grid *old_grid, const pdx_grid *grid,
                              const pdx_store_options *options)
{
    if (options == NULL || options->shard_count != count ||
        options->shard_index != index || old_grid == NULL)
        return 0;
    char a[65], b[65];
    pdx_store_spec_sha256(old_grid->spec, a);
    pdx_store_spec_sha256(grid->spec, b);
    return strcmp(a, b) == 0;
}

/* Open `base` as the old store of an extension: its spec, its shard, its
 * extra dimensions' sizes (K and M of the old grid), matched against
 * old_grid; *map receives pdx_grid_embed's map. */
static pdx_status open_base(pdx_store **old, const char *base,
                            const pdx_grid *old_grid, const pdx_grid *grid,
                            const pdx_layout *layout,
                            const pdx_store_options *options,
                            pdx_layout *old_layout, size_t **map,
                            pdx_error *err)
{
    char *text = NULL;
    uint64_t index = 0, count = 1;
    *old_layout = *layout;
    hid_t file = pdx__open_file(base, H5F_ACC_RDONLY, 0);
    pdx_status st = PDX_OK;
    if (file < 0)
        st = pdx__h5_error(err, base, NULL, "cannot open for reading");
    else if (pdx__get_text(file, "spec", &text) < 0 ||
             pdx__read_shard(file, &index, &count) < 0)
        st = pdx__h5_error(err, base, "/", "cannot read the root attributes");
    else if (text == NULL)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, base, 0, 0, NULL,
                           "not a pdx result file (no spec attribute)");
    else if (count > 1 &&
             !same_shard_rebuild(index, count, old_grid, grid, options))
        st = pdx_error_set(err, PDX_ERR_MISMATCH, base, 0, 0, NULL,
                           "a shard file (shard %llu of %llu) cannot be "
                           "extended: merge the shards first",
                           (unsigned long long)index,
                           (unsigned long long)count);
    free(text);
    if (st == PDX_OK && old_grid == NULL)
        st = pdx_error_set(err, PDX_ERR_USAGE, base, 0, 0, NULL,
                           "store: the grid of the spec stored in the file "
                           "is required");
    if (st == PDX_OK)
        st = pdx_grid_embed(old_grid, grid, map, err);
    for (int d = 0; d < PDX_DIM_COUNT && st == PDX_OK; d++) {
        old_layout->dim_size[d] =
            coordinate_length(file, dim_names[d], layout->dim_size[d]);
        if (old_layout->dim_size[d] > layout->dim_size[d])
            st = pdx_error_set(err, PDX_ERR_MISMATCH, base, 0, 0,
                               dim_names[d],
                               "the file has %zu values of %s, this run %zu",
                               old_layout->dim_size[d], dim_names[d],
                               layout->dim_size[d]);
    }
    pdx_store_options shard = {.shard_index = index, .shard_count = count};
    if (st == PDX_OK)
        st = pdx__store_new(old, base, old_grid, old_layout, &shard, err);
    if (st == PDX_OK) {
        (*old)->file = file;
        file = H5I_INVALID_HID;
        st = pdx__check_matches(*old, 0, err);
    }
    if (st == PDX_OK)
        st = pdx__open_datasets(*old, err);
    pdx__close_id(&file);
    return st;
}

/* The damaged slots of `old` as a report (damage may be NULL). */
static pdx_status report_damage(const pdx_store *old, const int8_t *status,
                                const uint8_t *bad, uint64_t checked,
                                pdx_store_verify_report *damage,
                                pdx_error *err)
{
    if (damage == NULL)
        return PDX_OK;
    damage->verified = bad != NULL;
    damage->checked = checked;
    uint64_t n_bad = 0;
    for (uint64_t slot = 0; slot < old->n_file_tasks; slot++) {
        damage->finished += status[slot] != PDX_TASK_PENDING;
        n_bad += bad != NULL && bad[slot];
    }
    if (n_bad == 0)
        return PDX_OK;
    damage->damaged = malloc((size_t)n_bad * sizeof *damage->damaged);
    if (damage->damaged == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, old->path, 0, 0, NULL,
                             "out of memory");
    for (uint64_t slot = 0; slot < old->n_file_tasks; slot++)
        if (bad[slot])
            damage->damaged[damage->n_damaged++] = pdx__file_task(old, slot);
    return PDX_OK;
}

pdx_status pdx_store_create_extended(pdx_store **out, const char *path,
                                     const char *base,
                                     const pdx_grid *base_grid,
                                     const pdx_grid *grid,
                                     const pdx_layout *layout,
                                     const pdx_provenance *provenance,
                                     const pdx_store_options *options,
                                     uint64_t *carried,
                                     pdx_store_verify_report *damage,
                                     pdx_error *err)
{
    pdx__silence_hdf5();
    *carried = 0;
    if (damage != NULL)
        memset(damage, 0, sizeof *damage);
    if (out == NULL || base == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "store: out and base are required");
    *out = NULL;
    pdx_store *old = NULL, *s = NULL;
    size_t *map = NULL;
    int8_t *status = NULL;
    uint8_t *bad = NULL;
    uint64_t checked = 0;
    double *block = NULL;
    char *tmp = NULL;
    pdx_layout old_layout;
    pdx_file_remove_stale_temporaries(path);
    pdx_status st = open_base(&old, base, base_grid, grid, layout, options,
                              &old_layout, &map, err);
    if (st == PDX_OK)
        st = pdx__status_and_damage(old, &status, &bad, &checked, err);
    if (st == PDX_OK)
        st = report_damage(old, status, bad, checked, damage, err);
    if (st == PDX_OK)
        st = pdx__store_new(&s, path, grid, layout, options, err);
    if (st == PDX_OK && (tmp = pdx_file_tmp_path(path)) == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    if (st == PDX_OK &&
        (block = malloc((old->nan_block_length > 0 ? old->nan_block_length
                                                   : 1) *
                        sizeof *block)) == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    if (st == PDX_OK)
        st = pdx__build_working_file(s, tmp, provenance, err);
    if (st != PDX_OK)
        goto done;
    st = carry_tasks(old, s, map, status, bad, block, carried, err);
    if (st == PDX_OK)
        st = pdx__write_checksums(s, err);
    if (st == PDX_OK)
        st = pdx__install_working_file(s, tmp, path, 1, err);
    else {
        for (size_t k = 0; k < s->n_dvars; k++)
            pdx__close_id(&s->datasets[k]);
        pdx__discard_file(&s->file);
        unlink(tmp);
    }
    if (st == PDX_OK) {
        *out = s;
        s = NULL;
    }

done:
    if (st != PDX_OK)
        pdx_store_verify_report_clear(damage);
    pdx__store_free(old);
    pdx__store_free(s);
    free(map);
    free(status);
    free(bad);
    free(block);
    free(tmp);
    return st;
}
