/* cli_info.c — `pdx info FILE`: the text of a result or theory file's
 * summary, from the data pdx_store_describe reads. Public headers only. */
#include "cli_info.h"

#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx/layout.h"
#include "pdx/spec.h"
#include "pdx/store.h"
#include "pdx/sweep.h"

void pdx_cli_info_unlock(void)
{
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
}

static void print_text(FILE *f, const char *label, const char *text)
{
    if (text != NULL)
        fprintf(f, "%-16s %s\n", label, text);
}

static int shows_units(const char *units)
{
    return units != NULL && units[0] != '\0' && strcmp(units, "1") != 0;
}

static void print_dimension(FILE *f, const pdx_store_dimension *x)
{
    fprintf(f, "  %-26s %6lld", x->name, (long long)x->length);
    if (x->flag_meanings != NULL) {
        fprintf(f, "  %s", x->flag_meanings);
    } else if (x->length > 0 && strcmp(x->name, "replica") != 0 &&
               strstr(x->name, "_unit") == NULL && x->has_values) {
        if (x->length == 1)
            fprintf(f, "  %.6g", x->first);
        else
            fprintf(f, "  %.6g .. %.6g", x->first, x->last);
        if (x->scale != NULL)
            fprintf(f, " (%s)", x->scale);
    }
    if (shows_units(x->units))
        fprintf(f, " %s", x->units);
    fprintf(f, "\n");
}

static void print_variable(FILE *f, const pdx_store_variable *x)
{
    fprintf(f, "  %-14s (", x->name);
    for (size_t i = 0; i < x->rank; i++)
        fprintf(f, "%s%s", i > 0 ? ", " : "",
                x->dims[i][0] != '\0' ? x->dims[i] : "?");
    fprintf(f, ")");
    if (x->long_name != NULL)
        fprintf(f, "  %s", x->long_name);
    if (shows_units(x->units))
        fprintf(f, " [%s]", x->units);
    fprintf(f, "\n");
}

/* The "dimensions" and "variables" sections. */
static void print_dims_and_variables(FILE *f, const pdx_store_description *d)
{
    fprintf(f, "dimensions\n");
    for (size_t i = 0; i < d->n_dimensions; i++)
        print_dimension(f, &d->dimensions[i]);
    fprintf(f, "variables\n");
    for (size_t i = 0; i < d->n_variables; i++)
        print_variable(f, &d->variables[i]);
}

/* A theory file: cells by status, then the common parts. */
static void print_theory(FILE *f, const char *path,
                         const pdx_store_description *d)
{
    const uint64_t *c = d->status_counts;
    long long solved = (long long)c[1], na = (long long)c[4],
              nc = (long long)c[5];
    long long other = (long long)d->n_status - solved - na - nc;
    fprintf(f, "%-16s %s\n", "file", path);
    print_text(f, "title", d->title);
    fprintf(f, "%-16s theory (pdx theory)\n", "source");
    print_text(f, "theories", d->theories);
    print_text(f, "spec", d->spec_path);
    print_text(f, "spec sha256", d->spec_sha256);
    fprintf(f, "%-16s %lld: %lld solved, %lld not applicable, %lld not "
               "converged",
            "cells", (long long)d->n_status, solved, na, nc);
    if (other > 0)
        fprintf(f, ", %lld pending", other);
    fprintf(f, "\n");
    print_dims_and_variables(f, d);
    print_text(f, "pdx version", d->pdx_version);
    print_text(f, "git describe", d->git_describe);
    print_text(f, "command line", d->command_line);
    print_text(f, "started", d->start_time);
}

static void print_tasks(FILE *f, const pdx_store_description *d)
{
    const uint64_t *c = d->status_counts;
    long long n_tasks = (long long)d->n_status;
    long long unknown = (long long)d->status_other;
    for (int s = 4; s < PDX_STORE_STATUS_CODES; s++)
        unknown += (long long)c[s];
    if (d->shard_count > 1)
        fprintf(f, "%-16s %llu of %llu (pdx merge joins the shards)\n",
                "shard", (unsigned long long)d->shard_index,
                (unsigned long long)d->shard_count);
    if (d->shard_count > 1)
        fprintf(f, "%-16s %lld in this shard: %lld done, %lld "
                   "diverged, %lld failed, %lld pending",
                "tasks", n_tasks, (long long)c[1], (long long)c[2],
                (long long)c[3], (long long)c[0]);
    else
        fprintf(f, "%-16s %lld (%lld cells x %.0f replicas): %lld done, "
                   "%lld diverged, %lld failed, %lld pending",
                "tasks", n_tasks,
                d->replicas > 0 ? n_tasks / (long long)d->replicas : 0LL,
                d->replicas, (long long)c[1], (long long)c[2],
                (long long)c[3], (long long)c[0]);
    if (unknown > 0)
        fprintf(f, ", %lld with unknown status", unknown);
    fprintf(f, "\n%-16s %.1f%% of the tasks finished\n", "progress",
            n_tasks > 0
                ? 100.0 * (double)(c[1] + c[2] + c[3]) / (double)n_tasks
                : 100.0);
}

pdx_status pdx_cli_verify_file(const char *path,
                               pdx_store_verify_report *report,
                               pdx_spec **spec, pdx_grid **grid,
                               pdx_error *err)
{
    memset(report, 0, sizeof *report);
    *grid = NULL;
    *spec = NULL;
    pdx_store_info info;
    pdx_status st = pdx_store_inspect(path, &info, err);
    if (st == PDX_OK && info.spec_text == NULL)
        st = pdx_error_set(err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                           "the file holds no spec");
    if (st == PDX_OK &&
        pdx_spec_parse_string(spec, info.spec_text, info.spec_length,
                              info.spec_path != NULL ? info.spec_path : path,
                              NULL) != PDX_OK)
        st = pdx_error_set(err, PDX_ERR_SPEC, path, 0, 0, NULL,
                           "the spec stored in the file does not parse with "
                           "this pdx");
    if (st == PDX_OK)
        st = pdx_grid_create(grid, *spec, err);
    if (st == PDX_OK) {
        pdx_layout layout;
        pdx_sweep_layout(*grid, &layout);
        st = pdx_store_verify_file(path, *grid, &layout, report, err);
    }
    if (st != PDX_OK) {
        pdx_grid_destroy(grid);
        pdx_spec_destroy(spec);
    }
    pdx_store_info_clear(&info);
    return st;
}

/* The dimension names variable x should have in a result file of `grid`
 * and `layout` into want[] (their number; 0: a variable this pdx does not
 * know, not checked). */
static size_t expected_dims(const pdx_store_variable *x, const pdx_grid *grid,
                            const pdx_layout *layout, int shard,
                            const char **want, size_t max)
{
    static const char *const dim_names[PDX_DIM_COUNT] = PDX_DIM_NAMES;
    const pdx_var_desc *v = NULL;
    for (size_t i = 0; i < layout->n_vars && v == NULL; i++)
        if (strcmp(layout->vars[i].name, x->name) == 0)
            v = &layout->vars[i];
    if (v == NULL && strcmp(x->name, "status") != 0 &&
        strcmp(x->name, "steps") != 0 &&
        strcmp(x->name, "wall_seconds") != 0 &&
        strcmp(x->name, "checksum") != 0)
        return 0;
    size_t n = 0;
    if (shard)
        want[n++] = "task";
    for (size_t i = 0; !shard && i < grid->n_axes && n < max; i++)
        want[n++] =
            pdx_spec_keys(NULL)[grid->spec->axes[grid->dim_axis[i]].key].name;
    if (!shard && n < max)
        want[n++] = "replica";
    for (size_t j = 0; v != NULL && j < v->n_dims && n < max; j++)
        want[n++] = dim_names[v->dims[j]];
    return n;
}

/* Every variable's dimension list names the dimensions this pdx gives it
 * (a flipped bit there relabels a variable's axes for netCDF readers, or
 * makes them unreadable: "?"). Prints the first mismatches; returns how
 * many variables have one. */
static uint64_t check_dimension_lists(FILE *f, const pdx_store_description *d,
                                      const pdx_grid *grid)
{
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    uint64_t bad = 0;
    for (size_t i = 0; i < d->n_variables; i++) {
        const pdx_store_variable *x = &d->variables[i];
        const char *want[40];
        size_t n = expected_dims(x, grid, &layout, d->shard_count > 1, want,
                                 40);
        if (n == 0)
            continue;
        size_t at = 0;
        while (at < n && at < x->rank && strcmp(x->dims[at], want[at]) == 0)
            at++;
        if (at == n && x->rank == n)
            continue;
        if (bad++ < 8)
            fprintf(f, "%-16s %s: dimension %zu is '%s', expected '%s': its "
                       "dimension list is DAMAGED\n",
                    "labels", x->name, at,
                    at < x->rank && x->dims[at][0] != '\0' ? x->dims[at] : "?",
                    at < n ? want[at] : "(none)");
    }
    return bad;
}

/* The "checksums" line of a result file and its damaged tasks; *damaged
 * their number (and that of variables with damaged dimension lists). A file this pdx cannot check (its spec or layout differ:
 * an older pdx) says so; a failure to read is returned. */
static pdx_status print_checksums(FILE *f, const char *path,
                                  const pdx_store_description *d, int verify,
                                  uint64_t *damaged, pdx_error *err)
{
    *damaged = 0;
    if (!verify) {
        fprintf(f, "%-16s not checked (--no-verify)\n", "checksums");
        return PDX_OK;
    }
    pdx_store_verify_report r;
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    pdx_error why;
    pdx_error_clear(&why);
    pdx_status st = pdx_cli_verify_file(path, &r, &spec, &grid, &why);
    if (st == PDX_ERR_MISMATCH || st == PDX_ERR_SPEC) {
        fprintf(f, "%-16s not checked: %s\n", "checksums", why.message);
        return PDX_OK;
    }
    if (st != PDX_OK) {
        if (err != NULL)
            *err = why;
        return st;
    }
    if (!r.verified)
        fprintf(f, "%-16s none (written by an older pdx): %llu finished "
                   "tasks unverified\n",
                "checksums", (unsigned long long)r.finished);
    else if (r.n_damaged == 0)
        fprintf(f, "%-16s %llu finished tasks intact (CRC-32 of each "
                   "task's data)\n",
                "checksums", (unsigned long long)r.checked);
    else
        fprintf(f, "%-16s %llu of %llu finished tasks DAMAGED (their data "
                   "do not match their checksum):\n",
                "checksums", (unsigned long long)r.n_damaged,
                (unsigned long long)r.checked);
    for (uint64_t i = 0; i < r.n_damaged && i < 100; i++) {
        char where[512];
        pdx_grid_describe_task(grid, r.damaged[i], where, sizeof where);
        fprintf(f, "  task %llu: %s\n", (unsigned long long)r.damaged[i],
                where);
    }
    if (r.n_damaged > 100)
        fprintf(f, "  ... and %llu more\n",
                (unsigned long long)(r.n_damaged - 100));
    *damaged = r.n_damaged;
    if (r.verified) /* a file of this format: its labels too */
        *damaged += check_dimension_lists(f, d, grid);
    pdx_store_verify_report_clear(&r);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return PDX_OK;
}

pdx_status pdx_cli_print_info(const char *path, FILE *out, int verify,
                              uint64_t *damaged, pdx_error *err)
{
    *damaged = 0;
    FILE *f = out != NULL ? out : stdout;
    pdx_store_description d;
    pdx_status st = pdx_store_describe(path, &d, err);
    if (st != PDX_OK)
        return st;
    if (d.is_theory) {
        print_theory(f, path, &d);
        pdx_store_description_clear(&d);
        return PDX_OK;
    }
    fprintf(f, "%-16s %s\n", "file", path);
    print_text(f, "title", d.title);
    fprintf(f, "%-16s %s\n", "state",
            d.complete ? "finished (compressed)"
                       : "working file (running, stopped or interrupted)");
    print_text(f, "spec", d.spec_path);
    print_text(f, "spec sha256", d.spec_sha256);
    print_tasks(f, &d);
    st = print_checksums(f, path, &d, verify, damaged, err);
    if (st == PDX_OK && d.damaged_root_attributes && ++*damaged > 0)
        fprintf(f, "%-16s /: the root attributes cannot be read: DAMAGED\n",
                "labels");
    for (size_t i = 0; st == PDX_OK && i < d.n_variables; i++)
        if (d.variables[i].damaged_attributes && ++*damaged > 0)
            fprintf(f, "%-16s %s: its attributes cannot be read: DAMAGED\n",
                    "labels", d.variables[i].name);
    if (st != PDX_OK) {
        pdx_store_description_clear(&d);
        return st;
    }
    print_dims_and_variables(f, &d);
    print_text(f, "pdx version", d.pdx_version);
    print_text(f, "git describe", d.git_describe);
    print_text(f, "rng", d.rng);
    print_text(f, "host", d.host);
    print_text(f, "command line", d.command_line);
    print_text(f, "started", d.start_time);
    print_text(f, "finished", d.end_time);
    pdx_store_description_clear(&d);
    return PDX_OK;
}
