/* cmd_merge.c — `pdx merge OUT FILES...`: join the result files of one
 * spec (shards, whole-grid files, finished or not) into OUT. */
#include "cli_common.h"

#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdx/layout.h"
#include "pdx/run.h"
#include "pdx/sweep.h"

static const char *const merge_usage =
    "usage: pdx merge OUT FILES... [--partial] [--force] "
    "[--quiet]\n\n"
    "Join the result files of one spec (shard files of `pdx run "
    "--shard`, whole-grid\nfiles, finished or not, in any mix) "
    "into OUT. The specs must match; a task\nfinished in "
    "several files must have the same results in each. A merge "
    "only\nadds finished tasks: an existing OUT of the same spec "
    "is read as one more\ninput, so every task finished in OUT "
    "stays finished with its data (with\n--partial and --force "
    "too). With every task finished, OUT is the file a\nsingle "
    "`pdx run` writes (docs/FORMAT.md, \"Identity\"); missing "
    "tasks are\nlisted and nothing is written. Every finished task is "
    "checked against its\nchecksum first: a damaged one is never copied "
    "(listed by cell; an intact\ncopy in another file is taken, else it "
    "is missing).\n\n"
    "  --partial   with tasks missing, write OUT as a working "
    "file that\n"
    "              `pdx run SPEC -o OUT` completes\n"
    "  --force     overwrite OUT even if it holds another spec "
    "(or no pdx file),\n"
    "              or write a partial merge over the file of a "
    "spec this one\n"
    "              extends (whose tasks outside the inputs are "
    "then dropped)\n"
    "  --quiet     no summary on stderr\n";

/* The file a merge writes for `out`: `out` itself or, when `out` is a
 * symbolic link, the file it points to, so that the link stays a link
 * (the merged file is renamed over the link's file, next to it). NULL
 * (message printed) for a link to nothing or out of memory; the caller
 * frees. */
static char *resolve_output(const char *out)
{
    struct stat st;
    if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode)) {
        char *copy = strdup(out);
        if (copy == NULL)
            fprintf(stderr, "pdx: error: out of memory\n");
        return copy;
    }
    char *real = realpath(out, NULL);
    if (real == NULL)
        fprintf(stderr, "pdx: error: %s is a symbolic link whose file "
                        "cannot be resolved (%s): merge into that file "
                        "itself, or remove the link\n",
                out, strerror(errno));
    return real;
}

/* What the file at `path` is to a merge of files like `info` (grid
 * `grid`): a result file of the same spec (read as one more input: its
 * finished tasks stay), the finished tasks of a spec whose grid lies inside
 * `grid` (the merged file an extended sweep replaces: its tasks reach the
 * new file only through the inputs), or neither (replaced only with
 * --force). */
typedef enum merge_target {
    TARGET_FOREIGN,
    TARGET_SAME_SPEC,
    TARGET_EXTENDED,
} merge_target;

static merge_target classify_target(const char *path,
                                    const pdx_store_info *info,
                                    const pdx_grid *grid)
{
    pdx_store_info existing;
    if (pdx_store_inspect(path, &existing, NULL) != PDX_OK)
        return TARGET_FOREIGN;
    merge_target kind = strcmp(existing.spec_sha256, info->spec_sha256) == 0
                            ? TARGET_SAME_SPEC
                            : TARGET_FOREIGN;
    pdx_spec *spec = NULL;
    pdx_grid *old_grid = NULL;
    size_t *map = NULL;
    if (kind == TARGET_FOREIGN && existing.spec_text != NULL &&
        existing.shard_count <= 1 &&
        pdx_spec_parse_string(&spec, existing.spec_text,
                              existing.spec_length, path, NULL) == PDX_OK &&
        pdx_grid_create(&old_grid, spec, NULL) == PDX_OK &&
        pdx_grid_embed(old_grid, grid, &map, NULL) == PDX_OK)
        kind = TARGET_EXTENDED;
    free(map);
    pdx_grid_destroy(&old_grid);
    pdx_spec_destroy(&spec);
    pdx_store_info_clear(&existing);
    return kind;
}

/* Is some task pending in every input (or can they not be read)? */
static int inputs_miss_tasks(const char *const *inputs, int n,
                             const pdx_grid *grid, const pdx_layout *layout)
{
    int8_t *status = calloc(grid->n_tasks > 0 ? grid->n_tasks : 1, 1);
    int missing = status == NULL;
    for (int i = 0; i < n && !missing; i++)
        missing = pdx_store_gather_status(inputs[i], grid, layout, status,
                                          NULL) != PDX_OK;
    for (uint64_t t = 0; t < grid->n_tasks && !missing; t++)
        missing = status[t] == PDX_TASK_PENDING;
    free(status);
    return missing;
}

/* The overwrite policy of every writer (pdx_output_decide): merge never
 * writes over a file that is not a result file -- a theory file, foreign
 * HDF5, a spec or other non-HDF5 file, a directory -- even with --force.
 * Prints why (exit 2; exit 1 when the file cannot be looked at). */
static int refuse_other_kind(const char *target, const char *spec_sha256,
                             int force)
{
    pdx_output_decision d;
    char *resolved = NULL;
    pdx_error reason, err;
    pdx_error_clear(&reason);
    pdx_error_clear(&err);
    if (pdx_output_check(PDX_WRITER_RESULT, target, spec_sha256, force, &d,
                         &resolved, &reason, &err) != PDX_OK)
        return pdx_cli_report(&err);
    free(resolved);
    if (d.action == PDX_OUTPUT_REFUSE && d.even_forced) {
        fprintf(stderr, "pdx: error: %s\n", reason.message);
        return 2;
    }
    return 0;
}

/* May the merge replace an existing `out`? Prints why not (exit 2). */
static int check_target(const char *out, const char *const *inputs, int n,
                        const pdx_store_info *infos, const pdx_grid *grid,
                        const pdx_layout *layout, int partial)
{
    for (int i = 0; i < n; i++)
        if (strcmp(out, inputs[i]) == 0)
            return 0;
    merge_target kind = classify_target(out, &infos[0], grid);
    if (kind == TARGET_FOREIGN) {
        fprintf(stderr, "pdx: error: %s exists and is not a result file "
                        "of this spec (or of a spec it extends); "
                        "--force overwrites it\n",
                out);
        return 2;
    }
    if (kind == TARGET_EXTENDED && partial &&
        inputs_miss_tasks(inputs, n, grid, layout)) {
        fprintf(stderr, "pdx: error: %s holds the results of a spec this "
                        "one extends, and a partial merge would replace "
                        "it without the tasks of the shards not given: "
                        "merge every shard of the extended sweep (each "
                        "starts with its share of %s), or --force "
                        "replaces it\n",
                out, out);
        return 2;
    }
    return 0;
}

/* Damaged tasks found in the sources (checksum mismatch), by cell and
 * file (stderr): never copied. */
static void report_damaged(const pdx_store_merge_report *rep,
                           const pdx_grid *grid, const char *const *inputs,
                           int n, const char *out)
{
    fprintf(stderr, "pdx: warning: %llu finished tasks in the files are "
                    "damaged (their data do not match their checksum) and "
                    "were not copied%s, e.g.:\n",
            (unsigned long long)rep->damaged,
            rep->damaged_missing == 0 ? "; an intact copy in another file "
                                        "was taken"
                                      : "");
    for (uint64_t i = 0; i < rep->damaged && i < 8; i++) {
        char where[512];
        pdx_grid_describe_task(grid, rep->damaged_task[i], where,
                               sizeof where);
        size_t j = rep->damaged_source[i];
        fprintf(stderr, "  task %llu in %s: %s\n",
                (unsigned long long)rep->damaged_task[i],
                j < (size_t)n ? inputs[j] : out, where);
    }
    if (rep->damaged_missing > 0)
        fprintf(stderr, "pdx: %llu of them are intact in no file: `pdx run "
                        "SPEC` on a damaged file (with its -o and --shard) "
                        "runs its damaged tasks again\n",
                (unsigned long long)rep->damaged_missing);
}

/* The tasks no input holds, and what to do about them (stderr). */
static void report_missing(const pdx_store_merge_report *rep,
                           const pdx_grid *grid, const pdx_store_info *infos,
                           int n, const char *out, pdx_status st)
{
    fprintf(stderr, "pdx: %llu of %llu tasks are missing (pending "
                    "in every file%s), e.g.:\n",
            (unsigned long long)rep->missing,
            (unsigned long long)rep->tasks,
            rep->damaged_missing > 0 ? ", or damaged" : "");
    for (uint64_t i = 0; i < rep->missing && i < 8; i++) {
        char where[512];
        pdx_grid_describe_task(grid, rep->first_missing[i], where,
                               sizeof where);
        fprintf(stderr, "  task %llu: %s\n",
                (unsigned long long)rep->first_missing[i], where);
    }
    uint64_t count = infos[0].shard_count;
    char absent[512] = "";
    /* shards no input names may be in OUT itself: only without it */
    if (count > 1 && !rep->target_read)
        pdx_cli_missing_shards(infos, n, count, absent, sizeof absent);
    if (absent[0] != '\0')
        fprintf(stderr, "pdx: no file of shard(s) %s of %llu was "
                        "given\n",
                absent, (unsigned long long)count);
    if (st == PDX_OK)
        fprintf(stderr, "pdx: %s is a working file: `pdx run "
                        "SPEC -o %s` computes the missing tasks\n",
                out, out);
    else
        fprintf(stderr, "pdx: run the missing shards and merge "
                        "again, or use --partial to write a working "
                        "file that `pdx run SPEC -o %s` completes\n",
                out);
}

int pdx_cli_merge(int argc, char **argv, const char *command_line)
{
    int partial = 0, force = 0, quiet = 0;
    static const struct option opts[] = {{"partial", no_argument, 0, 'p'},
                                         {"force", no_argument, 0, 'f'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fqh", opts, NULL)) != -1) {
        switch (c) {
        case 'p': partial = 1; break;
        case 'f': force = 1; break;
        case 'q': quiet = 1; break;
        case 'h':
            fputs(merge_usage, stdout);
            return 0;
        default: return 2;
        }
    }
    if (argc - optind < 2)
        return pdx_cli_usage_error(
            "pdx", "merge needs OUT and at least one input FILE");
    const char *out = argv[optind];
    const char *const *inputs = (const char *const *)argv + optind + 1;
    int n = argc - optind - 1;
    /* the file written: out, or the file of a symbolic link out */
    char *target = resolve_output(out);
    if (target == NULL)
        return 2;
    pdx_store_info *infos = calloc((size_t)n, sizeof *infos);
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    int rc = 0;
    pdx_error err;
    pdx_error_clear(&err);
    if (infos == NULL) {
        free(target);
        return pdx_cli_report(
            &(pdx_error){.status = PDX_ERR_NOMEM, .message = "out of memory"});
    }
    const char *earliest = NULL;
    for (int i = 0; i < n && rc == 0; i++) {
        if (pdx_store_inspect(inputs[i], &infos[i], &err) != PDX_OK) {
            rc = pdx_cli_report(&err);
        } else if (strcmp(infos[i].spec_sha256, infos[0].spec_sha256) != 0) {
            fprintf(stderr,
                    "pdx: error: %s was written for another spec than %s "
                    "(SHA-256 %.16s... and %.16s...): only files of one "
                    "spec merge\n",
                    inputs[i], inputs[0], infos[i].spec_sha256,
                    infos[0].spec_sha256);
            rc = 1;
        } else if (earliest == NULL ||
                   strcmp(infos[i].start_time, earliest) < 0) {
            earliest = infos[i].start_time;
        }
    }
    /* the writer's lock of the target, before the policy looks at it */
    pdx_output_lock *lock = NULL;
    if (rc == 0 && pdx_output_lock_take(&lock, target, &err) != PDX_OK)
        rc = pdx_cli_report(&err);
    if (rc == 0)
        rc = pdx_cli_load_spec_of_file(&infos[0], inputs[0], &spec, &grid);
    pdx_layout layout;
    if (rc == 0)
        pdx_sweep_layout(grid, &layout);
    if (rc == 0)
        rc = refuse_other_kind(target, infos[0].spec_sha256, force);
    if (rc == 0 && !force && pdx_cli_file_exists(target))
        rc = check_target(target, inputs, n, infos, grid, &layout, partial);
    if (rc == 0) {
        char host[256] = "unknown", end_time[64];
        gethostname(host, sizeof host - 1);
        pdx_cli_iso_time_now(end_time, sizeof end_time);
        pdx_provenance prov = {infos[0].pdx_version, infos[0].git_describe,
                               command_line,         host,
                               earliest,             infos[0].rng,
                               infos[0].rng_key_version};
        pdx_store_merge_report rep;
        pdx_status st = pdx_store_merge(target, inputs, (size_t)n, grid,
                                        &layout, &prov, partial, end_time,
                                        &rep, &err);
        if (rep.warning[0] != '\0')
            fprintf(stderr, "pdx: warning: %s\n", rep.warning);
        if (st != PDX_OK)
            rc = pdx_cli_report(&err);
        if (rep.damaged > 0)
            report_damaged(&rep, grid, inputs, n, out);
        if (rep.unverified > 0 && !quiet)
            fprintf(stderr, "pdx: note: %llu of the files have no checksums "
                            "(written by an older pdx): their tasks were "
                            "copied unverified\n",
                    (unsigned long long)rep.unverified);
        if (rep.missing > 0)
            report_missing(&rep, grid, infos, n, out, st);
        char kept[600] = "";
        if (rep.kept > 0)
            snprintf(kept, sizeof kept, "; %llu only in the existing %s, "
                     "kept", (unsigned long long)rep.kept, out);
        if (st == PDX_OK && !quiet)
            fprintf(stderr,
                    "pdx: merged %d files into %s: %llu of %llu tasks "
                    "finished (%llu in several files, identical%s)\n",
                    n, out, (unsigned long long)rep.finished,
                    (unsigned long long)rep.tasks,
                    (unsigned long long)rep.overlapping, kept);
        if (st == PDX_OK)
            printf("%s\n", out);
    }
    pdx_output_lock_release(&lock);
    for (int i = 0; i < n; i++)
        pdx_store_info_clear(&infos[i]);
    free(infos);
    free(target);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return rc;
}
