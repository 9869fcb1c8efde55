/* test_refine.c — the refine module without the planner: its lattice spec
 * (the axis spliced in every way a spec can give it; the spec's own values
 * lattice points bit for bit) and the checks of its settings. The rounds
 * themselves run in tests/refine_test.sh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pdx_test.h"
#include "pdx/grid.h"
#include "pdx/refine.h"
#include "pdx/spec.h"

static pdx_spec *parse(const char *text)
{
    pdx_spec *spec = NULL;
    pdx_error err;
    pdx_error_clear(&err);
    if (pdx_spec_parse_string(&spec, text, strlen(text), "t.yaml", &err) !=
        PDX_OK)
        fail_msg("spec: %s", err.message);
    return spec;
}

static const pdx_axis *axis_of(const pdx_spec *spec, const char *name)
{
    int id = pdx_spec_key_find(name);
    for (size_t a = 0; a < spec->n_axes; a++)
        if ((int)spec->axes[a].key == id)
            return &spec->axes[a];
    fail_msg("no axis %s", name);
    return NULL;
}

/* The lattice of `text` along `along` at `tol`: its spec, checked to keep
 * every other axis and to hold the original values bit for bit when
 * `nested` (a {lin:}/{log:} axis). */
static pdx_spec *lattice_of(const char *text, const char *along, double tol,
                            size_t want_n, int nested)
{
    pdx_spec *spec = parse(text);
    char *out = NULL;
    size_t n = 0;
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_refine_lattice_text(spec, along, tol, &out, &n, &err),
                     PDX_OK);
    assert_int_equal(n, want_n);
    pdx_spec *lat = parse(out);
    const pdx_axis *a = axis_of(spec, along), *b = axis_of(lat, along);
    assert_int_equal(b->n, want_n);
    assert_int_equal(lat->n_axes, spec->n_axes);
    for (size_t i = 1; i < b->n; i++)
        assert_true(b->values[i] - b->values[i - 1] <=
                    (b->scale == PDX_SCALE_LOG ? tol * b->values[i - 1] : tol) *
                        (1 + 1e-12));
    if (nested) {
        size_t step = (b->n - 1) / (a->n - 1);
        for (size_t i = 0; i < a->n; i++)
            if (memcmp(&a->values[i], &b->values[i * step], sizeof(double)))
                fail_msg("value %zu: %.17g is not lattice point %zu (%.17g)",
                         i, a->values[i], i * step, b->values[i * step]);
    }
    free(out);
    pdx_spec_destroy(&spec);
    return lat;
}

static void test_refine_lattice_nested_lin(void **state)
{
    (void)state;
    pdx_spec *lat = lattice_of(
        "# comment kept\nname: t\nN: 20\nteacher: {kind: perceptron}\n"
        "student: {kind: perceptron}\n"
        "data: {alpha: {lin: [0.5, 3.5, 7]}, label_noise: [0.25, 1]}\n"
        "train: {algorithm: hebb, epochs: 1}\n",
        "data.alpha", 0.05, 97, 1);
    assert_true(strstr(lat->text, "# comment kept") != NULL);
    assert_true(strstr(lat->text, "alpha: {lin: [0.5, 3.5, 97]}") != NULL);
    assert_int_equal(axis_of(lat, "data.label_noise")->n, 2);
    pdx_spec_destroy(&lat);
}

static void test_refine_lattice_log_and_dotted(void **state)
{
    (void)state;
    /* (100)^(1/(4 * 2^m)) - 1 <= 0.1: m = 4, 65 points */
    pdx_spec *lat = lattice_of(
        "name: t\nN: 50\ntrain.learning_rate: {log: [0.01, 1, 5]}\n"
        "train.alpha: 2\n",
        "train.learning_rate", 0.1, 65, 1);
    assert_int_equal(axis_of(lat, "train.learning_rate")->scale,
                     PDX_SCALE_LOG);
    pdx_spec_destroy(&lat);
}

static void test_refine_lattice_block_list_and_integers(void **state)
{
    (void)state;
    /* a block sequence of reals: a lin lattice over its range */
    pdx_spec *lat = lattice_of("name: t\nN: 20\ndata:\n  alpha:\n    - 4\n"
                               "    - 1\n    - 2.5\n  label_noise: 0.5\n"
                               "teacher: {kind: perceptron}\n"
                               "student: {kind: perceptron}\n"
                               "train: {algorithm: hebb, epochs: 1}\n",
                               "data.alpha", 0.5, 7, 0);
    const pdx_axis *a = axis_of(lat, "data.alpha");
    assert_true(a->values[0] == 1.0 && a->values[6] == 4.0);
    assert_true(pdx_params_get(&lat->base, PDX_K_DATA_LABEL_NOISE) == 0.5);
    pdx_spec_destroy(&lat);
    /* an integer axis: integer steps of floor(tol) */
    lat = lattice_of("name: t\nN: [10, 20, 34]\n", "N", 4.7, 7, 0);
    a = axis_of(lat, "N");
    for (size_t i = 0; i < 7; i++)
        assert_true(a->values[i] == 10.0 + 4.0 * (double)i);
    pdx_spec_destroy(&lat);
}

static void expect_lattice_error(const char *text, const char *along,
                                 double tol, pdx_status want,
                                 const char *key, const char *phrase)
{
    pdx_spec *spec = parse(text);
    char *out = NULL;
    size_t n = 0;
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_refine_lattice_text(spec, along, tol, &out, &n, &err),
                     want);
    assert_null(out);
    assert_string_equal(err.key, key);
    if (strstr(err.message, phrase) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, phrase);
    pdx_spec_destroy(&spec);
}

static void test_refine_lattice_errors(void **state)
{
    (void)state;
    const char *text = "name: t\nN: 20\ndata: {alpha: {lin: [0.5, 3, 6]}}\n"
                       "student: {kind: committee, activation: [erf, relu]}\n"
                       "train: {algorithm: gd, epochs: 1}\n";
    expect_lattice_error(text, "train.learning_rate", 0.1, PDX_ERR_USAGE,
                         "along", "is not an axis of t.yaml (its axes: "
                                  "data.alpha, student.activation)");
    expect_lattice_error(text, "nonsense", 0.1, PDX_ERR_USAGE, "along",
                         "'nonsense' is not an axis");
    expect_lattice_error(text, "student.activation", 0.1, PDX_ERR_USAGE,
                         "along", "not a numeric axis");
    expect_lattice_error(text, "data.alpha", 1e-9, PDX_ERR_USAGE,
                         "tolerance", "more than 1000000 points");
}

static void test_refine_axis_names(void **state)
{
    (void)state;
    pdx_spec *spec = parse("name: t\nN: [20, 40]\n"
                           "student: {hidden: [1, 2]}\n"
                           "teacher: {hidden: [1, 3]}\n"
                           "train: {alpha: [1, 2]}\n");
    assert_string_equal(pdx_refine_axis_name(spec, "train.alpha"),
                        "train.alpha");
    assert_string_equal(pdx_refine_axis_name(spec, "alpha"), "train.alpha");
    assert_string_equal(pdx_refine_axis_name(spec, "N"), "N");
    /* student.hidden or teacher.hidden: ambiguous */
    assert_null(pdx_refine_axis_name(spec, "hidden"));
    assert_null(pdx_refine_axis_name(spec, "pha"));
    assert_null(pdx_refine_axis_name(spec, "train.learning_rate"));
    pdx_spec_destroy(&spec);
    spec = parse("name: t\nN: 20\ntrain: {learning_rate: [0.5, 1]}\n");
    assert_string_equal(pdx_refine_axis_name(spec, "learning_rate"),
                        "train.learning_rate");
    pdx_spec_destroy(&spec);
}

static void expect_settings_error(pdx_refine_settings s, const char *key)
{
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_refine_settings_validate(&s, &err), PDX_ERR_USAGE);
    assert_string_equal(err.key, key);
}

static void test_refine_settings_validate(void **state)
{
    (void)state;
    pdx_refine_settings s = pdx_refine_settings_default();
    s.input = "x.yaml";
    s.along = "data.alpha";
    s.kind = "capacity";
    s.tolerance = 0.0625;
    pdx_error err;
    pdx_error_clear(&err);
    assert_int_equal(pdx_refine_settings_validate(&s, &err), PDX_OK);
    assert_string_equal(pdx_refine_kind_name("capacity"), "interpolation");
    assert_string_equal(pdx_refine_kind_name("tau"), "early_stopping");
    assert_null(pdx_refine_kind_name("ridge"));
    pdx_refine_settings b = s;
    b.tolerance = 0.0;
    expect_settings_error(b, "tolerance");
    b.tolerance = -2.5;
    expect_settings_error(b, "tolerance");
    b.tolerance = NAN;
    expect_settings_error(b, "tolerance");
    b = s;
    b.kind = "ridge";
    expect_settings_error(b, "kind");
    b = s;
    b.along = NULL;
    expect_settings_error(b, "along");
    b = s;
    b.kind = "contour";
    expect_settings_error(b, "var");
    b.var = "eg";
    expect_settings_error(b, "level");
    b.level = 0.125;
    assert_int_equal(pdx_refine_settings_validate(&b, &err), PDX_OK);
    b = s;
    b.start = 1;
    expect_settings_error(b, "start");
    b = s;
    b.direction = "sideways";
    expect_settings_error(b, "direction");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refine_lattice_nested_lin),
        cmocka_unit_test(test_refine_lattice_log_and_dotted),
        cmocka_unit_test(test_refine_lattice_block_list_and_integers),
        cmocka_unit_test(test_refine_lattice_errors),
        cmocka_unit_test(test_refine_axis_names),
        cmocka_unit_test(test_refine_settings_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
