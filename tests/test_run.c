/* test_run.c — the run policy: one test per row of pdx_run_decide's table
 * (what happens to an existing output), settings validation, and the
 * table driven through real files by pdx_run_open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pdx/run.h"
#include "pdx/store.h"
#include "pdx_test.h"
#include "../src/fileutil.h" /* the lock's shared mode */

/* ---- the decision table, one row per test ---- */

static void expect(pdx_run_decision d, pdx_run_action action,
                   int about_merged, int hint_extend)
{
    if (d.action != action || d.about_merged != about_merged ||
        d.hint_extend != hint_extend)
        fail_msg("decided %s (merged %d, hint %d: %s) but expected %s "
                 "(merged %d, hint %d)",
                 pdx_run_action_name(d.action), d.about_merged,
                 d.hint_extend, d.reason, pdx_run_action_name(action),
                 about_merged, hint_extend);
    assert_non_null(d.reason);
}

/* A shard whose merged file is finished for this spec: nothing to do. */
static void test_run_sweep_complete(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.sharded = 1, .merged_exists = 1,
                       .merged_complete = 1, .merged_same_spec = 1,
                       .file_exists = 1, .file_is_pdx = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_SWEEP_COMPLETE, 1, 0);
    f.merged_complete = 0; /* a partial merge: the shard runs */
    assert_int_not_equal(pdx_run_decide(&s, &f).action,
                         PDX_RUN_SWEEP_COMPLETE);
    f.merged_complete = 1;
    f.sharded = 0; /* a whole-grid run has no merged file of its own */
    assert_int_not_equal(pdx_run_decide(&s, &f).action,
                         PDX_RUN_SWEEP_COMPLETE);
    f.sharded = 1;
    s.force = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
}

/* --force starts over whatever pdx result file is there. */
static void test_run_create_forced(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    s.force = 1;
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 1,
                       .file_same_spec = 1, .file_complete = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
    f = (pdx_run_found){.file_exists = 1, .file_is_pdx = 1,
                        .resume_refused = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
    f = (pdx_run_found){.sharded = 1, .merged_exists = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
}

/* A file that is not a pdx result file (a theory file, a spec, foreign
 * HDF5, a directory) is refused, without an --extend hint, and --force
 * does not change that (issue 21: --force replaced a theory file or the
 * spec itself). */
static void test_run_refuse_not_pdx(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 0,
                       .file_kind = PDX_FILE_THEORY};
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
    assert_int_equal(pdx_run_decide(&s, &f).even_forced, 1);
    s.extend = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
    s.extend = 0;
    s.force = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
    assert_int_equal(pdx_run_decide(&s, &f).even_forced, 1);
    f.sharded = 1; /* a shard file too, merged file finished */
    f.merged_exists = f.merged_same_spec = f.merged_complete = 1;
    s.force = 0;
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
}

/* A shard whose sweep's merged file is not a pdx result file (a theory
 * file of the spec looked finished: issue 21) is refused, even with
 * --force: the merge could never write it. */
static void test_run_refuse_merged_not_pdx(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.sharded = 1, .merged_exists = 1,
                       .merged_foreign = 1, .merged_same_spec = 1,
                       .merged_complete = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 1, 0);
    assert_int_equal(pdx_run_decide(&s, &f).even_forced, 1);
    s.force = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 1, 0);
    f.sharded = 0; /* a whole-grid run has no merged file of its own */
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
}

/* Finished for this spec (and shard): nothing to do; another spec's
 * finished file is not complete for this one. */
static void test_run_complete(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 1,
                       .file_same_spec = 1, .file_complete = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_COMPLETE, 0, 0);
    f.file_same_spec = 0;
    expect(pdx_run_decide(&s, &f), PDX_RUN_RESUME, 0, 0);
    f.file_same_spec = 1;
    f.file_complete = 0;
    expect(pdx_run_decide(&s, &f), PDX_RUN_RESUME, 0, 0);
}

/* A finished file of this spec with damaged tasks (checksum mismatch)
 * is not complete: it is rebuilt from its intact tasks (EXTEND from
 * itself) and the damaged run again; a refused rebuild is refused, not
 * retried forever. --force still starts over. */
static void test_run_damaged_rebuilt(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 1,
                       .file_same_spec = 1, .file_complete = 1,
                       .file_damaged = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_EXTEND, 0, 0);
    f.sharded = 1; /* a shard file the same */
    expect(pdx_run_decide(&s, &f), PDX_RUN_EXTEND, 0, 0);
    f.extend_refused = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
    s.force = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
}

/* A pdx file not finished for this spec: try to resume it first. */
static void test_run_resume(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 1,
                       .file_same_spec = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_RESUME, 0, 0);
    s.extend = 1; /* --extend still resumes a file that matches */
    expect(pdx_run_decide(&s, &f), PDX_RUN_RESUME, 0, 0);
    f.sharded = 1; /* a shard file, merged file present and partial */
    f.merged_exists = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_RESUME, 0, 0);
}

/* The file refuses to resume: refused unless --extend applies (whole
 * grid, another spec); the hint names --extend only when not given. */
static void test_run_refuse_mismatch(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 1,
                       .resume_refused = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 1);
    s.extend = 1;
    f.file_same_spec = 1; /* same spec, other shape: not an extension */
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
    f.file_same_spec = 0;
    f.sharded = 1; /* shard files are never extended in place */
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
}

/* --extend, but the store finds the spec is no extension of the file's. */
static void test_run_refuse_extension_refused(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    s.extend = 1;
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 1,
                       .resume_refused = 1, .extend_refused = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 0, 0);
}

/* --extend of a whole-grid file of another spec: extended in place. */
static void test_run_extend_in_place(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    s.extend = 1;
    pdx_run_found f = {.file_exists = 1, .file_is_pdx = 1,
                       .resume_refused = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_EXTEND, 0, 0);
    f.file_complete = 1; /* a finished file of the smaller spec too */
    expect(pdx_run_decide(&s, &f), PDX_RUN_EXTEND, 0, 0);
}

/* No file: created (a shard too, when the sweep has no merged file). */
static void test_run_create_new(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {0};
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
    f.sharded = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
    f.sharded = 0;
    f.merged_exists = 1; /* not sharded: "merged" is the file itself */
    expect(pdx_run_decide(&s, &f), PDX_RUN_CREATE, 0, 0);
}

/* A new shard of a sweep whose merged file holds another spec. */
static void test_run_refuse_merged_other_spec(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.sharded = 1, .merged_exists = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 1, 1);
}

/* --extend of the merged file by a new shard, refused by the store. */
static void test_run_refuse_merged_extension_refused(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    s.extend = 1;
    pdx_run_found f = {.sharded = 1, .merged_exists = 1,
                       .extend_refused = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 1, 0);
    s.extend = 0; /* a partial merge of this spec that does not fit */
    f.merged_same_spec = 1;
    expect(pdx_run_decide(&s, &f), PDX_RUN_REFUSE, 1, 1);
}

/* A new shard starts from the merged file's finished tasks: a partial
 * merge of this spec, or (--extend) the sweep it extends. */
static void test_run_extend_from_merged(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    pdx_run_found f = {.sharded = 1, .merged_exists = 1,
                       .merged_same_spec = 1};
    expect(pdx_run_decide(&s, &f), PDX_RUN_EXTEND, 1, 0);
    s.extend = 1;
    f.merged_same_spec = 0;
    expect(pdx_run_decide(&s, &f), PDX_RUN_EXTEND, 1, 0);
}

/* ---- the overwrite policy, one row per test ---- */

static void expect_output(pdx_output_writer writer, int force,
                          pdx_file_kind kind, int same_spec, int complete,
                          pdx_output_action action, int even_forced)
{
    pdx_output_found f = {kind, same_spec, complete};
    pdx_output_decision d = pdx_output_decide(writer, force, &f);
    if (d.action != action || d.even_forced != even_forced)
        fail_msg("writer %d, force %d, kind %d (%s): decided %s (even "
                 "forced %d: %s) but expected %s (%d)",
                 (int)writer, force, (int)kind, pdx_file_kind_text(kind),
                 pdx_output_action_name(d.action), d.even_forced, d.reason,
                 pdx_output_action_name(action), even_forced);
    assert_non_null(d.reason);
}

/* Nothing there, or an empty file (mktemp): written, by every writer. */
static void test_run_output_write(void **state)
{
    (void)state;
    for (int w = 0; w < 2; w++)
        for (int force = 0; force < 2; force++) {
            expect_output((pdx_output_writer)w, force, PDX_FILE_ABSENT, 0,
                          0, PDX_OUTPUT_WRITE, 0);
            expect_output((pdx_output_writer)w, force, PDX_FILE_EMPTY, 0, 0,
                          PDX_OUTPUT_WRITE, 0);
        }
}

/* Not a pdx file of the writer's kind: refused even with --force (a
 * result file for theory, a theory file for run and merge, foreign HDF5,
 * a spec or any non-HDF5 file, a directory). */
static void test_run_output_refuse_kind(void **state)
{
    (void)state;
    static const pdx_file_kind others[] = {
        PDX_FILE_FOREIGN_HDF5, PDX_FILE_NOT_HDF5, PDX_FILE_NOT_REGULAR};
    for (int force = 0; force < 2; force++) {
        expect_output(PDX_WRITER_THEORY, force, PDX_FILE_RESULT, 1, 1,
                      PDX_OUTPUT_REFUSE, 1);
        expect_output(PDX_WRITER_RESULT, force, PDX_FILE_THEORY, 1, 1,
                      PDX_OUTPUT_REFUSE, 1);
        for (size_t k = 0; k < sizeof others / sizeof *others; k++)
            for (int w = 0; w < 2; w++)
                expect_output((pdx_output_writer)w, force, others[k], 0, 0,
                              PDX_OUTPUT_REFUSE, 1);
    }
}

/* --force replaces a file of the writer's kind, whatever it holds. */
static void test_run_output_replace(void **state)
{
    (void)state;
    expect_output(PDX_WRITER_THEORY, 1, PDX_FILE_THEORY, 1, 1,
                  PDX_OUTPUT_REPLACE, 0);
    expect_output(PDX_WRITER_THEORY, 1, PDX_FILE_THEORY, 0, 1,
                  PDX_OUTPUT_REPLACE, 0);
    expect_output(PDX_WRITER_RESULT, 1, PDX_FILE_RESULT, 0, 0,
                  PDX_OUTPUT_REPLACE, 0);
}

/* Finished for this spec: nothing to do (the same command again). */
static void test_run_output_complete(void **state)
{
    (void)state;
    expect_output(PDX_WRITER_THEORY, 0, PDX_FILE_THEORY, 1, 1,
                  PDX_OUTPUT_COMPLETE, 0);
    expect_output(PDX_WRITER_RESULT, 0, PDX_FILE_RESULT, 1, 1,
                  PDX_OUTPUT_COMPLETE, 0);
}

/* A result file not finished for this spec: run's and merge's own rules
 * (resume, extend, refuse) take over. */
static void test_run_output_existing(void **state)
{
    (void)state;
    expect_output(PDX_WRITER_RESULT, 0, PDX_FILE_RESULT, 1, 0,
                  PDX_OUTPUT_EXISTING, 0);
    expect_output(PDX_WRITER_RESULT, 0, PDX_FILE_RESULT, 0, 1,
                  PDX_OUTPUT_EXISTING, 0);
}

/* A theory file of another spec holds results: replaced only with
 * --force (issue 21: pdx theory replaced any file). */
static void test_run_output_refuse_other_theory(void **state)
{
    (void)state;
    expect_output(PDX_WRITER_THEORY, 0, PDX_FILE_THEORY, 0, 1,
                  PDX_OUTPUT_REFUSE, 0);
}

/* ---- settings ---- */

static void expect_invalid(const pdx_run_settings *s, const char *key,
                           const char *words)
{
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_run_settings_validate(s, &err), PDX_ERR_USAGE);
    assert_string_equal(err.key, key);
    if (strstr(err.message, words) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, words);
}

static void test_run_settings_default_valid(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    assert_int_equal(pdx_run_settings_validate(&s, NULL), PDX_OK);
    assert_null(s.output);
    assert_int_equal(s.shard_count, 0);
    assert_int_equal(s.mpi_size, 1);
    assert_true(s.grace < 0.0);
    s.threads = PDX_RUN_MAX_THREADS;
    s.bundle = PDX_RUN_MAX_BUNDLE;
    s.grace = 0.0;
    s.shard_index = 6;
    s.shard_count = 7;
    assert_int_equal(pdx_run_settings_validate(&s, NULL), PDX_OK);
}

static void test_run_settings_errors(void **state)
{
    (void)state;
    pdx_run_settings s = pdx_run_settings_default();
    s.output = "";
    expect_invalid(&s, "output", "--output");
    s = pdx_run_settings_default();
    s.threads = PDX_RUN_MAX_THREADS + 1;
    expect_invalid(&s, "threads", "--threads: '4097'");
    s.threads = -3;
    expect_invalid(&s, "threads", "--threads: '-3'");
    s = pdx_run_settings_default();
    s.bundle = 65;
    expect_invalid(&s, "bundle", "--bundle: '65'");
    s = pdx_run_settings_default();
    s.grace = 2.5e7;
    expect_invalid(&s, "grace", "--grace");
    s.grace = NAN;
    expect_invalid(&s, "grace", "--grace");
    s = pdx_run_settings_default();
    s.shard_index = 7;
    s.shard_count = 7;
    expect_invalid(&s, "shard", "shard 7 of 7 does not exist");
    s = pdx_run_settings_default();
    s.mpi_rank = 1;
    s.mpi_size = 4;
    assert_int_equal(pdx_run_settings_validate(&s, NULL), PDX_OK);
    s.shard_count = 1;
    expect_invalid(&s, "shard", "--shard cannot be given under MPI: each "
                                "of the 4 ranks");
    s = pdx_run_settings_default();
    s.mpi_rank = 4;
    s.mpi_size = 4;
    expect_invalid(&s, "mpi", "rank 4 of 4");
    s = pdx_run_settings_default(); /* issue 21: accepted before */
    s.force = 1;
    s.extend = 1;
    expect_invalid(&s, "force", "--force and --extend");
    assert_int_equal(pdx_run_settings_validate(NULL, NULL), PDX_ERR_USAGE);
}

/* ---- the table through real files (pdx_run_open) ---- */

static const char *const spec_small =
    "name: run-test\n"
    "seed: 2385\n"
    "replicas: 1\n"
    "N: 24\n"
    "teacher: {activation: linear}\n"
    "student: {hidden: 1, activation: linear}\n"
    "train: {learning_rate: [0.4, 0.7], alpha: 1.5}\n"
    "record: {times: [0.5, 1.5]}\n";

typedef struct files {
    char spec[64], spec_big[64], out[64];
} files;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup_files(void **state)
{
    files *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->spec, sizeof f->spec, "run_test_%d.yaml", (int)getpid());
    snprintf(f->spec_big, sizeof f->spec_big, "run_test_big_%d.yaml",
             (int)getpid());
    snprintf(f->out, sizeof f->out, "run_test_%d.h5", (int)getpid());
    write_text(f->spec, spec_small);
    char big[1024];
    snprintf(big, sizeof big, "%s", spec_small);
    char *r = strstr(big, "replicas: 1");
    r[10] = '2'; /* replicas: 2 extends replicas: 1 */
    write_text(f->spec_big, big);
    unlink(f->out);
    *state = f;
    return 0;
}

static int teardown_files(void **state)
{
    files *f = *state;
    unlink(f->spec);
    unlink(f->spec_big);
    unlink(f->out);
    free(f);
    return 0;
}

/* Open the output of `spec` with `s` and return the action (asserting
 * success); the run is left in *run for the caller. */
static pdx_run_action open_run(const char *spec, pdx_run_settings s,
                               pdx_run **run, pdx_run_outcome *o)
{
    pdx_error err;
    pdx_error_clear(&err);
    s.quiet = 1;
    s.threads = 2;
    s.shard_count = 1;
    if (pdx_run_create(run, spec, &s, &err) != PDX_OK ||
        pdx_run_open(*run, o, &err) != PDX_OK)
        fail_msg("%s: %s", spec, err.message);
    return o->decision.action;
}

/* Run to the end what pdx_run_open made ready. */
static void run_to_end(pdx_run *run)
{
    pdx_error err;
    pdx_sweep_summary summary;
    assert_int_equal(pdx_run_execute(run, &summary, &err), PDX_OK);
    assert_int_equal(pdx_run_finish(run, PDX_OK, &err), PDX_OK);
}

/* create -> complete; a file of a smaller spec is refused with a hint,
 * then extended with --extend keeping its finished tasks. */
static void test_run_open_files(void **state)
{
    files *f = *state;
    pdx_run_settings s = pdx_run_settings_default();
    s.output = f->out;
    pdx_run *run = NULL;
    pdx_run_outcome o;
    assert_int_equal(open_run(f->spec, s, &run, &o), PDX_RUN_CREATE);
    assert_string_equal(pdx_run_file_path(run), f->out);
    run_to_end(run);
    pdx_run_destroy(&run);
    assert_null(run);

    assert_int_equal(open_run(f->spec, s, &run, &o), PDX_RUN_COMPLETE);
    assert_string_equal(o.path, f->out);
    pdx_run_destroy(&run);

    assert_int_equal(open_run(f->spec_big, s, &run, &o), PDX_RUN_REFUSE);
    assert_int_equal(o.decision.hint_extend, 1);
    assert_int_equal(o.reason.status, PDX_ERR_MISMATCH);
    pdx_run_destroy(&run);

    s.extend = 1;
    assert_int_equal(open_run(f->spec_big, s, &run, &o), PDX_RUN_EXTEND);
    assert_int_equal(o.opened, 1);
    assert_int_equal(o.carried, 2); /* 2 cells x 1 replica */
    assert_string_equal(o.base, f->out);
    pdx_run_destroy(&run); /* left as a working file of the big spec */

    s.extend = 0;
    assert_int_equal(open_run(f->spec_big, s, &run, &o), PDX_RUN_RESUME);
    assert_int_equal(o.opened, 1);
    run_to_end(run);
    pdx_run_destroy(&run);
    assert_int_equal(open_run(f->spec_big, s, &run, &o), PDX_RUN_COMPLETE);
    pdx_run_destroy(&run);
}

/* Garbage at the output (not HDF5: a spec, text): refused, even with
 * --force, and left alone (issue 21: --force replaced it). */
static void test_run_open_not_hdf5(void **state)
{
    files *f = *state;
    write_text(f->out, "not HDF5 at all\n");
    pdx_run_settings s = pdx_run_settings_default();
    s.output = f->out;
    pdx_run *run = NULL;
    pdx_run_outcome o;
    for (int force = 0; force < 2; force++) {
        s.force = force;
        assert_int_equal(open_run(f->spec, s, &run, &o), PDX_RUN_REFUSE);
        assert_int_equal(o.decision.even_forced, 1);
        assert_int_equal(o.opened, 0);
        if (strstr(o.reason.message, "not an HDF5 file") == NULL ||
            strstr(o.reason.message, "even with --force") == NULL)
            fail_msg("reason: %s", o.reason.message);
        pdx_run_destroy(&run);
    }
    FILE *in = fopen(f->out, "r");
    char line[64] = "";
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof line, in));
    fclose(in);
    assert_string_equal(line, "not HDF5 at all\n");
    write_text(f->out, ""); /* an empty file (mktemp) holds nothing */
    s.force = 0;
    assert_int_equal(open_run(f->spec, s, &run, &o), PDX_RUN_CREATE);
    pdx_run_destroy(&run);
}

/* A symbolic link as output is written through: the run creates and
 * finishes its target, and the link stays a link (issue 21: the finished
 * file replaced the link); a dangling link is refused with a message. */
static void test_run_open_symlink(void **state)
{
    files *f = *state;
    char link[80];
    snprintf(link, sizeof link, "%s.link.h5", f->out);
    unlink(link);
    assert_int_equal(symlink(f->out, link), 0);
    write_text(f->out, "");
    pdx_run_settings s = pdx_run_settings_default();
    s.output = link;
    pdx_run *run = NULL;
    pdx_run_outcome o;
    assert_int_equal(open_run(f->spec, s, &run, &o), PDX_RUN_CREATE);
    run_to_end(run);
    pdx_run_destroy(&run);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(f->out, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    s.output = f->out;
    assert_int_equal(open_run(f->spec, s, &run, &o), PDX_RUN_COMPLETE);
    pdx_run_destroy(&run);
    unlink(f->out);
    s.output = link;
    s.quiet = 1;
    s.shard_count = 1;
    pdx_error err;
    assert_int_equal(pdx_run_create(&run, f->spec, &s, &err), PDX_OK);
    assert_int_equal(pdx_run_open(run, &o, &err), PDX_ERR_IO);
    if (strstr(err.message, "symbolic link") == NULL)
        fail_msg("message: %s", err.message);
    pdx_run_destroy(&run);
    unlink(link);
}

/* ---- the lock of an output (pdx_output_lock_take, pdx_file_lock_take) ---- */

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void lock_path_of(const files *f, char *buf, size_t size)
{
    snprintf(buf, size, ".%s.lock", f->out); /* f->out: no directory */
}

/* Two writers of one output conflict, also within one process; the
 * message names the file and this process as the holder. */
static void test_run_lock_second_writer_fails(void **state)
{
    files *f = *state;
    char lock_file[300], pid[64];
    lock_path_of(f, lock_file, sizeof lock_file);
    snprintf(pid, sizeof pid, ", pid %ld)", (long)getpid());
    pdx_output_lock *first = NULL, *second = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_output_lock_take(&first, f->out, &err), PDX_OK);
    assert_non_null(first);
    assert_true(exists(lock_file));
    assert_false(exists(f->out)); /* the output itself is not touched */
    assert_int_equal(pdx_output_lock_take(&second, f->out, &err), PDX_ERR_IO);
    assert_null(second);
    if (strcmp(err.file, f->out) != 0 || strstr(err.message, pid) == NULL ||
        strstr(err.message, "being written by another pdx process") == NULL)
        fail_msg("file %s, message: %s", err.file, err.message);
    pdx_output_lock_release(&first);
    assert_null(first);
    assert_false(exists(lock_file)); /* removed on release */
    assert_int_equal(pdx_output_lock_take(&second, f->out, &err), PDX_OK);
    pdx_output_lock_release(&second);
    pdx_output_lock_release(&second); /* NULL: nothing */
}

/* Readers share: shards reading the merged file at once; a writer waits
 * for none of them but is refused while one reads, and a reader while a
 * writer writes. The file goes with the last holder. */
static void test_run_lock_shared_readers(void **state)
{
    files *f = *state;
    char lock_file[300];
    lock_path_of(f, lock_file, sizeof lock_file);
    pdx_file_lock *r1 = NULL, *r2 = NULL, *w = NULL;
    pdx_error err;
    assert_int_equal(pdx_file_lock_take(&r1, f->out, 1, &err), PDX_OK);
    assert_int_equal(pdx_file_lock_take(&r2, f->out, 1, &err), PDX_OK);
    assert_int_equal(pdx_file_lock_take(&w, f->out, 0, &err), PDX_ERR_IO);
    if (strstr(err.message, "in use by another pdx process") == NULL)
        fail_msg("message: %s", err.message);
    pdx_file_lock_release(&r1);
    assert_true(exists(lock_file)); /* r2 still holds it */
    assert_int_equal(pdx_file_lock_take(&w, f->out, 0, &err), PDX_ERR_IO);
    pdx_file_lock_release(&r2);
    assert_false(exists(lock_file));
    assert_int_equal(pdx_file_lock_take(&w, f->out, 0, &err), PDX_OK);
    assert_int_equal(pdx_file_lock_take(&r1, f->out, 1, &err), PDX_ERR_IO);
    if (strstr(err.message, "this run reads it") == NULL)
        fail_msg("message: %s", err.message);
    pdx_file_lock_release(&w);
    assert_false(exists(lock_file));
}

/* A symbolic link's lock is its target's. */
static void test_run_lock_through_symlink(void **state)
{
    files *f = *state;
    char link[300];
    snprintf(link, sizeof link, "%s.link.h5", f->out);
    write_text(f->out, "x");
    unlink(link);
    assert_int_equal(symlink(f->out, link), 0);
    pdx_output_lock *a = NULL, *b = NULL;
    pdx_error err;
    assert_int_equal(pdx_output_lock_take(&a, link, &err), PDX_OK);
    assert_int_equal(pdx_output_lock_take(&b, f->out, &err), PDX_ERR_IO);
    pdx_output_lock_release(&a);
    unlink(link);
}

/* A killed holder's lock dies with it; its file stays and is taken over. */
static void test_run_lock_dead_holder(void **state)
{
    files *f = *state;
    char lock_file[300];
    lock_path_of(f, lock_file, sizeof lock_file);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        pdx_output_lock *l = NULL;
        _exit(pdx_output_lock_take(&l, f->out, NULL) == PDX_OK ? 0 : 1);
    }
    int wstatus = 0;
    assert_int_equal(waitpid(child, &wstatus, 0), child);
    assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    assert_true(exists(lock_file)); /* never released */
    pdx_output_lock *l = NULL;
    pdx_error err;
    assert_int_equal(pdx_output_lock_take(&l, f->out, &err), PDX_OK);
    pdx_output_lock_release(&l);
    assert_false(exists(lock_file));
}

/* PDX_LOCK=off (file systems without flock): no lock, no file. */
static void test_run_lock_off(void **state)
{
    files *f = *state;
    char lock_file[300];
    lock_path_of(f, lock_file, sizeof lock_file);
    setenv("PDX_LOCK", "off", 1);
    pdx_output_lock *a = NULL, *b = NULL;
    pdx_error err;
    assert_int_equal(pdx_output_lock_take(&a, f->out, &err), PDX_OK);
    assert_int_equal(pdx_output_lock_take(&b, f->out, &err), PDX_OK);
    assert_false(exists(lock_file));
    pdx_output_lock_release(&a);
    pdx_output_lock_release(&b);
    unsetenv("PDX_LOCK");
}

/* A lock that cannot be created names the lock file and the cause. */
static void test_run_lock_no_directory(void **state)
{
    (void)state;
    char path[128], expected[160];
    snprintf(path, sizeof path, "run_test_nodir_%d/out.h5", (int)getpid());
    snprintf(expected, sizeof expected, "run_test_nodir_%d/.out.h5.lock: ",
             (int)getpid());
    pdx_output_lock *l = NULL;
    pdx_error err;
    assert_int_equal(pdx_output_lock_take(&l, path, &err), PDX_ERR_IO);
    assert_null(l);
    if (strstr(err.message, expected) == NULL ||
        strstr(err.message, "No such file") == NULL)
        fail_msg("message: %s", err.message);
}

/* pdx_run_open takes the lock of the run's file before looking at it. */
static void test_run_open_locked(void **state)
{
    files *f = *state;
    pdx_output_lock *held = NULL;
    pdx_error err;
    assert_int_equal(pdx_output_lock_take(&held, f->out, &err), PDX_OK);
    pdx_run_settings s = pdx_run_settings_default();
    s.output = f->out;
    s.force = 1; /* does not break a live lock */
    s.quiet = 1;
    s.threads = 2;
    pdx_run *run = NULL;
    pdx_run_outcome o;
    assert_int_equal(pdx_run_create(&run, f->spec, &s, &err), PDX_OK);
    assert_int_equal(pdx_run_open(run, &o, &err), PDX_ERR_IO);
    if (strstr(err.message, "--force does not break the lock") == NULL)
        fail_msg("message: %s", err.message);
    pdx_run_destroy(&run);
    pdx_output_lock_release(&held);
    assert_false(exists(f->out)); /* nothing was created */
}

int main(void)
{
    pdx_store_init_library();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_sweep_complete),
        cmocka_unit_test(test_run_create_forced),
        cmocka_unit_test(test_run_refuse_not_pdx),
        cmocka_unit_test(test_run_refuse_merged_not_pdx),
        cmocka_unit_test(test_run_complete),
        cmocka_unit_test(test_run_damaged_rebuilt),
        cmocka_unit_test(test_run_resume),
        cmocka_unit_test(test_run_refuse_mismatch),
        cmocka_unit_test(test_run_refuse_extension_refused),
        cmocka_unit_test(test_run_extend_in_place),
        cmocka_unit_test(test_run_create_new),
        cmocka_unit_test(test_run_refuse_merged_other_spec),
        cmocka_unit_test(test_run_refuse_merged_extension_refused),
        cmocka_unit_test(test_run_extend_from_merged),
        cmocka_unit_test(test_run_output_write),
        cmocka_unit_test(test_run_output_refuse_kind),
        cmocka_unit_test(test_run_output_replace),
        cmocka_unit_test(test_run_output_complete),
        cmocka_unit_test(test_run_output_existing),
        cmocka_unit_test(test_run_output_refuse_other_theory),
        cmocka_unit_test(test_run_settings_default_valid),
        cmocka_unit_test(test_run_settings_errors),
        cmocka_unit_test_setup_teardown(test_run_open_files, setup_files,
                                        teardown_files),
        cmocka_unit_test_setup_teardown(test_run_open_not_hdf5, setup_files,
                                        teardown_files),
        cmocka_unit_test_setup_teardown(test_run_open_symlink, setup_files,
                                        teardown_files),
        cmocka_unit_test_setup_teardown(test_run_lock_second_writer_fails,
                                        setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_run_lock_shared_readers,
                                        setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_run_lock_through_symlink,
                                        setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_run_lock_dead_holder,
                                        setup_files, teardown_files),
        cmocka_unit_test_setup_teardown(test_run_lock_off, setup_files,
                                        teardown_files),
        cmocka_unit_test_setup_teardown(test_run_open_locked, setup_files,
                                        teardown_files),
        cmocka_unit_test(test_run_lock_no_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
