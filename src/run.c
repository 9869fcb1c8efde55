/* run.c — the policy for one run's output (include/pdx/run.h): settings,
 * the decision table, open / execute / finish, and the MPI merge. */
#include "pdx/run.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pdx/cluster.h"
#include "pdx/layout.h"
#include "pdx/rng.h"
#include "pdx/store.h"
#include "fileutil.h"
#include "version.h"

#ifndef PDX_VERSION
#define PDX_VERSION "unknown"
#endif

struct pdx_run {
    pdx_run_settings settings;
    uint64_t shard_index, shard_count;
    int threads;
    pdx_spec *spec;
    pdx_grid *grid;
    pdx_layout layout;
    pdx_store_options store_options;
    pdx_provenance provenance;
    char host[256], start_time[64];
    char default_output[160];
    char shard_path[4096];
    const char *output;    /* the sweep's result file */
    const char *file;      /* this run's: output or shard_path, or the
                            * target of the symbolic link it names */
    char *resolved_file;   /* owned: what `file` points to */
    pdx_file_kind merged_kind;
    int create;            /* the sweep creates the file */
    pdx_sweep_new_store new_store;
    pdx_store *store;
    int8_t *status;
    pdx_output_lock *lock; /* of `file`, from pdx_run_open to destroy */
    pdx_store_verify_report verify; /* the check of the file's checksums */
    int verified;          /* verify holds a check (pdx_run_outcome) */
};

pdx_run_settings pdx_run_settings_default(void)
{
    pdx_run_settings s;
    memset(&s, 0, sizeof s);
    s.grace = -1.0;
    s.commit_window = -1.0;
    s.mpi_size = 1;
    return s;
}

pdx_status pdx_run_settings_validate(const pdx_run_settings *s,
                                     pdx_error *err)
{
    if (s == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "no run settings");
    if (s->output != NULL && s->output[0] == '\0')
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "output",
                             "--output: the file name is empty");
    if (s->force && s->extend)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "force",
                             "--force and --extend contradict each other: "
                             "--force starts over and discards the output's "
                             "results, --extend keeps them; give one");
    if (s->threads < 0 || s->threads > PDX_RUN_MAX_THREADS)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "threads",
                             "--threads: '%d' is not a thread count "
                             "(1 .. %d)",
                             s->threads, PDX_RUN_MAX_THREADS);
    if (s->bundle < 0 || s->bundle > PDX_RUN_MAX_BUNDLE)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "bundle",
                             "--bundle: '%d' is not a bundle size (1 .. %d)",
                             s->bundle, PDX_RUN_MAX_BUNDLE);
    if (isnan(s->grace) || s->grace > PDX_RUN_MAX_GRACE)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "grace",
                             "--grace: '%g' is not a number of seconds",
                             s->grace);
    if (isnan(s->commit_window) ||
        s->commit_window > PDX_SWEEP_MAX_COMMIT_WINDOW)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "commit_window",
                             "--commit-window: '%g' is not a number of "
                             "seconds (0 .. %g)",
                             s->commit_window, PDX_SWEEP_MAX_COMMIT_WINDOW);
    if (s->mpi_size < 1 || s->mpi_rank < 0 || s->mpi_rank >= s->mpi_size)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "mpi",
                             "MPI rank %d of %d does not exist", s->mpi_rank,
                             s->mpi_size);
    if (s->mpi_size > 1 && s->shard_count != 0)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "shard",
                             "--shard cannot be given under MPI: each of "
                             "the %d ranks runs its own shard",
                             s->mpi_size);
    if (s->task_mask != NULL && (s->shard_count != 1 || s->mpi_size > 1))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "shard",
                             "a task mask runs the whole grid's file: "
                             "shard count 1, no MPI");
    if (s->shard_count != 0 && s->shard_index >= s->shard_count)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "shard",
                             "--shard: shard %llu of %llu does not exist "
                             "(0 .. %llu)",
                             (unsigned long long)s->shard_index,
                             (unsigned long long)s->shard_count,
                             (unsigned long long)s->shard_count - 1);
    return PDX_OK;
}

static pdx_run_decision decision(pdx_run_action action, int about_merged,
                                 int hint_extend, const char *reason)
{
    return (pdx_run_decision){action, about_merged, hint_extend, 0, reason};
}

/* ---- the overwrite policy (pdx_output_decide) ---- */

static pdx_output_decision output_decision(pdx_output_action action,
                                           int even_forced,
                                           const char *reason)
{
    return (pdx_output_decision){action, even_forced, reason};
}

pdx_output_decision pdx_output_decide(pdx_output_writer writer, int force,
                                      const pdx_output_found *f)
{
    pdx_file_kind own = writer == PDX_WRITER_THEORY ? PDX_FILE_THEORY
                                                    : PDX_FILE_RESULT;
    if (f->kind == PDX_FILE_ABSENT || f->kind == PDX_FILE_EMPTY)
        return output_decision(PDX_OUTPUT_WRITE, 0, "no file yet");
    if (f->kind != own)
        return output_decision(PDX_OUTPUT_REFUSE, 1,
                               "not a pdx file of the writer's kind");
    if (force)
        return output_decision(PDX_OUTPUT_REPLACE, 0,
                               "--force: replace it");
    if (f->same_spec && f->complete)
        return output_decision(PDX_OUTPUT_COMPLETE, 0,
                               "finished for this spec");
    if (writer == PDX_WRITER_RESULT)
        return output_decision(PDX_OUTPUT_EXISTING, 0,
                               "a result file: the command's own rules");
    return output_decision(PDX_OUTPUT_REFUSE, 0,
                           "holds the theory of another spec");
}

const char *pdx_output_action_name(pdx_output_action action)
{
    static const char *const names[] = {"write", "replace", "existing",
                                        "complete", "refuse"};
    return (unsigned)action < sizeof names / sizeof names[0]
               ? names[action]
               : "unknown";
}

pdx_status pdx_output_resolve(const char *path, char **out, pdx_error *err)
{
    *out = NULL;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        *out = realpath(path, NULL);
        if (*out == NULL)
            return pdx_error_set(
                err, PDX_ERR_IO, path, 0, 0, NULL,
                "a symbolic link whose target cannot be reached (%s): pdx "
                "writes through a link to its target; fix or remove the "
                "link, or choose another file with -o",
                strerror(errno));
        return PDX_OK;
    }
    *out = strdup(path);
    if (*out == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory");
    return PDX_OK;
}

pdx_status pdx_output_lock_take(pdx_output_lock **out, const char *path,
                                pdx_error *err)
{
    *out = NULL;
    char *resolved = NULL;
    pdx_status st = pdx_output_resolve(path, &resolved, err);
    if (st == PDX_OK)
        st = pdx_file_lock_take(out, resolved, 0, err);
    free(resolved);
    return st;
}

void pdx_output_lock_release(pdx_output_lock **lock)
{
    pdx_file_lock_release(lock);
}

/* Why the policy refuses (or finds nothing to do at) `path`, and what to
 * do, into *reason (the path in the message, which reads as a sentence). */
static void output_reason(pdx_output_writer writer, const char *path,
                          pdx_file_kind kind, pdx_output_decision d,
                          pdx_error *reason)
{
    const char *command = writer == PDX_WRITER_THEORY ? "pdx theory"
                                                      : "pdx run or merge";
    if (d.action == PDX_OUTPUT_COMPLETE)
        pdx_error_set(reason, PDX_OK, NULL, 0, 0, NULL,
                      "%s is already complete for this spec; nothing to "
                      "do (--force recomputes it)",
                      path);
    else if (d.even_forced)
        pdx_error_set(reason, PDX_ERR_MISMATCH, NULL, 0, 0, NULL,
                      "%s already exists and is %s: %s never writes over "
                      "it, even with --force; choose another output file "
                      "(or move it away first)",
                      path, pdx_file_kind_text(kind), command);
    else
        pdx_error_set(reason, PDX_ERR_MISMATCH, NULL, 0, 0, NULL,
                      "%s already exists and holds the theory of another "
                      "spec; use --force to replace it, or -o to choose "
                      "another file",
                      path);
}

pdx_status pdx_output_check(pdx_output_writer writer, const char *path,
                            const char *spec_sha256, int force,
                            pdx_output_decision *decision, char **resolved,
                            pdx_error *reason, pdx_error *err)
{
    *resolved = NULL;
    if (path == NULL || path[0] == '\0')
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "output",
                             "--output: the file name is empty");
    pdx_status st = pdx_output_resolve(path, resolved, err);
    pdx_output_found found = {PDX_FILE_ABSENT, 0, 0};
    if (st == PDX_OK)
        st = pdx_store_file_kind(*resolved, &found.kind, err);
    if (st == PDX_OK && found.kind ==
                            (writer == PDX_WRITER_THEORY ? PDX_FILE_THEORY
                                                         : PDX_FILE_RESULT)) {
        pdx_store_info info;
        st = pdx_store_inspect(*resolved, &info, err);
        found.same_spec = st == PDX_OK &&
                          strcmp(info.spec_sha256, spec_sha256) == 0;
        found.complete = st == PDX_OK && info.complete;
        pdx_store_info_clear(&info);
    }
    if (st != PDX_OK) {
        free(*resolved);
        *resolved = NULL;
        return st;
    }
    *decision = pdx_output_decide(writer, force, &found);
    if (reason != NULL)
        output_reason(writer, path, found.kind, *decision, reason);
    return PDX_OK;
}

pdx_run_decision pdx_run_decide(const pdx_run_settings *s,
                                const pdx_run_found *f)
{
    int hint = !s->extend;
    if (f->file_exists && !f->file_is_pdx) {
        pdx_run_decision d = decision(PDX_RUN_REFUSE, 0, 0,
                                      "not a pdx result file");
        d.even_forced = 1;
        return d;
    }
    if (f->sharded && f->merged_exists && f->merged_foreign) {
        pdx_run_decision d = decision(PDX_RUN_REFUSE, 1, 0,
                                      "the merged file is not a pdx result "
                                      "file");
        d.even_forced = 1;
        return d;
    }
    if (f->sharded && !s->force && f->merged_exists && f->merged_complete &&
        f->merged_same_spec)
        return decision(PDX_RUN_SWEEP_COMPLETE, 1, 0,
                        "the sweep's merged file is finished for this spec");
    if (s->force)
        return decision(PDX_RUN_CREATE, 0, 0, "--force: start over");
    if (f->file_exists) {
        if (f->file_complete && f->file_same_spec && f->file_damaged)
            return f->extend_refused
                       ? decision(PDX_RUN_REFUSE, 0, 0,
                                  "finished with damaged tasks, and it "
                                  "cannot be rebuilt")
                       : decision(PDX_RUN_EXTEND, 0, 0,
                                  "finished with damaged tasks: rebuild it "
                                  "from its intact tasks, run the damaged "
                                  "ones again");
        if (f->file_complete && f->file_same_spec)
            return decision(PDX_RUN_COMPLETE, 0, 0,
                            "finished for this spec");
        if (!f->resume_refused)
            return decision(PDX_RUN_RESUME, 0, 0,
                            "a pdx file: try to resume it");
        if (!s->extend || f->sharded || f->file_same_spec)
            return decision(PDX_RUN_REFUSE, 0, hint,
                            "does not match this spec and is not extended");
        if (f->extend_refused)
            return decision(PDX_RUN_REFUSE, 0, hint,
                            "this spec does not extend the file's");
        return decision(PDX_RUN_EXTEND, 0, 0,
                        "--extend: keep the file's finished tasks");
    }
    if (!f->sharded || !f->merged_exists)
        return decision(PDX_RUN_CREATE, 0, 0, "no file yet");
    if (!f->merged_same_spec && !s->extend)
        return decision(PDX_RUN_REFUSE, 1, hint,
                        "the merged file holds another spec");
    if (f->extend_refused)
        return decision(PDX_RUN_REFUSE, 1, hint,
                        "this spec does not extend the merged file's");
    return decision(PDX_RUN_EXTEND, 1, 0,
                    "a shard of a sweep with a merged file: keep its "
                    "finished tasks");
}

const char *pdx_run_action_name(pdx_run_action action)
{
    static const char *const names[] = {"create",   "resume",
                                        "extend",   "complete",
                                        "sweep-complete", "refuse"};
    return (unsigned)action < sizeof names / sizeof names[0]
               ? names[action]
               : "unknown";
}

static void iso_time_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The shard: MPI rank, the settings, a SLURM array, or the whole grid. */
static pdx_status choose_shard(pdx_run *run, pdx_error *err)
{
    const pdx_run_settings *s = &run->settings;
    run->shard_index = 0;
    run->shard_count = 1;
    if (s->mpi_size > 1) {
        run->shard_index = (uint64_t)s->mpi_rank;
        run->shard_count = (uint64_t)s->mpi_size;
        return PDX_OK;
    }
    if (s->shard_count != 0) {
        run->shard_index = s->shard_index;
        run->shard_count = s->shard_count;
        return PDX_OK;
    }
    int found = 0;
    return pdx_cluster_shard_from_env(&found, &run->shard_index,
                                      &run->shard_count, err);
}

pdx_status pdx_run_create(pdx_run **out, const char *spec_path,
                          const pdx_run_settings *settings, pdx_error *err)
{
    *out = NULL;
    pdx_status st = pdx_run_settings_validate(settings, err);
    if (st != PDX_OK)
        return st;
    pdx_run *run = calloc(1, sizeof *run);
    if (run == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the run");
    run->settings = *settings;
    if (run->settings.command_line == NULL)
        run->settings.command_line = "";
    st = choose_shard(run, err);
    if (st == PDX_OK)
        st = pdx_spec_parse_file_overrides(&run->spec, spec_path,
                                           settings->overrides,
                                           settings->n_overrides, err);
    if (st == PDX_OK)
        st = pdx_grid_create(&run->grid, run->spec, err);
    if (st != PDX_OK) {
        pdx_run_destroy(&run);
        return st;
    }
    run->threads = settings->threads > 0 ? settings->threads
                                         : omp_get_max_threads();
    *out = run;
    return PDX_OK;
}

double pdx_run_machine_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : INFINITY;
}

pdx_status pdx_run_check_memory(const pdx_spec *spec, const pdx_grid *grid,
                                int threads, pdx_error *err)
{
    double need = pdx_sweep_memory_bytes(grid, threads);
    double have = pdx_run_machine_memory_bytes();
    if (need > 0.8 * have)
        return pdx_error_set(
            err, PDX_ERR_TOO_BIG, spec->path, 0, 0, NULL,
            "the run needs about %.3g GiB of memory with %d threads but "
            "the machine has %.3g GiB (reduce N, record.test_size, hidden "
            "units or --threads)",
            need / 1073741824.0, threads, have / 1073741824.0);
    return PDX_OK;
}

/* Memory, file names, layout, store options and provenance. */
static pdx_status prepare(pdx_run *run, pdx_error *err)
{
    pdx_status st = pdx_run_check_memory(run->spec, run->grid, run->threads,
                                         err);
    if (st != PDX_OK)
        return st;
    run->output = run->settings.output;
    if (run->output == NULL) {
        snprintf(run->default_output, sizeof run->default_output, "%s.h5",
                 run->spec->base.name);
        run->output = run->default_output;
    }
    run->file = run->output;
    if (run->shard_count > 1) {
        st = pdx_cluster_shard_path(
            run->output, run->shard_index, run->shard_count,
            run->shard_path, sizeof run->shard_path, err);
        if (st != PDX_OK)
            return st;
        run->file = run->shard_path;
    }
    st = pdx_output_resolve(run->file, &run->resolved_file, err);
    if (st != PDX_OK)
        return st;
    run->file = run->resolved_file;
    pdx_sweep_layout(run->grid, &run->layout);
    run->store_options =
        (pdx_store_options){.fsync_each_commit = run->settings.fsync_each,
                            .shard_index = run->shard_index,
                            .shard_count = run->shard_count,
                            .threads = run->threads};
    snprintf(run->host, sizeof run->host, "unknown");
    gethostname(run->host, sizeof run->host - 1);
    iso_time_now(run->start_time, sizeof run->start_time);
    run->provenance = (pdx_provenance){
        PDX_VERSION,        PDX_GIT_DESCRIBE, run->settings.command_line,
        run->host,          run->start_time,  PDX_RNG_NAME,
        PDX_RNG_KEY_VERSION};
    return PDX_OK;
}

/* What is at `path`: into *kind, *exists (not absent, not empty) and
 * *is_result. */
static pdx_status look_at(const char *path, pdx_file_kind *kind,
                          int *exists, int *is_result, pdx_error *err)
{
    pdx_status st = pdx_store_file_kind(path, kind, err);
    *exists = st == PDX_OK && *kind != PDX_FILE_ABSENT &&
              *kind != PDX_FILE_EMPTY;
    *is_result = st == PDX_OK && *kind == PDX_FILE_RESULT;
    return st;
}

/* Check the checksums of the file at `path` (of this run's spec) into
 * run->verify. */
static pdx_status check_file(pdx_run *run, const char *path, pdx_error *err)
{
    pdx_store_verify_report_clear(&run->verify);
    pdx_status st = pdx_store_verify_file(path, run->grid, &run->layout,
                                          &run->verify, err);
    run->verified = st == PDX_OK;
    return st;
}

/* Look at the disk as far as the table needs (the settings decide what is
 * read: only the kinds of the files under --force). A file that is not a
 * pdx result file is a fact; other failures to read are errors. */
static pdx_status survey(pdx_run *run, pdx_run_found *f, pdx_error *err)
{
    const pdx_run_settings *s = &run->settings;
    memset(f, 0, sizeof *f);
    f->sharded = run->shard_count > 1;
    pdx_status st = look_at(run->file, &f->file_kind, &f->file_exists,
                            &f->file_is_pdx, err);
    /* a file of a pdx before the canonical identity: its spec text decides
     * whether it is this spec's (issue 19) */
    if (st == PDX_OK && f->file_is_pdx)
        pdx_run_older_identity(run->spec, run->file);
    if (st == PDX_OK && f->sharded) {
        pdx_file_kind merged_kind;
        int merged_result = 0;
        st = look_at(run->output, &merged_kind, &f->merged_exists,
                     &merged_result, err);
        f->merged_foreign = f->merged_exists && !merged_result;
        if (st == PDX_OK && merged_result)
            pdx_run_older_identity(run->spec, run->output);
        run->merged_kind = merged_kind;
    }
    if (st != PDX_OK || s->force || (f->file_exists && !f->file_is_pdx) ||
        f->merged_foreign)
        return st;
    if (f->merged_exists) {
        pdx_store_info info;
        pdx_error ignored;
        f->merged_complete =
            pdx_store_inspect(run->output, &info, &ignored) == PDX_OK &&
            info.complete && info.shard_count <= 1 &&
            pdx_store_spec_matches(run->spec, info.spec_sha256);
        pdx_store_info_clear(&info);
        /* complete only when intact: else this shard takes its intact
         * tasks from it and runs the damaged ones again */
        if (f->merged_complete)
            f->merged_complete = check_file(run, run->output, &ignored) ==
                                     PDX_OK &&
                                 run->verify.n_damaged == 0;
        f->merged_same_spec = f->merged_complete;
        if (f->merged_complete)
            return PDX_OK;
    }
    if (f->file_exists) {
        pdx_store_info info;
        st = pdx_store_inspect(run->file, &info, err);
        if (st != PDX_OK) {
            if (!file_exists(run->file))
                return pdx_error_set(err, PDX_ERR_IO, run->file, 0, 0, NULL,
                                     "the file went away while it was "
                                     "being opened; run the same command "
                                     "again");
            return st;
        }
        f->file_same_spec = pdx_store_spec_matches(run->spec,
                                                   info.spec_sha256);
        uint64_t count = run->shard_count > 1 ? run->shard_count : 1;
        f->file_complete = info.complete && info.shard_count == count &&
                           info.shard_index == run->shard_index;
        pdx_store_info_clear(&info);
        /* a finished file is only complete when its checksums match */
        if (f->file_complete && f->file_same_spec) {
            st = check_file(run, run->file, err);
            if (st != PDX_OK)
                return st;
            f->file_damaged = run->verify.n_damaged > 0;
        }
    } else if (f->merged_exists) {
        char file_sha[65];
        int complete = 0;
        st = pdx_store_probe(run->output, file_sha, &complete, err);
        if (st != PDX_OK)
            return st;
        f->merged_same_spec = pdx_store_spec_matches(run->spec, file_sha);
    }
    return PDX_OK;
}

/* pdx_store_create_extended of run->file from `base`, with the grid of the
 * spec stored in `base` (the store does not parse specs; it says why when
 * there is no grid to build: no spec, a shard file). */
static pdx_status create_extended(pdx_run *run, const char *base,
                                  uint64_t *carried, pdx_error *err)
{
    pdx_store_info info;
    pdx_spec *base_spec = NULL;
    pdx_grid *base_grid = NULL;
    pdx_status st = pdx_store_inspect(base, &info, err);
    /* a shard file: only its own rebuild (same shard, same spec) */
    if (st == PDX_OK && info.spec_text != NULL &&
        (info.shard_count <= 1 ||
         (info.shard_count == run->shard_count &&
          info.shard_index == run->shard_index))) {
        pdx_error inner;
        pdx_error_clear(&inner);
        if (pdx_spec_parse_string(&base_spec, info.spec_text,
                                  info.spec_length,
                                  info.spec_path != NULL ? info.spec_path
                                                         : base,
                                  &inner) != PDX_OK) {
            char buf[1024];
            pdx_error_format(&inner, buf, sizeof buf);
            st = pdx_error_set(err, PDX_ERR_SPEC, base, 0, 0, "/@spec",
                               "the spec stored in the file does not parse "
                               "with this pdx: %s",
                               buf);
        } else {
            st = pdx_grid_create(&base_grid, base_spec, err);
        }
    }
    pdx_store_verify_report_clear(&run->verify);
    if (st == PDX_OK)
        st = pdx_store_create_extended(&run->store, run->file, base,
                                       base_grid, run->grid, &run->layout,
                                       &run->provenance, &run->store_options,
                                       carried, &run->verify, err);
    run->verified = st == PDX_OK;
    pdx_grid_destroy(&base_grid);
    pdx_spec_destroy(&base_spec);
    pdx_store_info_clear(&info);
    return st;
}

/* A file refused because it holds another spec (issue 21): name the keys
 * that differ in outcome->reason and say in outcome->spec_extends whether
 * this spec extends the file's (pdx_grid_embed). Left as it was when the
 * file's spec cannot be read or is this spec. */
static void explain_other_spec(const pdx_run *run, const char *path,
                               pdx_run_outcome *outcome)
{
    pdx_store_info info;
    pdx_spec *old_spec = NULL;
    pdx_grid *old_grid = NULL;
    size_t *map = NULL;
    char diff[440];
    pdx_error why;
    pdx_error_clear(&why);
    if (pdx_store_inspect(path, &info, NULL) != PDX_OK)
        return;
    if (info.spec_text != NULL &&
        !pdx_store_spec_matches(run->spec, info.spec_sha256) &&
        pdx_spec_parse_string(&old_spec, info.spec_text, info.spec_length,
                              path, NULL) == PDX_OK) {
        size_t n = pdx_spec_describe_difference(old_spec, run->spec, diff,
                                                sizeof diff);
        if (info.shard_count > 1)
            pdx_error_set(&why, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                          "a shard file is never extended");
        outcome->spec_extends =
            info.shard_count <= 1 &&
            pdx_grid_create(&old_grid, old_spec, &why) == PDX_OK &&
            pdx_grid_embed(old_grid, run->grid, &map, &why) == PDX_OK;
        pdx_error_set(&outcome->reason, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                      "it was written for a different spec: %s%s%.100s%s%.200s",
                      n > 0 ? diff
                            : "the same keys and values, only comments or "
                              "layout differ",
                      outcome->spec_extends ? "" : "; not an extension: ",
                      outcome->spec_extends ? "" : why.key,
                      outcome->spec_extends || why.key[0] == '\0' ? "" : ": ",
                      outcome->spec_extends ? "" : why.message);
    }
    free(map);
    pdx_grid_destroy(&old_grid);
    pdx_spec_destroy(&old_spec);
    pdx_store_info_clear(&info);
}

/* Try the decided action; a store that refuses (PDX_ERR_MISMATCH) becomes
 * a fact for the next decision (*retry set). */
static pdx_status act(pdx_run *run, pdx_run_found *f,
                      pdx_run_outcome *outcome, int *retry, pdx_error *err)
{
    pdx_run_action action = outcome->decision.action;
    *retry = 0;
    outcome->path = run->file;
    if (action == PDX_RUN_RESUME) {
        pdx_error_clear(&outcome->reason);
        pdx_status st = pdx_store_open(&run->store, run->file, run->grid,
                                       &run->layout, &run->store_options,
                                       &outcome->reason);
        if (st == PDX_ERR_MISMATCH) {
            f->resume_refused = 1;
            *retry = 1;
            return PDX_OK;
        }
        if (st != PDX_OK)
            *err = outcome->reason;
        outcome->opened = st == PDX_OK;
        return st;
    }
    if (action != PDX_RUN_EXTEND)
        return PDX_OK;
    outcome->base = outcome->decision.about_merged ? run->output : run->file;
    pdx_error_clear(&outcome->reason);
    pdx_status st = create_extended(run, outcome->base, &outcome->carried,
                                    &outcome->reason);
    if (st == PDX_ERR_MISMATCH) {
        f->extend_refused = 1;
        *retry = 1;
        return PDX_OK;
    }
    if (st != PDX_OK)
        *err = outcome->reason;
    outcome->opened = st == PDX_OK;
    return st;
}

pdx_status pdx_run_open(pdx_run *run, pdx_run_outcome *outcome,
                        pdx_error *err)
{
    memset(outcome, 0, sizeof *outcome);
    pdx_status st = prepare(run, err);
    if (st != PDX_OK)
        return st;
    /* the writer's lock before anything looks at the file (a new file is
     * created under it too); a shard also holds the merged file's lock,
     * shared, while it reads it: never while a merge or a whole-grid run
     * writes it, and any number of shards at once */
    st = pdx_file_lock_take(&run->lock, run->file, 0, err);
    if (st != PDX_OK)
        return st;
    pdx_file_lock *merged_lock = NULL;
    if (run->shard_count > 1) {
        char *merged = NULL;
        st = pdx_output_resolve(run->output, &merged, err);
        if (st == PDX_OK)
            st = pdx_file_lock_take(&merged_lock, merged, 1, err);
        free(merged);
        if (st != PDX_OK)
            return st;
    }
    pdx_run_found found;
    st = survey(run, &found, err);
    int retry = 1;
    while (st == PDX_OK && retry) {
        outcome->decision = pdx_run_decide(&run->settings, &found);
        st = act(run, &found, outcome, &retry, err);
    }
    pdx_file_lock_release(&merged_lock);
    if (st != PDX_OK)
        return st;
    const pdx_run_decision *d = &outcome->decision;
    outcome->path = d->about_merged && d->action != PDX_RUN_EXTEND
                        ? run->output
                        : run->file;
    if (d->action == PDX_RUN_REFUSE && d->even_forced)
        output_reason(PDX_WRITER_RESULT, outcome->path,
                      d->about_merged ? run->merged_kind : found.file_kind,
                      (pdx_output_decision){PDX_OUTPUT_REFUSE, 1, NULL},
                      &outcome->reason);
    else if (d->action == PDX_RUN_REFUSE && d->about_merged &&
             !found.merged_same_spec && !found.extend_refused)
        pdx_error_set(&outcome->reason, PDX_ERR_MISMATCH, run->output, 0, 0,
                      NULL,
                      "the merged file of this sweep was written for "
                      "another spec");
    outcome->spec_extends = -1;
    if (d->action == PDX_RUN_REFUSE && !d->even_forced)
        explain_other_spec(run, outcome->path, outcome);
    run->create = d->action == PDX_RUN_CREATE;
    /* a resumed file's finished tasks are checked; damaged ones run again */
    if (d->action == PDX_RUN_RESUME && run->store != NULL) {
        pdx_store_verify_report_clear(&run->verify);
        st = pdx_store_verify(run->store, &run->verify, err);
        run->verified = st == PDX_OK;
        if (st == PDX_OK && run->verify.n_damaged > 0)
            st = pdx_store_reset_tasks(run->store, run->verify.damaged,
                                       (size_t)run->verify.n_damaged, err);
        if (st != PDX_OK)
            return st;
    }
    outcome->verify = run->verified && d->action != PDX_RUN_CREATE &&
                              d->action != PDX_RUN_REFUSE
                          ? &run->verify
                          : NULL;
    if (!run->create && run->store == NULL)
        return PDX_OK;
    run->status = calloc((size_t)run->grid->n_tasks, 1); /* 0: pending */
    if (run->status == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the status array");
    if (run->store != NULL)
        return pdx_store_read_status(run->store, run->status, err);
    return PDX_OK;
}

pdx_status pdx_run_execute(pdx_run *run, pdx_sweep_summary *summary,
                           pdx_error *err)
{
    const pdx_run_settings *s = &run->settings;
    pdx_sweep_options o = pdx_sweep_options_default();
    run->new_store = (pdx_sweep_new_store){run->file, &run->provenance,
                                           &run->store_options, NULL};
    if (run->create)
        o.create = &run->new_store;
    o.prepare_finish = 1;
    o.threads = run->threads;
    o.quiet = s->quiet;
    o.progress_tty = s->progress_tty;
    o.stop = s->stop;
    o.max_bundle = s->bundle;
    if (s->grace >= 0.0)
        o.grace_seconds = s->grace;
    if (s->commit_window >= 0.0)
        o.commit_window = s->commit_window;
    o.shard_index = run->shard_index;
    o.shard_count = run->shard_count;
    if (s->task_mask != NULL && run->status != NULL) {
        /* tasks outside the mask count as not pending for this sweep
         * only (the array is this run's; the file keeps them pending) */
        for (uint64_t t = 0; t < run->grid->n_tasks; t++)
            if (!s->task_mask[t] && run->status[t] == PDX_TASK_PENDING)
                run->status[t] = PDX_TASK_DONE;
    }
    pdx_status st = pdx_sweep_run(run->grid, &run->layout, run->store,
                                  run->status, &o, summary, err);
    if (run->create)
        run->store = run->new_store.store;
    return st;
}

int pdx_run_has_store(const pdx_run *run)
{
    return run->store != NULL;
}

pdx_status pdx_run_finish(pdx_run *run, pdx_status run_status,
                          pdx_error *err)
{
    if (run->store == NULL)
        return PDX_OK;
    if (run_status != PDX_OK) {
        /* the snapshot: every finished task is committed; make it durable
         * before the file is closed */
        pdx_status st = pdx_store_sync(run->store, err);
        pdx_store_destroy(&run->store);
        return st;
    }
    char end_time[64];
    iso_time_now(end_time, sizeof end_time);
    return pdx_store_finish(&run->store, end_time, err);
}

pdx_status pdx_run_merge_shards(pdx_run *run, uint64_t *n_files,
                                pdx_error *err)
{
    uint64_t count = run->shard_count;
    *n_files = count;
    char **paths = calloc(count, sizeof *paths);
    int named = paths != NULL;
    for (uint64_t i = 0; i < count && named; i++) {
        paths[i] = malloc(4096);
        named = paths[i] != NULL &&
                pdx_cluster_shard_path(run->output, i, count, paths[i],
                                       4096, NULL) == PDX_OK;
    }
    pdx_status st;
    if (!named) {
        st = pdx_error_set(err, PDX_ERR_INTERNAL, NULL, 0, 0, NULL,
                           "cannot name the shard files");
    } else {
        char end_time[64];
        iso_time_now(end_time, sizeof end_time);
        pdx_store_merge_report rep;
        char *target = NULL; /* a symbolic link is written through */
        pdx_file_lock *lock = NULL;
        st = pdx_output_resolve(run->output, &target, err);
        if (st == PDX_OK) /* rank 0 writes the merged file: its lock */
            st = pdx_file_lock_take(&lock, target, 0, err);
        if (st == PDX_OK)
            st = pdx_store_merge(target, (const char *const *)paths,
                                 (size_t)count, run->grid, &run->layout,
                                 &run->provenance, 0, end_time, &rep, err);
        for (uint64_t i = 0; st == PDX_OK && i < count; i++)
            unlink(paths[i]);
        pdx_file_lock_release(&lock);
        free(target);
    }
    for (uint64_t i = 0; paths != NULL && i < count; i++)
        free(paths[i]);
    free(paths);
    return st;
}

const pdx_spec *pdx_run_spec(const pdx_run *run) { return run->spec; }
const pdx_grid *pdx_run_grid(const pdx_run *run) { return run->grid; }
const char *pdx_run_output_path(const pdx_run *run) { return run->output; }
const char *pdx_run_file_path(const pdx_run *run) { return run->file; }
int pdx_run_threads(const pdx_run *run) { return run->threads; }
uint64_t pdx_run_shard_index(const pdx_run *run) { return run->shard_index; }
uint64_t pdx_run_shard_count(const pdx_run *run) { return run->shard_count; }

void pdx_run_destroy(pdx_run **run)
{
    if (run == NULL || *run == NULL)
        return;
    pdx_store_destroy(&(*run)->store);
    pdx_file_lock_release(&(*run)->lock);
    pdx_store_verify_report_clear(&(*run)->verify);
    free((*run)->status);
    free((*run)->resolved_file);
    pdx_grid_destroy(&(*run)->grid);
    pdx_spec_destroy(&(*run)->spec);
    free(*run);
    *run = NULL;
}
