/* pdx/refine.h — `pdx refine`: locate a boundary along one axis, for every
 * setting of the other axes, to a tolerance, running only the cells that
 * bisection needs.
 *
 * The cells are those of a *lattice* grid: the spec with the along axis
 * replaced by a uniform grid whose spacing is at most the tolerance (for
 * a {lin:}/{log:} axis of n0 values, (n0 - 1) 2^m + 1 values, so that the
 * spec's own values are lattice points, bit for bit). The lattice spec is
 * written next to the output (OUT.refine.yaml) and the cells go into an
 * ordinary pdx result file of it (OUT.h5) through the run module, one
 * pdx_run per round with a task mask: every cell is bit-identical to the
 * same cell of a uniform `pdx run` of the lattice spec, the file is
 * crash-safe and resumable as any run's, and it stays a working file
 * (cells not needed are pending). Which cells each round needs is decided
 * by pdx_analysis (python3 -m pdx_analysis.refine_cli plan): the boundary
 * kinds are defined once, in Python, and the plan is a pure function of
 * the data of the earlier rounds, so a rerun after a kill replays the same
 * rounds. At the end the planner writes the record OUT.refine.json
 * (docs/FORMAT.md, "Refine files").
 *
 * Layer: above run (which it drives), below the command line. Prints
 * nothing but the sweep's progress and the planner's own errors. */
#ifndef PDX_REFINE_H
#define PDX_REFINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "pdx/error.h"
#include "pdx/spec.h"

#define PDX_REFINE_MAX_LATTICE 1000000 /* lattice points along the axis */

typedef struct pdx_refine_settings {
    const char *input;      /* a sweep spec (YAML) or a pdx result file
                             * (its stored spec is used) */
    const char *output;     /* NULL: "<spec name>-refine.h5" */
    const char *along;      /* the axis to locate the boundary along */
    const char *kind;       /* pdx_refine_kind_name's names and aliases */
    const char *var;        /* NULL: the kind's default variable */
    double level;           /* NaN: the kind's default level */
    double tolerance;       /* > 0: lattice spacing at most this (axis
                             * units; relative, e.g. 0.02, on log axes) */
    int start;              /* points per setting in round 0 (>= 2) */
    const char *direction;  /* NULL, "increasing", "decreasing" */
    const char *method;     /* NULL or "step", "level" */
    const char *time;       /* NULL ("final"), "best" or a time */
    uint64_t shard_index;   /* settings s with s % count == index ... */
    uint64_t shard_count;   /* ... (0 or 1: all) into OUT.part-I-of-N.h5 */
    int force;              /* start over (the output's results lost) */
    int quiet;              /* no progress */
    int progress_tty;
    int threads;            /* 0: OpenMP's default */
    volatile sig_atomic_t *stop;
    const char *python;     /* NULL: $PDX_PYTHON, else "python3" */
    const char *command_line;
} pdx_refine_settings;

typedef struct pdx_refine_summary {
    int rounds;             /* rounds of the refinement (round 0 too) */
    uint64_t cells_run;     /* cells of the lattice the refinement ran */
    uint64_t cells_lattice; /* cells of the lattice (its settings) */
    uint64_t lattice_n;     /* lattice points along the axis */
    uint64_t settings;      /* settings of the other axes (this shard) */
    char output[4096];      /* the result file */
    char record[4096];      /* the record (JSON) */
    char lattice_spec[4096];/* the lattice spec (YAML) */
} pdx_refine_summary;

/* Defaults: level NaN, start 5, one shard, everything else 0 / NULL. */
pdx_refine_settings pdx_refine_settings_default(void);

/* The kind a name (or alias) stands for ("interpolation", "jump",
 * "divergence", "early_stopping", "trainable_depth", "contour"), or NULL. */
const char *pdx_refine_kind_name(const char *name);

/* Check the settings that need no spec. PDX_OK or PDX_ERR_USAGE with
 * err->key the argument ("tolerance", "kind", "along", "start", "level",
 * "var", "direction", "method", "shard", "threads"). Thread-safe. */
pdx_status pdx_refine_settings_validate(const pdx_refine_settings *s,
                                        pdx_error *err);

/* The dotted name of the axis of `spec` that `along` names: its full name
 * ("data.alpha") or a unique last part ("alpha"); NULL if none or
 * ambiguous. Static storage; thread-safe. */
const char *pdx_refine_axis_name(const pdx_spec *spec, const char *along);

/* The lattice spec of `spec` for axis `along` (as pdx_refine_axis_name) (a key name) at tolerance
 * `tolerance`: *text (malloc'ed, NUL-terminated; the caller frees it) is
 * spec->text with that axis' value replaced; *n its number of values.
 * Returns PDX_OK, PDX_ERR_USAGE (key "along": not an axis of the spec, or
 * not numeric; "tolerance": the lattice would exceed
 * PDX_REFINE_MAX_LATTICE points), PDX_ERR_SPEC (the text cannot be
 * re-read), PDX_ERR_NOMEM. Thread-safe. */
pdx_status pdx_refine_lattice_text(const pdx_spec *spec, const char *along,
                                   double tolerance, char **text, size_t *n,
                                   pdx_error *err);

/* Run the refinement (create, or continue after a stop or a kill) and
 * write its record. Returns PDX_OK, PDX_ERR_STOPPED (resumable: run the
 * same command again), PDX_ERR_USAGE (settings; the planner's refusal,
 * e.g. a variable the file does not have), PDX_ERR_SPEC, PDX_ERR_IO (the
 * planner could not run), PDX_ERR_MISMATCH (the output holds another
 * lattice: use --force or another -o), and the run module's errors. */
pdx_status pdx_refine_run(const pdx_refine_settings *s,
                          pdx_refine_summary *summary, pdx_error *err);

#endif
