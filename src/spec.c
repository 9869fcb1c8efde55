/* spec.c — parse and validate sweep specs (YAML, read with libyaml).
 *
 * Two passes over the text: the event API first (syntax errors, anchors,
 * aliases, tags, more than one document), then the document API, whose
 * nodes carry the line and column every error message names. Every key,
 * type, bound, choice and flag comes from the table in spec_table.c. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"

/* ------------------------------------------------------------------ errors */

SPEC_PRINTF(6, 0)
pdx_status spec_vfail(const spec_parser *p, pdx_status status,
                      int line, int column, const char *key,
                      const char *fmt, va_list ap)
{
    char message[sizeof ((pdx_error *)NULL)->message];
    vsnprintf(message, sizeof message, fmt, ap);
    /* an override given on the command line: name it by its position
     * (the text pdx built from it is nobody's file) */
    if (p->command_line && p->override_line > 0 && line >= p->override_line)
        return pdx_error_set(p->err, status, "<command line>",
                             line - p->override_line + 1, 0, key,
                             "(override %d) %s",
                             line - p->override_line + 1, message);
    return pdx_error_set(p->err, status, p->path, line, column, key, "%s",
                         message);
}

SPEC_PRINTF(6, 7)
pdx_status spec_fail_at(const spec_parser *p, pdx_status status,
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
pdx_status spec_fail(const spec_parser *p, const yaml_node_t *node,
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

pdx_status spec_fail_nomem(const spec_parser *p)
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

/* ------------------------------------------------------------ the cells */

/* Index of the first axis of the dimension that ends at axis `last`. */
static size_t spec_dim_first(const pdx_spec *spec, size_t last)
{
    size_t first = last;
    while (first > 0 && spec->axes[last].zip != 0 &&
           spec->axes[first - 1].zip == spec->axes[last].zip)
        first--;
    return first;
}

uint64_t pdx_spec_cells(const pdx_spec *spec)
{
    uint64_t cells = 1;
    for (size_t a = 0; a < spec->n_axes; a++)
        if (a == 0 || spec->axes[a].zip == 0 ||
            spec->axes[a].zip != spec->axes[a - 1].zip)
            cells *= spec->axes[a].n;
    return cells;
}

void pdx_spec_set_cell(const pdx_spec *spec, uint64_t cell,
                       pdx_params *params)
{
    for (size_t end = spec->n_axes; end > 0;) {
        size_t first = spec_dim_first(spec, end - 1);
        uint64_t n = spec->axes[first].n;
        size_t i = (size_t)(cell % n);
        cell /= n;
        for (size_t a = first; a < end; a++)
            pdx_params_set(params, spec->axes[a].key, spec->axes[a].values[i]);
        end = first;
    }
}

/* ------------------------------------------------------------ yaml helpers */

yaml_node_t *spec_node(const spec_parser *p, int index)
{
    return yaml_document_get_node(p->doc, index);
}

const char *spec_scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

const char *spec_node_kind(const yaml_node_t *node)
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
int spec_scalar_is_null(const yaml_node_t *node)
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
const char *spec_show(const yaml_node_t *node, char *buf, size_t size)
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

const char *spec_leaf(const char *name)
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

const char *spec_expected(const pdx_key *key)
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
void spec_list_choices(const pdx_key *key, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int c = 0; key->choices[c] != NULL && used < size; c++) {
        if (key->choices[c][0] == '\0')
            continue; /* a hole: the index is no choice of this key */
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
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
size_t spec_distance(const char *a, size_t a_length, const char *b,
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


void spec_suggestion_init(spec_suggestion *s)
{
    s->best = SIZE_MAX;
    s->n = 0;
}

/* Offer candidate (name, length) at `distance` from what was written,
 * compared against a string of `compared_length` characters: a candidate
 * counts when at most a third of it (at least one character) differs. */
void spec_suggestion_offer(spec_suggestion *s, const char *name,
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
void spec_suggestion_format(const spec_suggestion *s, char *buf,
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
        .zip = p->zip_group,
    };
    spec->n_axes++;
    return PDX_OK;
}

static pdx_status spec_set_key_now(spec_parser *p, pdx_key_id id,
                                   const yaml_node_t *key_node,
                                   const yaml_node_t *value);

/* Key `id` named by `key_node` with value `value`, as the walk's mode
 * says: noted (the override document), set from its override (the spec's
 * walk over an overridden key, at the key's place in the spec, so that an
 * overridden axis keeps its position among the axes), skipped (the
 * override document's keys already used) or set. */
static pdx_status spec_set_key(spec_parser *p, pdx_key_id id,
                               const yaml_node_t *key_node,
                               const yaml_node_t *value)
{
    switch (p->mode) {
    case SPEC_WALK_COLLECT:
        if (p->override_key[id] != NULL)
            return spec_fail(p, key_node, p->keys[id].name,
                             "overridden twice; first at line %d",
                             (int)p->override_key[id]->start_mark.line + 1);
        p->override_key[id] = key_node;
        p->override_value[id] = value;
        return PDX_OK;
    case SPEC_WALK_MAIN:
        if (p->override_value[id] != NULL && !p->spec->given[id]) {
            yaml_document_t *doc = p->doc;
            p->doc = p->overrides;
            pdx_status status = spec_set_key_now(p, id, p->override_key[id],
                                                 p->override_value[id]);
            p->doc = doc;
            p->override_used[id] = 1;
            return status;
        }
        break;
    case SPEC_WALK_REST:
        if (p->override_used[id])
            return PDX_OK;
        break;
    case SPEC_WALK_SET:
        break;
    }
    return spec_set_key_now(p, id, key_node, value);
}

static pdx_status spec_set_key_now(spec_parser *p, pdx_key_id id,
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

    if (p->zip_group != 0 &&
        (!(key->flags & PDX_KEYF_AXIS) || value->type == YAML_SCALAR_NODE))
        return spec_fail(p, value, key->name,
                         "a zip group holds axes that vary together (lists, "
                         "{lin: ...}, {log: ...}); %s",
                         key->flags & PDX_KEYF_AXIS
                             ? "give a single value outside zip:"
                             : "this key cannot be an axis");
    if (key->type == PDX_KEY_TIMES) {
        spec_values v;
        pdx_status status = spec_parse_values(p, id, value, &v);
        if (status != PDX_OK)
            return status;
        if (id == PDX_K_RECORD_BUDGETS) {
            spec->budgets = v.values;
            spec->n_budgets = v.n;
            return PDX_OK;
        }
        if (id == PDX_K_RECORD_PERTURBATIONS) {
            spec->perturbations = v.values;
            spec->n_perturbations = v.n;
            return PDX_OK;
        }
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

static pdx_status spec_walk(spec_parser *p, const yaml_node_t *mapping,
                            const char *prefix);

/* One zip group (issue 19): a mapping of axes (nested or dotted keys) that
 * vary together along one dimension. */
static pdx_status spec_zip_group(spec_parser *p, const yaml_node_t *group)
{
    pdx_spec *spec = p->spec;
    if (group->type != YAML_MAPPING_NODE)
        return spec_fail(p, group, "zip",
                         "a zip group is a mapping of axes that vary "
                         "together ({data.alpha: [1, 2], train.epochs: [20, "
                         "10]}), got %s",
                         spec_node_kind(group));
    p->zip_group = ++p->n_zip_groups;
    p->zip_first_axis = spec->n_axes;
    pdx_status status = spec_walk(p, group, "");
    p->zip_group = 0;
    if (status != PDX_OK)
        return status;
    size_t first = p->zip_first_axis, n = spec->n_axes - first;
    if (n < 2)
        return spec_fail(p, group, "zip",
                         "a zip group needs at least two axes, got %zu", n);
    for (size_t a = first + 1; a < spec->n_axes; a++)
        if (spec->axes[a].n != spec->axes[first].n)
            return spec_fail_at(
                p, PDX_ERR_SPEC, spec->axes[a].line, spec->axes[a].column,
                p->keys[spec->axes[a].key].name,
                "has %zu values, but %s, the first axis of its zip group "
                "(line %d), has %zu: zipped axes vary together and need as "
                "many values",
                spec->axes[a].n, p->keys[spec->axes[first].key].name,
                spec->axes[first].line, spec->axes[first].n);
    return PDX_OK;
}

/* `zip:` (top level): one group (a mapping) or a list of groups; taken
 * from the override document when it overrides `zip`. */
static pdx_status spec_zip_key(spec_parser *p, const yaml_node_t *key_node,
                               const yaml_node_t *value)
{
    yaml_document_t *doc = p->doc;
    switch (p->mode) {
    case SPEC_WALK_COLLECT:
        if (p->zip_override_key != NULL)
            return spec_fail(p, key_node, "zip",
                             "overridden twice; first at line %d",
                             (int)p->zip_override_key->start_mark.line + 1);
        p->zip_override_key = key_node;
        p->zip_override_value = value;
        return PDX_OK;
    case SPEC_WALK_MAIN:
        if (p->zip_override_value != NULL) {
            if (p->zip_override_used)
                return spec_fail(p, key_node, "zip", "given twice");
            p->zip_override_used = 1;
            p->doc = p->overrides;
            value = p->zip_override_value;
        }
        break;
    case SPEC_WALK_REST:
        if (p->zip_override_used)
            return PDX_OK;
        break;
    case SPEC_WALK_SET:
        break;
    }
    pdx_status status = PDX_OK;
    if (p->zip_group != 0)
        status = spec_fail(p, key_node, "zip", "zip groups do not nest");
    else if (p->zip_given++)
        status = spec_fail(p, key_node, "zip",
                           "given twice; give several groups as a list");
    else if (value->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *item = value->data.sequence.items.start;
             item < value->data.sequence.items.top && status == PDX_OK;
             item++)
            status = spec_zip_group(p, spec_node(p, *item));
    else
        status = spec_zip_group(p, value);
    p->doc = doc;
    return status;
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
        if (prefix[0] == '\0' && strcmp(full, "zip") == 0) {
            pdx_status status = spec_zip_key(p, key_node, value);
            if (status != PDX_OK)
                return status;
            continue;
        }
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
            if (++documents > 2)
                status = spec_fail_at(p, PDX_ERR_SPEC,
                                      (int)event.start_mark.line + 1,
                                      (int)event.start_mark.column + 1, NULL,
                                      "a spec is one YAML document, "
                                      "optionally followed by a second one "
                                      "of overrides; found a third");
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

/* The keys of the override document (issue 19): noted first, so that the
 * spec's walk sets each overridden key at its own place from its
 * override; then the keys the spec lacks, in the overrides' order. An
 * empty override document overrides nothing. */
static pdx_status spec_walk_overrides(spec_parser *p, yaml_document_t *spec,
                                      const yaml_node_t *root)
{
    const yaml_node_t *over = yaml_document_get_root_node(p->overrides);
    if (over == NULL || spec_scalar_is_null(over)) {
        p->mode = SPEC_WALK_SET;
        return spec_walk(p, root, "");
    }
    p->doc = p->overrides;
    if (over->type != YAML_MAPPING_NODE)
        return spec_fail(p, over, NULL,
                         "the override document (after ---) must be a "
                         "mapping of keys (key: value), got %s",
                         spec_node_kind(over));
    p->mode = SPEC_WALK_COLLECT;
    pdx_status status = spec_walk(p, over, "");
    if (status != PDX_OK)
        return status;
    p->mode = SPEC_WALK_MAIN;
    p->doc = spec;
    status = spec_walk(p, root, "");
    if (status != PDX_OK)
        return status;
    p->mode = SPEC_WALK_REST;
    p->doc = p->overrides;
    return spec_walk(p, over, "");
}

/* Second pass: load the document (and the override document after it, if
 * any) and read its keys. */
static pdx_status spec_read_document(spec_parser *p)
{
    yaml_parser_t parser;
    yaml_document_t document, overrides;
    int have_overrides = 0;
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
    pdx_status status = PDX_OK;
    const yaml_node_t *root = yaml_document_get_root_node(&document);
    if (root != NULL) {
        if (!yaml_parser_load(&parser, &overrides))
            status = spec_fail_yaml(p, &parser);
        else if (yaml_document_get_root_node(&overrides) == NULL)
            yaml_document_delete(&overrides); /* the end of the stream */
        else
            have_overrides = 1;
    }
    p->doc = &document;
    p->overrides = have_overrides ? &overrides : NULL;
    if (status == PDX_OK && root == NULL)
        status = pdx_error_set(p->err, PDX_ERR_SPEC, p->path, 0, 0, NULL,
                               "the spec is empty");
    else if (status == PDX_OK && root->type != YAML_MAPPING_NODE)
        status = spec_fail(p, root, NULL,
                           "the top level must be a mapping of keys "
                           "(key: value), got %s",
                           spec_node_kind(root));
    else if (status == PDX_OK && have_overrides)
        status = spec_walk_overrides(p, &document, root);
    else if (status == PDX_OK)
        status = spec_walk(p, root, "");
    p->doc = NULL;
    p->overrides = NULL;
    p->mode = SPEC_WALK_SET;
    if (have_overrides)
        yaml_document_delete(&overrides);
    yaml_document_delete(&document);
    yaml_parser_delete(&parser);
    return status;
}

/* Parse `length` bytes of `text`; `override_line` > 0: the text's
 * override document holds the command line's overrides from that line on
 * (errors there name the override, not the line). */
static pdx_status spec_parse(pdx_spec **out, const char *text, size_t length,
                             const char *path, int override_line,
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
        .override_line = override_line,
        .command_line = override_line > 0,
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
    if (status == PDX_OK)
        status = spec_build_canonical(&p);
    if (status != PDX_OK) {
        pdx_spec_destroy(&spec);
        return status;
    }
    *out = spec;
    return PDX_OK;
}

pdx_status pdx_spec_parse_string(pdx_spec **out, const char *text,
                                 size_t length, const char *path,
                                 pdx_error *err)
{
    return spec_parse(out, text, length, path, 0, err);
}

/* The whole file at `path` into *text (malloc'd, NUL-terminated) and
 * *length. */
static pdx_status spec_read_file(const char *path, char **text_out,
                                 size_t *length_out, pdx_error *err)
{
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
    *text_out = text;
    *length_out = length;
    return PDX_OK;
}

/* "key=value" of the command line into "key: value\n" at the end of
 * *text (grown); the key a dotted name, the value one line of YAML. */
static pdx_status spec_add_override(char **text, size_t *length,
                                    const char *override, size_t index,
                                    pdx_error *err)
{
    const char *eq = strchr(override, '=');
    size_t key_length = eq != NULL ? (size_t)(eq - override) : 0;
    int key_ok = key_length > 0;
    for (size_t i = 0; i < key_length && key_ok; i++)
        key_ok = isalnum((unsigned char)override[i]) || override[i] == '_' ||
                 override[i] == '.';
    if (!key_ok)
        return pdx_error_set(err, PDX_ERR_USAGE, "<command line>",
                             (int)index + 1, 0, NULL,
                             "(override %zu) '%.100s' is not KEY=VALUE with "
                             "a dotted key such as train.alpha=20",
                             index + 1, override);
    if (strpbrk(eq + 1, "\n\r") != NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, "<command line>",
                             (int)index + 1, 0, NULL,
                             "(override %zu) the value of %.*s is more than "
                             "one line",
                             index + 1, (int)key_length, override);
    size_t add = strlen(override) + 3;
    char *grown = realloc(*text, *length + add + 1);
    if (grown == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "out of memory while reading the overrides");
    *text = grown;
    int n = snprintf(grown + *length, add + 1, "%.*s: %s\n", (int)key_length,
                     override, eq + 1);
    *length += (size_t)n;
    return PDX_OK;
}

pdx_status pdx_spec_parse_file_overrides(pdx_spec **out, const char *path,
                                         const char *const *overrides,
                                         size_t n_overrides, pdx_error *err)
{
    if (out == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, path, 0, 0, NULL,
                             "pdx_spec_parse_file: out is NULL");
    *out = NULL;
    if (path == NULL || (overrides == NULL && n_overrides > 0))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, NULL,
                             "pdx_spec_parse_file: path is NULL");
    char *text = NULL;
    size_t length = 0;
    pdx_status status = spec_read_file(path, &text, &length, err);
    if (status != PDX_OK)
        return status;
    int override_line = 0;
    if (n_overrides > 0) {
        /* the file's text, then a second document of the overrides, one
         * line each: the spec text files record parses back to this spec */
        static const char header[] = "--- # pdx command-line overrides\n";
        int newline = length == 0 || text[length - 1] == '\n';
        char *grown = realloc(text, length + sizeof header + 1);
        if (grown == NULL) {
            free(text);
            return pdx_error_set(err, PDX_ERR_NOMEM, path, 0, 0, NULL,
                                 "out of memory while reading the spec");
        }
        text = grown;
        if (!newline)
            text[length++] = '\n';
        memcpy(text + length, header, sizeof header);
        length += sizeof header - 1;
        override_line = 1; /* the first override's line: after the header */
        for (size_t i = 0; i < length; i++)
            override_line += text[i] == '\n';
        for (size_t i = 0; i < n_overrides && status == PDX_OK; i++)
            status = spec_add_override(&text, &length, overrides[i], i, err);
    }
    if (status == PDX_OK)
        status = spec_parse(out, text, length, path, override_line, err);
    free(text);
    return status;
}

pdx_status pdx_spec_parse_file(pdx_spec **out, const char *path,
                               pdx_error *err)
{
    return pdx_spec_parse_file_overrides(out, path, NULL, 0, err);
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
    free(s->canonical);
    free(s->warnings);
    free(s->budgets);
    free(s->perturbations);
    free(s->text);
    free(s->path);
    free(s);
    *spec = NULL;
}
