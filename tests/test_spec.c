/* test_spec.c — the spec parser: values, axes, times, defaults, and every
 * error class with its rendered "FILE:LINE:COLUMN: key: message". */
#include "pdx_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdx/spec.h"

#define SPEC_PATH "sweeps/phase.yaml"

/* ---------------------------------------------------------------- helpers */

static pdx_spec *parse_ok_at(const char *text, const char *file, int line)
{
    pdx_spec *spec = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    pdx_status status =
        pdx_spec_parse_string(&spec, text, strlen(text), SPEC_PATH, &err);
    if (status != PDX_OK) {
        char rendered[1200];
        pdx_error_format(&err, rendered, sizeof rendered);
        print_error("%s:%d: parse failed: %s\n", file, line, rendered);
        _fail(file, line);
    }
    _assert_true(spec != NULL, "spec != NULL", file, line);
    return spec;
}
#define parse_ok(text) parse_ok_at((text), __FILE__, __LINE__)

/* Parse `text`; expect `status`, *out reset to NULL and exactly the
 * rendered message `expected`. */
static void expect_error_at(const char *text, pdx_status status,
                            const char *expected, const char *file, int line)
{
    static pdx_spec sentinel;
    pdx_spec *spec = &sentinel;
    pdx_error err;
    pdx_error_clear(&err);
    pdx_status got =
        pdx_spec_parse_string(&spec, text, strlen(text), SPEC_PATH, &err);
    char rendered[1200];
    pdx_error_format(&err, rendered, sizeof rendered);
    if (got != status) {
        print_error("%s:%d: status %s (%s), expected %s\n", file, line,
                       pdx_status_name(got), rendered,
                       pdx_status_name(status));
        _fail(file, line);
    }
    _assert_int_equal((uintmax_t)err.status, (uintmax_t)status, file, line);
    _assert_true(spec == NULL, "spec == NULL", file, line);
    _assert_string_equal(rendered, expected, file, line);
}
#define expect_error(text, status, expected)                                   \
    expect_error_at((text), (status), (expected), __FILE__, __LINE__)
#define expect_spec_error(text, expected)                                      \
    expect_error_at((text), PDX_ERR_SPEC, (expected), __FILE__, __LINE__)

static const pdx_axis *find_axis(const pdx_spec *spec, pdx_key_id key)
{
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == key)
            return &spec->axes[a];
    return NULL;
}

/* ------------------------------------------------------------- good specs */

static const char example[] =
    "name: quickstart\n"
    "seed: 12345\n"
    "replicas: 4\n"
    "N: 500\n"
    "teacher: {kind: committee, hidden: 2, activation: erf}\n"
    "student: {kind: committee, hidden: [1, 2, 4], activation: erf, "
    "init_scale: 1.0e-3}\n"
    "train: {algorithm: online, learning_rate: {log: [0.05, 5.0, 12]}, "
    "alpha: 20}\n"
    "record: {times: {log: [0.01, 20, 40]}}\n";

static void test_spec_example_parses_axes_and_times(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok(example);
    assert_string_equal(spec->path, SPEC_PATH);
    assert_int_equal(spec->text_length, strlen(example));
    assert_string_equal(spec->text, example);

    assert_string_equal(spec->base.name, "quickstart");
    assert_int_equal(spec->base.seed, 12345);
    assert_int_equal(spec->base.replicas, 4);
    assert_int_equal(spec->base.N, 500);
    assert_int_equal(spec->base.teacher_hidden, 2);
    assert_int_equal(spec->base.teacher_activation, PDX_ACT_ERF);
    assert_int_equal(spec->base.student_activation, PDX_ACT_ERF);
    assert_double_close(spec->base.student_init_scale, 1.0e-3, 1e-15);
    assert_double_close(spec->base.train_alpha, 20.0, 1e-15);

    assert_int_equal(spec->n_axes, 2);
    const pdx_axis *hidden = &spec->axes[0];
    assert_int_equal(hidden->key, PDX_K_STUDENT_HIDDEN);
    assert_int_equal(hidden->scale, PDX_SCALE_LIST);
    assert_int_equal(hidden->n, 3);
    assert_double_close(hidden->values[0], 1.0, 0);
    assert_double_close(hidden->values[1], 2.0, 0);
    assert_double_close(hidden->values[2], 4.0, 0);
    assert_int_equal(hidden->line, 6);
    assert_int_equal(hidden->column, 36);

    const pdx_axis *rate = &spec->axes[1];
    assert_int_equal(rate->key, PDX_K_TRAIN_LEARNING_RATE);
    assert_int_equal(rate->scale, PDX_SCALE_LOG);
    assert_int_equal(rate->n, 12);
    assert_int_equal(rate->line, 7);
    assert_int_equal(rate->column, 43);
    for (size_t i = 0; i < rate->n; i++)
        assert_double_close(rate->values[i],
                            0.05 * pow(100.0, (double)i / 11.0), 1e-12);
    assert_double_close(rate->values[0], 0.05, 0);
    assert_double_close(rate->values[11], 5.0, 0);

    assert_int_equal(spec->times_scale, PDX_SCALE_LOG);
    assert_int_equal(spec->n_times, 40);
    for (size_t i = 0; i < spec->n_times; i++)
        assert_double_close(spec->times[i],
                            0.01 * pow(2000.0, (double)i / 39.0), 1e-12);
    assert_double_close(spec->times[39], 20.0, 0);

    const pdx_key_id present[] = {
        PDX_K_NAME, PDX_K_SEED, PDX_K_REPLICAS, PDX_K_N,
        PDX_K_TEACHER_KIND, PDX_K_TEACHER_HIDDEN, PDX_K_TEACHER_ACTIVATION,
        PDX_K_STUDENT_KIND, PDX_K_STUDENT_HIDDEN, PDX_K_STUDENT_ACTIVATION,
        PDX_K_STUDENT_INIT_SCALE, PDX_K_TRAIN_ALGORITHM,
        PDX_K_TRAIN_LEARNING_RATE, PDX_K_TRAIN_ALPHA, PDX_K_RECORD_TIMES};
    size_t n_given = 0;
    for (int k = 0; k < PDX_KEY_COUNT; k++)
        n_given += spec->given[k];
    assert_int_equal(n_given, sizeof present / sizeof present[0]);
    for (size_t k = 0; k < sizeof present / sizeof present[0]; k++)
        assert_int_equal(spec->given[present[k]], 1);
    pdx_spec_destroy(&spec);
    assert_null(spec);
}

static void test_spec_defaults_applied(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("name: defaults-2385\n");
    pdx_params defaults;
    pdx_params_default(&defaults);
    size_t count = 0;
    const pdx_key *keys = pdx_spec_keys(&count);
    assert_int_equal(count, PDX_KEY_COUNT);
    for (int k = 0; k < PDX_KEY_COUNT; k++) {
        assert_int_equal(spec->given[k], k == PDX_K_NAME);
        if (keys[k].type == PDX_KEY_STRING || keys[k].type == PDX_KEY_TIMES)
            continue;
        double expected = keys[k].default_value;
        double got = pdx_params_get(&spec->base, (pdx_key_id)k);
        if (!pdx_test_close(got, expected, 0, 0))
            fail_msg("%s = %.17g, default %.17g", keys[k].name, got,
                     expected);
    }
    assert_string_equal(spec->base.name, "defaults-2385");
    assert_int_equal(spec->base.N, defaults.N);
    assert_int_equal(spec->n_axes, 0);
    assert_null(spec->axes);
    /* no train.alpha: 31 log-spaced times from 10/1000 to 10 */
    assert_int_equal(spec->times_scale, PDX_SCALE_LOG);
    assert_int_equal(spec->n_times, 31);
    assert_double_close(spec->times[0], 0.01, 1e-15);
    assert_double_close(spec->times[30], 10.0, 1e-15);
    assert_double_close(spec->times[15], sqrt(0.01 * 10.0), 1e-12);
    pdx_spec_destroy(&spec);

    /* a spec without a name keeps the table's default name */
    spec = parse_ok("seed: 8675309\n");
    assert_string_equal(spec->base.name, keys[PDX_K_NAME].default_text);
    assert_int_equal(spec->base.seed, 8675309);
    pdx_spec_destroy(&spec);
}

static void test_spec_default_times_follow_largest_alpha(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("train: {alpha: [3.75, 47.5, 12.25]}\n");
    assert_int_equal(spec->n_times, 31);
    assert_int_equal(spec->times_scale, PDX_SCALE_LOG);
    assert_double_close(spec->times[0], 0.0475, 1e-14);
    assert_double_close(spec->times[30], 47.5, 1e-15);
    assert_double_close(spec->times[10], 0.0475 * pow(1000.0, 10.0 / 30.0),
                        1e-12);
    for (size_t i = 1; i < spec->n_times; i++)
        assert_true(spec->times[i] > spec->times[i - 1]);
    pdx_spec_destroy(&spec);

    spec = parse_ok("train.alpha: 6.125\n");
    assert_double_close(spec->base.train_alpha, 6.125, 0);
    assert_double_close(spec->times[0], 0.006125, 1e-14);
    assert_double_close(spec->times[30], 6.125, 0);
    pdx_spec_destroy(&spec);
}

static void test_spec_flat_dotted_keys(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("train.learning_rate: 0.3785\n"
                              "student.activation: [tanh, relu]\n"
                              "teacher: {hidden: 7}\n"
                              "record.eg: test_set\n");
    assert_double_close(spec->base.train_learning_rate, 0.3785, 0);
    assert_int_equal(spec->base.teacher_hidden, 7);
    assert_int_equal(spec->base.record_eg, PDX_EG_TEST_SET);
    assert_int_equal(spec->given[PDX_K_TRAIN_LEARNING_RATE], 1);
    assert_int_equal(spec->given[PDX_K_STUDENT_ACTIVATION], 1);
    assert_int_equal(spec->given[PDX_K_TEACHER_HIDDEN], 1);
    assert_int_equal(spec->given[PDX_K_STUDENT_HIDDEN], 0);
    assert_int_equal(spec->n_axes, 1);
    assert_int_equal(spec->axes[0].key, PDX_K_STUDENT_ACTIVATION);
    assert_int_equal(spec->axes[0].n, 2);
    assert_double_close(spec->axes[0].values[0], PDX_ACT_TANH, 0);
    assert_double_close(spec->axes[0].values[1], PDX_ACT_RELU, 0);
    assert_int_equal(spec->axes[0].line, 2);
    assert_int_equal(spec->axes[0].column, 21);
    pdx_spec_destroy(&spec);

    /* nested and flat spellings give the same parameters */
    pdx_spec *nested = parse_ok("train:\n  learning_rate: 0.3785\n"
                                "  divergence_norm: 2.5e4\n");
    pdx_spec *flat = parse_ok("train.divergence_norm: 2.5e4\n"
                              "train.learning_rate: 0.3785\n");
    assert_memory_equal(&nested->base, &flat->base, sizeof nested->base);
    assert_memory_equal(nested->given, flat->given, sizeof nested->given);
    pdx_spec_destroy(&nested);
    pdx_spec_destroy(&flat);
}

static void test_spec_axes_keep_document_order(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("teacher.output_noise: [0.25, 0.125]\n"
                              "student: {hidden: [3, 5], kind: committee}\n"
                              "N: [250, 750]\n"
                              "train: {learning_rate: [0.75, 1.5]}\n");
    const pdx_key_id order[] = {PDX_K_TEACHER_OUTPUT_NOISE,
                                PDX_K_STUDENT_HIDDEN, PDX_K_N,
                                PDX_K_TRAIN_LEARNING_RATE};
    assert_int_equal(spec->n_axes, 4);
    for (size_t a = 0; a < 4; a++)
        assert_int_equal(spec->axes[a].key, order[a]);
    /* list axes keep the order given, unsorted */
    assert_double_close(spec->axes[0].values[0], 0.25, 0);
    assert_double_close(spec->axes[0].values[1], 0.125, 0);
    assert_int_equal(spec->axes[2].line, 3);
    assert_int_equal(spec->axes[2].column, 4);
    pdx_spec_destroy(&spec);
}

static void test_spec_lin_axis_and_single_point(void **state)
{
    (void)state;
    pdx_spec *spec =
        parse_ok("teacher.output_noise: {lin: [0.125, 2.375, 7]}\n"
                 "student.init_scale: {lin: [0.0375, 9.5, 1]}\n"
                 "student.second_layer_init: {log: [0.3125, 17.5, 1]}\n");
    const pdx_axis *noise = find_axis(spec, PDX_K_TEACHER_OUTPUT_NOISE);
    assert_non_null(noise);
    assert_int_equal(noise->scale, PDX_SCALE_LIN);
    assert_int_equal(noise->n, 7);
    for (size_t i = 0; i < 7; i++)
        assert_double_close(noise->values[i], 0.125 + 0.375 * (double)i,
                            1e-14);
    const pdx_axis *scale = find_axis(spec, PDX_K_STUDENT_INIT_SCALE);
    assert_non_null(scale);
    assert_int_equal(scale->n, 1);
    assert_double_close(scale->values[0], 0.0375, 0);
    const pdx_axis *second = find_axis(spec, PDX_K_STUDENT_SECOND_LAYER_INIT);
    assert_non_null(second);
    assert_int_equal(second->scale, PDX_SCALE_LOG);
    assert_int_equal(second->n, 1);
    assert_double_close(second->values[0], 0.3125, 0);
    pdx_spec_destroy(&spec);
}

static void test_spec_integer_axes_are_rounded(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("N: {log: [125, 8000, 4]}\n"
                              "record.test_size: {lin: [10, 30, 4]}\n");
    const pdx_axis *n = find_axis(spec, PDX_K_N);
    assert_non_null(n);
    const double n_expected[] = {125, 500, 2000, 8000};
    for (size_t i = 0; i < 4; i++)
        assert_double_close(n->values[i], n_expected[i], 0);
    const pdx_axis *size = find_axis(spec, PDX_K_RECORD_TEST_SIZE);
    assert_non_null(size);
    const double size_expected[] = {10, 17, 23, 30};
    for (size_t i = 0; i < 4; i++)
        assert_double_close(size->values[i], size_expected[i], 0);
    pdx_spec_destroy(&spec);
}

static void test_spec_times_sorted(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("record: {times: [7.25, 0.5, 3.125, 0]}\n");
    assert_int_equal(spec->times_scale, PDX_SCALE_LIST);
    assert_int_equal(spec->n_times, 4);
    const double expected[] = {0, 0.5, 3.125, 7.25};
    for (size_t i = 0; i < 4; i++)
        assert_double_close(spec->times[i], expected[i], 0);
    assert_int_equal(spec->n_axes, 0);
    pdx_spec_destroy(&spec);

    spec = parse_ok("record.times: {lin: [0, 13.5, 10]}\n");
    assert_int_equal(spec->times_scale, PDX_SCALE_LIN);
    assert_int_equal(spec->n_times, 10);
    assert_double_close(spec->times[3], 4.5, 1e-14);
    pdx_spec_destroy(&spec);

    spec = parse_ok("record.times: 42.75\n");
    assert_int_equal(spec->n_times, 1);
    assert_double_close(spec->times[0], 42.75, 0);
    pdx_spec_destroy(&spec);
}

static void test_spec_number_forms(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("N: 1e3\n"
                              "seed: 4.2e1\n"
                              "train.learning_rate: .5\n"
                              "teacher.output_noise: 3\n"
                              "student.init_scale: 1e-3\n"
                              "student.second_layer_init: -2\n"
                              "train.divergence_norm: +2.5E2\n"
                              "train.alpha: 17.\n"
                              "name: 2024\n");
    assert_int_equal(spec->base.N, 1000);
    assert_int_equal(spec->base.seed, 42);
    assert_double_close(spec->base.train_learning_rate, 0.5, 0);
    assert_double_close(spec->base.teacher_output_noise, 3.0, 0);
    assert_double_close(spec->base.student_init_scale, 1e-3, 0);
    assert_double_close(spec->base.student_second_layer_init, -2.0, 0);
    assert_double_close(spec->base.train_divergence_norm, 250.0, 0);
    assert_double_close(spec->base.train_alpha, 17.0, 0);
    assert_string_equal(spec->base.name, "2024");
    pdx_spec_destroy(&spec);

    /* quoted text is fine where text or a choice name is expected */
    spec = parse_ok("name: \"phase: K=2 \\u03b7\"\n"
                    "student: {activation: 'linear', second_layer: trained}\n"
                    "teacher.activation: linear\n");
    assert_string_equal(spec->base.name, "phase: K=2 \xce\xb7");
    assert_int_equal(spec->base.student_activation, PDX_ACT_LINEAR);
    assert_int_equal(spec->base.student_second_layer, PDX_SECOND_TRAINED);
    pdx_spec_destroy(&spec);
}

static void test_spec_uses_length_not_terminator(void **state)
{
    (void)state;
    const char text[] = "N: 375\nseed: [1, 2]\n";
    pdx_spec *spec = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    /* only "N: 375\n" is the spec; the rest would be an error */
    assert_int_equal(pdx_spec_parse_string(&spec, text, 7, NULL, &err),
                     PDX_OK);
    assert_int_equal(spec->base.N, 375);
    assert_int_equal(spec->text_length, 7);
    assert_string_equal(spec->text, "N: 375\n");
    assert_string_equal(spec->path, "<string>");
    pdx_spec_destroy(&spec);
}

/* ----------------------------------------------------------------- errors */

static void test_spec_unknown_key_did_you_mean(void **state)
{
    (void)state;
    expect_spec_error("N: 500\nstudent:\n  hiden: 3\n",
                      SPEC_PATH ":3:3: student.hiden: unknown key; did you "
                                "mean 'student.hidden'?");
    expect_spec_error("train: {alpha: 12.5, learning_rat: 0.75}\n",
                      SPEC_PATH ":1:22: train.learning_rat: unknown key; did "
                                "you mean 'train.learning_rate'?");
    expect_spec_error("seed: 31\nlerning_rate: 0.75\n",
                      SPEC_PATH ":2:1: lerning_rate: unknown key; did you "
                                "mean 'train.learning_rate'?");
    expect_spec_error("train.lerning_rate: 0.75\n",
                      SPEC_PATH ":1:1: train.lerning_rate: unknown key; did "
                                "you mean 'train.learning_rate'?");
    expect_spec_error("hidden: 3\n",
                      SPEC_PATH ":1:1: hidden: unknown key; did you mean "
                                "'teacher.hidden' or 'student.hidden'?");
    expect_spec_error("n: 500\n",
                      SPEC_PATH ":1:1: n: unknown key; did you mean 'N'?");
    expect_spec_error("record:\n  times: [1.5]\n  pineapple: 7\n",
                      SPEC_PATH ":3:3: record.pineapple: unknown key (`pdx "
                                "keys` lists the keys a spec may hold)");
    /* an axis under a misspelt key is still a key, not a section */
    expect_spec_error("train: {learning_rat: {log: [0.5, 2.5, 3]}}\n",
                      SPEC_PATH ":1:9: train.learning_rat: unknown key; did "
                                "you mean 'train.learning_rate'?");
}

static void test_spec_unknown_section(void **state)
{
    (void)state;
    expect_spec_error("trian:\n  learning_rate: 0.75\n",
                      SPEC_PATH ":1:1: trian: unknown section; did you mean "
                                "'train'?");
    expect_spec_error("optimizer: {momentum: 0.9}\n",
                      SPEC_PATH ":1:1: optimizer: unknown section (`pdx "
                                "keys` lists the keys a spec may hold)");
    expect_spec_error("train: 5\n",
                      SPEC_PATH ":1:8: train: train is a section: expected a "
                                "mapping of its keys (algorithm, "
                                "learning_rate, learning_rate_second, alpha, "
                                "divergence_norm, temperature, batch, "
                                "epochs, loss, weight_decay, burn_in, start, "
                                "move_scale, adversarial_budget, "
                                "adversarial_attack, adversarial_steps, "
                                "noise_scale, dropout, entry, "
                                "parallel_tempering, "
                                "replica_count, replica_coupling, "
                                "replica_gamma, replica_gamma_growth, "
                                "replica_gamma_max, beta_growth, mc_energy, "
                                "replica_stop, esgd_langevin_steps, esgd_gamma, "
                                "esgd_gamma_growth, esgd_inner_learning_rate, "
                                "esgd_noise, esgd_alpha), got a scalar");
}

static void test_spec_wrong_type_errors(void **state)
{
    (void)state;
    expect_spec_error("seed: [17, 29]\n",
                      SPEC_PATH ":1:7: seed: seed cannot be an axis; use "
                                "replicas for independent runs");
    expect_spec_error("replicas: {lin: [2, 8, 4]}\n",
                      SPEC_PATH ":1:11: replicas: replicas cannot be an "
                                "axis; it is the number of independent runs "
                                "of every cell");
    expect_spec_error("name: [first, second]\n",
                      SPEC_PATH ":1:7: name: name cannot be an axis");
    expect_spec_error("seed: {value: 3}\n",
                      SPEC_PATH ":1:7: seed: expected an integer, got a "
                                "mapping");
    expect_spec_error("N: abc\n",
                      SPEC_PATH ":1:4: N: expected an integer, got 'abc'");
    expect_spec_error("N: \"500\"\n",
                      SPEC_PATH ":1:4: N: expected an integer, got the "
                                "quoted string \"500\" (write numbers without "
                                "quotes)");
    expect_spec_error("N: 2.5\n",
                      SPEC_PATH ":1:4: N: expected an integer, got '2.5'");
    expect_spec_error("student:\n  hidden: [3, 4.5]\n",
                      SPEC_PATH ":2:15: student.hidden: expected an integer, "
                                "got '4.5'");
    expect_spec_error("train.learning_rate: .inf\n",
                      SPEC_PATH ":1:22: train.learning_rate: expected a "
                                "finite number, got '.inf'");
    expect_spec_error("train.learning_rate: -.NaN\n",
                      SPEC_PATH ":1:22: train.learning_rate: expected a "
                                "finite number, got '-.NaN'");
    expect_spec_error("train.alpha: 1e999\n",
                      SPEC_PATH ":1:14: train.alpha: expected a finite "
                                "number, got '1e999'");
    expect_spec_error("train.learning_rate: 0x10\n",
                      SPEC_PATH ":1:22: train.learning_rate: expected a "
                                "number, got '0x10'");
    expect_spec_error("train.learning_rate: [0.5, [0.25]]\n",
                      SPEC_PATH ":1:28: train.learning_rate: expected a "
                                "number, got a list");
    expect_spec_error("N:\n",
                      SPEC_PATH ":1:3: N: missing value: expected an "
                                "integer");
    expect_spec_error("student.activation: ~\n",
                      SPEC_PATH ":1:21: student.activation: missing value: "
                                "expected one of erf, relu, tanh, linear, "
                                "hard_tanh, sigmoid");
    expect_spec_error("[N]: 500\n",
                      SPEC_PATH ":1:1: a key must be a name, not a list");
}

static void test_spec_out_of_range_errors(void **state)
{
    (void)state;
    expect_spec_error("N: 0\n",
                      SPEC_PATH ":1:4: N: 0 is out of range: must be in "
                                "[1, 10000000]");
    expect_spec_error("train:\n  learning_rate: 0\n",
                      SPEC_PATH ":2:18: train.learning_rate: 0 is out of "
                                "range: must be in (0, 10000]");
    expect_spec_error("teacher: {hidden: 65}\n",
                      SPEC_PATH ":1:19: teacher.hidden: 65 is out of range: "
                                "must be in [1, 64]");
    expect_spec_error("teacher.output_noise: [0.25, -0.125]\n",
                      SPEC_PATH ":1:30: teacher.output_noise: -0.125 is out "
                                "of range: must be in [0, 1000]");
    expect_spec_error("seed: -3\n",
                      SPEC_PATH ":1:7: seed: -3 is out of range: must be in "
                                "[0, 9007199254740992]");
    expect_spec_error("record.times: [2.5, -0.75]\n",
                      SPEC_PATH ":1:21: record.times: -0.75 is out of range: "
                                "must be in [0, 1000000000]");
    expect_spec_error("student.init_scale: {lin: [0.5, 1500, 3]}\n",
                      SPEC_PATH ":1:33: student.init_scale: 1500 is out of "
                                "range: must be in [0, 1000]");
}

static void test_spec_bad_choice_errors(void **state)
{
    (void)state;
    expect_spec_error("teacher: {activation: erf}\nstudent:\n"
                      "  activation: erff\n",
                      SPEC_PATH ":3:15: student.activation: unknown "
                                "activation 'erff'; choices: erf, relu, tanh, "
                                "linear, hard_tanh, sigmoid; did you mean "
                                "'erf'?");
    /* sign is a teacher activation only */
    expect_spec_error("student.activation: sign\n",
                      SPEC_PATH ":1:21: student.activation: unknown "
                                "activation 'sign'; choices: erf, relu, tanh, "
                                "linear, hard_tanh, sigmoid");
    expect_spec_error("teacher.activation: [erf, Relu]\n",
                      SPEC_PATH ":1:27: teacher.activation: unknown "
                                "activation 'Relu'; choices: erf, relu, tanh, "
                                "linear, sign, hard_tanh, sigmoid; did you mean "
                                "'relu'?");
    expect_spec_error("record.eg: closedform\n",
                      SPEC_PATH ":1:12: record.eg: unknown eg 'closedform'; "
                                "choices: auto, closed_form, test_set; did "
                                "you mean 'closed_form'?");
    expect_spec_error("student.activation: {lin: [0, 3, 4]}\n",
                      SPEC_PATH ":1:22: student.activation: "
                                "student.activation is a choice: give its "
                                "axis as a list of names such as [erf]");
}

static void test_spec_malformed_axis_errors(void **state)
{
    (void)state;
    expect_spec_error("N: []\n",
                      SPEC_PATH ":1:4: N: empty axis: give at least one "
                                "value");
    expect_spec_error("teacher.output_noise: {lin: [0, 1, 0]}\n",
                      SPEC_PATH ":1:36: teacher.output_noise: empty axis: "
                                "n = 0; give at least one value");
    expect_spec_error("train.learning_rate: {lin: [0.5, 2.5]}\n",
                      SPEC_PATH ":1:28: train.learning_rate: lin needs three "
                                "numbers [start, stop, n]");
    expect_spec_error("train.learning_rate: {log: 0.5}\n",
                      SPEC_PATH ":1:28: train.learning_rate: log needs three "
                                "numbers [start, stop, n]");
    expect_spec_error("train.learning_rate: {log: [0.5, 2.5, 2.5]}\n",
                      SPEC_PATH ":1:39: train.learning_rate: n must be a "
                                "positive integer, got '2.5'");
    expect_spec_error("train.learning_rate: {log: [0.5, 2.5, -3]}\n",
                      SPEC_PATH ":1:39: train.learning_rate: n must be a "
                                "positive integer, got '-3'");
    expect_spec_error("teacher.output_noise: {log: [0, 2.5, 6]}\n",
                      SPEC_PATH ":1:30: teacher.output_noise: log needs "
                                "start and stop > 0, got 0");
    expect_spec_error("student.second_layer_init: {log: [1.5, -2.5, 6]}\n",
                      SPEC_PATH ":1:40: student.second_layer_init: log needs "
                                "start and stop > 0, got -2.5");
    expect_spec_error("record.times: {log: [0, 20, 5]}\n",
                      SPEC_PATH ":1:22: record.times: log needs start and "
                                "stop > 0, got 0");
    expect_spec_error("train.learning_rate: {geom: [0.5, 2.5, 3]}\n",
                      SPEC_PATH ":1:23: train.learning_rate: unknown axis "
                                "form 'geom'; expected {lin: [start, stop, n]} "
                                "or {log: [start, stop, n]}");
    expect_spec_error("train.learning_rate: {lin: [0.5, 2.5, 3], "
                      "log: [0.5, 2.5, 3]}\n",
                      SPEC_PATH ":1:22: train.learning_rate: an axis mapping "
                                "has one entry, {lin: [start, stop, n]} or "
                                "{log: [start, stop, n]}; got 2");
    expect_spec_error("record.times: []\n",
                      SPEC_PATH ":1:15: record.times: empty list of times: "
                                "give at least one value");
}

static void test_spec_repeated_values_errors(void **state)
{
    (void)state;
    expect_spec_error("student:\n  hidden: [2, 4,\n           2]\n",
                      SPEC_PATH ":3:12: student.hidden: repeated value 2 "
                                "(first at line 2, column 12); values must be "
                                "distinct");
    expect_spec_error("teacher.activation: [relu, erf, relu]\n",
                      SPEC_PATH ":1:33: teacher.activation: repeated value "
                                "'relu' (first at line 1, column 22); "
                                "values must be distinct");
    expect_spec_error("record.times: [7.5, 1.25, 7.5]\n",
                      SPEC_PATH ":1:27: record.times: repeated value 7.5 "
                                "(first at line 1, column 16); values must be "
                                "distinct");
    expect_spec_error("train.learning_rate: {lin: [0.75, 0.75, 3]}\n",
                      SPEC_PATH ":1:22: train.learning_rate: the axis repeats "
                                "the value 0.75; values must be distinct");
    expect_spec_error("N: {lin: [100, 102, 5]}\n",
                      SPEC_PATH ":1:4: N: the axis repeats the value 100 "
                                "(after rounding to integers); values must be "
                                "distinct");
}

static void test_spec_duplicate_keys_errors(void **state)
{
    (void)state;
    expect_spec_error("N: 500\nseed: 7\nN: 750\n",
                      SPEC_PATH ":3:1: N: given twice; first given at line 1");
    expect_spec_error("train:\n  learning_rate: 0.5\n  alpha: 15\n"
                      "train.learning_rate: [0.25, 0.75]\n",
                      SPEC_PATH ":4:1: train.learning_rate: given twice; "
                                "first given at line 2");
    expect_spec_error("student: {hidden: 3}\nstudent: {hidden: 5}\n",
                      SPEC_PATH ":2:11: student.hidden: given twice; first "
                                "given at line 1");
    expect_spec_error("record: {times: [1.5, 3]}\nrecord.times: [4.5]\n",
                      SPEC_PATH ":2:1: record.times: given twice; first "
                                "given at line 1");
}

static void test_spec_closed_form_eg_needs_matching_activations(void **state)
{
    (void)state;
    expect_spec_error("teacher: {activation: relu}\n"
                      "record: {eg: closed_form}\n",
                      SPEC_PATH ":2:14: record.eg: closed_form needs "
                                "teacher.activation and student.activation "
                                "both erf or both linear, but the sweep has "
                                "teacher.activation = relu with "
                                "student.activation = erf; use auto or "
                                "test_set");
    /* an activation axis makes a mixed cell */
    expect_spec_error("record.eg: closed_form\n"
                      "teacher.activation: linear\n"
                      "student.activation: [linear, erf]\n",
                      SPEC_PATH ":1:12: record.eg: closed_form needs "
                                "teacher.activation and student.activation "
                                "both erf or both linear, but the sweep has "
                                "teacher.activation = linear with "
                                "student.activation = erf; use auto or "
                                "test_set");
    /* an eg axis holding closed_form is checked too */
    expect_spec_error("record.eg: [test_set, closed_form]\n"
                      "student.activation: tanh\n"
                      "teacher.activation: tanh\n",
                      SPEC_PATH ":1:12: record.eg: closed_form needs "
                                "teacher.activation and student.activation "
                                "both erf or both linear, but the sweep has "
                                "teacher.activation = tanh with "
                                "student.activation = tanh; use auto or "
                                "test_set");

    pdx_spec *spec = parse_ok("record.eg: closed_form\n"
                              "teacher.activation: linear\n"
                              "student.activation: linear\n");
    assert_int_equal(spec->base.record_eg, PDX_EG_CLOSED_FORM);
    pdx_spec_destroy(&spec);
    spec = parse_ok("record.eg: closed_form\n"); /* erf/erf by default */
    pdx_spec_destroy(&spec);
    /* test_set has no such restriction */
    spec = parse_ok("record.eg: test_set\nteacher.activation: sign\n"
                    "student.activation: relu\n");
    assert_int_equal(spec->base.teacher_activation, PDX_ACT_SIGN);
    pdx_spec_destroy(&spec);
}

/* Issue 21: a training time below the first checkpoint validated and gave
 * cells marked done whose every value is NaN. */
static void test_spec_training_time_before_first_checkpoint(void **state)
{
    (void)state;
    expect_spec_error("N: 50\n"
                      "teacher: {kind: perceptron}\n"
                      "student: {kind: twolayer}\n"
                      "train: {algorithm: sgd, epochs: 0.375}\n"
                      "record: {times: [1.5, 3]}\n",
                      SPEC_PATH ":4:33: train.epochs: 0.375 ends training "
                                "before the first checkpoint (record.times "
                                "starts at 1.5): every recorded value would "
                                "be NaN; train at least until 1.5 or add "
                                "earlier times");
    /* one value of an axis is enough */
    expect_spec_error("train: {alpha: [12.5, 0.625]}\n"
                      "record: {times: {lin: [2.25, 12.5, 5]}}\n",
                      SPEC_PATH ":1:16: train.alpha: 0.625 ends training "
                                "before the first checkpoint (record.times "
                                "starts at 2.25): every recorded value would "
                                "be NaN; train at least until 2.25 or add "
                                "earlier times");
    /* training up to the first checkpoint records it (the later ones are
     * NaN, as documented) */
    pdx_spec *spec = parse_ok("train: {alpha: 2.25}\n"
                              "record: {times: [2.25, 12.5]}\n");
    assert_double_close(spec->base.train_alpha, 2.25, 0);
    pdx_spec_destroy(&spec);
    spec = parse_ok("N: 50\n"
                    "teacher: {kind: perceptron}\n"
                    "student: {kind: twolayer}\n"
                    "train: {algorithm: sgd, epochs: [0.375, 4.5]}\n");
    assert_double_close(spec->times[0], 0.0045, 1e-12); /* 4.5/1000 */
    pdx_spec_destroy(&spec);
}

/* Issue 21: a temperature whose learning rate T x batch (gd: T x P) is
 * above train.learning_rate's bound validated. */
static void test_spec_temperature_learning_rate_bound(void **state)
{
    (void)state;
    expect_spec_error("N: 50\n"
                      "teacher: {kind: perceptron}\n"
                      "student: {kind: twolayer}\n"
                      "train: {algorithm: sgd, batch: 8, "
                      "temperature: [0.25, 1250.5]}\n",
                      SPEC_PATH ":4:48: train.temperature: 1250.5 gives sgd "
                                "the learning rate 10004 (T x batch = "
                                "1250.5 x 8), above train.learning_rate's "
                                "bound 10000");
    expect_spec_error("N: 50\n"
                      "teacher: {kind: perceptron}\n"
                      "student: {kind: twolayer}\n"
                      "data: {alpha: 3}\n"
                      "train: {algorithm: gd, temperature: 66.75}\n",
                      SPEC_PATH ":5:37: train.temperature: 66.75 gives gd "
                                "the learning rate 10012.5 (T x P = 66.75 x "
                                "150), above train.learning_rate's bound "
                                "10000");
    /* exactly at the bound is allowed; langevin's temperature is not a
     * learning rate */
    pdx_spec *spec = parse_ok("N: 50\n"
                              "teacher: {kind: perceptron}\n"
                              "student: {kind: twolayer}\n"
                              "train: {algorithm: sgd, batch: 8, "
                              "temperature: 1250}\n");
    pdx_spec_destroy(&spec);
    spec = parse_ok("N: 50\n"
                    "teacher: {kind: perceptron}\n"
                    "student: {kind: twolayer}\n"
                    "train: {algorithm: langevin, temperature: 1250.5}\n");
    pdx_spec_destroy(&spec);
}

static void test_spec_yaml_syntax_errors(void **state)
{
    (void)state;
    expect_spec_error("N: 500\nteacher: {hidden: 2\nstudent: {hidden: 3}\n",
                      SPEC_PATH ":3:8: YAML syntax error: did not find "
                                "expected ',' or '}' (while parsing a flow "
                                "mapping at line 2, column 10)");
    expect_spec_error("N: 500\n  seed: 7\n",
                      SPEC_PATH ":2:7: YAML syntax error: mapping values are "
                                "not allowed in this context");
    expect_spec_error("name: \"unterminated\n",
                      SPEC_PATH ":2:1: YAML syntax error: found unexpected "
                                "end of stream (while scanning a quoted scalar "
                                "at line 1, column 7)");
    expect_spec_error("N: 500\nname: caf\xc3\n",
                      SPEC_PATH ":2:11: cannot read the text: invalid "
                                "trailing UTF-8 octet");
    expect_spec_error("", SPEC_PATH ": the spec is empty");
    expect_spec_error("# only a comment\n\n", SPEC_PATH ": the spec is empty");
    expect_spec_error("- N: 500\n",
                      SPEC_PATH ":1:1: the top level must be a mapping of "
                                "keys (key: value), got a list");
    expect_spec_error("quickstart\n",
                      SPEC_PATH ":1:1: the top level must be a mapping of "
                                "keys (key: value), got a scalar");
    expect_spec_error("N: &size 500\nrecord.test_size: *size\n",
                      SPEC_PATH ":1:4: anchors and aliases are not supported");
    expect_spec_error("N: !!int 500\n",
                      SPEC_PATH ":1:4: YAML tags are not supported");
    expect_spec_error("N: 500\n---\nN: 750\n---\nN: 3\n",
                      SPEC_PATH ":4:1: a spec is one YAML document, "
                                "optionally followed by a second one of "
                                "overrides; found a third");
}

/* Issue 19: a second document replaces keys of the first; an overridden
 * axis keeps its place among the axes, new keys come after the spec's. */
static void test_spec_override_document(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("N: 500\n---\nN: 750\n");
    assert_int_equal(spec->base.N, 750);
    pdx_spec_destroy(&spec);
    spec = parse_ok("N: [10, 20]\nstudent: {hidden: [1, 2]}\n"
                    "train.learning_rate: 0.3\n"
                    "--- # overrides\n"
                    "train: {alpha: 4}\nN: [30, 40, 50]\n"
                    "train.learning_rate: {log: [0.1, 1, 3]}\n");
    assert_int_equal(spec->n_axes, 3);
    assert_int_equal(spec->axes[0].key, PDX_K_N);
    assert_int_equal(spec->axes[0].n, 3);
    assert_true(spec->axes[0].values[2] == 50);
    assert_int_equal(spec->axes[1].key, PDX_K_STUDENT_HIDDEN);
    assert_int_equal(spec->axes[2].key, PDX_K_TRAIN_LEARNING_RATE);
    assert_true(spec->base.train_alpha == 4);
    pdx_spec_destroy(&spec);
    /* an empty override document overrides nothing */
    spec = parse_ok("N: 20\n---\n");
    assert_int_equal(spec->base.N, 20);
    pdx_spec_destroy(&spec);
    expect_spec_error("N: 20\n---\nN: 30\nN: 40\n",
                      SPEC_PATH ":4:1: N: overridden twice; first at line 3");
    expect_spec_error("N: 20\n---\nstudent.hiden: 3\n",
                      SPEC_PATH ":3:1: student.hiden: unknown key; did you "
                                "mean 'student.hidden'?");
    expect_spec_error("N: 20\n---\n- 3\n",
                      SPEC_PATH ":3:1: the override document (after ---) "
                                "must be a mapping of keys (key: value), got "
                                "a list");
    expect_spec_error("N: 20\n---\nN: -3\n",
                      SPEC_PATH ":3:4: N: -3 is out of range: must be in "
                                "[1, 10000000]");
}

static void write_text(const char *path, const char *text);

/* Issue 19: KEY=VALUE overrides of the command line, recorded in the
 * spec's text as a second document that parses back to the same spec. */
static void test_spec_command_line_overrides(void **state)
{
    (void)state;
    char path[] = "test_spec_over_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_text(path, "name: o\nN: 20 # no newline at the end");
    const char *over[] = {"N=[30, 40]", "train.alpha=5",
                          "student={hidden: 3}"};
    pdx_spec *spec = NULL, *again = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_spec_parse_file_overrides(&spec, path, over, 3, &err),
                     PDX_OK);
    assert_int_equal(spec->n_axes, 1);
    assert_int_equal(spec->axes[0].n, 2);
    assert_true(spec->base.train_alpha == 5);
    assert_int_equal(spec->base.student_hidden, 3);
    assert_string_equal(spec->text,
                        "name: o\nN: 20 # no newline at the end\n"
                        "--- # pdx command-line overrides\n"
                        "N: [30, 40]\ntrain.alpha: 5\n"
                        "student: {hidden: 3}\n");
    assert_int_equal(pdx_spec_parse_string(&again, spec->text,
                                           spec->text_length, path, &err),
                     PDX_OK);
    assert_string_equal(again->canonical, spec->canonical);
    pdx_spec_destroy(&again);
    pdx_spec_destroy(&spec);
    /* an error in an override names it, not a line of the built text */
    const char *bad[] = {"train.alpha=5", "N=many"};
    assert_int_equal(pdx_spec_parse_file_overrides(&spec, path, bad, 2, &err),
                     PDX_ERR_SPEC);
    char rendered[1200];
    pdx_error_format(&err, rendered, sizeof rendered);
    assert_string_equal(rendered, "<command line>:2: N: (override 2) expected "
                                  "an integer, got 'many'");
    const char *no_key[] = {"=5"};
    assert_int_equal(
        pdx_spec_parse_file_overrides(&spec, path, no_key, 1, &err),
        PDX_ERR_USAGE);
    const char *two_lines[] = {"N=5\nseed: 3"};
    assert_int_equal(
        pdx_spec_parse_file_overrides(&spec, path, two_lines, 1, &err),
        PDX_ERR_USAGE);
    assert_null(spec);
    unlink(path);
}

/* Issue 19: the canonical text (the spec's identity) ignores comments,
 * layout, nesting and key order, and changes with any value. */
static void test_spec_canonical_identity(void **state)
{
    (void)state;
    pdx_spec *a = parse_ok("name: c\nN: 20\nstudent: {hidden: [1, 2]}\n"
                           "train: {alpha: 3, learning_rate: 0.25}\n");
    pdx_spec *b = parse_ok("# a comment\ntrain.learning_rate: 0.250  # eta\n"
                           "name: \"c\"\ntrain:\n  alpha: 3.0\nN: 20\n"
                           "student.hidden:\n  - 1\n  - 2\n");
    pdx_spec *c = parse_ok("name: c\nN: 20\nstudent: {hidden: [1, 2]}\n"
                           "train: {alpha: 3, learning_rate: 0.26}\n");
    pdx_spec *d = parse_ok("name: c\nN: 20\nstudent: {hidden: [2, 1]}\n"
                           "train: {alpha: 3, learning_rate: 0.25}\n");
    assert_string_equal(a->canonical, b->canonical);
    assert_int_equal(a->canonical_length, strlen(a->canonical));
    assert_string_not_equal(a->canonical, c->canonical);
    assert_string_not_equal(a->canonical, d->canonical); /* axis order */
    pdx_spec_destroy(&a);
    pdx_spec_destroy(&b);
    pdx_spec_destroy(&c);
    pdx_spec_destroy(&d);
}

/* Issue 19: zip groups (one mapping, a list of them, nested keys), their
 * errors, and overrides of a group or of one member. */
static void test_spec_zip_groups(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("N: [10, 20]\n"
                              "zip:\n  - {student.hidden: [1, 2, 3], "
                              "train: {learning_rate: [0.5, 0.5, 1]}}\n"
                              "  - {teacher.hidden: [1, 2], "
                              "teacher.output_noise: [0, 0.5]}\n"
                              "train.alpha: 2\n");
    assert_int_equal(spec->n_axes, 5);
    assert_int_equal(spec->axes[0].zip, 0);
    assert_int_equal(spec->axes[1].zip, 1);
    assert_int_equal(spec->axes[2].zip, 1);
    assert_int_equal(spec->axes[2].key, PDX_K_TRAIN_LEARNING_RATE);
    assert_int_equal(spec->axes[3].zip, 2);
    assert_int_equal(spec->axes[4].zip, 2);
    assert_int_equal(pdx_spec_cells(spec), 12);
    pdx_params p = spec->base;
    pdx_spec_set_cell(spec, 1 * 6 + 2 * 2 + 1, &p);
    assert_int_equal(p.N, 20);
    assert_int_equal(p.student_hidden, 3);
    assert_true(p.train_learning_rate == 1.0);
    assert_int_equal(p.teacher_hidden, 2);
    assert_true(p.teacher_output_noise == 0.5);
    assert_non_null(strstr(spec->canonical, "zip 1 axis student.hidden"));
    pdx_spec_destroy(&spec);
    expect_spec_error("zip: {student.hidden: [1, 2, 3], "
                      "train.learning_rate: [0.5, 1]}\n",
                      SPEC_PATH ":1:55: train.learning_rate: has 2 values, "
                                "but student.hidden, the first axis of its "
                                "zip group (line 1), has 3: zipped axes vary "
                                "together and need as many values");
    expect_spec_error("zip: {student.hidden: [1, 2], N: 20}\n",
                      SPEC_PATH ":1:34: N: a zip group holds axes that vary "
                                "together (lists, {lin: ...}, {log: ...}); "
                                "give a single value outside zip:");
    expect_spec_error("zip: {student.hidden: [1, 2]}\n",
                      SPEC_PATH ":1:6: zip: a zip group needs at least two "
                                "axes, got 1");
    expect_spec_error("zip: [1, 2]\n",
                      SPEC_PATH ":1:7: zip: a zip group is a mapping of axes "
                                "that vary together ({data.alpha: [1, 2], "
                                "train.epochs: [20, 10]}), got a scalar");
    expect_spec_error("zip: {student.hidden: [1, 1], N: [10, 20]}\n",
                      SPEC_PATH ":1:27: student.hidden: repeated value 1 "
                                "(first at line 1, column 24); values must "
                                "be distinct");
    expect_spec_error("zip: {N: [10, 20], student.hidden: [1, 2]}\n"
                      "student.hidden: 3\n",
                      SPEC_PATH ":2:1: student.hidden: given twice; first "
                                "given at line 1");
    /* zipped activations meet only pairwise: closed_form holds */
    spec = parse_ok("zip: {teacher.activation: [erf, linear], "
                    "student.activation: [erf, linear]}\n"
                    "record.eg: closed_form\n");
    pdx_spec_destroy(&spec);
    expect_spec_error("teacher.activation: [erf, linear]\n"
                      "student.activation: [erf, linear]\n"
                      "record.eg: closed_form\n",
                      SPEC_PATH ":3:12: record.eg: closed_form needs "
                                "teacher.activation and student.activation "
                                "both erf or both linear, but the sweep has "
                                "teacher.activation = erf with "
                                "student.activation = linear; use auto or "
                                "test_set");
    /* a later member may repeat a value: the first names the cells */
    spec = parse_ok("zip: {N: [10, 20], student.hidden: [2, 2]}\n");
    assert_int_equal(spec->axes[1].n, 2);
    pdx_spec_destroy(&spec);
    /* overrides: one member keeps its group; `zip` replaces the groups */
    spec = parse_ok("zip: {N: [10, 20], student.hidden: [1, 2]}\n---\n"
                    "student.hidden: [3, 4]\n");
    assert_int_equal(spec->axes[1].zip, 1);
    assert_true(spec->axes[1].values[0] == 3);
    pdx_spec_destroy(&spec);
    spec = parse_ok("zip: {N: [10, 20], student.hidden: [1, 2]}\n---\n"
                    "zip: {N: [5, 6, 7], teacher.hidden: [1, 2, 3]}\n");
    assert_int_equal(spec->n_axes, 2);
    assert_int_equal(spec->axes[1].key, PDX_K_TEACHER_HIDDEN);
    assert_int_equal(spec->axes[0].n, 3);
    pdx_spec_destroy(&spec);
}

/* Issue 19: a key that applies to no cell is an error; an axis that
 * applies to some cells only, a warning. */
static void test_spec_keys_that_do_not_apply(void **state)
{
    (void)state;
    static const char perceptron[] =
        "N: 20\nteacher: {kind: perceptron}\ndata.alpha: 1\n";
    char text[512];
    snprintf(text, sizeof text,
             "%sstudent: {kind: perceptron, hidden: [1, 2]}\n"
             "train: {algorithm: hebb, epochs: 1}\n",
             perceptron);
    expect_spec_error(text, SPEC_PATH ":4:37: student.hidden: applies to no "
                            "cell of this sweep: it is for student.kind "
                            "committee or twolayer (a perceptron has one "
                            "unit, a deep student student.width); as an axis "
                            "it would repeat every run");
    snprintf(text, sizeof text,
             "%sstudent: {kind: perceptron, activation: [erf, relu]}\n"
             "train: {algorithm: hebb, epochs: 1}\n",
             perceptron);
    expect_spec_error(text, SPEC_PATH ":4:41: student.activation: applies to "
                            "no cell of this sweep: it is for student.kind "
                            "committee, twolayer or deep (a perceptron "
                            "student is linear, w.x/sqrt N); as an axis it "
                            "would repeat every run");
    snprintf(text, sizeof text,
             "%sstudent: {kind: perceptron}\n"
             "train: {algorithm: hebb, epochs: 1, batch: 4}\n",
             perceptron);
    expect_spec_error(text, SPEC_PATH ":5:44: train.batch: applies to no cell "
                            "of this sweep: it is for train.algorithm sgd, "
                            "replicated_sgd or entropy_sgd; remove it");
    expect_spec_error("student: {kind: committee, depth: 3}\n",
                      SPEC_PATH ":1:35: student.depth: applies to no cell of "
                                "this sweep: it is for deep students or "
                                "teachers (kind deep) and train.algorithm "
                                "propagate; remove it");
    /* applies to some cells: a warning, the spec parses */
    snprintf(text, sizeof text,
             "%sstudent: {kind: [perceptron, committee], hidden: [1, 2]}\n"
             "train: {algorithm: sgd, epochs: 1}\n",
             perceptron);
    pdx_spec *spec = parse_ok(text);
    assert_non_null(spec->warnings);
    assert_string_equal(spec->warnings,
                        SPEC_PATH ":4:50: student.hidden: warning: the axis "
                        "applies to some cells only (student.kind committee "
                        "or twolayer (a perceptron has one unit, a deep "
                        "student student.width)); the others run the same "
                        "task for each of its 2 values\n");
    pdx_spec_destroy(&spec);
    /* a zip of kinds with their own keys applies everywhere: no warning */
    spec = parse_ok("N: 20\nteacher: {kind: perceptron}\ndata.alpha: 1\n"
                    "train: {algorithm: sgd, epochs: 1}\n"
                    "student.hidden: 2\n"
                    "zip: {student.kind: [committee, twolayer], "
                    "student.init_scale: [0.1, 0.2]}\n");
    assert_null(spec->warnings);
    pdx_spec_destroy(&spec);
}

static void test_spec_too_big_errors(void **state)
{
    (void)state;
    expect_error("N: {lin: [1, 5000000, 1000001]}\n", PDX_ERR_TOO_BIG,
                 SPEC_PATH ":1:23: N: the axis has 1000001 values; at most "
                           "1000000 are allowed");
    /* 10^6 x 10^6 x 10^6 cells: the third axis crosses 2^53 */
    expect_error("N: {lin: [1, 1000000, 1000000]}\n"
                 "teacher.output_noise: {lin: [0, 999, 1000000]}\n"
                 "student.init_scale: {lin: [0.001, 999, 1000000]}\n",
                 PDX_ERR_TOO_BIG,
                 SPEC_PATH ":3:21: student.init_scale: the axes up to this "
                           "one make 1e+18 cells; at most 2^53 are allowed");
    /* 10^12 cells are fine, times 10^4 replicas are not */
    expect_error("replicas: 10000\n"
                 "N: {lin: [1, 1000000, 1000000]}\n"
                 "teacher.output_noise: {lin: [0, 999, 1000000]}\n",
                 PDX_ERR_TOO_BIG,
                 SPEC_PATH ":1:11: replicas: 1000000000000 cells x 10000 "
                           "replicas = 1e+16 runs; at most 2^53 are "
                           "allowed");
    pdx_spec *spec = parse_ok("replicas: 9000\n"
                              "N: {lin: [1, 1000000, 1000000]}\n"
                              "teacher.output_noise: {lin: [0, 999, "
                              "1000000]}\n");
    assert_int_equal(spec->axes[0].n, 1000000);
    assert_double_close(spec->axes[0].values[999999], 1000000, 0);
    pdx_spec_destroy(&spec);
}

static void test_spec_name_errors(void **state)
{
    (void)state;
    char text[200];
    snprintf(text, sizeof text, "name: %0128d\n", 7);
    expect_spec_error(text, SPEC_PATH ":1:7: name: is 128 characters long; "
                                      "at most 127 are allowed");
    snprintf(text, sizeof text, "name: %0127d\n", 7);
    pdx_spec *spec = parse_ok(text);
    assert_int_equal(strlen(spec->base.name), 127);
    pdx_spec_destroy(&spec);
    expect_spec_error("name:\n",
                      SPEC_PATH ":1:6: name: missing value: expected text");
}

/* ------------------------------------------------------------------ files */

static void write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(text, 1, strlen(text), file), strlen(text));
    assert_int_equal(fclose(file), 0);
}

static void test_spec_parse_file_reads_and_names_file(void **state)
{
    (void)state;
    char path[] = "test_spec_file_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);

    write_file(path, example);
    pdx_spec *spec = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_spec_parse_file(&spec, path, &err), PDX_OK);
    assert_string_equal(spec->path, path);
    assert_string_equal(spec->text, example);
    assert_int_equal(spec->text_length, strlen(example));
    assert_int_equal(spec->n_axes, 2);
    pdx_spec_destroy(&spec);

    write_file(path, "N: 500\nstudent: {hiden: 3}\n");
    spec = (pdx_spec *)&err; /* must be reset to NULL */
    assert_int_equal(pdx_spec_parse_file(&spec, path, &err), PDX_ERR_SPEC);
    assert_null(spec);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 11);
    assert_string_equal(err.key, "student.hiden");
    char rendered[1200], expected[1200];
    pdx_error_format(&err, rendered, sizeof rendered);
    snprintf(expected, sizeof expected,
             "%s:2:11: student.hiden: unknown key; did you mean "
             "'student.hidden'?",
             path);
    assert_string_equal(rendered, expected);
    assert_int_equal(unlink(path), 0);
}

static void test_spec_parse_file_io_errors(void **state)
{
    (void)state;
    pdx_spec *spec = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    const char *missing = "no-such-dir-4127/spec.yaml";
    assert_int_equal(pdx_spec_parse_file(&spec, missing, &err), PDX_ERR_IO);
    assert_null(spec);
    char rendered[1200], expected[1200];
    pdx_error_format(&err, rendered, sizeof rendered);
    snprintf(expected, sizeof expected, "%s: cannot open the spec: %s",
             missing, strerror(ENOENT));
    assert_string_equal(rendered, expected);

    /* a directory opens but cannot be read */
    pdx_error_clear(&err);
    assert_int_equal(pdx_spec_parse_file(&spec, ".", &err), PDX_ERR_IO);
    assert_null(spec);
    pdx_error_format(&err, rendered, sizeof rendered);
    snprintf(expected, sizeof expected, ".: cannot read the spec: %s",
             strerror(EISDIR));
    assert_string_equal(rendered, expected);
}

static void test_spec_bad_arguments(void **state)
{
    (void)state;
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_spec_parse_string(NULL, "N: 5", 4, NULL, &err),
                     PDX_ERR_USAGE);
    pdx_spec *spec = (pdx_spec *)&err;
    assert_int_equal(pdx_spec_parse_string(&spec, NULL, 4, NULL, &err),
                     PDX_ERR_USAGE);
    assert_null(spec);
    spec = (pdx_spec *)&err;
    assert_int_equal(pdx_spec_parse_file(&spec, NULL, NULL), PDX_ERR_USAGE);
    assert_null(spec);
    /* a NULL pdx_error is allowed */
    assert_int_equal(pdx_spec_parse_string(&spec, "N: x", 4, NULL, NULL),
                     PDX_ERR_SPEC);
    assert_null(spec);
}

static void test_spec_destroy_accepts_null(void **state)
{
    (void)state;
    pdx_spec_destroy(NULL);
    pdx_spec *spec = NULL;
    pdx_spec_destroy(&spec);
    assert_null(spec);
}

/* ------------------------------------------- difference between specs */

/* issue 21: a resume refused for an edited spec names the keys that
 * changed, with old and new values (scalars, axes, choices, times). */
/* Deep networks (issue 15): the keys parse as axes; depth 0, sigma_w2 <= 0,
 * a width whose weights exceed the memory, propagate without a deep
 * student and deep nets with algorithms that do not train them are spec
 * errors naming the key. */
static void test_spec_deep_networks(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("N: 64\n"
                              "student: {kind: deep, depth: [3, 12], "
                              "width: 48, sigma_w2: {lin: [1, 4, 4]}, "
                              "sigma_b2: 0.0625, activation: hard_tanh}\n"
                              "train: {algorithm: propagate}\n"
                              "propagate: {q0: 2.5, c0: -0.25, probes: 3, "
                              "curve_points: 17}\n");
    assert_int_equal(spec->n_axes, 2);
    assert_int_equal(spec->axes[0].key, PDX_K_STUDENT_DEPTH);
    assert_int_equal(spec->axes[1].key, PDX_K_STUDENT_SIGMA_W2);
    assert_int_equal(spec->base.student_width, 48);
    assert_int_equal(spec->base.student_activation, PDX_ACT_HARD_TANH);
    assert_double_close(spec->base.propagate_c0, -0.25, 0);
    assert_int_equal(spec->base.propagate_curve_points, 17);
    pdx_param_record records[PDX_KEY_COUNT];
    pdx_spec_param_records(spec, records);
    assert_false(records[PDX_K_STUDENT_WIDTH].omit);
    assert_true(records[PDX_K_TEACHER_WIDTH].omit); /* no deep teacher */
    assert_false(records[PDX_K_PROPAGATE_Q0].omit);
    pdx_spec_destroy(&spec);
    spec = parse_ok("N: 20\n");
    pdx_spec_param_records(spec, records);
    assert_true(records[PDX_K_STUDENT_DEPTH].omit);
    assert_true(records[PDX_K_PROPAGATE_PROBES].omit);
    assert_false(records[PDX_K_STUDENT_HIDDEN].omit);
    pdx_spec_destroy(&spec);

    expect_spec_error("student: {kind: deep, depth: 0}\n",
                      SPEC_PATH ":1:30: student.depth: 0 is out of range: "
                                "must be in [1, 100000]");
    expect_spec_error("teacher: {kind: deep, sigma_w2: [1.5, 0]}\n",
                      SPEC_PATH ":1:39: teacher.sigma_w2: 0 is out of "
                                "range: must be in (0, 10000]");
    expect_spec_error("student: {kind: committee}\n"
                      "train: {algorithm: propagate}\n",
                      SPEC_PATH ":1:17: student.kind: train.algorithm "
                                "propagate sends signals through a random "
                                "deep student: it needs student.kind deep, "
                                "not committee");
    expect_spec_error("student: {kind: deep}\n"
                      "train: {algorithm: online}\n",
                      SPEC_PATH ":2:20: train.algorithm: deep students are "
                                "trained by sgd, gd, replicated_sgd or "
                                "entropy_sgd (or probed at initialisation "
                                "by propagate), not by online");
    expect_spec_error("teacher: {kind: deep}\n",
                      SPEC_PATH ":1:17: teacher.kind: deep teachers label "
                                "fixed training sets (sgd, gd): online "
                                "learning is implemented for committee "
                                "teachers");
    /* a width beyond the memory (the figures are the machine's) */
    const char *wide = "N: 100\n"
                       "student: {kind: deep, depth: 1000, width: 900000}\n"
                       "train: {algorithm: gd}\n";
    pdx_error err;
    pdx_spec *out = NULL;
    assert_int_equal(pdx_spec_parse_string(&out, wide, strlen(wide),
                                           SPEC_PATH, &err),
                     PDX_ERR_SPEC);
    char rendered[1200];
    pdx_error_format(&err, rendered, sizeof rendered);
    const char *want = SPEC_PATH ":2:43: student.width: 900000 units (depth "
                                 "1000, N = 100) need ";
    if (strncmp(rendered, want, strlen(want)) != 0)
        fail_msg("got '%s'", rendered);
    assert_non_null(strstr(rendered, "of this machine's"));
}

static void test_spec_describe_difference_names_keys(void **state)
{
    (void)state;
    pdx_spec *old_spec = parse_ok(
        "name: w\nN: 40\nreplicas: 2\n"
        "student: {hidden: [1, 2], activation: erf}\n"
        "train: {learning_rate: 0.385, alpha: 3}\n"
        "record: {times: [0.5, 3]}\n");
    pdx_spec *new_spec = parse_ok(
        "name: w\nN: 40\nreplicas: 3\n"
        "student: {hidden: [1, 2, 3], activation: relu}\n"
        "train: {learning_rate: 0.385, alpha: 4.25}\n"
        "record: {times: [0.5, 3]}\n");
    char buf[1024];
    size_t n = pdx_spec_describe_difference(old_spec, new_spec, buf,
                                            sizeof buf);
    print_message("difference: %s\n", buf);
    assert_int_equal(n, 4);
    assert_string_equal(buf, "replicas: 2 -> 3; "
                             "student.hidden: [1, 2] -> [1, 2, 3]; "
                             "student.activation: erf -> relu; "
                             "train.alpha: 3 -> 4.25");
    /* a scalar that became an axis, and the times */
    pdx_spec *axis_spec = parse_ok(
        "name: w\nN: 40\nreplicas: 2\n"
        "student: {hidden: [1, 2], activation: erf}\n"
        "train: {learning_rate: [0.385, 1.5], alpha: 3}\n"
        "record: {times: [0.5, 2.5, 3]}\n");
    n = pdx_spec_describe_difference(old_spec, axis_spec, buf, sizeof buf);
    assert_int_equal(n, 2);
    assert_string_equal(buf, "train.learning_rate: 0.385 -> [0.385, 1.5]; "
                             "record.times: [0.5, 3] -> [0.5, 2.5, 3]");
    /* a cut buffer stays terminated and still counts every key */
    char small[12];
    n = pdx_spec_describe_difference(old_spec, new_spec, small, sizeof small);
    assert_int_equal(n, 4);
    assert_int_equal(strlen(small), sizeof small - 1);
    pdx_spec_destroy(&axis_spec);
    pdx_spec_destroy(&new_spec);
    pdx_spec_destroy(&old_spec);
}

/* Comments and layout are no difference; long axes are shortened. */
static void test_spec_describe_difference_same_and_long(void **state)
{
    (void)state;
    pdx_spec *a = parse_ok("N: 40\ntrain: {alpha: 3}\n");
    pdx_spec *b = parse_ok("# a comment\ntrain:\n  alpha: 3.0\nN: 40\n");
    char buf[256];
    assert_int_equal(pdx_spec_describe_difference(a, b, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    pdx_spec *c = parse_ok("N: 40\ntrain: {alpha: 3, learning_rate: "
                           "{lin: [0.1, 1.0, 10]}}\n");
    assert_int_equal(pdx_spec_describe_difference(a, c, buf, sizeof buf), 1);
    print_message("difference: %s\n", buf);
    assert_non_null(strstr(buf, "train.learning_rate: 0.5 -> [0.1, 0.2, "));
    assert_non_null(strstr(buf, "... (10 values)]"));
    pdx_spec_destroy(&c);
    pdx_spec_destroy(&b);
    pdx_spec_destroy(&a);
}

/* Issue 17: the noise scale g = eta P/B sets sgd's learning rate and is
 * exclusive with learning_rate and temperature; dropout and the evidence
 * serve the students and algorithms they are defined for. */
static const char issue17_head[] = "N: 50\n"
                                   "teacher: {kind: perceptron}\n";

static void issue17_cell(const pdx_spec *spec, uint64_t cell, pdx_params *c)
{
    *c = spec->base;
    pdx_spec_set_cell(spec, cell, c);
    pdx_params_resolve(c, spec);
}

static void expect_issue17_error(const char *rest, const char *expected)
{
    char text[512];
    snprintf(text, sizeof text, "%s%s", issue17_head, rest);
    expect_spec_error(text, expected);
}

static void test_spec_noise_scale_dropout_evidence(void **state)
{
    (void)state;
    pdx_spec *spec = parse_ok("N: 50\n"
                              "teacher: {kind: perceptron}\n"
                              "student: {kind: twolayer}\n"
                              "data: {alpha: 4}\n"
                              "train: {algorithm: sgd, batch: [8, 500], "
                              "noise_scale: 2.5}\n");
    pdx_params c;
    issue17_cell(spec, 0, &c); /* B = 8, P = 200: eta = 0.1 */
    assert_double_close(c.train_learning_rate, 2.5 * 8.0 / 200.0, 1e-15);
    assert_double_close(c.train_temperature, 2.5 / 200.0, 1e-15);
    issue17_cell(spec, 1, &c); /* B > P: the batch is the set */
    assert_double_close(c.train_learning_rate, 2.5, 1e-15);
    pdx_spec_destroy(&spec);
    expect_issue17_error("student: {kind: twolayer}\n"
                         "train: {algorithm: sgd, learning_rate: 0.1, "
                         "noise_scale: 2}\n",
                         SPEC_PATH ":4:58: train.noise_scale: sets the "
                                   "learning rate (eta = g B/P): give "
                                   "train.noise_scale, train.temperature or "
                                   "train.learning_rate, only one");
    expect_issue17_error("student: {kind: twolayer}\n"
                         "train: {algorithm: sgd, temperature: 0.1, "
                         "noise_scale: 2}\n",
                         SPEC_PATH ":4:56: train.noise_scale: sets the "
                                   "learning rate (eta = g B/P): give "
                                   "train.noise_scale, train.temperature or "
                                   "train.learning_rate, only one");
    expect_issue17_error("student: {kind: twolayer}\n"
                         "train: {algorithm: gd, noise_scale: 2}\n",
                         SPEC_PATH ":4:37: train.noise_scale: applies to no "
                                   "cell of this sweep: it is for "
                                   "train.algorithm sgd; remove it");
    expect_issue17_error("student: {kind: perceptron}\n"
                         "train: {algorithm: sgd, dropout: 0.5}\n",
                         SPEC_PATH ":4:34: train.dropout: dropout drops "
                                   "hidden units: it needs train.algorithm "
                                   "sgd or gd and a committee, twolayer or "
                                   "deep student");
    expect_issue17_error("student: {kind: twolayer}\n"
                         "train: {algorithm: langevin, temperature: 0.1, "
                         "dropout: 0.5}\n",
                         SPEC_PATH ":4:57: train.dropout: dropout drops "
                                   "hidden units: it needs train.algorithm "
                                   "sgd or gd and a committee, twolayer or "
                                   "deep student");
    expect_issue17_error("student: {kind: twolayer}\n"
                         "train: {algorithm: sgd, dropout: 0.96}\n",
                         SPEC_PATH ":4:34: train.dropout: 0.96 is out of "
                                   "range: must be in [0, 0.95]");
    expect_issue17_error("student: {kind: twolayer}\n"
                         "train: {algorithm: sgd}\n"
                         "record: {evidence: logistic}\n",
                         SPEC_PATH ":5:20: record.evidence: the evidence is "
                                   "of a perceptron student's +-1 labels: it "
                                   "needs student.kind and teacher.kind "
                                   "perceptron and a finite training set");
    expect_issue17_error("student: {kind: perceptron}\n"
                         "train: {algorithm: hebb}\n"
                         "record: {prior_precision: 2}\n",
                         SPEC_PATH ":5:27: record.prior_precision: applies "
                                   "to no cell of this sweep: it is for "
                                   "record.evidence not none; remove it");
    spec = parse_ok("N: 50\n"
                    "teacher: {kind: perceptron}\n"
                    "student: {kind: perceptron}\n"
                    "train: {algorithm: hebb}\n"
                    "record: {evidence: probit, prior_precision: [0.5, 2]}\n");
    assert_int_equal(spec->base.record_evidence, PDX_EVIDENCE_PROBIT);
    pdx_spec_destroy(&spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_example_parses_axes_and_times),
        cmocka_unit_test(test_spec_defaults_applied),
        cmocka_unit_test(test_spec_default_times_follow_largest_alpha),
        cmocka_unit_test(test_spec_flat_dotted_keys),
        cmocka_unit_test(test_spec_axes_keep_document_order),
        cmocka_unit_test(test_spec_lin_axis_and_single_point),
        cmocka_unit_test(test_spec_integer_axes_are_rounded),
        cmocka_unit_test(test_spec_times_sorted),
        cmocka_unit_test(test_spec_number_forms),
        cmocka_unit_test(test_spec_uses_length_not_terminator),
        cmocka_unit_test(test_spec_unknown_key_did_you_mean),
        cmocka_unit_test(test_spec_unknown_section),
        cmocka_unit_test(test_spec_wrong_type_errors),
        cmocka_unit_test(test_spec_out_of_range_errors),
        cmocka_unit_test(test_spec_bad_choice_errors),
        cmocka_unit_test(test_spec_malformed_axis_errors),
        cmocka_unit_test(test_spec_repeated_values_errors),
        cmocka_unit_test(test_spec_duplicate_keys_errors),
        cmocka_unit_test(test_spec_closed_form_eg_needs_matching_activations),
        cmocka_unit_test(test_spec_training_time_before_first_checkpoint),
        cmocka_unit_test(test_spec_deep_networks),
        cmocka_unit_test(test_spec_temperature_learning_rate_bound),
        cmocka_unit_test(test_spec_noise_scale_dropout_evidence),
        cmocka_unit_test(test_spec_yaml_syntax_errors),
        cmocka_unit_test(test_spec_too_big_errors),
        cmocka_unit_test(test_spec_name_errors),
        cmocka_unit_test(test_spec_parse_file_reads_and_names_file),
        cmocka_unit_test(test_spec_parse_file_io_errors),
        cmocka_unit_test(test_spec_bad_arguments),
        cmocka_unit_test(test_spec_destroy_accepts_null),
        cmocka_unit_test(test_spec_describe_difference_names_keys),
        cmocka_unit_test(test_spec_describe_difference_same_and_long),
        cmocka_unit_test(test_spec_override_document),
        cmocka_unit_test(test_spec_command_line_overrides),
        cmocka_unit_test(test_spec_canonical_identity),
        cmocka_unit_test(test_spec_zip_groups),
        cmocka_unit_test(test_spec_keys_that_do_not_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}
