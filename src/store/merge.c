/* merge.c — merge the files of one sweep; extend a finished file to a
 * larger grid. */
#include "store_internal.h"

#include <sys/stat.h>

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

/* Is the merge's target `path` a source too: an existing pdx file of the
 * inputs' spec (pdx_store_spec_matches) that is not one of the inputs (compared by
 * device and inode, so any name of an input counts)? A file of another
 * spec, or no pdx file, is not: the caller decided that it may be
 * replaced. */
static int target_is_source(const char *path, const char *const *inputs,
                            size_t n_inputs, const pdx_spec *spec)
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
    return pdx_store_spec_matches(spec, sha); /* canonical or raw (older) */
}

/* ------------------------------------------------------------------------ */
/* Merge: one source open at a time                                         */
/*
 * Each source is opened once: its status (and checksums) claim its
 * finished tasks (owner[task] = the first source holding it; tasks the
 * existing working target already holds, merged into in place, are
 * compared by their checksums), then its data are read in slabs of slots,
 * every task read is checked against its checksum, the owned intact tasks
 * are copied into the output through a group of copies (MERGE_GROUP_BYTES,
 * written with one write per variable: data and checksums, flush,
 * statuses, flush), and tasks an earlier source holds are compared with
 * the copy in the output. A damaged task is not copied: a later source
 * holding it takes it. A new output is a temporary file, discarded when
 * the merge is refused (tasks missing, disagreeing sources). Into an
 * existing working target without --partial, the claims are a first pass
 * of their own, so that a refusal writes nothing, and the copies a second.
 * Memory: per-task arrays of the grid, one slab and the group, whatever
 * the number of sources.
 */
#define MERGE_NONE UINT32_MAX
#define MERGE_TARGET (UINT32_MAX - 1) /* held by the target merged into */
#define MERGE_SLAB_BYTES (16.0 * 1024 * 1024)
#define MERGE_SEEN_IN_INPUT 2         /* flags[task] bits; 1: damaged */

typedef struct merge_state {
    const char *path;          /* the target */
    const char **names;        /* of the sources: inputs, then the target */
    size_t n_inputs, n_sources;
    const pdx_grid *grid;
    const pdx_layout *layout;
    uint32_t *owner;           /* n_tasks */
    uint8_t *flags;            /* n_tasks */
    uint8_t *pass2;            /* n_sources: source has work in pass 2 */
    uint32_t *target_sum;      /* in place: the target's checksums */
    pdx_store *out;            /* the file written */
    int in_place;              /* out is the existing working target */
    merge_origin first;
    pdx_store_merge_report *report;
    /* copied tasks waiting to be written together (sorted by task, most
     * of a merge goes out in a few long runs): records and their values */
    pdx_task_record *recs;
    double *pool;
    double **ptrs;
    size_t n_recs, cap, per_task;
} merge_state;

#define MERGE_GROUP_BYTES (64.0 * 1024 * 1024)

/* Room for the group of copied tasks. */
static pdx_status group_alloc(merge_state *m, pdx_error *err)
{
    const pdx_layout *l = m->layout;
    m->per_task = 0;
    for (size_t v = 0; v < l->n_vars; v++)
        m->per_task += pdx_layout_var_size(l, v);
    double cap = MERGE_GROUP_BYTES /
                 (8.0 * (double)m->per_task + 16.0 * (double)l->n_vars + 64.0);
    m->cap = cap < 1.0 ? 1 : (size_t)cap;
    if (m->cap > m->grid->n_tasks)
        m->cap = m->grid->n_tasks > 0 ? (size_t)m->grid->n_tasks : 1;
    m->recs = malloc(m->cap * sizeof *m->recs);
    m->pool = malloc(m->cap * (m->per_task + 1) * sizeof *m->pool);
    m->ptrs = malloc(m->cap * (l->n_vars + 1) * sizeof *m->ptrs);
    if (m->recs == NULL || m->pool == NULL || m->ptrs == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, m->path, 0, 0, NULL,
                             "out of memory for the merge's group");
    for (size_t i = 0; i < m->cap; i++) {
        double *at = m->pool + i * m->per_task;
        for (size_t v = 0; v < l->n_vars; v++) {
            m->ptrs[i * l->n_vars + v] = at;
            at += pdx_layout_var_size(l, v);
        }
        m->recs[i].values = (const double *const *)(m->ptrs + i * l->n_vars);
    }
    return PDX_OK;
}

/* Write the group (one write per variable, one flush pair). */
static pdx_status group_flush(merge_state *m, pdx_error *err)
{
    pdx_status st = PDX_OK;
    if (m->n_recs > 0)
        st = pdx_store_commit_many(m->out, m->recs, m->n_recs, err);
    m->n_recs = 0;
    return st;
}

/* Add a copied task to the group (written when full). */
static pdx_status group_add(merge_state *m, const pdx_task_record *r,
                            pdx_error *err)
{
    pdx_status st = PDX_OK;
    if (m->n_recs == m->cap)
        st = group_flush(m, err);
    if (st != PDX_OK)
        return st;
    pdx_task_record *to = &m->recs[m->n_recs];
    const double *const *values = to->values;
    *to = *r;
    to->values = values;
    for (size_t v = 0; v < m->layout->n_vars; v++) {
        double *at = m->ptrs[m->n_recs * m->layout->n_vars + v];
        size_t size = pdx_layout_var_size(m->layout, v);
        if (r->values[v] != NULL)
            memcpy(at, r->values[v], size * sizeof(double));
        else /* a variable the files leave out (issue 19): never written */
            for (size_t i = 0; i < size; i++)
                at[i] = NAN;
    }
    m->n_recs++;
    return PDX_OK;
}

/* The checksum variable of an open file, whole (NULL: none). */
static pdx_status read_checksums(pdx_store *s, uint32_t **sums,
                                 pdx_error *err)
{
    *sums = NULL;
    if (!pdx__has_checksum(s) || s->n_file_tasks == 0)
        return PDX_OK;
    *sums = malloc((size_t)s->n_file_tasks * sizeof **sums);
    if (*sums == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, s->path, 0, 0, "checksum",
                             "out of memory");
    if (H5Dread(s->datasets[s->checksum_k], H5T_NATIVE_UINT32, H5S_ALL,
                H5S_ALL, H5P_DEFAULT, *sums) < 0) {
        free(*sums);
        *sums = NULL;
        return pdx__h5_error(err, s->path, "checksum", "cannot read");
    }
    return PDX_OK;
}

/* Do `in` and the output hold the same results for `task` (every
 * variable but wall_seconds, bit for bit)? Else an error naming the
 * variable and both files: `first` (where the task was first found) and
 * `second`, the file of the error. */
static pdx_status compare_with_output(const merge_state *m, pdx_store *in,
                                      uint64_t task, const char *first,
                                      const char *second, void *buf_a,
                                      void *buf_b, pdx_error *err)
{
    for (size_t k = 0; k < in->checksum_k && k < m->out->checksum_k; k++) {
        if (k == DVAR_WALL_INDEX)
            continue;
        size_t bytes = pdx__dvar_block_length(in, k) *
                       pdx__dvar_elem_size(in->dvars[k].kind);
        pdx_status st = pdx__task_block_io(in, k, task, NULL, buf_a, err);
        if (st == PDX_OK)
            st = pdx__task_block_io(m->out, k, task, NULL, buf_b, err);
        if (st != PDX_OK)
            return st;
        if (memcmp(buf_a, buf_b, bytes) != 0) {
            char where[512];
            pdx__describe_task(in, task, where, sizeof where);
            return pdx_error_set(err, PDX_ERR_MISMATCH, second, 0, 0,
                                 in->dvars[k].name,
                                 "task %" PRIu64 " (%s) is finished in both "
                                 "%s and %s with different values; refusing "
                                 "to merge",
                                 task, where, first, second);
        }
    }
    return PDX_OK;
}

/* Pass 1 for source j (open in `in`): claim its finished tasks. */
static pdx_status claim_source(merge_state *m, size_t j, pdx_store *in,
                               void *buf_a, void *buf_b, pdx_error *err)
{
    int target = j == m->n_inputs;
    int8_t *status = NULL;
    uint32_t *sums = NULL;
    pdx_status st = pdx__read_file_status(in, &status, err);
    if (st == PDX_OK && m->in_place)
        st = read_checksums(in, &sums, err);
    for (uint64_t i = 0; st == PDX_OK && i < in->n_file_tasks; i++) {
        if (status[i] == PDX_TASK_PENDING)
            continue;
        uint64_t task = pdx__file_task(in, i);
        if (!target)
            m->flags[task] |= MERGE_SEEN_IN_INPUT;
        uint32_t o = m->owner[task];
        if (o == MERGE_NONE) {
            m->owner[task] = (uint32_t)j;
            m->pass2[j] = 1;
        } else if (o == MERGE_TARGET) {
            /* merged before: the same results have the same checksum
             * (the data are compared, to name the variable, only when
             * the checksums differ or are missing) */
            if (sums == NULL || m->target_sum == NULL ||
                sums[i] != m->target_sum[task])
                st = compare_with_output(m, in, task, in->path, m->path,
                                         buf_a, buf_b, err);
            if (st == PDX_OK && sums != NULL && m->target_sum != NULL &&
                sums[i] != m->target_sum[task])
                st = pdx_error_set(err, PDX_ERR_MISMATCH, m->path, 0, 0,
                                   "checksum",
                                   "task %" PRIu64 " is finished in both %s "
                                   "and %s with different checksums; "
                                   "refusing to merge",
                                   task, in->path, m->path);
        } else {
            m->pass2[j] = 1; /* compared with the owner's copy in pass 2 */
            m->report->overlapping += !target;
        }
    }
    free(status);
    free(sums);
    return st;
}

/* The damaged copy of `task` in source j: counted, never copied. */
static void note_damaged(merge_state *m, size_t j, uint64_t task)
{
    pdx_store_merge_report *r = m->report;
    if (r->damaged < 8) {
        r->damaged_task[r->damaged] = task;
        r->damaged_source[r->damaged] = j;
    }
    r->damaged++;
    m->flags[task] |= 1;
}

/* A slab of slots of a source: each variable's blocks, the records. */
typedef struct merge_slab {
    void **var;             /* n_dvars buffers of `cap` blocks */
    const double **values;  /* cap * n_vars pointers */
    pdx_task_record *recs;  /* cap */
    uint64_t cap;
} merge_slab;

static void slab_free(merge_slab *b, size_t n_dvars)
{
    for (size_t k = 0; b->var != NULL && k < n_dvars; k++)
        free(b->var[k]);
    free(b->var);
    free(b->values);
    free(b->recs);
    memset(b, 0, sizeof *b);
}

static pdx_status slab_init(merge_slab *b, const pdx_store *in,
                            pdx_error *err)
{
    memset(b, 0, sizeof *b);
    double per_slot = 64.0;
    for (size_t k = 0; k < in->n_dvars; k++)
        per_slot += (double)(pdx__dvar_block_length(in, k) *
                             pdx__dvar_elem_size(in->dvars[k].kind));
    double cap = MERGE_SLAB_BYTES / per_slot;
    b->cap = cap < 1.0 ? 1 : (uint64_t)cap;
    if (b->cap > in->n_file_tasks)
        b->cap = in->n_file_tasks > 0 ? in->n_file_tasks : 1;
    size_t n_vars = in->layout->n_vars;
    b->var = calloc(in->n_dvars, sizeof *b->var);
    b->values = malloc((size_t)b->cap * (n_vars + 1) * sizeof *b->values);
    b->recs = malloc((size_t)b->cap * sizeof *b->recs);
    int ok = b->var != NULL && b->values != NULL && b->recs != NULL;
    for (size_t k = 0; ok && k < in->n_dvars; k++)
        ok = (b->var[k] = malloc((size_t)b->cap *
                                 pdx__dvar_block_length(in, k) *
                                 pdx__dvar_elem_size(in->dvars[k].kind) +
                                 1)) != NULL;
    if (!ok) {
        slab_free(b, in->n_dvars);
        return pdx_error_set(err, PDX_ERR_NOMEM, in->path, 0, 0, NULL,
                             "out of memory for a slab of the merge");
    }
    return PDX_OK;
}

/* Pass 2 for slots first .. first + n - 1 of source j: read, check,
 * compare the repeated tasks, copy the owned ones (one group commit). */
static pdx_status copy_slab(merge_state *m, size_t j, pdx_store *in,
                            merge_slab *b, uint64_t first, uint64_t n,
                            void *buf_a, void *buf_b, pdx_error *err)
{
    int target = j == m->n_inputs;
    pdx_status st = PDX_OK;
    for (size_t k = 0; k < in->n_dvars && st == PDX_OK; k++)
        st = pdx__slots_read(in, k, first, n, b->var[k], err);
    if (st != PDX_OK)
        return st;
    const int8_t *status = b->var[DVAR_STATUS_INDEX];
    const int64_t *steps = b->var[DVAR_STEPS_INDEX];
    const double *wall = b->var[DVAR_WALL_INDEX];
    const uint32_t *sums = pdx__has_checksum(in) ? b->var[in->checksum_k]
                                                 : NULL;
    size_t n_vars = in->layout->n_vars, n_recs = 0;
    for (uint64_t i = 0; i < n && st == PDX_OK; i++) {
        if (status[i] == PDX_TASK_PENDING)
            continue;
        uint64_t task = pdx__file_task(in, first + i);
        uint32_t o = m->owner[task];
        if (o == MERGE_TARGET || (o != MERGE_NONE && o > j))
            continue;
        const double **values = b->values + n_recs * (n_vars + 1);
        /* the file's variables by their layout index (issue 19: a file
         * holds only the variables some cell produces; the others NULL) */
        for (size_t v = 0; v < n_vars; v++)
            values[v] = NULL;
        for (size_t k = DVAR_FIXED; k < in->n_dvars; k++)
            if (!pdx__has_checksum(in) || k != in->checksum_k)
                values[in->dvars[k].source] =
                    (const double *)b->var[k] +
                    i * pdx__dvar_block_length(in, k);
        if (sums != NULL &&
            pdx__record_checksum(in, status[i], steps[i], values) != sums[i]) {
            note_damaged(m, j, task);
            if (o == j)
                m->owner[task] = MERGE_NONE; /* a later source may have it */
            continue;
        }
        if (o != j && o != MERGE_NONE) { /* an earlier source's copy */
            st = group_flush(m, err); /* it may still wait in the group */
            if (st == PDX_OK)
                st = compare_with_output(m, in, task, m->names[o], in->path,
                                         buf_a, buf_b, err);
            continue;
        }
        if (o == MERGE_NONE) { /* damaged where it was claimed */
            m->owner[task] = (uint32_t)j;
            m->report->overlapping -= m->report->overlapping > 0 && !target;
        }
        pdx_task_record r = {task, status[i], steps[i], wall[i], values};
        st = group_add(m, &r, err);
        n_recs++;
    }
    return st;
}

/* Pass 2 for source j (open in `in`). */
static pdx_status copy_source(merge_state *m, size_t j, pdx_store *in,
                              void *buf_a, void *buf_b, pdx_error *err)
{
    merge_slab b;
    pdx_status st = slab_init(&b, in, err);
    for (uint64_t first = 0; st == PDX_OK && first < in->n_file_tasks;
         first += b.cap) {
        uint64_t n = in->n_file_tasks - first < b.cap
                         ? in->n_file_tasks - first
                         : b.cap;
        st = copy_slab(m, j, in, &b, first, n, buf_a, buf_b, err);
    }
    slab_free(&b, in->n_dvars);
    return st;
}

/* Open source j for reading (and check its origin on the first pass). */
static pdx_status open_source(merge_state *m, size_t j, int pass,
                              pdx_store **in, pdx_error *err)
{
    pdx_status st = pdx__open_for_reading(in, m->names[j], m->grid,
                                          m->layout, 0, err);
    if (st == PDX_OK && pass != 2)
        st = check_origin(*in, j, m->names[j], m->names[0], &m->first,
                          m->report, err);
    /* the working target merged into: the first input's streams too */
    if (st == PDX_OK && pass != 2 && j == 0 && m->in_place)
        st = check_origin(m->out, m->n_inputs, m->path, m->names[0],
                          &m->first, m->report, err);
    if (st == PDX_OK && pass != 2 && !pdx__has_checksum(*in))
        m->report->unverified++;
    return st;
}

/* One pass over the sources (pass 1: claim; 2: copy what pass 1 claimed;
 * 0: both, one opening per source), then the tally: with tasks missing
 * and not `partial`, PDX_ERR_MISMATCH. */
static pdx_status merge_pass(merge_state *m, int pass, int partial,
                             void *buf_a, void *buf_b, pdx_error *err)
{
    pdx_status st = PDX_OK;
    for (size_t j = 0; j < m->n_sources && st == PDX_OK; j++) {
        if (pass == 2 && !m->pass2[j])
            continue;
        pdx_store *in = NULL;
        st = open_source(m, j, pass, &in, err);
        if (st == PDX_OK && pass != 2)
            st = claim_source(m, j, in, buf_a, buf_b, err);
        if (st == PDX_OK && pass != 1 && m->pass2[j])
            st = copy_source(m, j, in, buf_a, buf_b, err);
        pdx__store_free(in);
    }
    if (st == PDX_OK && pass != 1)
        st = group_flush(m, err);
    if (st != PDX_OK)
        return st;
    pdx_store_merge_report *r = m->report;
    r->finished = r->missing = r->kept = r->damaged_missing = 0;
    for (uint64_t t = 0; t < m->grid->n_tasks; t++) {
        uint32_t o = m->owner[t];
        if (o != MERGE_NONE) {
            r->finished++;
            r->kept += (o == MERGE_TARGET || o == m->n_inputs) &&
                       !(m->flags[t] & MERGE_SEEN_IN_INPUT);
            continue;
        }
        if (r->missing < 8)
            r->first_missing[r->missing] = t;
        r->missing++;
        r->damaged_missing += m->flags[t] & 1;
    }
    if (r->missing == 0 || partial)
        return PDX_OK;
    char where[512];
    pdx_grid_describe_task(m->grid, r->first_missing[0], where, sizeof where);
    char damage[128] = "";
    if (r->damaged_missing > 0)
        snprintf(damage, sizeof damage,
                 "; %" PRIu64 " of them damaged (checksum mismatch) "
                 "where they are finished",
                 r->damaged_missing);
    return pdx_error_set(err, PDX_ERR_MISMATCH, m->path, 0, 0, NULL,
                         "%" PRIu64 " of %" PRIu64 " tasks are missing "
                         "(pending in every input, or damaged%s), the "
                         "first: task %" PRIu64 " (%s); nothing written",
                         r->missing, r->tasks, damage, r->first_missing[0],
                         where);
}

/* The existing working target, merged into in place: opened for writing,
 * its damaged tasks made pending (reported as the target's), its finished
 * tasks and their checksums noted. */
static pdx_status open_target(merge_state *m, pdx_error *err)
{
    pdx_store_verify_report v;
    memset(&v, 0, sizeof v);
    pdx_status st = pdx_store_open(&m->out, m->path, m->grid, m->layout,
                                   NULL, err);
    if (st == PDX_OK)
        st = pdx_store_verify(m->out, &v, err);
    for (uint64_t i = 0; st == PDX_OK && i < v.n_damaged; i++)
        note_damaged(m, m->n_inputs, v.damaged[i]);
    if (st == PDX_OK && v.n_damaged > 0)
        st = pdx_store_reset_tasks(m->out, v.damaged, (size_t)v.n_damaged,
                                   err);
    m->report->unverified += st == PDX_OK && !v.verified;
    pdx_store_verify_report_clear(&v);
    int8_t *status = malloc((size_t)m->grid->n_tasks + 1);
    if (st == PDX_OK && status == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, m->path, 0, 0, NULL,
                           "out of memory");
    if (st == PDX_OK)
        st = pdx_store_read_status(m->out, status, err);
    for (uint64_t t = 0; st == PDX_OK && t < m->grid->n_tasks; t++)
        if (status[t] != PDX_TASK_PENDING)
            m->owner[t] = MERGE_TARGET;
    free(status);
    if (st == PDX_OK)
        st = read_checksums(m->out, &m->target_sum, err);
    return st;
}

/* The merged file: finished into `path` when no task is missing, else
 * left a working file (in place) or installed as one. */
static pdx_status merge_finish(merge_state *m, const char *work,
                               const char *end_time, pdx_error *err)
{
    pdx_status st;
    if (m->in_place) {
        if (m->report->missing == 0)
            return pdx_store_finish(&m->out, end_time, err);
        st = pdx_store_sync(m->out, err);
        pdx_store_destroy(&m->out);
        return st;
    }
    if (m->report->missing == 0) {
        st = pdx__finish_into(&m->out, m->path, end_time, err);
        unlink(work);
    } else {
        st = pdx__install_working_file(m->out, work, m->path, 0, err);
    }
    pdx__store_free(m->out);
    m->out = NULL;
    return st;
}

static void merge_state_free(merge_state *m, const char *work)
{
    if (m->out != NULL && !m->in_place) {
        for (size_t k = 0; k < m->out->n_dvars; k++)
            pdx__close_id(&m->out->datasets[k]);
        pdx__discard_file(&m->out->file);
        unlink(work);
        pdx__store_free(m->out);
    } else if (m->out != NULL) {
        pdx_store_destroy(&m->out);
    }
    m->out = NULL;
    free(m->owner);
    free(m->flags);
    free(m->pass2);
    free(m->target_sum);
    free(m->names);
    free(m->recs);
    free(m->pool);
    free(m->ptrs);
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
        n_inputs >= UINT32_MAX - 2)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "merge: an output, a grid and 1 .. 2^32-3 "
                             "inputs are required");
    merge_state m;
    memset(&m, 0, sizeof m);
    m.path = path;
    m.grid = grid;
    m.layout = layout;
    m.report = report;
    m.n_inputs = n_inputs;
    size_t n_tasks = (size_t)(grid->n_tasks ? grid->n_tasks : 1);
    const char **names = malloc((n_inputs + 1) * sizeof *names);
    m.names = names;
    m.owner = malloc(n_tasks * sizeof *m.owner);
    m.flags = calloc(n_tasks, 1);
    m.pass2 = calloc(n_inputs + 1, 1);
    char *work = pdx_file_temporary_path(path, "merge");
    void *buf_a = NULL, *buf_b = NULL;
    pdx_status st = PDX_OK;
    if (names == NULL || m.owner == NULL || m.flags == NULL ||
        m.pass2 == NULL || work == NULL)
        st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                           "out of memory");
    for (size_t j = 0; st == PDX_OK && j < n_inputs; j++)
        names[j] = inputs[j];
    for (uint64_t t = 0; st == PDX_OK && t < grid->n_tasks; t++)
        m.owner[t] = MERGE_NONE;
    m.n_sources = n_inputs;
    if (st == PDX_OK) {
        names[n_inputs] = path;
        if (target_is_source(path, inputs, n_inputs, grid->spec)) {
            /* a working whole-grid target is merged into in place; a
             * finished one (or a shard file) is read as one more source
             * and replaced by the new file */
            pdx_store_info info;
            report->target_read = 1;
            st = pdx_store_inspect(path, &info, err);
            m.in_place = st == PDX_OK && !info.complete &&
                         info.shard_count <= 1;
            m.n_sources += st == PDX_OK && !m.in_place;
            if (st == PDX_OK)
                pdx_store_info_clear(&info);
        }
    }
    if (st == PDX_OK) {
        size_t widest = 1;
        pdx_store *probe = NULL;
        st = pdx__store_new(&probe, path, grid, layout, NULL, err);
        if (st == PDX_OK)
            widest = probe->nan_block_length;
        pdx__store_free(probe);
        buf_a = malloc(8 * widest);
        buf_b = malloc(8 * widest);
        if (st == PDX_OK && (buf_a == NULL || buf_b == NULL))
            st = pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                               "out of memory");
    }
    if (st == PDX_OK && m.in_place)
        st = open_target(&m, err);
    if (st == PDX_OK && !m.in_place) {
        pdx_file_remove_stale_temporaries(path);
        st = pdx__store_new(&m.out, path, grid, layout, NULL, err);
        if (st == PDX_OK)
            st = pdx__build_working_file(m.out, work, provenance, err);
    }
    if (st == PDX_OK)
        st = group_alloc(&m, err);
    /* one opening per source, but into an existing working target that a
     * refusal must leave as it was: first the claims (status and
     * checksums only), then the copies */
    int two_passes = m.in_place && !partial;
    if (st == PDX_OK)
        st = merge_pass(&m, two_passes ? 1 : 0, partial, buf_a, buf_b, err);
    if (st == PDX_OK && two_passes)
        st = merge_pass(&m, 2, partial, buf_a, buf_b, err);
    if (st == PDX_OK)
        st = merge_finish(&m, work, end_time, err);
    merge_state_free(&m, work);
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
