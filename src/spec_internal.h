/* spec_internal.h — what the spec module's files share: the parser state
 * (spec.c reads the YAML, spec_values.c turns scalars and axis forms into
 * numbers, spec_rules.c checks the cross-key rules of the whole spec) and
 * the error helpers every one of them reports through. Private to src/. */
#ifndef PDX_SPEC_INTERNAL_H
#define PDX_SPEC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <yaml.h>

#include "pdx/spec.h"

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

/* What spec_walk does with the keys it meets (issue 19, overrides: a
 * second YAML document after the spec replaces its keys). */
typedef enum spec_walk_mode {
    SPEC_WALK_SET,      /* the one document: set every key */
    SPEC_WALK_COLLECT,  /* the override document: note where each key is */
    SPEC_WALK_MAIN,     /* the spec: set each key, from its override if any */
    SPEC_WALK_REST      /* the override document: the keys the spec lacks */
} spec_walk_mode;

typedef struct spec_parser {
    pdx_spec *spec;
    const char *path;      /* spec->path, for messages */
    yaml_document_t *doc;  /* while walking the document */
    yaml_document_t *overrides; /* the override document, or NULL */
    spec_walk_mode mode;
    /* each overridden key's name and value nodes in `overrides` (NULL:
     * not overridden), and whether the spec's walk has set it from them */
    const yaml_node_t *override_key[PDX_KEY_COUNT];
    const yaml_node_t *override_value[PDX_KEY_COUNT];
    unsigned char override_used[PDX_KEY_COUNT];
    int override_line;     /* first line of the override document (0: none) */
    int zip_group;         /* the zip group being read (0: none) */
    int n_zip_groups;
    size_t zip_first_axis; /* its first axis in spec->axes */
    /* `zip:` overridden by the override document: its name and value */
    const yaml_node_t *zip_override_key, *zip_override_value;
    int zip_override_used;
    int zip_given;         /* `zip:` met (once per spec) */
    int command_line;      /* the overrides came from the command line: */
                           /* errors there name "<command line>" */
    pdx_error *err;
    const pdx_key *keys;   /* the table */
    int key_line[PDX_KEY_COUNT];    /* where each given key was named */
    int value_line[PDX_KEY_COUNT];  /* where each given key's value is */
    int value_column[PDX_KEY_COUNT];
} spec_parser;

typedef struct spec_values {
    double *values;
    size_t n;
    pdx_axis_scale scale;
} spec_values;

typedef struct spec_suggestion {
    size_t best;
    size_t n;
    const char *names[SPEC_MAX_SUGGESTIONS];
    size_t lengths[SPEC_MAX_SUGGESTIONS];
} spec_suggestion;

/* spec.c: errors (one place sets them), YAML nodes, the key table, did you mean */
SPEC_PRINTF(6, 0)
pdx_status spec_vfail(const spec_parser *p, pdx_status status,
                      int line, int column, const char *key,
                      const char *fmt, va_list ap);
SPEC_PRINTF(6, 7)
pdx_status spec_fail_at(const spec_parser *p, pdx_status status,
                        int line, int column, const char *key,
                        const char *fmt, ...);
SPEC_PRINTF(4, 5)
pdx_status spec_fail(const spec_parser *p, const yaml_node_t *node,
                     const char *key, const char *fmt, ...);
pdx_status spec_fail_nomem(const spec_parser *p);
yaml_node_t *spec_node(const spec_parser *p, int index);
const char *spec_scalar(const yaml_node_t *node);
const char *spec_node_kind(const yaml_node_t *node);
int spec_scalar_is_null(const yaml_node_t *node);
const char *spec_show(const yaml_node_t *node, char *buf, size_t size);
const char *spec_leaf(const char *name);
const char *spec_expected(const pdx_key *key);
void spec_list_choices(const pdx_key *key, char *buf, size_t size);
size_t spec_distance(const char *a, size_t a_length, const char *b,
                     size_t b_length);
void spec_suggestion_init(spec_suggestion *s);
void spec_suggestion_offer(spec_suggestion *s, const char *name,
                           size_t length, size_t distance,
                           size_t compared_length);
void spec_suggestion_format(const spec_suggestion *s, char *buf,
                            size_t size);

/* spec_values.c: numbers and axes */
pdx_status spec_parse_value(const spec_parser *p, pdx_key_id id,
                            const yaml_node_t *node, double *value);
void spec_fill_log(double *values, size_t n, double start, double stop);
pdx_status spec_parse_values(const spec_parser *p, pdx_key_id id,
                             const yaml_node_t *node, spec_values *out);
pdx_status spec_build_canonical(const spec_parser *p);

/* spec_rules.c: whole-spec rules */
pdx_status spec_check_eg(const spec_parser *p);
pdx_status spec_check_finite(const spec_parser *p);
pdx_status spec_check_size(const spec_parser *p);
pdx_status spec_default_times(const spec_parser *p);

#endif
