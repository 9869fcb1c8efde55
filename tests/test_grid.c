/* test_grid.c — cells, tasks, parameters and cell keys. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdx/grid.h"
#include "pdx_test.h"

static const char *const spec_text =
    "name: g\n"
    "replicas: 3\n"
    "N: [40, 80]\n"
    "student: {hidden: [1, 2, 4], activation: [erf, relu]}\n"
    "train: {learning_rate: {log: [0.05, 5.0, 5]}, alpha: 7.5}\n"
    "record: {times: [0.5, 2.385, 7.5]}\n";

static int setup(void **state)
{
    pdx_spec *spec = NULL;
    pdx_error err;
    if (pdx_spec_parse_string(&spec, spec_text, strlen(spec_text), "g.yaml",
                              &err) != PDX_OK)
        return -1;
    *state = spec;
    return 0;
}

static int teardown(void **state)
{
    pdx_spec *spec = *state;
    pdx_spec_destroy(&spec);
    return 0;
}

static void test_grid_shape_and_index(void **state)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_grid_create(&grid, *state, NULL), PDX_OK);
    assert_int_equal(grid->n_axes, 4);
    assert_int_equal(grid->n_cells, 2 * 3 * 2 * 5);
    assert_int_equal(grid->n_tasks, 60 * 3);
    assert_int_equal(grid->max_student_hidden, 4);
    assert_int_equal(grid->max_N, 80);
    assert_int_equal(grid->max_test_size, 10000); /* relu needs a test set */
    size_t idx[4];
    /* first axis slowest: cell 47 = ((1*3 + 1)*2 + 1)*5 + 2 */
    pdx_grid_cell_index(grid, 47, idx);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 1);
    assert_int_equal(idx[2], 1);
    assert_int_equal(idx[3], 2);
    pdx_params p;
    pdx_grid_cell_params(grid, 47, &p);
    assert_int_equal(p.N, 80);
    assert_int_equal(p.student_hidden, 2);
    assert_int_equal(p.student_activation, PDX_ACT_RELU);
    assert_double_close(p.train_learning_rate, 0.5, 1e-12);
    assert_double_close(p.train_alpha, 7.5, 0);
    assert_double_close(p.train_learning_rate_second, 0.5, 1e-12);
    assert_int_equal(pdx_grid_steps_at(&p, 2.385), 191); /* 2.385*80 = 190.8 */
    char buf[256];
    pdx_grid_describe_task(grid, 47 * 3 + 2, buf, sizeof buf);
    assert_string_equal(buf, "N=80, student.hidden=2, student.activation=relu, "
                             "train.learning_rate=0.5, replica=2");
    pdx_grid_destroy(&grid);
    assert_null(grid);
    pdx_grid_destroy(&grid);
}

/* The cell key depends on parameter values, not on the cell's position:
 * the same parameters in a grid with an extra axis value keep their key. */
static void test_grid_cell_key_by_value(void **state)
{
    (void)state;
    const char *a = "student: {hidden: [2, 4]}\n";
    const char *b = "student: {hidden: [1, 2, 4]}\n";
    pdx_spec *sa = NULL, *sb = NULL;
    assert_int_equal(pdx_spec_parse_string(&sa, a, strlen(a), "a", NULL), PDX_OK);
    assert_int_equal(pdx_spec_parse_string(&sb, b, strlen(b), "b", NULL), PDX_OK);
    pdx_grid *ga = NULL, *gb = NULL;
    assert_int_equal(pdx_grid_create(&ga, sa, NULL), PDX_OK);
    assert_int_equal(pdx_grid_create(&gb, sb, NULL), PDX_OK);
    pdx_params pa, pb;
    pdx_grid_cell_params(ga, 0, &pa); /* hidden 2 */
    pdx_grid_cell_params(gb, 1, &pb); /* hidden 2 */
    assert_true(pdx_grid_cell_key(&pa) == pdx_grid_cell_key(&pb));
    pdx_grid_cell_params(gb, 2, &pb); /* hidden 4 */
    assert_true(pdx_grid_cell_key(&pa) != pdx_grid_cell_key(&pb));
    pdx_grid_destroy(&ga);
    pdx_grid_destroy(&gb);
    pdx_spec_destroy(&sa);
    pdx_spec_destroy(&sb);
}

static void test_grid_cost_orders_tasks(void **state)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_grid_create(&grid, *state, NULL), PDX_OK);
    pdx_params small, big;
    pdx_grid_cell_params(grid, 0, &small);            /* N 40, K 1 */
    pdx_grid_cell_params(grid, grid->n_cells - 1, &big); /* N 80, K 4 */
    assert_true(pdx_grid_task_cost(&big) > 2.0 * pdx_grid_task_cost(&small));
    pdx_grid_destroy(&grid);
}

/* Shards partition the tasks, each ascending, whatever the count. */
static void test_grid_shards_partition_the_tasks(void **state)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_grid_create(&grid, *state, NULL), PDX_OK);
    const uint64_t counts[] = {1, 2, 3, 7, 179, 180, 181, 1000};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        uint64_t count = counts[c];
        unsigned char seen[180] = {0};
        uint64_t total = 0, largest = 0, smallest = UINT64_MAX;
        for (uint64_t s = 0; s < count; s++) {
            uint64_t *tasks = NULL, n = 0;
            assert_int_equal(pdx_grid_shard_tasks(grid, s, count, &tasks, &n,
                                                  NULL),
                             PDX_OK);
            assert_true((n == 0) == (tasks == NULL));
            for (uint64_t i = 0; i < n; i++) {
                assert_true(tasks[i] < 180);
                assert_false(seen[tasks[i]]);
                seen[tasks[i]] = 1;
                if (i > 0)
                    assert_true(tasks[i] > tasks[i - 1]);
            }
            total += n;
            largest = n > largest ? n : largest;
            smallest = n < smallest ? n : smallest;
            free(tasks);
        }
        assert_int_equal(total, 180);
        /* more shards than tasks: one task each, the rest empty */
        if (count >= 180) {
            assert_int_equal(largest, 1);
            assert_int_equal(smallest, count > 180 ? 0 : 1);
        }
    }
    pdx_grid_destroy(&grid);
}

/* The deal balances cost where task % n does not: a last axis whose two
 * values differ 30-fold in cost, dealt to 2 shards. */
/* The whole deal at once (what merge and info use for 1,000 shard files)
 * gives every task the shard whose task list holds it. */
static void test_grid_shard_deal_matches_shard_tasks(void **state)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_grid_create(&grid, *state, NULL), PDX_OK);
    const uint64_t counts[] = {1, 3, 7, 180, 1000};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        uint32_t *shard_of = NULL;
        assert_int_equal(pdx_grid_shard_deal(grid, counts[c], &shard_of, NULL),
                         PDX_OK);
        for (uint64_t s = 0; s < counts[c] && s < 200; s++) {
            uint64_t *tasks = NULL, n = 0;
            assert_int_equal(pdx_grid_shard_tasks(grid, s, counts[c], &tasks,
                                                  &n, NULL),
                             PDX_OK);
            uint64_t mine = 0;
            for (uint64_t t = 0; t < grid->n_tasks; t++)
                mine += shard_of[t] == s;
            assert_int_equal(mine, n);
            for (uint64_t i = 0; i < n; i++)
                assert_int_equal(shard_of[tasks[i]], s);
            free(tasks);
        }
        free(shard_of);
    }
    uint32_t *none = NULL;
    pdx_error err;
    assert_int_equal(pdx_grid_shard_deal(grid, 0, &none, &err),
                     PDX_ERR_USAGE);
    assert_null(none);
    pdx_grid_destroy(&grid);
}

static void test_grid_shards_balance_cost(void **state)
{
    (void)state;
    const char *text = "replicas: 1\n"
                       "student: {hidden: [1, 2, 3]}\n"
                       "train: {learning_rate: [0.25, 0.5, 1.5]}\n"
                       "N: [20, 600]\n";
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_spec_parse_string(&spec, text, strlen(text), "b",
                                           NULL),
                     PDX_OK);
    assert_int_equal(pdx_grid_create(&grid, spec, NULL), PDX_OK);
    double cost[2] = {0, 0}, modulo[2] = {0, 0}, largest = 0;
    for (uint64_t s = 0; s < 2; s++) {
        uint64_t *tasks = NULL, n = 0;
        assert_int_equal(pdx_grid_shard_tasks(grid, s, 2, &tasks, &n, NULL),
                         PDX_OK);
        for (uint64_t i = 0; i < n; i++) {
            pdx_params p;
            pdx_grid_cell_params(grid, tasks[i], &p);
            cost[s] += pdx_grid_task_cost(&p);
        }
        free(tasks);
    }
    for (uint64_t t = 0; t < grid->n_tasks; t++) {
        pdx_params p;
        pdx_grid_cell_params(grid, t, &p);
        modulo[t % 2] += pdx_grid_task_cost(&p);
        largest = fmax(largest, pdx_grid_task_cost(&p));
    }
    print_message("cost per shard: deal %.4g / %.4g, task %% 2: %.4g / %.4g\n",
                  cost[0], cost[1], modulo[0], modulo[1]);
    assert_true(fabs(cost[0] - cost[1]) <= largest);
    assert_true(fmax(modulo[0], modulo[1]) > 10 * fmin(modulo[0], modulo[1]));
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
}

static void test_grid_shards_reject_bad_numbers(void **state)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_grid_create(&grid, *state, NULL), PDX_OK);
    uint64_t *tasks = (uint64_t *)&grid, n = 99;
    pdx_error err;
    assert_int_equal(pdx_grid_shard_tasks(grid, 0, 0, &tasks, &n, &err),
                     PDX_ERR_USAGE);
    assert_null(tasks);
    assert_int_equal(n, 0);
    assert_int_equal(pdx_grid_shard_tasks(grid, 3, 3, &tasks, &n, &err),
                     PDX_ERR_USAGE);
    assert_non_null(strstr(err.message, "shard 3 of 3 does not exist"));
    pdx_grid_destroy(&grid);
}

static pdx_grid *grid_of(const char *text, pdx_spec **spec)
{
    pdx_grid *grid = NULL;
    assert_int_equal(pdx_spec_parse_string(spec, text, strlen(text), "x.yaml",
                                           NULL),
                     PDX_OK);
    assert_int_equal(pdx_grid_create(&grid, *spec, NULL), PDX_OK);
    return grid;
}

/* An extension adds axis values (anywhere) and replicas; the map sends
 * each old value to its index in the new axis. */
static void test_grid_embed_maps_values(void **state)
{
    (void)state;
    pdx_spec *sa = NULL, *sb = NULL;
    pdx_grid *a = grid_of("name: old\nreplicas: 2\nstudent: {hidden: [2, 4]}\n"
                          "train: {learning_rate: [0.5, 2.385]}\n",
                          &sa);
    pdx_grid *b = grid_of("name: new\nreplicas: 5\n"
                          "student: {hidden: [1, 2, 3, 4]}\n"
                          "train: {learning_rate: [2.385, 0.125, 0.5]}\n",
                          &sb);
    size_t *map = NULL;
    assert_int_equal(pdx_grid_embed(a, b, &map, NULL), PDX_OK);
    assert_int_equal(map[0], 1); /* hidden 2 */
    assert_int_equal(map[1], 3); /* hidden 4 */
    assert_int_equal(map[2], 2); /* learning rate 0.5 */
    assert_int_equal(map[3], 0); /* learning rate 2.385 */
    free(map);
    /* the other way round is no extension */
    pdx_error err;
    assert_int_equal(pdx_grid_embed(b, a, &map, &err), PDX_ERR_MISMATCH);
    assert_null(map);
    assert_non_null(strstr(err.message, "replicas"));
    pdx_grid_destroy(&a);
    pdx_grid_destroy(&b);
    pdx_spec_destroy(&sa);
    pdx_spec_destroy(&sb);
}

/* Each way a spec can fail to extend another names the key at fault. */
static void test_grid_embed_refuses_other_changes(void **state)
{
    (void)state;
    static const char *const base =
        "replicas: 2\nN: 50\nstudent: {hidden: [2, 4]}\n"
        "train: {learning_rate: [0.5, 2.385], alpha: 3}\n";
    static const struct {
        const char *text, *key, *message;
    } cases[] = {
        {"replicas: 2\nN: 60\nstudent: {hidden: [2, 4]}\n"
         "train: {learning_rate: [0.5, 2.385], alpha: 3}\n",
         "N", "50 in the file's spec, 60 in this spec"},
        {"replicas: 2\nN: 50\nstudent: {hidden: [2, 4]}\n"
         "train: {learning_rate: [0.5, 2.38], alpha: 3}\n",
         "train.learning_rate", "value 2.385"},
        {"replicas: 2\nN: 50\ntrain: {learning_rate: [0.5, 2.385], "
         "alpha: 3}\nstudent: {hidden: [2, 4]}\n",
         "", "the axes differ: (student.hidden, train.learning_rate)"},
        {"replicas: 2\nN: [50, 70]\nstudent: {hidden: [2, 4]}\n"
         "train: {learning_rate: [0.5, 2.385], alpha: 3}\n",
         "", "the axes differ"},
        {"replicas: 2\nN: 50\nstudent: {hidden: [2, 4], activation: relu}\n"
         "train: {learning_rate: [0.5, 2.385], alpha: 3}\n",
         "student.activation", "erf in the file's spec, relu in this spec"},
        {"replicas: 2\nN: 50\nstudent: {hidden: [2, 4]}\n"
         "train: {learning_rate: [0.5, 2.385], alpha: 3}\n"
         "record: {times: [1, 2, 3]}\n",
         "record.times", "times"},
    };
    pdx_spec *sa = NULL;
    pdx_grid *a = grid_of(base, &sa);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pdx_spec *sb = NULL;
        pdx_grid *b = grid_of(cases[i].text, &sb);
        size_t *map = NULL;
        pdx_error err;
        pdx_error_clear(&err);
        assert_int_equal(pdx_grid_embed(a, b, &map, &err), PDX_ERR_MISMATCH);
        assert_null(map);
        if (strcmp(err.key, cases[i].key) != 0 ||
            strstr(err.message, cases[i].message) == NULL)
            fail_msg("case %zu: key '%s', message '%s'", i, err.key,
                     err.message);
        pdx_grid_destroy(&b);
        pdx_spec_destroy(&sb);
    }
    pdx_grid_destroy(&a);
    pdx_spec_destroy(&sa);
}

/* Issue 19: a zip group is one dimension; its cells take the members'
 * values at the same index, and each cell's parameters (and key) are
 * those of the same values in a crossed grid. */
static void test_grid_zip_is_one_dimension(void **state)
{
    (void)state;
    pdx_spec *sz = NULL, *sx = NULL;
    pdx_grid *z = grid_of("replicas: 2\nN: [40, 80]\n"
                          "zip: {student.hidden: [1, 2, 4], "
                          "train: {learning_rate: [0.5, 0.5, 2.385]}}\n"
                          "train.alpha: 3\n",
                          &sz);
    assert_int_equal(sz->n_axes, 3);
    assert_int_equal(z->n_axes, 2);
    assert_int_equal(z->shape[0], 2);
    assert_int_equal(z->shape[1], 3);
    assert_int_equal(z->dim_axis[1], 1);
    assert_int_equal(z->dim_members[1], 2);
    assert_int_equal(z->n_cells, 6);
    assert_int_equal(z->n_tasks, 12);
    pdx_params p;
    pdx_grid_cell_params(z, 5, &p); /* N = 80, third zip entry */
    assert_int_equal(p.N, 80);
    assert_int_equal(p.student_hidden, 4);
    assert_true(p.train_learning_rate == 2.385);
    char where[256];
    pdx_grid_describe_task(z, 5 * 2 + 1, where, sizeof where);
    assert_string_equal(where, "N=80, student.hidden=4, "
                               "train.learning_rate=2.385, replica=1");
    /* the same cell of a crossed grid has the same key */
    pdx_grid *x = grid_of("replicas: 2\nN: [40, 80]\n"
                          "student: {hidden: [1, 2, 4]}\n"
                          "train: {learning_rate: [0.5, 2.385], alpha: 3}\n",
                          &sx);
    pdx_params q;
    pdx_grid_cell_params(x, 1 * 6 + 2 * 2 + 1, &q);
    assert_int_equal(pdx_grid_cell_key(&p), pdx_grid_cell_key(&q));
    /* zip groups must match for an extension */
    size_t *map = NULL;
    pdx_error err;
    assert_int_equal(pdx_grid_embed(z, x, &map, &err), PDX_ERR_MISMATCH);
    pdx_grid_destroy(&x);
    pdx_spec_destroy(&sx);
    x = grid_of("replicas: 2\nN: [40, 80]\n"
                "zip: {student.hidden: [1, 2, 4, 8], "
                "train: {learning_rate: [0.5, 0.5, 2.385, 1]}}\n"
                "train.alpha: 3\n",
                &sx);
    assert_int_equal(pdx_grid_embed(z, x, &map, &err), PDX_OK);
    assert_int_equal(map[2], 0);
    assert_int_equal(map[4], 2);
    free(map);
    pdx_grid_destroy(&x);
    pdx_spec_destroy(&sx);
    x = grid_of("replicas: 2\nN: [40, 80]\n"
                "zip: {student.hidden: [1, 2, 4], "
                "train: {learning_rate: [0.5, 0.75, 2.385]}}\n"
                "train.alpha: 3\n",
                &sx);
    pdx_error_clear(&err);
    assert_int_equal(pdx_grid_embed(z, x, &map, &err), PDX_ERR_MISMATCH);
    assert_string_equal(err.key, "train.learning_rate");
    pdx_grid_destroy(&x);
    pdx_spec_destroy(&sx);
    pdx_grid_destroy(&z);
    pdx_spec_destroy(&sz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grid_shape_and_index, setup, teardown),
        cmocka_unit_test(test_grid_cell_key_by_value),
        cmocka_unit_test_setup_teardown(test_grid_cost_orders_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grid_shards_partition_the_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grid_shard_deal_matches_shard_tasks, setup, teardown),
        cmocka_unit_test(test_grid_shards_balance_cost),
        cmocka_unit_test_setup_teardown(test_grid_shards_reject_bad_numbers, setup, teardown),
        cmocka_unit_test(test_grid_embed_maps_values),
        cmocka_unit_test(test_grid_embed_refuses_other_changes),
        cmocka_unit_test(test_grid_zip_is_one_dimension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
