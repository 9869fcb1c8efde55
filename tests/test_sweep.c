/* test_sweep.c — parallel runs into a store: statuses, stop, resume, shards. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdx/grid.h"
#include "pdx/rng.h"
#include "pdx/store.h"
#include "pdx/sweep.h"
#include "pdx/train.h"
#include "../src/sweep_tests.h" /* private: the shared test sets */
#include "pdx_test.h"

static const char *const spec_text =
    "name: sweep-test\n"
    "seed: 2385\n"
    "replicas: 2\n"
    "N: 40\n"
    "teacher: {activation: linear}\n"
    "student: {hidden: [1, 2], activation: linear}\n"
    "train: {learning_rate: [0.4, 60.0], alpha: 2}\n"
    "record: {times: [0.5, 1, 2]}\n";

typedef struct fixture {
    pdx_spec *spec;
    pdx_grid *grid;
    pdx_layout layout;
    pdx_store *store;
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL ||
        pdx_spec_parse_string(&f->spec, spec_text, strlen(spec_text),
                              "sweep-test.yaml", NULL) != PDX_OK ||
        pdx_grid_create(&f->grid, f->spec, NULL) != PDX_OK)
        return -1;
    pdx_sweep_layout(f->grid, &f->layout);
    snprintf(f->path, sizeof f->path, "test_sweep_%d.h5", (int)getpid());
    pdx_provenance prov = {"test", "test", "test_sweep", "host",
                           "2026-01-01T00:00:00Z", PDX_RNG_NAME,
                           PDX_RNG_KEY_VERSION};
    pdx_store_options opts = {0};
    if (pdx_store_create(&f->store, f->path, f->grid, &f->layout, &prov,
                         &opts, NULL) != PDX_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pdx_store_destroy(&f->store);
    unlink(f->path);
    pdx_grid_destroy(&f->grid);
    pdx_spec_destroy(&f->spec);
    free(f);
    return 0;
}

static void test_sweep_runs_all_and_marks_divergence(void **state)
{
    fixture *f = *state;
    pdx_sweep_options o = pdx_sweep_options_default();
    o.threads = 2;
    o.quiet = 1;
    pdx_sweep_summary s;
    assert_int_equal(pdx_sweep_run(f->grid, &f->layout, f->store, NULL, &o,
                                   &s, NULL),
                     PDX_OK);
    assert_int_equal(s.tasks, 8);
    assert_int_equal(s.run, 8);
    assert_int_equal(s.done, 4);     /* learning rate 0.4 */
    assert_int_equal(s.diverged, 4); /* learning rate 60 */
    int8_t status[8];
    assert_int_equal(pdx_store_read_status(f->store, status, NULL), PDX_OK);
    for (uint64_t task = 0; task < 8; task++) {
        pdx_params p;
        pdx_grid_cell_params(f->grid, task / 2, &p);
        assert_int_equal(status[task], p.train_learning_rate > 1
                                           ? PDX_TASK_DIVERGED
                                           : PDX_TASK_DONE);
    }
}

static void test_sweep_resume_skips_finished_tasks(void **state)
{
    fixture *f = *state;
    int8_t status[8] = {1, 0, 2, 0, 0, 1, 0, 0};
    pdx_sweep_options o = pdx_sweep_options_default();
    o.threads = 1;
    o.quiet = 1;
    pdx_sweep_summary s;
    assert_int_equal(pdx_sweep_run(f->grid, &f->layout, f->store, status, &o,
                                   &s, NULL),
                     PDX_OK);
    assert_int_equal(s.skipped, 3);
    assert_int_equal(s.run, 5);
    int8_t on_disk[8];
    assert_int_equal(pdx_store_read_status(f->store, on_disk, NULL), PDX_OK);
    assert_int_equal(on_disk[0], PDX_TASK_PENDING); /* not rerun */
    assert_int_equal(on_disk[1], PDX_TASK_DONE);
}

static void test_sweep_stop_flag_stops_early(void **state)
{
    fixture *f = *state;
    volatile sig_atomic_t stop = 1;
    pdx_sweep_options o = pdx_sweep_options_default();
    o.quiet = 1;
    o.stop = &stop;
    pdx_sweep_summary s;
    pdx_error err;
    assert_int_equal(pdx_sweep_run(f->grid, &f->layout, f->store, NULL, &o,
                                   &s, &err),
                     PDX_ERR_STOPPED);
    assert_int_equal(s.run, 0);
    assert_non_null(strstr(err.message, "resume"));
}

static void test_sweep_shard_takes_its_tasks(void **state)
{
    fixture *f = *state;
    pdx_sweep_options o = pdx_sweep_options_default();
    o.quiet = 1;
    o.shard_index = 1;
    o.shard_count = 3;
    pdx_sweep_summary s;
    assert_int_equal(pdx_sweep_run(f->grid, &f->layout, f->store, NULL, &o,
                                   &s, NULL),
                     PDX_OK);
    uint64_t *mine = NULL, n = 0;
    assert_int_equal(pdx_grid_shard_tasks(f->grid, 1, 3, &mine, &n, NULL),
                     PDX_OK);
    assert_int_equal(s.tasks, n);
    assert_int_equal(s.run, n);
    int8_t status[8];
    assert_int_equal(pdx_store_read_status(f->store, status, NULL), PDX_OK);
    for (uint64_t task = 0, i = 0; task < 8; task++) {
        int in_shard = i < n && mine[i] == task;
        i += in_shard;
        assert_int_equal(status[task] != 0, in_shard);
    }
    free(mine);
}

static pdx_provenance test_provenance(void)
{
    return (pdx_provenance){"test", "test", "test_sweep", "host",
                            "2026-01-01T00:00:00Z", PDX_RNG_NAME,
                            PDX_RNG_KEY_VERSION};
}

/* 2 threads, quiet, creating `create` and preparing the finish. */
static pdx_sweep_options creating_options(pdx_sweep_new_store *create)
{
    pdx_sweep_options o = pdx_sweep_options_default();
    o.threads = 2;
    o.quiet = 1;
    o.create = create;
    o.prepare_finish = 1;
    return o;
}

/* Temporaries (".tmp-") of `base` in the current directory. */
static int count_temporaries_of(const char *base)
{
    DIR *d = opendir(".");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    size_t len = strlen(base);
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, base, len) == 0 &&
             strncmp(e->d_name + len, ".tmp-", 5) == 0;
    closedir(d);
    return n;
}

/* options.create: the first thread creates the file while the other
 * computes; every task is committed to it, the same as into a file made
 * beforehand. options.prepare_finish leaves the finished file's frame
 * (a temporary) for pdx_store_finish, or for pdx_store_destroy to remove. */
static void test_sweep_creates_the_store_while_running(void **state)
{
    fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "test_sweep_new_%d.h5", (int)getpid());
    pdx_provenance prov = test_provenance();
    pdx_store_options opts = {0};
    pdx_sweep_new_store create = {path, &prov, &opts, NULL};
    pdx_sweep_options o = creating_options(&create);
    pdx_sweep_summary s;
    pdx_error err;
    assert_int_equal(pdx_sweep_run(f->grid, &f->layout, NULL, NULL, &o, &s,
                                   &err),
                     PDX_OK);
    assert_non_null(create.store);
    assert_int_equal(s.run, 8);
    assert_int_equal(count_temporaries_of(path), 1); /* the frame */
    o.create = NULL;
    assert_int_equal(pdx_sweep_run(f->grid, &f->layout, f->store, NULL, &o,
                                   &s, &err),
                     PDX_OK);
    int8_t made_during[8], made_before[8];
    assert_int_equal(pdx_store_read_status(create.store, made_during, NULL),
                     PDX_OK);
    assert_int_equal(pdx_store_read_status(f->store, made_before, NULL),
                     PDX_OK);
    assert_memory_equal(made_during, made_before, sizeof made_during);
    assert_int_equal(pdx_store_finish(&create.store, "2026-01-01T00:00:01Z",
                                      &err),
                     PDX_OK);
    assert_int_equal(count_temporaries_of(path), 0);
    pdx_store_info info;
    assert_int_equal(pdx_store_inspect(path, &info, &err), PDX_OK);
    assert_true(info.complete);
    pdx_store_info_clear(&info);
    /* the other store's frame goes with it */
    assert_int_equal(count_temporaries_of(f->path), 1);
    pdx_store_destroy(&f->store);
    assert_int_equal(count_temporaries_of(f->path), 0);
    unlink(path);
}

/* A file that cannot be created ends the run with its error, nothing
 * committed; a task the other thread has started is abandoned at once
 * (these take hours: the test would time out). Whether one has started
 * when creation fails is up to the scheduler; with creation delayed by
 * 0.2 s by hand, the test took 0.46 s. */
static void test_sweep_failed_creation_abandons_tasks(void **state)
{
    fixture *f = *state;
    static const char *const long_spec =
        "name: sweep-long\n"
        "seed: 1\n"
        "replicas: 4\n"
        "N: 200\n"
        "teacher: {activation: erf}\n"
        "student: {activation: erf}\n"
        "train: {learning_rate: 0.1, alpha: 1.0e8}\n";
    pdx_spec *spec = NULL;
    pdx_grid *grid = pdx_test_grid_of(long_spec, "long.yaml", &spec);
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    pdx_provenance prov = test_provenance();
    pdx_store_options opts = {0};
    pdx_sweep_new_store create = {"no-such-dir-pdx/out.h5", &prov, &opts,
                                  NULL};
    pdx_sweep_options o = creating_options(&create);
    pdx_sweep_summary s;
    pdx_error err;
    assert_int_not_equal(pdx_sweep_run(grid, &layout, NULL, NULL, &o, &s,
                                       &err),
                         PDX_OK);
    assert_null(create.store);
    assert_int_equal(s.run, 0);
    assert_non_null(strstr(err.message, "no-such-dir-pdx/out.h5"));
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    (void)f;
}

static void test_sweep_memory_estimate_grows_with_threads(void **state)
{
    fixture *f = *state;
    double one = pdx_sweep_memory_bytes(f->grid, 1);
    double two = pdx_sweep_memory_bytes(f->grid, 2);
    assert_true(one > 40 * 2 * 8); /* at least the student weights */
    assert_true(two > one);
}

/* Issue 20: the threads' trainers share their test sets. A cell needing
 * a test set (2 replicas: two test sets) run by 1, 2 and 3 threads draws
 * each test set once (a thread's trainer drew its own: up to one per
 * thread and replica). */
static const char *const shared_tests_spec =
    "name: shared-tests\n"
    "seed: 20\n"
    "replicas: 2\n"
    "N: 30\n"
    "teacher: {kind: perceptron}\n"
    "student: {kind: twolayer, hidden: 3, init_scale: 1}\n"
    "data: {alpha: [1, 2, 3]}\n"
    "train: {algorithm: sgd, batch: 5, epochs: 2, learning_rate: [0.1, 0.3]}\n"
    "record: {times: [2], eg: test_set, test_size: 300}\n";

static void test_sweep_draws_each_test_set_once(void **state)
{
    (void)state;
    pdx_spec *spec = NULL;
    pdx_grid *grid = pdx_test_grid_of(shared_tests_spec, "shared.yaml", &spec);
    pdx_layout layout;
    pdx_sweep_layout(grid, &layout);
    for (int threads = 1; threads <= 3; threads++) {
        char path[160];
        snprintf(path, sizeof path, "test_sweep_shared_%d_%d.h5",
                 (int)getpid(), threads);
        pdx_provenance prov = test_provenance();
        pdx_store_options opts = {0};
        pdx_sweep_new_store create = {path, &prov, &opts, NULL};
        pdx_sweep_options o = creating_options(&create);
        o.threads = threads;
        pdx_sweep_summary s;
        assert_int_equal(pdx_sweep_run(grid, &layout, NULL, NULL, &o, &s,
                                       NULL),
                         PDX_OK);
        assert_int_equal(s.run, 12);
        assert_int_equal(s.test_sets, 2);
        pdx_store_destroy(&create.store);
        unlink(path);
    }
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
}

/* The shared sets are the bits a trainer draws on its own; trainers
 * asking for one set get one copy, drawn once; the least recently used
 * set nobody holds makes room for a new one. */
static void test_sweep_shared_test_sets_are_the_trainers_own(void **state)
{
    (void)state;
    pdx_spec *spec = NULL;
    pdx_grid *grid = pdx_test_grid_of(shared_tests_spec, "shared.yaml", &spec);
    pdx_sweep_tests *tests = NULL;
    assert_int_equal(pdx_sweep_tests_create(&tests, grid, 1, NULL), PDX_OK);
    assert_non_null(tests); /* one thread: two entries */
    pdx_trainer *a = NULL, *b = NULL, *own = NULL;
    assert_int_equal(pdx_trainer_create_finite(&a, 30, 3, 1, 0, 90, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_create_finite(&b, 30, 3, 1, 0, 90, NULL),
                     PDX_OK);
    assert_int_equal(pdx_trainer_create_finite(&own, 30, 3, 1, 300, 90,
                                               NULL),
                     PDX_OK);
    pdx_trainer_share_tests(a, pdx_sweep_tests_source(tests), 300);
    pdx_trainer_share_tests(b, pdx_sweep_tests_source(tests), 300);
    pdx_params p;
    pdx_grid_cell_params(grid, 0, &p);
    /* (trainer, replica): a and b take turns; two entries (one thread) */
    const uint64_t replicas[] = {1, 1, 0, 1, 0, 2, 1, 0};
    for (size_t i = 0; i < sizeof replicas / sizeof *replicas; i++) {
        pdx_trainer *t = i % 2 ? b : a;
        assert_int_equal(pdx_trainer_set_cell(t, &p, 20, 7, replicas[i],
                                              NULL),
                         PDX_OK);
        assert_int_equal(pdx_trainer_set_cell(own, &p, 20, 7, replicas[i],
                                              NULL),
                         PDX_OK);
        const double *x, *y, *ox, *oy;
        assert_int_equal(pdx_trainer_test_set(t, &x, &y), 300);
        assert_int_equal(pdx_trainer_test_set(own, &ox, &oy), 300);
        assert_memory_equal(x, ox, 300 * 30 * sizeof(double));
        assert_memory_equal(y, oy, 300 * sizeof(double));
        if (i == 1) { /* b takes a's copy */
            const double *ax;
            pdx_trainer_test_set(a, &ax, NULL);
            assert_ptr_equal(ax, x);
        }
    }
    pdx_trainer_destroy(&a);
    pdx_trainer_destroy(&b);
    pdx_trainer_destroy(&own);
    /* drawn: 1 (a), - (b: a's), 0 (a), - (b: 1 kept), - (a: 0 kept),
     * 2 (b: in 1's entry, a holding 0's), 1 (a: in 0's), 0 (b) */
    assert_int_equal(pdx_sweep_tests_destroy(&tests), 5);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_runs_all_and_marks_divergence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_resume_skips_finished_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_stop_flag_stops_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_shard_takes_its_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_creates_the_store_while_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_failed_creation_abandons_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_memory_estimate_grows_with_threads, setup, teardown),
        cmocka_unit_test(test_sweep_draws_each_test_set_once),
        cmocka_unit_test(test_sweep_shared_test_sets_are_the_trainers_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
