/* spec_values.c — a spec's values: numbers with their bounds, and the
 * axis forms (lists, {lin: ...}, {log: ...}) turned into value arrays. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
/* ---------------------------------------------------------------- numbers */

typedef enum spec_number {
    SPEC_NUMBER_OK,
    SPEC_NUMBER_NOT_A_NUMBER,
    SPEC_NUMBER_NOT_FINITE
} spec_number;

/* A YAML 1.2 core-schema decimal number:
 * [-+]? (\.[0-9]+ | [0-9]+(\.[0-9]*)?) ([eE][-+]?[0-9]+)? ; `.inf`, `.nan`
 * and numbers beyond the double range are not finite. */
static spec_number spec_scan_number(const char *text, size_t length,
                                    double *value)
{
    static const char *const not_finite[] = {".inf", ".Inf", ".INF",
                                             ".nan", ".NaN", ".NAN"};
    size_t i = 0;
    if (i < length && (text[i] == '+' || text[i] == '-'))
        i++;
    for (size_t k = 0; k < sizeof not_finite / sizeof not_finite[0]; k++)
        if (length - i == 4 && memcmp(text + i, not_finite[k], 4) == 0)
            return SPEC_NUMBER_NOT_FINITE;
    size_t digits = 0;
    while (i < length && isdigit((unsigned char)text[i])) {
        i++;
        digits++;
    }
    if (i < length && text[i] == '.') {
        i++;
        while (i < length && isdigit((unsigned char)text[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return SPEC_NUMBER_NOT_A_NUMBER;
    if (i < length && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < length && (text[i] == '+' || text[i] == '-'))
            i++;
        size_t exponent_digits = 0;
        while (i < length && isdigit((unsigned char)text[i])) {
            i++;
            exponent_digits++;
        }
        if (exponent_digits == 0)
            return SPEC_NUMBER_NOT_A_NUMBER;
    }
    if (i != length)
        return SPEC_NUMBER_NOT_A_NUMBER;
    char *end = NULL;
    double parsed = strtod(text, &end);
    if (end != text + length)
        return SPEC_NUMBER_NOT_A_NUMBER;
    if (!isfinite(parsed))
        return SPEC_NUMBER_NOT_FINITE;
    *value = parsed;
    return SPEC_NUMBER_OK;
}

/* A plain scalar holding a number (an integer when `integral`). `what`
 * names the expected thing in messages. */
static pdx_status spec_parse_number(const spec_parser *p,
                                    const yaml_node_t *node, const char *key,
                                    const char *what, int integral,
                                    double *value)
{
    char shown[64];
    if (node->type != YAML_SCALAR_NODE)
        return spec_fail(p, node, key, "expected %s, got %s", what,
                         spec_node_kind(node));
    if (spec_scalar_is_null(node))
        return spec_fail(p, node, key, "missing value: expected %s", what);
    if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return spec_fail(p, node, key,
                         "expected %s, got the quoted string \"%s\" (write "
                         "numbers without quotes)",
                         what, spec_show(node, shown, sizeof shown));
    switch (spec_scan_number(spec_scalar(node), node->data.scalar.length,
                             value)) {
    case SPEC_NUMBER_OK:
        break;
    case SPEC_NUMBER_NOT_FINITE:
        return spec_fail(p, node, key, "expected a finite number, got '%s'",
                         spec_show(node, shown, sizeof shown));
    case SPEC_NUMBER_NOT_A_NUMBER:
        return spec_fail(p, node, key, "expected %s, got '%s'", what,
                         spec_show(node, shown, sizeof shown));
    }
    if (integral && *value != floor(*value))
        return spec_fail(p, node, key, "expected an integer, got '%s'",
                         spec_show(node, shown, sizeof shown));
    return PDX_OK;
}

static int spec_in_range(const pdx_key *key, double value)
{
    int above_min = (key->flags & PDX_KEYF_MIN_OPEN) ? value > key->min
                                                     : value >= key->min;
    return above_min && value <= key->max;
}

static pdx_status spec_fail_range(const spec_parser *p, const pdx_key *key,
                                  int line, int column, double value)
{
    return spec_fail_at(p, PDX_ERR_SPEC, line, column, key->name,
                        "%.15g is out of range: must be in %c%.16g, %.16g]",
                        value, (key->flags & PDX_KEYF_MIN_OPEN) ? '(' : '[',
                        key->min, key->max);
}

/* One value of key `id` from a scalar node: a number (INT, REAL, TIMES)
 * checked against the key's bounds, or a choice index (CHOICE). */
pdx_status spec_parse_value(const spec_parser *p, pdx_key_id id,
                            const yaml_node_t *node, double *value)
{
    const pdx_key *key = &p->keys[id];
    if (key->type == PDX_KEY_CHOICE) {
        char shown[64], choices[256], hint[320];
        if (node->type != YAML_SCALAR_NODE)
            return spec_fail(p, node, key->name, "expected a name, got %s",
                             spec_node_kind(node));
        spec_list_choices(key, choices, sizeof choices);
        if (spec_scalar_is_null(node))
            return spec_fail(p, node, key->name,
                             "missing value: expected one of %s", choices);
        const char *text = spec_scalar(node);
        size_t length = node->data.scalar.length;
        spec_suggestion s;
        spec_suggestion_init(&s);
        for (int c = 0; key->choices[c] != NULL; c++) {
            size_t choice_length = strlen(key->choices[c]);
            if (choice_length == 0)
                continue; /* a hole (spec_table.c) */
            if (choice_length == length &&
                memcmp(key->choices[c], text, length) == 0) {
                *value = c;
                return PDX_OK;
            }
            spec_suggestion_offer(&s, key->choices[c], choice_length,
                                  spec_distance(text, length, key->choices[c],
                                                choice_length),
                                  choice_length);
        }
        spec_suggestion_format(&s, hint, sizeof hint);
        return spec_fail(p, node, key->name, "unknown %s '%s'; choices: %s%s",
                         spec_leaf(key->name),
                         spec_show(node, shown, sizeof shown), choices, hint);
    }
    pdx_status status =
        spec_parse_number(p, node, key->name, spec_expected(key),
                          key->type == PDX_KEY_INT, value);
    if (status != PDX_OK)
        return status;
    if (!spec_in_range(key, *value))
        return spec_fail_range(p, key, (int)node->start_mark.line + 1,
                               (int)node->start_mark.column + 1, *value);
    return PDX_OK;
}

/* ------------------------------------------------------------------ axes */


typedef struct spec_ranked {
    double value;
    size_t index; /* position in document order */
} spec_ranked;

static int spec_compare_ranked(const void *a, const void *b)
{
    const spec_ranked *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Reject repeated values; with `sort`, leave the values sorted ascending.
 * `node` is the list (errors name the repeat) or the {lin/log} mapping. */
static pdx_status spec_check_repeats(const spec_parser *p, pdx_key_id id,
                                     const yaml_node_t *node,
                                     spec_values *v, int sort)
{
    const pdx_key *key = &p->keys[id];
    spec_ranked *ranked = malloc(v->n * sizeof *ranked);
    if (ranked == NULL)
        return spec_fail_nomem(p);
    for (size_t i = 0; i < v->n; i++) {
        ranked[i].value = v->values[i];
        ranked[i].index = i;
    }
    qsort(ranked, v->n, sizeof *ranked, spec_compare_ranked);
    pdx_status status = PDX_OK;
    for (size_t i = 1; i < v->n; i++) {
        if (ranked[i].value != ranked[i - 1].value)
            continue;
        if (node->type == YAML_SEQUENCE_NODE) {
            const yaml_node_item_t *items = node->data.sequence.items.start;
            const yaml_node_t *first = spec_node(p, items[ranked[i - 1].index]);
            const yaml_node_t *again = spec_node(p, items[ranked[i].index]);
            char shown[64];
            if (key->type == PDX_KEY_CHOICE)
                snprintf(shown, sizeof shown, "'%s'",
                         key->choices[(int)ranked[i].value]);
            else
                snprintf(shown, sizeof shown, "%.15g", ranked[i].value);
            status = spec_fail(p, again, key->name,
                               "repeated value %s (first at line %d, "
                               "column %d); values must be distinct",
                               shown,
                               (int)first->start_mark.line + 1,
                               (int)first->start_mark.column + 1);
        } else {
            status = spec_fail(p, node, key->name,
                               "the axis repeats the value %.15g%s; values "
                               "must be distinct",
                               ranked[i].value,
                               key->type == PDX_KEY_INT
                                   ? " (after rounding to integers)"
                                   : "");
        }
        break;
    }
    if (status == PDX_OK && sort)
        for (size_t i = 0; i < v->n; i++)
            v->values[i] = ranked[i].value;
    free(ranked);
    return status;
}

/* n values from start to stop, both included (n = 1 gives start). */
static void spec_fill_lin(double *values, size_t n, double start, double stop)
{
    for (size_t i = 0; i < n; i++)
        values[i] = n == 1 ? start
                           : start + (stop - start) * (double)i /
                                         (double)(n - 1);
    if (n > 1)
        values[n - 1] = stop;
}

/* v, or the number of at most 10 significant digits within 4 ulp of it:
 * a log range's decades and octaves come out of exp(log ...) an ulp or two
 * off (1 as 0.9999999999999998), and must be exactly what the user
 * means, so that a coordinate can be selected by its value (issue 19). */
static double spec_snap_short(double v)
{
    char text[32];
    snprintf(text, sizeof text, "%.10g", v);
    double w = strtod(text, NULL);
    return fabs(w - v) <= 4 * DBL_EPSILON * fabs(v) ? w : v;
}

/* n geometrically spaced values from start to stop (both > 0); interior
 * values of at most 10 significant digits are exact (spec_snap_short). */
void spec_fill_log(double *values, size_t n, double start, double stop)
{
    double log_start = log(start), log_stop = log(stop);
    for (size_t i = 0; i < n; i++)
        values[i] = n == 1 ? start
                           : spec_snap_short(
                                 exp(log_start + (log_stop - log_start) *
                                                     (double)i /
                                                     (double)(n - 1)));
    values[0] = start;
    if (n > 1)
        values[n - 1] = stop;
}

static pdx_status spec_fail_too_many(const spec_parser *p,
                                     const yaml_node_t *node,
                                     const char *key, double n)
{
    return spec_fail_at(p, PDX_ERR_TOO_BIG, (int)node->start_mark.line + 1,
                        (int)node->start_mark.column + 1, key,
                        "the axis has %.15g values; at most %u are allowed",
                        n, SPEC_MAX_AXIS_VALUES);
}

/* {lin: [start, stop, n]} or {log: [start, stop, n]} */
static pdx_status spec_parse_range(const spec_parser *p, pdx_key_id id,
                                   const yaml_node_t *node, spec_values *out)
{
    const pdx_key *key = &p->keys[id];
    const char *forms = "{lin: [start, stop, n]} or {log: [start, stop, n]}";
    size_t pairs =
        (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    if (pairs != 1)
        return spec_fail(p, node, key->name,
                         "an axis mapping has one entry, %s; got %zu", forms,
                         pairs);
    const yaml_node_pair_t *pair = node->data.mapping.pairs.start;
    const yaml_node_t *form = spec_node(p, pair->key);
    const yaml_node_t *args = spec_node(p, pair->value);
    if (form->type != YAML_SCALAR_NODE)
        return spec_fail(p, form, key->name,
                         "unknown axis form (%s); expected %s",
                         spec_node_kind(form), forms);
    const char *name = spec_scalar(form);
    int is_log = strcmp(name, "log") == 0;
    if (!is_log && strcmp(name, "lin") != 0) {
        char shown[64];
        return spec_fail(p, form, key->name,
                         "unknown axis form '%s'; expected %s",
                         spec_show(form, shown, sizeof shown), forms);
    }
    if (key->type == PDX_KEY_CHOICE)
        return spec_fail(p, form, key->name,
                         "%s is a choice: give its axis as a list of names "
                         "such as [%s]",
                         key->name, key->choices[0]);
    if (args->type != YAML_SEQUENCE_NODE ||
        args->data.sequence.items.top - args->data.sequence.items.start != 3)
        return spec_fail(p, args, key->name,
                         "%s needs three numbers [start, stop, n]", name);
    const yaml_node_item_t *item = args->data.sequence.items.start;
    const yaml_node_t *start_node = spec_node(p, item[0]);
    const yaml_node_t *stop_node = spec_node(p, item[1]);
    const yaml_node_t *n_node = spec_node(p, item[2]);
    double start, stop, n;
    pdx_status status = spec_parse_value(p, id, start_node, &start);
    if (status == PDX_OK)
        status = spec_parse_value(p, id, stop_node, &stop);
    if (status == PDX_OK)
        status = spec_parse_number(p, n_node, key->name,
                                   "the number of values n, a positive "
                                   "integer",
                                   0, &n);
    if (status != PDX_OK)
        return status;
    if (n == 0)
        return spec_fail(p, n_node, key->name,
                         "empty axis: n = 0; give at least one value");
    if (n < 0 || n != floor(n)) {
        char shown[64];
        return spec_fail(p, n_node, key->name,
                         "n must be a positive integer, got '%s'",
                         spec_show(n_node, shown, sizeof shown));
    }
    if (n > SPEC_MAX_AXIS_VALUES)
        return spec_fail_too_many(p, n_node, key->name, n);
    if (is_log && (start <= 0 || stop <= 0))
        return spec_fail(p, start <= 0 ? start_node : stop_node, key->name,
                         "log needs start and stop > 0, got %.15g",
                         start <= 0 ? start : stop);
    out->n = (size_t)n;
    out->scale = is_log ? PDX_SCALE_LOG : PDX_SCALE_LIN;
    out->values = malloc(out->n * sizeof *out->values);
    if (out->values == NULL)
        return spec_fail_nomem(p);
    if (is_log)
        spec_fill_log(out->values, out->n, start, stop);
    else
        spec_fill_lin(out->values, out->n, start, stop);
    if (key->type == PDX_KEY_INT)
        for (size_t i = 0; i < out->n; i++)
            out->values[i] = nearbyint(out->values[i]);
    return PDX_OK;
}

/* The values of an axis or of record.times: a list, {lin: ...}, {log: ...}
 * (or, for TIMES only, one scalar). Rejects repeats; TIMES come sorted. */
pdx_status spec_parse_values(const spec_parser *p, pdx_key_id id,
                             const yaml_node_t *node, spec_values *out)
{
    const pdx_key *key = &p->keys[id];
    out->values = NULL;
    out->n = 0;
    out->scale = PDX_SCALE_LIST;
    pdx_status status = PDX_OK;
    switch (node->type) {
    case YAML_SCALAR_NODE: /* record.times: a single time */
        out->values = malloc(sizeof *out->values);
        if (out->values == NULL)
            return spec_fail_nomem(p);
        out->n = 1;
        status = spec_parse_value(p, id, node, &out->values[0]);
        break;
    case YAML_SEQUENCE_NODE: {
        size_t n = (size_t)(node->data.sequence.items.top -
                            node->data.sequence.items.start);
        if (n == 0)
            return spec_fail(p, node, key->name,
                             "empty %s: give at least one value",
                             id == PDX_K_RECORD_BUDGETS ? "list of budgets"
                             : id == PDX_K_RECORD_PERTURBATIONS
                                 ? "list of perturbations"
                             : key->type == PDX_KEY_TIMES ? "list of times"
                                                        : "axis");
        if (n > SPEC_MAX_AXIS_VALUES)
            return spec_fail_too_many(p, node, key->name, (double)n);
        out->values = malloc(n * sizeof *out->values);
        if (out->values == NULL)
            return spec_fail_nomem(p);
        out->n = n;
        for (size_t i = 0; i < n && status == PDX_OK; i++)
            status = spec_parse_value(
                p, id, spec_node(p, node->data.sequence.items.start[i]),
                &out->values[i]);
        break;
    }
    case YAML_MAPPING_NODE:
        status = spec_parse_range(p, id, node, out);
        break;
    case YAML_NO_NODE:
        status = spec_fail(p, node, key->name, "missing value");
        break;
    }
    /* the later members of a zip group may repeat values: the group's
     * first axis names its cells */
    int zip_member = p->zip_group != 0 &&
                     p->spec->n_axes > p->zip_first_axis;
    if (status == PDX_OK && !zip_member)
        status = spec_check_repeats(p, id, node, out,
                                    key->type == PDX_KEY_TIMES);
    if (status != PDX_OK) {
        free(out->values);
        out->values = NULL;
        out->n = 0;
    }
    return status;
}

/* ---- the difference between two specs (issue 21: a refused resume names
 * the keys that changed, not only two hashes) ---- */

/* One number of key `k` as the spec would say it: a choice's name, an
 * integer, or the shortest %g that reads back the same double. */
static void format_key_value(const pdx_key *k, pdx_key_id id, double v,
                             char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "(derived)");
    else if (k->type == PDX_KEY_CHOICE)
        snprintf(buf, size, "%s", pdx_spec_choice_name(id, (int)v));
    else if (k->type == PDX_KEY_INT)
        snprintf(buf, size, "%" PRId64, (int64_t)v);
    else {
        snprintf(buf, size, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, size, "%.17g", v);
    }
}

/* Append the values of a key (a list when `is_list`) to buf at *used. */
static void append_values(const pdx_key *k, pdx_key_id id, const double *v,
                          size_t n, int is_list, char *buf, size_t size,
                          size_t *used)
{
    enum { SHOWN = 6 };
    char one[64];
    for (size_t i = 0; i <= n && *used < size; i++) {
        const char *sep = i == 0 ? (is_list ? "[" : "") : ", ";
        if (i == n) {
            one[0] = '\0';
            sep = is_list ? "]" : "";
        } else if (i == SHOWN && n > SHOWN + 1) {
            snprintf(one, sizeof one, "... (%zu values)", n);
            i = n - 1;
        } else {
            format_key_value(k, id, v[i], one, sizeof one);
        }
        int w = snprintf(buf + *used, size - *used, "%s%s", sep, one);
        if (w < 0)
            return;
        *used += (size_t)w < size - *used ? (size_t)w : size - *used - 1;
    }
}

/* The values of key `id` in `spec`: its axis, record.times, or the one
 * base value (*scratch). */
static const double *key_values(const pdx_spec *spec, pdx_key_id id,
                                double *scratch, size_t *n, int *is_list)
{
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == id) {
            *n = spec->axes[a].n;
            *is_list = 1;
            return spec->axes[a].values;
        }
    if (pdx_spec_keys(NULL)[id].type == PDX_KEY_TIMES) {
        *is_list = 1;
        return pdx_spec_list(spec, id, n);
    }
    *scratch = pdx_params_get(&spec->base, id);
    *n = 1;
    *is_list = 0;
    return scratch;
}

static int same_values(const double *a, size_t na, const double *b,
                       size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i]))))
            return 0;
    return 1;
}

/* "data.alpha+train.epochs, N+seed" — the zip groups of a spec ("none"). */
static void zip_groups_text(const pdx_spec *spec, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t a = 0; a < spec->n_axes && used < size; a++) {
        if (spec->axes[a].zip == 0)
            continue;
        int first = a == 0 || spec->axes[a - 1].zip != spec->axes[a].zip;
        int w = snprintf(buf + used, size - used, "%s%s",
                         first ? (used > 0 ? ", " : "") : "+",
                         pdx_spec_keys(NULL)[spec->axes[a].key].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used == 0)
        snprintf(buf, size, "none");
}

size_t pdx_spec_describe_difference(const pdx_spec *old_spec,
                                    const pdx_spec *new_spec, char *buf,
                                    size_t size)
{
    size_t n_keys = 0, n_diff = 0, used = 0;
    const pdx_key *keys = pdx_spec_keys(&n_keys);
    if (size > 0)
        buf[0] = '\0';
    for (size_t id = 0; id < n_keys; id++) {
        const pdx_key *k = &keys[id];
        int differs;
        double old_one, new_one;
        size_t n_old = 0, n_new = 0;
        int old_list = 0, new_list = 0;
        const double *old_v = NULL, *new_v = NULL;
        if (k->type == PDX_KEY_STRING) {
            differs = strcmp(old_spec->base.name, new_spec->base.name) != 0;
        } else {
            old_v = key_values(old_spec, (pdx_key_id)id, &old_one, &n_old,
                               &old_list);
            new_v = key_values(new_spec, (pdx_key_id)id, &new_one, &n_new,
                               &new_list);
            differs = old_list != new_list ||
                      !same_values(old_v, n_old, new_v, n_new);
        }
        if (!differs)
            continue;
        n_diff++;
        if (size == 0 || used + 1 >= size)
            continue;
        int w = snprintf(buf + used, size - used, "%s%s: ",
                         n_diff > 1 ? "; " : "", k->name);
        if (w < 0)
            break;
        used += (size_t)w < size - used ? (size_t)w : size - used - 1;
        if (k->type == PDX_KEY_STRING) {
            w = snprintf(buf + used, size - used, "'%s' -> '%s'",
                         old_spec->base.name, new_spec->base.name);
            if (w > 0)
                used += (size_t)w < size - used ? (size_t)w : size - used - 1;
            continue;
        }
        append_values(k, (pdx_key_id)id, old_v, n_old, old_list, buf, size,
                      &used);
        if (used + 1 < size) {
            w = snprintf(buf + used, size - used, " -> ");
            if (w > 0)
                used += (size_t)w < size - used ? (size_t)w : size - used - 1;
        }
        append_values(k, (pdx_key_id)id, new_v, n_new, new_list, buf, size,
                      &used);
    }
    /* the zip groups (issue 19): the same axes, grouped otherwise */
    char old_zip[256], new_zip[256];
    zip_groups_text(old_spec, old_zip, sizeof old_zip);
    zip_groups_text(new_spec, new_zip, sizeof new_zip);
    if (strcmp(old_zip, new_zip) != 0) {
        n_diff++;
        if (size > 0 && used + 1 < size)
            snprintf(buf + used, size - used, "%szip: %s -> %s",
                     n_diff > 1 ? "; " : "", old_zip, new_zip);
    }
    return n_diff;
}

/* ---- the canonical text of a spec (issue 19: its identity) ---- */

typedef struct canon_buf {
    char *text;
    size_t length, capacity;
    int failed;
} canon_buf;

SPEC_PRINTF(2, 3)
static void canon_add(canon_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->text + b->length, b->capacity - b->length, fmt,
                          ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->capacity - b->length) {
            b->length += (size_t)n;
            return;
        }
        size_t capacity = 2 * b->capacity + (size_t)n + 1;
        char *grown = realloc(b->text, capacity);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->text = grown;
        b->capacity = capacity;
    }
}

/* One value exactly: a choice's name, an integer, a real to 17 digits. */
static void canon_value(canon_buf *b, pdx_key_id id, double v)
{
    const pdx_key *k = &pdx_spec_keys(NULL)[id];
    if (isnan(v))
        canon_add(b, "(derived)");
    else if (k->type == PDX_KEY_CHOICE)
        canon_add(b, "%s", pdx_spec_choice_name(id, (int)v));
    else if (k->type == PDX_KEY_INT)
        canon_add(b, "%" PRId64, (int64_t)v);
    else
        canon_add(b, "%.17g", v);
}

static void canon_values(canon_buf *b, pdx_key_id id, const double *v,
                         size_t n)
{
    canon_add(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            canon_add(b, ", ");
        canon_value(b, id, v[i]);
    }
    canon_add(b, "]");
}

static const char *canon_scale(pdx_axis_scale scale)
{
    return scale == PDX_SCALE_LIN ? "lin" : scale == PDX_SCALE_LOG ? "log"
                                                                   : "list";
}

/* The spec as parsed, in one fixed form: every given key that is no axis
 * in table order with its exact value, then the axes in document order
 * (their order is the grid's) with their scales and exact values, then
 * record.times (given or defaulted). Comments, layout, quoting, nesting
 * and key order leave it unchanged; any value that changes a result
 * changes it. */
pdx_status spec_build_canonical(const spec_parser *p)
{
    pdx_spec *spec = p->spec;
    size_t count = 0;
    const pdx_key *keys = pdx_spec_keys(&count);
    canon_buf b = {malloc(1024), 0, 1024, 0};
    if (b.text == NULL)
        return spec_fail_nomem(p);
    canon_add(&b, "pdx canonical spec 1\n");
    for (size_t id = 0; id < count; id++) {
        int is_axis = 0;
        for (size_t a = 0; a < spec->n_axes; a++)
            is_axis |= (size_t)spec->axes[a].key == id;
        if (!spec->given[id] || is_axis || keys[id].type == PDX_KEY_TIMES)
            continue;
        if (keys[id].type == PDX_KEY_STRING) {
            /* length-prefixed: any text, no quoting rules */
            canon_add(&b, "%s: %zu:%s\n", keys[id].name,
                      strlen(spec->base.name), spec->base.name);
            continue;
        }
        canon_add(&b, "%s: ", keys[id].name);
        canon_value(&b, (pdx_key_id)id,
                    pdx_params_get(&spec->base, (pdx_key_id)id));
        canon_add(&b, "\n");
    }
    for (size_t a = 0; a < spec->n_axes; a++) {
        const pdx_axis *axis = &spec->axes[a];
        if (axis->zip != 0)
            canon_add(&b, "zip %d ", axis->zip);
        canon_add(&b, "axis %s: %s ", keys[axis->key].name,
                  canon_scale(axis->scale));
        canon_values(&b, axis->key, axis->values, axis->n);
        canon_add(&b, "\n");
    }
    canon_add(&b, "%s: %s%s ", keys[PDX_K_RECORD_TIMES].name,
              spec->given[PDX_K_RECORD_TIMES] ? "" : "(default) ",
              canon_scale(spec->times_scale));
    canon_values(&b, PDX_K_RECORD_TIMES, spec->times, spec->n_times);
    canon_add(&b, "\n");
    if (spec->n_perturbations > 0) { /* only when given: older specs keep
                                      * their identity */
        canon_add(&b, "%s: ", keys[PDX_K_RECORD_PERTURBATIONS].name);
        canon_values(&b, PDX_K_RECORD_PERTURBATIONS, spec->perturbations,
                     spec->n_perturbations);
        canon_add(&b, "\n");
    }
    if (b.failed) {
        free(b.text);
        return spec_fail_nomem(p);
    }
    spec->canonical = b.text;
    spec->canonical_length = b.length;
    return PDX_OK;
}
