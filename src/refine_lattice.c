/* refine_lattice.c — the lattice spec of `pdx refine`: the user's spec
 * text with the along axis' value replaced by a uniform grid of spacing at
 * most the tolerance. The text is spliced (libyaml finds the value's byte
 * range), so comments, order and every other key stay as written. */
#include "pdx/refine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Byte range [*begin, *end) of the value of key `want` (dotted, at any
 * nesting: "data.alpha" matches `data: {alpha: ...}` and `data.alpha:`).
 * Returns 1 if found. */
static int find_value(const char *text, size_t length, const char *want,
                      size_t *begin, size_t *end)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return 0;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);
    enum { MAXD = 32 };
    char prefix[MAXD][256];   /* key path of each open mapping */
    int expect_key[MAXD];     /* mapping: next scalar is a key */
    int is_map[MAXD];
    char pending[256] = "";   /* the key whose value comes next */
    int depth = 0, found = 0, capture = -1, done = 0;
    size_t last_end = 0;      /* end of the last event with some text */
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev))
            break;
        int top_map = depth > 0 && is_map[depth - 1];
        int is_value = top_map && !expect_key[depth - 1];
        if (is_value && capture < 0 && strcmp(pending, want) == 0 &&
            (ev.type == YAML_SCALAR_EVENT ||
             ev.type == YAML_SEQUENCE_START_EVENT ||
             ev.type == YAML_MAPPING_START_EVENT)) {
            *begin = ev.start_mark.index;
            capture = depth;
        }
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            if (top_map && expect_key[depth - 1]) {
                snprintf(pending, sizeof pending, "%s%s%s", prefix[depth - 1],
                         prefix[depth - 1][0] ? "." : "",
                         (const char *)ev.data.scalar.value);
                expect_key[depth - 1] = 0;
            } else if (top_map) {
                expect_key[depth - 1] = 1;
            }
            if (capture == depth) {
                *end = ev.end_mark.index;
                found = done = 1;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth >= MAXD) {
                done = 1;
                break;
            }
            is_map[depth] = ev.type == YAML_MAPPING_START_EVENT;
            expect_key[depth] = 1;
            snprintf(prefix[depth], sizeof prefix[depth], "%s",
                     is_value ? pending : (depth ? prefix[depth - 1] : ""));
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            if (depth > 0 && is_map[depth - 1])
                expect_key[depth - 1] = 1;
            if (capture == depth) {
                /* a block collection ends where the next token starts
                 * (zero width): its text ends with its last node */
                *end = ev.end_mark.index > ev.start_mark.index
                           ? ev.end_mark.index
                           : last_end;
                found = done = 1;
            }
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        if (ev.end_mark.index > ev.start_mark.index)
            last_end = ev.end_mark.index;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return found;
}

/* Append "%.17g" of each value, comma-separated, to buf (size: enough). */
static size_t put_list(char *buf, const double *v, size_t n)
{
    size_t used = 0;
    buf[used++] = '[';
    for (size_t i = 0; i < n; i++)
        used += (size_t)sprintf(buf + used, "%s%.17g", i ? ", " : "", v[i]);
    buf[used++] = ']';
    buf[used] = '\0';
    return used;
}

/* The new value's text (malloc'ed) and its number of points. */
static pdx_status lattice_value(const pdx_axis *axis, const pdx_key *key,
                                double tol, char **out, size_t *n_out,
                                pdx_error *err)
{
    double lo = axis->values[0], hi = axis->values[0];
    for (size_t i = 1; i < axis->n; i++) {
        lo = fmin(lo, axis->values[i]);
        hi = fmax(hi, axis->values[i]);
    }
    double first = axis->values[0], last = axis->values[axis->n - 1];
    double n = 0.0;
    int form = 0; /* 0 list of integers, 1 lin, 2 log */
    double step = 0.0;
    if (key->type == PDX_KEY_INT) {
        step = fmax(1.0, floor(tol));
        n = ceil((hi - lo) / step) + 1.0;
    } else if (axis->scale == PDX_SCALE_LOG && axis->n >= 2) {
        form = 2;
        double m = 0.0;
        while (m < 40 && pow(hi / lo, 1.0 / ((double)(axis->n - 1) *
                                             ldexp(1.0, (int)m))) - 1.0 > tol)
            m++;
        n = (double)(axis->n - 1) * ldexp(1.0, (int)m) + 1.0;
    } else if (axis->scale == PDX_SCALE_LIN && axis->n >= 2) {
        form = 1;
        double m = 0.0;
        while (m < 40 && (hi - lo) / ((double)(axis->n - 1) *
                                      ldexp(1.0, (int)m)) > tol)
            m++;
        n = (double)(axis->n - 1) * ldexp(1.0, (int)m) + 1.0;
    } else {
        form = 1;
        first = lo;
        last = hi;
        n = ceil((hi - lo) / tol) + 1.0;
    }
    if (!(n <= PDX_REFINE_MAX_LATTICE))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "tolerance",
                             "--tol %g: the lattice along %s would have more "
                             "than %d points; give a larger tolerance",
                             tol, key->name, PDX_REFINE_MAX_LATTICE);
    size_t count = (size_t)n;
    char *buf = malloc(64 + 26 * count);
    if (buf == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the lattice");
    if (form == 0) {
        double *v = malloc(count * sizeof *v);
        if (v == NULL) {
            free(buf);
            return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                                 "cannot allocate the lattice");
        }
        for (size_t i = 0; i < count; i++)
            v[i] = lo + step * (double)i;
        put_list(buf, v, count);
        free(v);
    } else {
        sprintf(buf, "{%s: [%.17g, %.17g, %zu]}", form == 2 ? "log" : "lin",
                first, last, count);
    }
    *out = buf;
    *n_out = count;
    return PDX_OK;
}

const char *pdx_refine_axis_name(const pdx_spec *spec, const char *along)
{
    const pdx_key *keys = pdx_spec_keys(NULL);
    const char *found = NULL;
    size_t len = strlen(along);
    for (size_t a = 0; a < spec->n_axes; a++) {
        const char *name = keys[spec->axes[a].key].name;
        size_t n = strlen(name);
        if (strcmp(name, along) == 0)
            return name;
        if (n > len && name[n - len - 1] == '.' &&
            strcmp(name + n - len, along) == 0) {
            if (found != NULL)
                return NULL; /* ambiguous */
            found = name;
        }
    }
    return found;
}

pdx_status pdx_refine_lattice_text(const pdx_spec *spec, const char *along,
                                   double tolerance, char **text, size_t *n,
                                   pdx_error *err)
{
    *text = NULL;
    const char *name = pdx_refine_axis_name(spec, along);
    int id = name ? pdx_spec_key_find(name) : -1;
    const pdx_axis *axis = NULL;
    for (size_t a = 0; a < spec->n_axes && id >= 0; a++)
        if ((int)spec->axes[a].key == id)
            axis = &spec->axes[a];
    if (axis == NULL) {
        char names[1024] = "";
        size_t used = 0;
        for (size_t a = 0; a < spec->n_axes && used < sizeof names - 80; a++)
            used += (size_t)snprintf(names + used, sizeof names - used,
                                     "%s%s", a ? ", " : "",
                                     pdx_spec_keys(NULL)[spec->axes[a].key].name);
        return pdx_error_set(err, PDX_ERR_USAGE, spec->path, 0, 0, "along",
                             "--along: '%s' is not an axis of %s (its axes: "
                             "%s)", along, spec->path,
                             spec->n_axes ? names : "none");
    }
    const pdx_key *key = &pdx_spec_keys(NULL)[axis->key];
    if (key->type != PDX_KEY_REAL && key->type != PDX_KEY_INT)
        return pdx_error_set(err, PDX_ERR_USAGE, spec->path, axis->line,
                             axis->column, "along",
                             "--along: %s is not a numeric axis: a boundary "
                             "is located along numbers", key->name);
    if (axis->n < 2)
        return pdx_error_set(err, PDX_ERR_USAGE, spec->path, axis->line,
                             axis->column, "along",
                             "--along: %s has one value: give the range to "
                             "search as its first and last values", key->name);
    size_t begin = 0, end = 0;
    if (!find_value(spec->text, spec->text_length, key->name, &begin, &end))
        return pdx_error_set(err, PDX_ERR_SPEC, spec->path, axis->line,
                             axis->column, key->name,
                             "cannot find the value of %s in the spec text",
                             key->name);
    char *value = NULL;
    pdx_status st = lattice_value(axis, key, tolerance, &value, n, err);
    if (st != PDX_OK)
        return st;
    size_t vlen = strlen(value);
    size_t len = spec->text_length - (end - begin) + vlen;
    char *out = malloc(len + 1);
    if (out == NULL) {
        free(value);
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the lattice spec");
    }
    memcpy(out, spec->text, begin);
    memcpy(out + begin, value, vlen);
    memcpy(out + begin + vlen, spec->text + end, spec->text_length - end);
    out[len] = '\0';
    free(value);
    *text = out;
    return PDX_OK;
}
