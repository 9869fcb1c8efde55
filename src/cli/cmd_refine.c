/* cmd_refine.c — `pdx refine INPUT --along AXIS --kind KIND --tol TOL`:
 * argv into pdx_refine_settings, the outcome into messages and an exit
 * code. The rounds are the refine module's (pdx/refine.h). */
#include "cli_common.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdx/cluster.h"
#include "pdx/refine.h"

static const char *const refine_usage =
    "usage: pdx refine INPUT --along AXIS --kind KIND --tol TOL [-o OUT]\n"
    "                  [--var NAME] [--level L] [--start N] "
    "[--direction D]\n"
    "                  [--method step|level] [--time T] [--shard I/N] "
    "[--threads N]\n"
    "                  [--quiet] [--force]\n\n"
    "Locate a boundary along AXIS for every setting of the other axes of "
    "INPUT\n(a sweep spec, or a result file: its spec), to TOL, running "
    "only the cells\nthat bisection needs. The cells are those of the "
    "lattice spec OUT.refine.yaml\n(INPUT with AXIS replaced by a uniform "
    "grid of spacing <= TOL, containing\nAXIS's own values for a {lin:} or "
    "{log:} axis); they go into OUT (default\n<name>-refine.h5), a pdx "
    "result file of that spec whose other cells stay\npending: each cell "
    "is bit-identical to the same cell of `pdx run\nOUT.refine.yaml`. "
    "Round 0 runs N points per setting (--start, default 5);\neach later "
    "round the lattice midpoint of every bracket that is wider than\none "
    "lattice step, all settings at once. The boundary with its uncertainty\n"
    "per setting goes into OUT.refine.json (docs/FORMAT.md); pdx_analysis\n"
    "loads it (load_refine) and draws it over a phase diagram.\n\n"
    "  --along AXIS      the axis to search along (a numeric axis of INPUT; "
    "its\n"
    "                    smallest and largest values bound the search)\n"
    "  --kind KIND       interpolation (train_error leaves 0), jump, "
    "divergence,\n"
    "                    early_stopping (tau* exists), trainable_depth, "
    "contour\n"
    "  --tol TOL         lattice spacing at most TOL (axis units; on a "
    "{log:} axis\n"
    "                    relative: 0.02 = 2 %)\n"
    "  --var NAME        the variable (contour: required; default: the "
    "kind's)\n"
    "  --level L         the level (contour: required; default: the "
    "kind's)\n"
    "  --start N         round-0 points per setting (default 5)\n"
    "  --direction D     increasing or decreasing: the side above the level "
    "is at\n"
    "                    large (small) AXIS (default: the better step fit)\n"
    "  --method M        step (bracket midpoint, default) or level "
    "(interpolated;\n"
    "                    contour and interpolation)\n"
    "  --time T          final (default), best or a time: which checkpoint\n"
    "  --shard I/N       refine the settings s with s %% N == I into\n"
    "                    OUT.part-I-of-N.h5 (and .refine.json); then `pdx "
    "merge\n"
    "                    --partial OUT OUT.part-*.h5` and this command "
    "without\n"
    "                    --shard writes the whole record (docs/CLUSTERS.md)\n"
    "  -t, --threads N   OpenMP threads\n"
    "  -q, --quiet       no progress\n"
    "  -f, --force       start over (OUT's results are lost)\n\n"
    "Crash-safe and resumable as pdx run: a kill loses at most the running "
    "cells,\nand the same command continues (the rounds are replayed from "
    "the data).\nThe planner is pdx_analysis (python3 -m "
    "pdx_analysis.refine_cli with /usr/bin/python3\nor python3; PDX_PYTHON "
    "names another). Exit codes: 0 "
    "ok, 1 runtime failure, 2 bad usage,\n75 stopped early.\n";

/* A number from an option argument; 0 if it is not one. */
static int parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0)
        return 0;
    *out = v;
    return 1;
}

static int take_refine_option(int c, const char *arg, pdx_refine_settings *s,
                              const char **shard)
{
    switch (c) {
    case 'o': s->output = arg; return -1;
    case 'a': s->along = arg; return -1;
    case 'k': s->kind = arg; return -1;
    case 'v': s->var = arg; return -1;
    case 'd': s->direction = arg; return -1;
    case 'm': s->method = arg; return -1;
    case 'T': s->time = arg; return -1;
    case 'S': *shard = arg; return -1;
    case 'q': s->quiet = 1; return -1;
    case 'f': s->force = 1; return -1;
    case 'l':
        if (!parse_number(arg, &s->level) || !isfinite(s->level))
            return pdx_cli_usage_error("pdx", "--level: '%s' is not a number",
                                       arg);
        return -1;
    case 'e':
        if (!parse_number(arg, &s->tolerance))
            return pdx_cli_usage_error(
                "pdx", "--tol: '%s' is not a number: give a positive "
                       "tolerance", arg);
        return -1;
    case 'n': {
        double v;
        if (!parse_number(arg, &v) || v != floor(v) || v < 2 || v > 1000)
            return pdx_cli_usage_error(
                "pdx", "--start: '%s' is not a number of points (2 .. 1000)",
                arg);
        s->start = (int)v;
        return -1;
    }
    case 't': {
        double v;
        if (!parse_number(arg, &v) || v != floor(v) || v < 1 || v > 4096)
            return pdx_cli_usage_error(
                "pdx", "--threads: '%s' is not a thread count", arg);
        s->threads = (int)v;
        return -1;
    }
    case 'h': fputs(refine_usage, stdout); return 0;
    default: return 2;
    }
}

static int parse_refine_args(int argc, char **argv, pdx_refine_settings *s)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"along", required_argument, 0, 'a'},
        {"kind", required_argument, 0, 'k'},
        {"var", required_argument, 0, 'v'},
        {"level", required_argument, 0, 'l'},
        {"tol", required_argument, 0, 'e'},
        {"tolerance", required_argument, 0, 'e'},
        {"start", required_argument, 0, 'n'},
        {"direction", required_argument, 0, 'd'},
        {"method", required_argument, 0, 'm'},
        {"time", required_argument, 0, 'T'},
        {"shard", required_argument, 0, 'S'},
        {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},
        {"force", no_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *shard = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qfh", opts, NULL)) != -1) {
        int rc = take_refine_option(c, optarg, s, &shard);
        if (rc >= 0)
            return rc;
    }
    if (optind != argc - 1)
        return pdx_cli_usage_error(
            "pdx", "refine needs exactly one INPUT (a spec or a result file)");
    s->input = argv[optind];
    pdx_error err;
    pdx_error_clear(&err);
    if (shard != NULL && pdx_cluster_parse_shard(shard, &s->shard_index,
                                                 &s->shard_count,
                                                 &err) != PDX_OK)
        return pdx_cli_report(&err);
    if (s->tolerance == 0.0 && s->kind != NULL && s->along != NULL &&
        pdx_refine_kind_name(s->kind) != NULL)
        return pdx_cli_usage_error("pdx", "--tol: give a positive tolerance "
                                          "(none given, or 0)");
    if (pdx_refine_settings_validate(s, &err) != PDX_OK)
        return pdx_cli_usage_error("pdx", "%s", err.message);
    return -1;
}

int pdx_cli_refine(int argc, char **argv, const char *command_line)
{
    pdx_refine_settings s = pdx_refine_settings_default();
    int rc = parse_refine_args(argc, argv, &s);
    if (rc >= 0)
        return rc;
    s.command_line = command_line;
    s.progress_tty = isatty(2);
    s.stop = pdx_cli_stop_flag();
    pdx_refine_summary sum;
    pdx_error err;
    pdx_error_clear(&err);
    pdx_status st = pdx_refine_run(&s, &sum, &err);
    if (st != PDX_OK)
        return pdx_cli_report(&err);
    fprintf(stderr,
            "pdx: refine: %llu settings, %d rounds, %llu of %llu lattice "
            "cells run (%.1f %%; lattice of %llu points along %s)\n"
            "pdx: refine: cells in %s, boundary in %s, lattice spec %s\n",
            (unsigned long long)sum.settings, sum.rounds,
            (unsigned long long)sum.cells_run,
            (unsigned long long)sum.cells_lattice,
            sum.cells_lattice ? 100.0 * (double)sum.cells_run /
                                    (double)sum.cells_lattice
                              : 0.0,
            (unsigned long long)sum.lattice_n, s.along, sum.output,
            sum.record, sum.lattice_spec);
    return 0;
}
