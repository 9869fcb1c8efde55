/* spec.c — parse and validate sweep specs (YAML, read with libyaml).
 *
 * Two passes over the text: the event API first (syntax errors, anchors,
 * aliases, tags, more than one document), then the document API, whose
 * nodes carry the line and column every error message names. Every key,
 * type, bound, choice and flag comes from the table in spec_table.c. */
#include "pdx/spec.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define SPEC_MAX_AXIS_VALUES 1000000u      /* values per axis */
#define SPEC_MAX_TASKS 9007199254740992ull /* 2^53: cells x replicas */
#define SPEC_DEFAULT_TIMES 31u             /* record.times when absent */
#define SPEC_DEFAULT_ALPHA 10.0            /* train.alpha when absent */
#define SPEC_MAX_SUGGESTIONS 3

#if defined(__GNUC__)
#define SPEC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SPEC_PRINTF(fmt, args)
#endif

typedef struct spec_parser {
    pdx_spec *spec;
    const char *path;      /* spec->path, for messages */
    yaml_document_t *doc;  /* while walking the document */
    pdx_error *err;
    const pdx_key *keys;   /* the table */
    int key_line[PDX_KEY_COUNT];    /* where each given key was named */
    int value_line[PDX_KEY_COUNT];  /* where each given key's value is */
    int value_column[PDX_KEY_COUNT];
} spec_parser;

/* ------------------------------------------------------------------ errors */

SPEC_PRINTF(6, 0)
static pdx_status spec_vfail(const spec_parser *p, pdx_status status,
                             int line, int column, const char *key,
                             const char *fmt, va_list ap)
{
    char message[sizeof ((pdx_error *)NULL)->message];
    vsnprintf(message, sizeof message, fmt, ap);
    return pdx_error_set(p->err, status, p->path, line, column, key, "%s",
                         message);
}

SPEC_PRINTF(6, 7)
static pdx_status spec_fail_at(const spec_parser *p, pdx_status status,
                               int line, int column, const char *key,
                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdx_status result = spec_vfail(p, status, line, column, key, fmt, ap);
    va_end(ap);
    return result;
}

/* A PDX_ERR_SPEC at the start of `node`. */
SPEC_PRINTF(4, 5)
static pdx_status spec_fail(const spec_parser *p, const yaml_node_t *node,
                            const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pdx_status result =
        spec_vfail(p, PDX_ERR_SPEC, (int)node->start_mark.line + 1,
                   (int)node->start_mark.column + 1, key, fmt, ap);
    va_end(ap);
    return result;
}

static pdx_status spec_fail_nomem(const spec_parser *p)
{
    return pdx_error_set(p->err, PDX_ERR_NOMEM, p->path, 0, 0, NULL,
                         "out of memory while reading the spec");
}

/* Translate a libyaml failure (syntax, encoding, memory). */
static pdx_status spec_fail_yaml(const spec_parser *p,
                                 const yaml_parser_t *parser)
{
    const char *problem =
        parser->problem != NULL ? parser->problem : "unknown problem";
    switch (parser->error) {
    case YAML_MEMORY_ERROR:
        return spec_fail_nomem(p);
    case YAML_READER_ERROR: {
        /* The reader reports a byte offset, not a mark. */
        int line = 1, column = 1;
        const char *text = p->spec->text;
        for (size_t i = 0; i < parser->problem_offset &&
                           i < p->spec->text_length; i++) {
            if (text[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return spec_fail_at(p, PDX_ERR_SPEC, line, column, NULL,
                            "cannot read the text: %s", problem);
    }
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR:
    case YAML_COMPOSER_ERROR:
    default: {
        int line = (int)parser->problem_mark.line + 1;
        int column = (int)parser->problem_mark.column + 1;
        if (parser->context != NULL)
            return spec_fail_at(p, PDX_ERR_SPEC, line, column, NULL,
                                "YAML syntax error: %s (%s at line %d, "
                                "column %d)",
                                problem, parser->context,
                                (int)parser->context_mark.line + 1,
                                (int)parser->context_mark.column + 1);
        return spec_fail_at(p, PDX_ERR_SPEC, line, column, NULL,
                            "YAML syntax error: %s", problem);
    }
    }
}

/* ------------------------------------------------------------ yaml helpers */

static yaml_node_t *spec_node(const spec_parser *p, int index)
{
    return yaml_document_get_node(p->doc, index);
}

static const char *spec_scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static const char *spec_node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_NO_NODE: break;
    }
    return "nothing";
}

/* An empty plain scalar, `~` or `null`: the key has no value. */
static int spec_scalar_is_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE ||
        node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *text = spec_scalar(node);
    return node->data.scalar.length == 0 || strcmp(text, "~") == 0 ||
           strcmp(text, "null") == 0 || strcmp(text, "Null") == 0 ||
           strcmp(text, "NULL") == 0;
}

/* The scalar's text for a message: truncated, control characters shown
 * as '?'. */
static const char *spec_show(const yaml_node_t *node, char *buf, size_t size)
{
    const size_t limit = 48;
    size_t length = node->data.scalar.length;
    size_t shown = length > limit ? limit : length;
    if (shown > size - 4)
        shown = size - 4;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = node->data.scalar.value[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (shown < length) {
        memcpy(buf + shown, "...", 4);
    } else {
        buf[shown] = '\0';
    }
    return buf;
}

/* A mapping of one entry whose key is a scalar: {lin: ...}, {geom: ...}. */
static int spec_is_axis_form(const spec_parser *p, const yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE ||
        node->data.mapping.pairs.top - node->data.mapping.pairs.start != 1)
        return 0;
    const yaml_node_t *form = spec_node(p, node->data.mapping.pairs.start->key);
    return form != NULL && form->type == YAML_SCALAR_NODE &&
           (strcmp(spec_scalar(form), "lin") == 0 ||
            strcmp(spec_scalar(form), "log") == 0);
}

/* ------------------------------------------------------------ table helpers */

static const char *spec_leaf(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL ? dot + 1 : name;
}

/* Length of the section part of a dotted name ("train" of
 * "train.alpha"), 0 if the name has no section. */
static size_t spec_section_length(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL ? (size_t)(dot - name) : 0;
}

/* Is `name` a section, i.e. the part before a dot of some key? */
static int spec_is_section(const spec_parser *p, const char *name)
{
    size_t length = strlen(name);
    for (int i = 0; i < PDX_KEY_COUNT; i++)
        if (strncmp(p->keys[i].name, name, length) == 0 &&
            p->keys[i].name[length] == '.')
            return 1;
    return 0;
}

static const char *spec_expected(const pdx_key *key)
{
    switch (key->type) {
    case PDX_KEY_INT: return "an integer";
    case PDX_KEY_REAL:
    case PDX_KEY_TIMES: return "a number";
    case PDX_KEY_CHOICE: return "a name";
    case PDX_KEY_STRING: return "text";
    }
    return "a value";
}

/* "erf, relu, tanh, linear" */
static void spec_list_choices(const pdx_key *key, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int c = 0; key->choices[c] != NULL && used < size; c++) {
        int n = snprintf(buf + used, size - used, "%s%s", c ? ", " : "",
                         key->choices[c]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ------------------------------------------------------------ did you mean */

/* Edit distance (insert, delete, substitute, swap two neighbours: the
 * optimal string alignment distance), ignoring case; SIZE_MAX for
 * over-long strings. */
static size_t spec_distance(const char *a, size_t a_length, const char *b,
                            size_t b_length)
{
    enum { MAX_LENGTH = 127 };
    if (a_length > MAX_LENGTH || b_length > MAX_LENGTH)
        return SIZE_MAX;
    size_t rows[3][MAX_LENGTH + 1];
    size_t *before = rows[0], *row = rows[1], *next = rows[2];
    for (size_t j = 0; j <= b_length; j++)
        row[j] = j;
    for (size_t i = 1; i <= a_length; i++) {
        int ai = tolower((unsigned char)a[i - 1]);
        next[0] = i;
        for (size_t j = 1; j <= b_length; j++) {
            int bj = tolower((unsigned char)b[j - 1]);
            size_t best = row[j - 1] + (ai == bj ? 0 : 1);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (next[j - 1] + 1 < best)
                best = next[j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            next[j] = best;
        }
        size_t *recycled = before;
        before = row;
        row = next;
        next = recycled;
    }
    return row[b_length];
}

typedef struct spec_suggestion {
    size_t best;
    size_t n;
    const char *names[SPEC_MAX_SUGGESTIONS];
    size_t lengths[SPEC_MAX_SUGGESTIONS];
} spec_suggestion;

static void spec_suggestion_init(spec_suggestion *s)
{
    s->best = SIZE_MAX;
    s->n = 0;
}

/* Offer candidate (name, length) at `distance` from what was written,
 * compared against a string of `compared_length` characters: a candidate
 * counts when at most a third of it (at least one character) differs. */
static void spec_suggestion_offer(spec_suggestion *s, const char *name,
                                  size_t length, size_t distance,
                                  size_t compared_length)
{
    size_t limit = compared_length / 3 > 1 ? compared_length / 3 : 1;
    if (distance > limit || distance >= compared_length || distance > s->best)
        return;
    if (distance < s->best) {
        s->best = distance;
        s->n = 0;
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->lengths[i] == length && memcmp(s->names[i], name, length) == 0)
            return;
    if (s->n < SPEC_MAX_SUGGESTIONS) {
        s->names[s->n] = name;
        s->lengths[s->n] = length;
        s->n++;
    }
}

/* "; did you mean 'a' or 'b'?" or "" */
static void spec_suggestion_format(const spec_suggestion *s, char *buf,
                                   size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n && used < size; i++) {
        const char *before = i == 0               ? "; did you mean "
                             : i + 1 == s->n ? " or "
                                                  : ", ";
        int n = snprintf(buf + used, size - used, "%s'%.*s'", before,
                         (int)s->lengths[i], s->names[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
    if (s->n > 0 && used < size)
        snprintf(buf + used, size - used, "?");
}

/* Keys near `full` (a dotted name not in the table): compare the whole
 * name with every key, and its leaf with the leaves of the keys in the
 * same section (of every key when `full` has no section). */
static void spec_suggest_key(const spec_parser *p, const char *full,
                             spec_suggestion *s)
{
    size_t full_length = strlen(full);
    size_t section = spec_section_length(full);
    const char *leaf = spec_leaf(full);
    size_t leaf_length = strlen(leaf);
    spec_suggestion_init(s);
    for (int i = 0; i < PDX_KEY_COUNT; i++) {
        const char *name = p->keys[i].name;
        size_t length = strlen(name);
        spec_suggestion_offer(s, name, length,
                              spec_distance(full, full_length, name, length),
                              length);
        size_t key_section = spec_section_length(name);
        int same_section = section == 0 ||
                           (section == key_section &&
                            strncmp(full, name, section) == 0);
        if (same_section) {
            const char *key_leaf = spec_leaf(name);
            size_t key_leaf_length = strlen(key_leaf);
            spec_suggestion_offer(s, name, length,
                                  spec_distance(leaf, leaf_length, key_leaf,
                                                key_leaf_length),
                                  key_leaf_length);
        }
    }
}

/* Sections near `full`. */
static void spec_suggest_section(const spec_parser *p, const char *full,
                                 spec_suggestion *s)
{
    size_t full_length = strlen(full);
    spec_suggestion_init(s);
    for (int i = 0; i < PDX_KEY_COUNT; i++) {
        const char *name = p->keys[i].name;
        for (const char *dot = strchr(name, '.'); dot != NULL;
             dot = strchr(dot + 1, '.')) {
            size_t length = (size_t)(dot - name);
            spec_suggestion_offer(s, name, length,
                                  spec_distance(full, full_length, name,
                                                length),
                                  length);
        }
    }
}

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
static pdx_status spec_parse_value(const spec_parser *p, pdx_key_id id,
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

typedef struct spec_values {
    double *values;
    size_t n;
    pdx_axis_scale scale;
} spec_values;

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

/* n geometrically spaced values from start to stop (both > 0). */
static void spec_fill_log(double *values, size_t n, double start, double stop)
{
    double log_start = log(start), log_stop = log(stop);
    for (size_t i = 0; i < n; i++)
        values[i] = n == 1 ? start
                           : exp(log_start + (log_stop - log_start) *
                                                 (double)i / (double)(n - 1));
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
static pdx_status spec_parse_values(const spec_parser *p, pdx_key_id id,
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
                             key->type == PDX_KEY_TIMES ? "list of times"
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
    if (status == PDX_OK)
        status = spec_check_repeats(p, id, node, out,
                                    key->type == PDX_KEY_TIMES);
    if (status != PDX_OK) {
        free(out->values);
        out->values = NULL;
        out->n = 0;
    }
    return status;
}

/* ------------------------------------------------------------------ keys */

/* Advice appended to "X cannot be an axis". */
static void spec_axis_hint(const spec_parser *p, pdx_key_id id, char *buf,
                           size_t size)
{
    buf[0] = '\0';
    if (id == PDX_K_SEED)
        snprintf(buf, size, "; use %s for independent runs",
                 p->keys[PDX_K_REPLICAS].name);
    else if (id == PDX_K_REPLICAS)
        snprintf(buf, size,
                 "; it is the number of independent runs of every cell");
}

static pdx_status spec_set_name(const spec_parser *p, const pdx_key *key,
                                const yaml_node_t *node)
{
    pdx_spec *spec = p->spec;
    if (spec_scalar_is_null(node))
        return spec_fail(p, node, key->name, "missing value: expected text");
    size_t length = node->data.scalar.length;
    if (length >= sizeof spec->base.name)
        return spec_fail(p, node, key->name,
                         "is %zu characters long; at most %zu are allowed",
                         length, sizeof spec->base.name - 1);
    if (memchr(node->data.scalar.value, '\0', length) != NULL)
        return spec_fail(p, node, key->name, "contains a NUL character");
    memcpy(spec->base.name, node->data.scalar.value, length);
    spec->base.name[length] = '\0';
    return PDX_OK;
}

static pdx_status spec_add_axis(const spec_parser *p, pdx_key_id id,
                                const yaml_node_t *node, spec_values *v)
{
    pdx_spec *spec = p->spec;
    pdx_axis *axes = realloc(spec->axes, (spec->n_axes + 1) * sizeof *axes);
    if (axes == NULL) {
        free(v->values);
        return spec_fail_nomem(p);
    }
    spec->axes = axes;
    axes[spec->n_axes] = (pdx_axis){
        .key = id,
        .n = v->n,
        .values = v->values,
        .scale = v->scale,
        .line = (int)node->start_mark.line + 1,
        .column = (int)node->start_mark.column + 1,
    };
    spec->n_axes++;
    return PDX_OK;
}

/* Key `id` named by `key_node` with value `value`. */
static pdx_status spec_set_key(spec_parser *p, pdx_key_id id,
                               const yaml_node_t *key_node,
                               const yaml_node_t *value)
{
    const pdx_key *key = &p->keys[id];
    pdx_spec *spec = p->spec;
    if (spec->given[id])
        return spec_fail(p, key_node, key->name,
                         "given twice; first given at line %d",
                         p->key_line[id]);
    spec->given[id] = 1;
    p->key_line[id] = (int)key_node->start_mark.line + 1;
    p->value_line[id] = (int)value->start_mark.line + 1;
    p->value_column[id] = (int)value->start_mark.column + 1;

    if (key->type == PDX_KEY_TIMES) {
        spec_values v;
        pdx_status status = spec_parse_values(p, id, value, &v);
        if (status != PDX_OK)
            return status;
        spec->times = v.values;
        spec->n_times = v.n;
        spec->times_scale = v.scale;
        return PDX_OK;
    }
    if (value->type != YAML_SCALAR_NODE) {
        if (!(key->flags & PDX_KEYF_AXIS)) {
            if (value->type == YAML_SEQUENCE_NODE ||
                spec_is_axis_form(p, value)) {
                char hint[160];
                spec_axis_hint(p, id, hint, sizeof hint);
                return spec_fail(p, value, key->name,
                                 "%s cannot be an axis%s", key->name, hint);
            }
            return spec_fail(p, value, key->name, "expected %s, got %s",
                             spec_expected(key), spec_node_kind(value));
        }
        spec_values v;
        pdx_status status = spec_parse_values(p, id, value, &v);
        if (status != PDX_OK)
            return status;
        return spec_add_axis(p, id, value, &v);
    }
    if (key->type == PDX_KEY_STRING)
        return spec_set_name(p, key, value);
    double number;
    pdx_status status = spec_parse_value(p, id, value, &number);
    if (status != PDX_OK)
        return status;
    pdx_params_set(&spec->base, id, number);
    return PDX_OK;
}

/* "algorithm, learning_rate, ..." — the keys of a section. */
static void spec_list_section(const spec_parser *p, const char *section,
                              char *buf, size_t size)
{
    size_t length = strlen(section), used = 0;
    buf[0] = '\0';
    for (int i = 0; i < PDX_KEY_COUNT && used < size; i++) {
        const char *name = p->keys[i].name;
        if (strncmp(name, section, length) != 0 || name[length] != '.')
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                         name + length + 1);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* The keys of a mapping whose dotted names start with `prefix` ("" at the
 * top level). */
static pdx_status spec_walk(spec_parser *p, const yaml_node_t *mapping,
                            const char *prefix)
{
    for (const yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
         pair < mapping->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key_node = spec_node(p, pair->key);
        const yaml_node_t *value = spec_node(p, pair->value);
        if (key_node->type != YAML_SCALAR_NODE)
            return spec_fail(p, key_node, prefix,
                             "a key must be a name, not %s",
                             spec_node_kind(key_node));
        size_t length = key_node->data.scalar.length;
        if (length == 0 ||
            memchr(key_node->data.scalar.value, '\0', length) != NULL)
            return spec_fail(p, key_node, prefix, "empty key");
        char full[256];
        int n = prefix[0] != '\0'
                    ? snprintf(full, sizeof full, "%s.%s", prefix,
                               spec_scalar(key_node))
                    : snprintf(full, sizeof full, "%s", spec_scalar(key_node));
        int id = n > 0 && (size_t)n < sizeof full ? pdx_spec_key_find(full)
                                                  : -1;
        if (id >= 0) {
            pdx_status status =
                spec_set_key(p, (pdx_key_id)id, key_node, value);
            if (status != PDX_OK)
                return status;
            continue;
        }
        if (n > 0 && (size_t)n < sizeof full && spec_is_section(p, full)) {
            if (value->type != YAML_MAPPING_NODE) {
                char keys[512];
                spec_list_section(p, full, keys, sizeof keys);
                return spec_fail(p, value, full,
                                 "%s is a section: expected a mapping of its "
                                 "keys (%s), got %s",
                                 full, keys, spec_node_kind(value));
            }
            pdx_status status = spec_walk(p, value, full);
            if (status != PDX_OK)
                return status;
            continue;
        }
        spec_suggestion s;
        char hint[512];
        int section = value->type == YAML_MAPPING_NODE &&
                      !spec_is_axis_form(p, value);
        if (section)
            spec_suggest_section(p, full, &s);
        else
            spec_suggest_key(p, full, &s);
        spec_suggestion_format(&s, hint, sizeof hint);
        if (s.n == 0)
            snprintf(hint, sizeof hint,
                     " (`pdx keys` lists the keys a spec may hold)");
        return spec_fail(p, key_node, full, "unknown %s%s",
                         section ? "section" : "key", hint);
    }
    return PDX_OK;
}

/* ------------------------------------------------------------ whole spec */

/* Values key `id` takes over the grid: its axis, or its one base value. */
static size_t spec_key_values(const pdx_spec *spec, pdx_key_id id,
                              double *scalar, const double **values)
{
    for (size_t a = 0; a < spec->n_axes; a++)
        if (spec->axes[a].key == id) {
            *values = spec->axes[a].values;
            return spec->axes[a].n;
        }
    *scalar = pdx_params_get(&spec->base, id);
    *values = scalar;
    return 1;
}

/* record.eg = closed_form needs erf/erf or linear/linear in every cell. */
static pdx_status spec_check_eg(const spec_parser *p)
{
    const pdx_spec *spec = p->spec;
    double eg_scalar, teacher_scalar, student_scalar;
    const double *eg, *teacher, *student;
    size_t n_eg = spec_key_values(spec, PDX_K_RECORD_EG, &eg_scalar, &eg);
    size_t n_teacher = spec_key_values(spec, PDX_K_TEACHER_ACTIVATION,
                                       &teacher_scalar, &teacher);
    size_t n_student = spec_key_values(spec, PDX_K_STUDENT_ACTIVATION,
                                       &student_scalar, &student);
    int closed_form = 0;
    for (size_t i = 0; i < n_eg; i++)
        closed_form |= (int)eg[i] == PDX_EG_CLOSED_FORM;
    if (!closed_form)
        return PDX_OK;
    for (size_t t = 0; t < n_teacher; t++)
        for (size_t s = 0; s < n_student; s++) {
            int g_teacher = (int)teacher[t], g_student = (int)student[s];
            if (g_teacher == g_student &&
                (g_teacher == PDX_ACT_ERF || g_teacher == PDX_ACT_LINEAR))
                continue;
            const pdx_key *key = &p->keys[PDX_K_RECORD_EG];
            return spec_fail_at(
                p, PDX_ERR_SPEC, p->value_line[PDX_K_RECORD_EG],
                p->value_column[PDX_K_RECORD_EG], key->name,
                "%s needs %s and %s both %s or both %s, but the sweep has "
                "%s = %s with %s = %s; use %s or %s",
                pdx_spec_choice_name(PDX_K_RECORD_EG, PDX_EG_CLOSED_FORM),
                p->keys[PDX_K_TEACHER_ACTIVATION].name,
                p->keys[PDX_K_STUDENT_ACTIVATION].name,
                pdx_spec_choice_name(PDX_K_STUDENT_ACTIVATION, PDX_ACT_ERF),
                pdx_spec_choice_name(PDX_K_STUDENT_ACTIVATION, PDX_ACT_LINEAR),
                p->keys[PDX_K_TEACHER_ACTIVATION].name,
                pdx_spec_choice_name(PDX_K_TEACHER_ACTIVATION, g_teacher),
                p->keys[PDX_K_STUDENT_ACTIVATION].name,
                pdx_spec_choice_name(PDX_K_STUDENT_ACTIVATION, g_student),
                pdx_spec_choice_name(PDX_K_RECORD_EG, PDX_EG_AUTO),
                pdx_spec_choice_name(PDX_K_RECORD_EG, PDX_EG_TEST_SET));
        }
    return PDX_OK;
}

/* ------------------------------------------------- finite training sets */

/* Keys whose combinations the cross-key rules below read. */
static const pdx_key_id spec_rule_keys[] = {
    PDX_K_N,
    PDX_K_TEACHER_KIND,
    PDX_K_TEACHER_WEIGHTS,
    PDX_K_STUDENT_KIND,
    PDX_K_STUDENT_WEIGHTS,
    PDX_K_DATA_ALPHA,
    PDX_K_TRAIN_ALGORITHM,
    PDX_K_TRAIN_LOSS,
    PDX_K_TRAIN_START,
    PDX_K_TRAIN_EPOCHS,
    PDX_K_TRAIN_BURN_IN,
    PDX_K_TRAIN_TEMPERATURE,
    PDX_K_TRAIN_BATCH,
    PDX_K_TRAIN_LEARNING_RATE,
    PDX_K_RECORD_EG,
};
#define SPEC_RULE_KEYS (sizeof spec_rule_keys / sizeof spec_rule_keys[0])
#define SPEC_MAX_RULE_CELLS 1000000u /* combinations checked at most */

static const char *spec_choice(pdx_key_id id, int value)
{
    const char *name = pdx_spec_choice_name(id, value);
    return name != NULL ? name : "?";
}

/* A cross-key rule broken by the combination `c`: the message names the
 * key `id` at fault, at the place its value was given (or the first line
 * of the spec when it was left to its default). */
SPEC_PRINTF(3, 4)
static pdx_status spec_rule_fail(const spec_parser *p, pdx_key_id id,
                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int line = p->spec->given[id] ? p->value_line[id] : 1;
    int column = p->spec->given[id] ? p->value_column[id] : 1;
    pdx_status status = spec_vfail(p, PDX_ERR_SPEC, line, column,
                                   p->keys[id].name, fmt, ap);
    va_end(ap);
    return status;
}

/* The rules for one combination of the rule keys (the other keys at their
 * base values). */
static pdx_status spec_check_cell(const spec_parser *p, const pdx_params *c)
{
    const pdx_spec *spec = p->spec;
    int alg = c->train_algorithm;
    const char *alg_name = spec_choice(PDX_K_TRAIN_ALGORITHM, alg);
    int perceptron_teacher = c->teacher_kind == PDX_MODEL_PERCEPTRON;
    int perceptron_student = c->student_kind == PDX_MODEL_PERCEPTRON;

    if (alg == PDX_ALG_ONLINE) {
        static const pdx_key_id finite_only[] = {
            PDX_K_DATA_ALPHA, PDX_K_DATA_LABEL_NOISE, PDX_K_DATA_INPUT_NOISE,
            PDX_K_DATA_INPUT_CORRUPTION, PDX_K_TRAIN_EPOCHS,
            PDX_K_TRAIN_BATCH, PDX_K_TRAIN_TEMPERATURE, PDX_K_TRAIN_LOSS,
            PDX_K_TRAIN_WEIGHT_DECAY, PDX_K_TRAIN_BURN_IN, PDX_K_TRAIN_START,
            PDX_K_TRAIN_MOVE_SCALE};
        for (size_t i = 0; i < sizeof finite_only / sizeof finite_only[0];
             i++)
            if (spec->given[finite_only[i]])
                return spec_rule_fail(
                    p, finite_only[i],
                    "applies to training on a fixed training set, but "
                    "train.algorithm is online (fresh inputs; its training "
                    "time is train.alpha)");
        if (perceptron_teacher || perceptron_student)
            return spec_rule_fail(
                p, perceptron_teacher ? PDX_K_TEACHER_KIND
                                      : PDX_K_STUDENT_KIND,
                "online learning is implemented for committee teachers and "
                "committee or twolayer students; use a finite-set algorithm "
                "(sgd, perceptron, ...) for perceptrons");
    } else {
        if (spec->given[PDX_K_TRAIN_ALPHA])
            return spec_rule_fail(
                p, PDX_K_TRAIN_ALPHA,
                "is the training time of online learning; with "
                "train.algorithm %s the training set has data.alpha = P/N "
                "examples and the training time is train.epochs",
                alg_name);
        if ((double)pdx_params_train_size(c) < 1.0 ||
            floor(c->data_alpha * (double)c->N + 0.5) < 1.0)
            return spec_rule_fail(
                p, PDX_K_DATA_ALPHA,
                "alpha = %.6g with N = %" PRId64 " gives an empty training "
                "set (P = round(alpha N) must be at least 1)",
                c->data_alpha, c->N);
    }
    if (c->teacher_weights == PDX_TEACHER_BINARY && !perceptron_teacher)
        return spec_rule_fail(p, PDX_K_TEACHER_WEIGHTS,
                              "binary weights are for teacher.kind "
                              "perceptron, not %s",
                              spec_choice(PDX_K_TEACHER_KIND,
                                          c->teacher_kind));
    if (perceptron_student && !perceptron_teacher)
        return spec_rule_fail(p, PDX_K_STUDENT_KIND,
                              "a perceptron student learns +-1 labels: it "
                              "needs teacher.kind perceptron");
    if (c->student_weights != PDX_WEIGHTS_CONTINUOUS && !perceptron_student)
        return spec_rule_fail(p, PDX_K_STUDENT_WEIGHTS,
                              "%s weights are for student.kind perceptron, "
                              "not %s",
                              spec_choice(PDX_K_STUDENT_WEIGHTS,
                                          c->student_weights),
                              spec_choice(PDX_K_STUDENT_KIND,
                                          c->student_kind));
    if (c->student_weights == PDX_WEIGHTS_BINARY && alg != PDX_ALG_METROPOLIS &&
        alg != PDX_ALG_HEBB && alg != PDX_ALG_PERCEPTRON)
        return spec_rule_fail(p, PDX_K_STUDENT_WEIGHTS,
                              "binary weights are trained by metropolis, or "
                              "by hebb or perceptron with clipping, not by "
                              "%s",
                              alg_name);
    if ((alg == PDX_ALG_HEBB || alg == PDX_ALG_PERCEPTRON ||
         alg == PDX_ALG_METROPOLIS) &&
        !perceptron_student)
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "%s trains perceptron students (student.kind "
                              "perceptron), not %s",
                              alg_name,
                              spec_choice(PDX_K_STUDENT_KIND,
                                          c->student_kind));
    if (alg == PDX_ALG_METROPOLIS &&
        c->student_weights == PDX_WEIGHTS_CONTINUOUS)
        return spec_rule_fail(p,
                              spec->given[PDX_K_STUDENT_WEIGHTS]
                                  ? PDX_K_STUDENT_WEIGHTS
                                  : PDX_K_TRAIN_ALGORITHM,
                              "metropolis samples binary or spherical "
                              "weights (set student.weights; the Gibbs "
                              "measure of unbounded continuous weights is "
                              "not normalisable)");
    if (c->train_loss != PDX_LOSS_SQUARED && !perceptron_teacher)
        return spec_rule_fail(p, PDX_K_TRAIN_LOSS,
                              "the %s loss needs +-1 labels (teacher.kind "
                              "perceptron); a committee teacher's labels "
                              "are real",
                              spec_choice(PDX_K_TRAIN_LOSS, c->train_loss));
    if (c->train_start == PDX_START_COLD && !perceptron_student)
        return spec_rule_fail(p, PDX_K_TRAIN_START,
                              "a cold start puts a perceptron student on its "
                              "teacher: it needs student.kind perceptron");
    if (c->record_eg == PDX_EG_CLOSED_FORM && perceptron_teacher &&
        !perceptron_student)
        return spec_rule_fail(p, PDX_K_RECORD_EG,
                              "closed_form needs a perceptron student for a "
                              "perceptron teacher (eg = arccos(R/sqrt(QT))/pi)"
                              "; use auto or test_set");
    int sgd_like = alg == PDX_ALG_SGD || alg == PDX_ALG_GD;
    if (sgd_like && spec->given[PDX_K_TRAIN_TEMPERATURE] &&
        spec->given[PDX_K_TRAIN_LEARNING_RATE])
        return spec_rule_fail(p, PDX_K_TRAIN_TEMPERATURE,
                              "for %s the temperature is learning_rate / "
                              "batch: give train.temperature or "
                              "train.learning_rate, not both",
                              alg_name);
    if (sgd_like && spec->given[PDX_K_TRAIN_TEMPERATURE] &&
        !(c->train_temperature > 0))
        return spec_rule_fail(p, PDX_K_TRAIN_TEMPERATURE,
                              "%s needs a temperature above 0 (it sets the "
                              "learning rate T x batch)",
                              alg_name);
    if ((alg == PDX_ALG_LANGEVIN || alg == PDX_ALG_METROPOLIS) &&
        !spec->given[PDX_K_TRAIN_TEMPERATURE])
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "%s needs train.temperature (the temperature "
                              "T of its Gibbs measure)",
                              alg_name);
    if ((alg == PDX_ALG_LANGEVIN || alg == PDX_ALG_METROPOLIS) &&
        spec->given[PDX_K_TRAIN_BURN_IN] &&
        !(c->train_burn_in < c->train_epochs))
        return spec_rule_fail(p, PDX_K_TRAIN_BURN_IN,
                              "%.6g is not below train.epochs = %.6g: "
                              "nothing would be averaged",
                              c->train_burn_in, c->train_epochs);
    return PDX_OK;
}

/* Apply the cross-key rules to every combination of the rule keys' values
 * (their axes crossed; other keys at base values), and forbid mixing the
 * online time unit (alpha) with epochs in one sweep. */
static pdx_status spec_check_finite(const spec_parser *p)
{
    const pdx_spec *spec = p->spec;
    const pdx_axis *axes[SPEC_RULE_KEYS];
    size_t n_axes = 0;
    double combinations = 1.0;
    for (size_t a = 0; a < spec->n_axes; a++)
        for (size_t r = 0; r < SPEC_RULE_KEYS; r++)
            if (spec->axes[a].key == spec_rule_keys[r]) {
                axes[n_axes++] = &spec->axes[a];
                combinations *= (double)spec->axes[a].n;
            }
    int online = 0, finite = 0;
    size_t index[SPEC_RULE_KEYS] = {0};
    for (double done = 0; done < combinations && done < SPEC_MAX_RULE_CELLS;
         done++) {
        pdx_params c = spec->base;
        for (size_t a = 0; a < n_axes; a++)
            pdx_params_set(&c, axes[a]->key, axes[a]->values[index[a]]);
        pdx_params_resolve(&c, spec);
        if (spec->given[PDX_K_TRAIN_BURN_IN] == 0)
            c.train_burn_in = 0.5 * c.train_epochs;
        online |= c.train_algorithm == PDX_ALG_ONLINE;
        finite |= c.train_algorithm != PDX_ALG_ONLINE;
        pdx_status status = spec_check_cell(p, &c);
        if (status != PDX_OK)
            return status;
        for (size_t a = n_axes; a-- > 0;) { /* odometer, last fastest */
            if (++index[a] < axes[a]->n)
                break;
            index[a] = 0;
        }
    }
    if (online && finite)
        return spec_rule_fail(p, PDX_K_TRAIN_ALGORITHM,
                              "online learning (time alpha = steps/N) and "
                              "training on a fixed set (time in epochs or "
                              "sweeps) cannot share one time axis: run them "
                              "as separate sweeps");
    return PDX_OK;
}

/* cells x replicas must stay <= 2^53. */
static pdx_status spec_check_size(const spec_parser *p)
{
    const pdx_spec *spec = p->spec;
    uint64_t cells = 1;
    for (size_t a = 0; a < spec->n_axes; a++) {
        const pdx_axis *axis = &spec->axes[a];
        if (cells > SPEC_MAX_TASKS / axis->n)
            return spec_fail_at(p, PDX_ERR_TOO_BIG, axis->line, axis->column,
                                p->keys[axis->key].name,
                                "the axes up to this one make %.4g cells; at "
                                "most 2^53 are allowed",
                                (double)cells * (double)axis->n);
        cells *= axis->n;
    }
    uint64_t replicas = (uint64_t)spec->base.replicas;
    if (cells > SPEC_MAX_TASKS / replicas)
        return spec_fail_at(p, PDX_ERR_TOO_BIG,
                            p->value_line[PDX_K_REPLICAS],
                            p->value_column[PDX_K_REPLICAS],
                            p->keys[PDX_K_REPLICAS].name,
                            "%" PRIu64 " cells x %" PRIu64 " replicas = %.4g "
                            "runs; at most 2^53 are allowed",
                            cells, replicas, (double)cells * (double)replicas);
    return PDX_OK;
}

/* record.times when absent: log-spaced from alpha_max/1000 to alpha_max. */
static pdx_status spec_default_times(const spec_parser *p)
{
    pdx_spec *spec = p->spec;
    if (spec->given[PDX_K_RECORD_TIMES])
        return PDX_OK;
    double alpha_max = SPEC_DEFAULT_ALPHA;
    double algorithm_scalar;
    const double *algorithm;
    spec_key_values(spec, PDX_K_TRAIN_ALGORITHM, &algorithm_scalar,
                    &algorithm);
    /* the time is train.alpha (online) or train.epochs (finite sets; the
     * spec checks forbid mixing them) */
    pdx_key_id time_key = (int)algorithm[0] == PDX_ALG_ONLINE
                              ? PDX_K_TRAIN_ALPHA
                              : PDX_K_TRAIN_EPOCHS;
    if (spec->given[time_key]) {
        double scalar;
        const double *alpha;
        size_t n = spec_key_values(spec, time_key, &scalar, &alpha);
        alpha_max = alpha[0];
        for (size_t i = 1; i < n; i++)
            alpha_max = fmax(alpha_max, alpha[i]);
    }
    spec->times = malloc(SPEC_DEFAULT_TIMES * sizeof *spec->times);
    if (spec->times == NULL)
        return spec_fail_nomem(p);
    spec->n_times = SPEC_DEFAULT_TIMES;
    spec->times_scale = PDX_SCALE_LOG;
    spec_fill_log(spec->times, spec->n_times, alpha_max / 1000, alpha_max);
    return PDX_OK;
}

/* Deepest nesting of sequences and mappings a spec may use (real specs use
 * 3): libyaml's scanner is quadratic in the depth of flow collections, so
 * a deep input must be refused before it is scanned to the end. */
#define SPEC_MAX_DEPTH 32

/* First pass: syntax, one document, nesting depth, no anchors, aliases or
 * tags. */
static pdx_status spec_check_events(const spec_parser *p)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return spec_fail_nomem(p);
    yaml_parser_set_input_string(&parser,
                                 (const unsigned char *)p->spec->text,
                                 p->spec->text_length);
    pdx_status status = PDX_OK;
    int documents = 0, depth = 0;
    for (int done = 0; !done && status == PDX_OK;) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            status = spec_fail_yaml(p, &parser);
            break;
        }
        const yaml_char_t *anchor = NULL, *tag = NULL;
        switch (event.type) {
        case YAML_ALIAS_EVENT:
            anchor = event.data.alias.anchor;
            break;
        case YAML_SCALAR_EVENT:
            anchor = event.data.scalar.anchor;
            tag = event.data.scalar.tag;
            break;
        case YAML_SEQUENCE_START_EVENT:
            anchor = event.data.sequence_start.anchor;
            tag = event.data.sequence_start.tag;
            depth++;
            break;
        case YAML_MAPPING_START_EVENT:
            anchor = event.data.mapping_start.anchor;
            tag = event.data.mapping_start.tag;
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                status = spec_fail_at(p, PDX_ERR_SPEC,
                                      (int)event.start_mark.line + 1,
                                      (int)event.start_mark.column + 1, NULL,
                                      "a spec is one YAML document; found a "
                                      "second one");
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        if (status == PDX_OK && depth > SPEC_MAX_DEPTH)
            status = spec_fail_at(p, PDX_ERR_SPEC,
                                  (int)event.start_mark.line + 1,
                                  (int)event.start_mark.column + 1, NULL,
                                  "nested more than %d levels deep",
                                  SPEC_MAX_DEPTH);
        if (status == PDX_OK && (anchor != NULL || tag != NULL))
            status = spec_fail_at(p, PDX_ERR_SPEC,
                                  (int)event.start_mark.line + 1,
                                  (int)event.start_mark.column + 1, NULL,
                                  anchor != NULL
                                      ? "anchors and aliases are not supported"
                                      : "YAML tags are not supported");
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return status;
}

/* Second pass: load the document and read its keys. */
static pdx_status spec_read_document(spec_parser *p)
{
    yaml_parser_t parser;
    yaml_document_t document;
    if (!yaml_parser_initialize(&parser))
        return spec_fail_nomem(p);
    yaml_parser_set_input_string(&parser,
                                 (const unsigned char *)p->spec->text,
                                 p->spec->text_length);
    if (!yaml_parser_load(&parser, &document)) {
        pdx_status status = spec_fail_yaml(p, &parser);
        yaml_parser_delete(&parser);
        return status;
    }
    pdx_status status;
    const yaml_node_t *root = yaml_document_get_root_node(&document);
    p->doc = &document;
    if (root == NULL)
        status = pdx_error_set(p->err, PDX_ERR_SPEC, p->path, 0, 0, NULL,
                               "the spec is empty");
    else if (root->type != YAML_MAPPING_NODE)
        status = spec_fail(p, root, NULL,
                           "the top level must be a mapping of keys "
                           "(key: value), got %s",
                           spec_node_kind(root));
    else
        status = spec_walk(p, root, "");
    p->doc = NULL;
    yaml_document_delete(&document);
    yaml_parser_delete(&parser);
    return status;
}

pdx_status pdx_spec_parse_string(pdx_spec **out, const char *text,
                                 size_t length, const char *path,
                                 pdx_error *err)
{
    if (out == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "pdx_spec_parse_string: out is NULL");
    *out = NULL;
    if (text == NULL && length > 0)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "pdx_spec_parse_string: text is NULL");
    if (path == NULL)
        path = "<string>";
    pdx_spec *spec = calloc(1, sizeof *spec);
    if (spec == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory while reading the spec");
    spec->path = strdup(path);
    spec->text = malloc(length + 1);
    if (spec->path == NULL || spec->text == NULL) {
        pdx_spec_destroy(&spec);
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory while reading the spec");
    }
    if (length > 0)
        memcpy(spec->text, text, length);
    spec->text[length] = '\0';
    spec->text_length = length;
    pdx_params_default(&spec->base);

    spec_parser p = {
        .spec = spec,
        .path = spec->path,
        .err = err,
        .keys = pdx_spec_keys(NULL),
    };
    pdx_status status = spec_check_events(&p);
    if (status == PDX_OK)
        status = spec_read_document(&p);
    if (status == PDX_OK)
        status = spec_check_eg(&p);
    if (status == PDX_OK)
        status = spec_check_size(&p);
    if (status == PDX_OK)
        status = spec_default_times(&p);
    if (status == PDX_OK)
        status = spec_check_finite(&p);
    if (status != PDX_OK) {
        pdx_spec_destroy(&spec);
        return status;
    }
    *out = spec;
    return PDX_OK;
}

pdx_status pdx_spec_parse_file(pdx_spec **out, const char *path,
                               pdx_error *err)
{
    if (out == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "pdx_spec_parse_file: out is NULL");
    *out = NULL;
    if (path == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "pdx_spec_parse_file: path is NULL");
    char reason[256];
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        int error = errno;
        if (strerror_r(error, reason, sizeof reason) != 0)
            snprintf(reason, sizeof reason, "error %d", error);
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot open the spec: %s", reason);
    }
    size_t capacity = 4096, length = 0;
    char *text = malloc(capacity);
    int error = 0;
    while (text != NULL) {
        if (length == capacity) {
            char *grown = capacity <= SIZE_MAX / 2 ? realloc(text, capacity * 2)
                                                   : NULL;
            if (grown == NULL) {
                free(text);
                text = NULL;
                break;
            }
            text = grown;
            capacity *= 2;
        }
        errno = 0;
        size_t got = fread(text + length, 1, capacity - length, file);
        length += got;
        if (got == 0) {
            if (ferror(file))
                error = errno != 0 ? errno : EIO;
            break;
        }
    }
    fclose(file);
    if (text == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                             "out of memory while reading the spec");
    if (error != 0) {
        free(text);
        if (strerror_r(error, reason, sizeof reason) != 0)
            snprintf(reason, sizeof reason, "error %d", error);
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot read the spec: %s", reason);
    }
    pdx_status status = pdx_spec_parse_string(out, text, length, path, err);
    free(text);
    return status;
}

void pdx_spec_destroy(pdx_spec **spec)
{
    if (spec == NULL || *spec == NULL)
        return;
    pdx_spec *s = *spec;
    for (size_t a = 0; a < s->n_axes; a++)
        free(s->axes[a].values);
    free(s->axes);
    free(s->times);
    free(s->text);
    free(s->path);
    free(s);
    *spec = NULL;
}
