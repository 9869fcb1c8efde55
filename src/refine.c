/* refine.c — `pdx refine`'s rounds: write the lattice spec, ask the
 * planner (pdx_analysis, a child process) which cells the current round
 * still needs, run them with the run module (a task mask), repeat; then
 * have the planner write the record. Why the planner is Python:
 * docs/ARCHITECTURE.md, "pdx refine". */
#include "pdx/refine.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileutil.h"
#include "pdx/grid.h"
#include "pdx/run.h"
#include "pdx/store.h"

extern char **environ;

#ifndef PDX_ANALYSIS_DIR
#define PDX_ANALYSIS_DIR ""
#endif

pdx_refine_settings pdx_refine_settings_default(void)
{
    pdx_refine_settings s;
    memset(&s, 0, sizeof s);
    s.level = NAN;
    s.start = 5;
    return s;
}

static const char *const kind_names[][2] = {
    {"interpolation", "interpolation"}, {"capacity", "interpolation"},
    {"jump", "jump"}, {"first-order", "jump"}, {"divergence", "divergence"},
    {"early_stopping", "early_stopping"}, {"early-stopping", "early_stopping"},
    {"tau", "early_stopping"}, {"trainable_depth", "trainable_depth"},
    {"trainable-depth", "trainable_depth"}, {"depth", "trainable_depth"},
    {"contour", "contour"}};

const char *pdx_refine_kind_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof kind_names / sizeof *kind_names; i++)
        if (strcmp(name, kind_names[i][0]) == 0)
            return kind_names[i][1];
    return NULL;
}

static pdx_status usage(pdx_error *err, const char *key, const char *msg)
{
    return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, key, "%s", msg);
}

pdx_status pdx_refine_settings_validate(const pdx_refine_settings *s,
                                        pdx_error *err)
{
    if (s->input == NULL || s->input[0] == '\0')
        return usage(err, "input", "no spec or result file given");
    if (s->along == NULL || s->along[0] == '\0')
        return usage(err, "along", "--along: name the axis along which to "
                                   "locate the boundary (e.g. data.alpha)");
    if (s->kind == NULL)
        return usage(err, "kind", "--kind: name the boundary (interpolation, "
                                  "jump, divergence, early_stopping, "
                                  "trainable_depth, contour)");
    if (pdx_refine_kind_name(s->kind) == NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "kind",
                             "--kind: unknown boundary kind '%s' (interpolation,"
                             " jump, divergence, early_stopping, "
                             "trainable_depth, contour)", s->kind);
    if (!(s->tolerance > 0.0) || !isfinite(s->tolerance))
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "tolerance",
                             "--tol: '%g' is not a tolerance: give a positive "
                             "number (axis units; relative on log axes)",
                             s->tolerance);
    if (strcmp(pdx_refine_kind_name(s->kind), "contour") == 0 &&
        (s->var == NULL || isnan(s->level)))
        return usage(err, s->var == NULL ? "var" : "level",
                     "--kind contour needs --var NAME and --level VALUE");
    if (!isnan(s->level) && !isfinite(s->level))
        return usage(err, "level", "--level: give a finite number");
    if (s->start < 2 || s->start > 1000)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "start",
                             "--start: %d is not a number of points (2 .. "
                             "1000)", s->start);
    if (s->direction && strcmp(s->direction, "increasing") != 0 &&
        strcmp(s->direction, "decreasing") != 0)
        return usage(err, "direction",
                     "--direction: increasing or decreasing");
    if (s->method && strcmp(s->method, "step") && strcmp(s->method, "level"))
        return usage(err, "method", "--method: step or level");
    if (s->shard_count > 1 && s->shard_index >= s->shard_count)
        return usage(err, "shard", "--shard: no such shard");
    if (s->threads < 0 || s->threads > PDX_RUN_MAX_THREADS)
        return usage(err, "threads", "--threads: not a thread count");
    return PDX_OK;
}

/* The spec text of `input`: a result file's stored spec, or the file. */
static pdx_status read_input(const char *input, pdx_spec **spec,
                             pdx_error *err)
{
    pdx_file_kind kind = PDX_FILE_ABSENT;
    pdx_status st = pdx_store_file_kind(input, &kind, err);
    if (st != PDX_OK)
        return st;
    if (kind == PDX_FILE_ABSENT || kind == PDX_FILE_NOT_REGULAR)
        return pdx_error_set(err, PDX_ERR_USAGE, input, 0, 0, "input",
                             "%s: no such spec or result file", input);
    if (kind == PDX_FILE_THEORY || kind == PDX_FILE_FOREIGN_HDF5)
        return pdx_error_set(err, PDX_ERR_USAGE, input, 0, 0, "input",
                             "%s is %s, not a spec or a result file", input,
                             pdx_file_kind_text(kind));
    if (kind != PDX_FILE_RESULT)
        return pdx_spec_parse_file(spec, input, err);
    pdx_store_info info;
    st = pdx_store_inspect(input, &info, err);
    if (st == PDX_OK)
        st = pdx_spec_parse_string(spec, info.spec_text, info.spec_length,
                                   info.spec_path && info.spec_path[0]
                                       ? info.spec_path
                                       : input,
                                   err);
    pdx_store_info_clear(&info);
    return st;
}

/* Write `text` to `path` (temporary name, fsync, rename) unless the file
 * already holds exactly it. *changed: 1 if the file held something else;
 * then it is replaced only when `replace`. */
static pdx_status write_text(const char *path, const char *text, int replace,
                             int *changed, pdx_error *err)
{
    size_t len = strlen(text);
    *changed = 0;
    FILE *f = fopen(path, "rb");
    if (f != NULL) {
        char *old = malloc(len + 2);
        size_t got = old ? fread(old, 1, len + 1, f) : 0;
        int same = old != NULL && got == len && memcmp(old, text, len) == 0;
        free(old);
        fclose(f);
        if (same)
            return PDX_OK;
        *changed = 1;
        if (!replace)
            return PDX_OK;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0 && write(fd, text, len) == (ssize_t)len &&
             fsync(fd) == 0;
    if (fd >= 0)
        ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return pdx_error_set(err, PDX_ERR_IO, path, 0, 0, NULL,
                             "cannot write %s: %s", path, strerror(e));
    }
    return pdx_file_fsync_directory_of(path, err);
}

/* The file names: OUT.h5 (OUT.part-I-of-N.h5 for a shard), its record and
 * the lattice spec (shared by the shards). */
static pdx_status name_files(const pdx_refine_settings *s,
                             const pdx_spec *spec, pdx_refine_summary *sum,
                             pdx_error *err)
{
    char base[4000];
    if (s->output != NULL)
        snprintf(base, sizeof base, "%s", s->output);
    else
        snprintf(base, sizeof base, "%s-refine.h5", spec->base.name);
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".h5") == 0)
        base[n - 3] = '\0';
    else if (s->output != NULL)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "output",
                             "--output: '%s' does not end in .h5", s->output);
    snprintf(sum->lattice_spec, sizeof sum->lattice_spec, "%s.refine.yaml",
             base);
    char stem[4200];
    snprintf(stem, sizeof stem, "%s", base);
    if (s->shard_count > 1) {
        int w = snprintf(NULL, 0, "%llu", (unsigned long long)s->shard_count - 1);
        snprintf(stem, sizeof stem, "%s.part-%0*llu-of-%llu", base, w,
                 (unsigned long long)s->shard_index,
                 (unsigned long long)s->shard_count);
    }
    if (strlen(stem) + 16 > sizeof sum->output)
        return pdx_error_set(err, PDX_ERR_USAGE, NULL, 0, 0, "output",
                             "--output: the file name is too long");
    snprintf(sum->output, sizeof sum->output, "%s.h5", stem);
    snprintf(sum->record, sizeof sum->record, "%s.refine.json", stem);
    return PDX_OK;
}

/* Arguments shared by the planner's two actions. */
typedef struct planner {
    const pdx_refine_settings *s;
    const pdx_refine_summary *sum;
    const pdx_grid *grid;
    size_t along_index;
    const char *python;
    const char *along; /* the axis' dotted name */
} planner;

/* The planner's argv for `action` (report: with the record's path). The
 * strings of `buf` (NBUF x 1024 bytes) hold the numbers. */
enum { NBUF = 8 };
static void planner_args(const planner *p, const char *action, int exists,
                         const char *argv[48], char buf[NBUF][1024])
{
    const pdx_refine_settings *s = p->s;
    char *shape = buf[0], *level = buf[1], *start = buf[2], *shard = buf[3],
         *along_i = buf[4], *tol = buf[5];
    size_t used = 0;
    shape[0] = '\0';
    for (size_t a = 0; a < p->grid->n_axes && used < 1000; a++)
        used += (size_t)snprintf(shape + used, 1024 - used, "%s%zu",
                                 a ? "," : "", p->grid->shape[a]);
    snprintf(level, 1024, "%.17g", s->level);
    snprintf(start, 1024, "%d", s->start);
    snprintf(along_i, 1024, "%zu", p->along_index);
    snprintf(shard, 1024, "%llu/%llu",
             (unsigned long long)(s->shard_count > 1 ? s->shard_index : 0),
             (unsigned long long)(s->shard_count > 1 ? s->shard_count : 1));
    snprintf(tol, 1024, "%.17g", s->tolerance);
    int n = 0;
    argv[n++] = p->python;
    argv[n++] = "-m";
    argv[n++] = "pdx_analysis.refine_cli";
    argv[n++] = action;
    argv[n++] = "--file";
    argv[n++] = p->sum->output;
    argv[n++] = "--exists";
    argv[n++] = exists ? "1" : "0";
    argv[n++] = "--shape";
    argv[n++] = shape;
    argv[n++] = "--along";
    argv[n++] = p->along;
    argv[n++] = "--along-index";
    argv[n++] = along_i;
    argv[n++] = "--kind";
    argv[n++] = s->kind;
    argv[n++] = "--start";
    argv[n++] = start;
    argv[n++] = "--shard";
    argv[n++] = shard;
    argv[n++] = "--tolerance";
    argv[n++] = tol;
    if (s->var) {
        argv[n++] = "--var";
        argv[n++] = s->var;
    }
    if (!isnan(s->level)) {
        argv[n++] = "--level";
        argv[n++] = level;
    }
    if (s->direction) {
        argv[n++] = "--direction";
        argv[n++] = s->direction;
    }
    if (s->method) {
        argv[n++] = "--method";
        argv[n++] = s->method;
    }
    if (s->time) {
        argv[n++] = "--time";
        argv[n++] = s->time;
    }
    if (strcmp(action, "report") == 0) {
        argv[n++] = "--report";
        argv[n++] = p->sum->record;
        argv[n++] = "--command-line";
        argv[n++] = s->command_line ? s->command_line : "";
    }
    argv[n] = NULL;

}

/* Run the planner with `action`; its stdout into *out (malloc'ed; NULL
 * when out is NULL: not captured). */
static pdx_status call_planner(const planner *p, const char *action,
                               int exists, char **out, pdx_error *err)
{
    const char *argv[48];
    char numbers[NBUF][1024];
    planner_args(p, action, exists, argv, numbers);
    int fds[2] = {-1, -1};
    if (out != NULL && pipe(fds) != 0)
        return pdx_error_set(err, PDX_ERR_IO, NULL, 0, 0, NULL,
                             "cannot make a pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out != NULL) {
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
    }
    pid_t pid;
    union { const char **c; char *const *m; } args = {argv};
    int rc = posix_spawnp(&pid, p->python, &fa, NULL, args.m, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (out != NULL)
        close(fds[1]);
    if (rc != 0) {
        if (out != NULL)
            close(fds[0]);
        return pdx_error_set(err, PDX_ERR_IO, NULL, 0, 0, "python",
                             "cannot start the planner '%s -m "
                             "pdx_analysis.refine_cli': %s (set PDX_PYTHON to a "
                             "Python 3 with pdx_analysis)", p->python,
                             strerror(rc));
    }
    size_t cap = 4096, len = 0;
    char *buf = out ? malloc(cap) : NULL;
    for (ssize_t got = 1; out != NULL && buf != NULL && got > 0;) {
        if (len + 1024 > cap) {
            char *b = realloc(buf, cap *= 2);
            if (b == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
        }
        got = read(fds[0], buf + len, cap - len - 1);
        if (got > 0)
            len += (size_t)got;
    }
    if (out != NULL)
        close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out != NULL && buf == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot read the planner's output");
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    if (code != 0) {
        free(buf);
        return pdx_error_set(err, code == 2 ? PDX_ERR_USAGE : PDX_ERR_IO,
                             NULL, 0, 0, "planner",
                             "the planner (%s -m pdx_analysis.refine_cli %s) "
                             "failed with exit %d (its message is above; a "
                             "missing module: set PYTHONPATH or PDX_PYTHON)",
                             p->python, action, code);
    }
    if (out != NULL) {
        buf[len] = '\0';
        *out = buf;
    }
    return PDX_OK;
}

/* Run the cells listed in `plan` (one flat cell index a line, then
 * "round R") with the run module. *cells: how many were listed. */
static pdx_status run_round(const pdx_refine_settings *s,
                            const pdx_refine_summary *sum,
                            const pdx_grid *grid, const char *plan, int force,
                            uint64_t *cells, int *round, pdx_error *err)
{
    uint8_t *mask = calloc((size_t)grid->n_tasks, 1);
    if (mask == NULL)
        return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                             "cannot allocate the task mask");
    *cells = 0;
    *round = -1;
    for (const char *line = plan; *line;) {
        char *next;
        if (strncmp(line, "round ", 6) == 0) {
            *round = atoi(line + 6);
        } else {
            unsigned long long c = strtoull(line, &next, 10);
            if (next == line || c >= grid->n_cells) {
                free(mask);
                return pdx_error_set(err, PDX_ERR_INTERNAL, NULL, 0, 0,
                                     "planner", "the planner named no cell "
                                     "of the lattice: '%.40s'", line);
            }
            memset(mask + c * grid->replicas, 1, (size_t)grid->replicas);
            (*cells)++;
        }
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    if (*cells == 0) {
        free(mask);
        return PDX_OK;
    }
    pdx_run_settings rs = pdx_run_settings_default();
    rs.output = sum->output;
    rs.shard_index = 0;
    rs.shard_count = 1;
    rs.force = force;
    rs.quiet = s->quiet;
    rs.progress_tty = s->progress_tty;
    rs.threads = s->threads;
    rs.stop = s->stop;
    rs.command_line = s->command_line;
    rs.task_mask = mask;
    pdx_run *run = NULL;
    pdx_run_outcome outcome;
    pdx_sweep_summary ss;
    pdx_status st = pdx_run_create(&run, sum->lattice_spec, &rs, err);
    if (st == PDX_OK)
        st = pdx_run_open(run, &outcome, err);
    if (st == PDX_OK) {
        pdx_run_action a = outcome.decision.action;
        if (a == PDX_RUN_REFUSE)
            st = pdx_error_set(err, PDX_ERR_MISMATCH, sum->output, 0, 0,
                               "output", "%s: %s %s (use another -o, or "
                               "--force to start over)", sum->output,
                               outcome.decision.reason,
                               outcome.reason.message);
        else if (a != PDX_RUN_CREATE && a != PDX_RUN_RESUME &&
                 a != PDX_RUN_EXTEND)
            st = pdx_error_set(err, PDX_ERR_MISMATCH, sum->output, 0, 0,
                               "output", "%s is a finished file (%s): pdx "
                               "refine continues only its own working files; "
                               "use another -o", sum->output,
                               outcome.decision.reason);
    }
    if (st == PDX_OK) {
        st = pdx_run_execute(run, &ss, err);
        /* never the repack: the file stays a working file with the cells
         * not needed pending, so later rounds (and other kinds) add to it;
         * finishing with a non-OK status only makes it durable */
        pdx_error ferr;
        pdx_error_clear(&ferr);
        pdx_status fs = pdx_run_finish(run, PDX_ERR_STOPPED, &ferr);
        if (st == PDX_OK && fs != PDX_OK) {
            st = fs;
            *err = ferr;
        }
    }
    pdx_run_destroy(&run);
    free(mask);
    return st;
}

pdx_status pdx_refine_run(const pdx_refine_settings *s,
                          pdx_refine_summary *sum, pdx_error *err)
{
    memset(sum, 0, sizeof *sum);
    pdx_status st = pdx_refine_settings_validate(s, err);
    if (st != PDX_OK)
        return st;
    pdx_spec *spec = NULL, *lattice = NULL;
    pdx_grid *grid = NULL;
    char *text = NULL, *plan = NULL;
    size_t n = 0;
    st = read_input(s->input, &spec, err);
    if (st == PDX_OK)
        st = pdx_refine_lattice_text(spec, s->along, s->tolerance, &text, &n,
                                     err);
    if (st == PDX_OK)
        st = name_files(s, spec, sum, err);
    int changed = 0;
    if (st == PDX_OK) {
        int exists = access(sum->output, F_OK) == 0;
        st = write_text(sum->lattice_spec, text, !exists || s->force,
                        &changed, err);
        if (st == PDX_OK && changed && exists && !s->force)
            st = pdx_error_set(err, PDX_ERR_USAGE, sum->output, 0, 0,
                               "output", "%s holds a refinement of another "
                               "lattice (%s changed: another spec, axis range "
                               "or --tol); use another -o, or --force to "
                               "start over", sum->output, sum->lattice_spec);
    }
    if (st == PDX_OK)
        st = pdx_spec_parse_string(&lattice, text, strlen(text),
                                   sum->lattice_spec, err);
    if (st == PDX_OK)
        st = pdx_grid_create(&grid, lattice, err);
    planner p = {s, sum, grid, 0, s->python,
                 st == PDX_OK ? pdx_refine_axis_name(lattice, s->along)
                              : NULL};
    /* Debian's numpy, h5py and xarray are installed for /usr/bin/python3,
     * which another python3 first on PATH may lack (a venv, a conda) */
    if (p.python == NULL)
        p.python = getenv("PDX_PYTHON")                ? getenv("PDX_PYTHON")
                   : access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                          : "python3";
    if (st == PDX_OK) {
        int id = pdx_spec_key_find(p.along);
        for (size_t a = 0; a < lattice->n_axes; a++)
            if ((int)lattice->axes[a].key == id)
                p.along_index = a;
        sum->lattice_n = n;
        sum->settings = grid->n_cells / n;
        if (s->shard_count > 1)
            sum->settings = (sum->settings + s->shard_count - 1 -
                             s->shard_index) / s->shard_count;
        sum->cells_lattice = sum->settings * n;
        /* the source tree's pdx_analysis, when pdx runs from its build */
        struct stat sb;
        if (getenv("PYTHONPATH") == NULL && PDX_ANALYSIS_DIR[0] &&
            stat(PDX_ANALYSIS_DIR, &sb) == 0)
            setenv("PYTHONPATH", PDX_ANALYSIS_DIR, 0);
    }
    int force = s->force, last_round = -1;
    uint64_t last_cells = 0;
    while (st == PDX_OK) {
        int exists = access(sum->output, F_OK) == 0 && !force;
        free(plan);
        plan = NULL;
        st = call_planner(&p, "plan", exists, &plan, err);
        if (st != PDX_OK && s->stop != NULL && *s->stop)
            /* a Ctrl-C reaches the planner too: a stop, not a failure */
            st = pdx_error_set(err, PDX_ERR_STOPPED, NULL, 0, 0, NULL,
                               "stopped by a signal; run the same command "
                               "again to continue");
        uint64_t cells = 0;
        int round = -1;
        if (st == PDX_OK)
            st = run_round(s, sum, grid, plan, force, &cells, &round, err);
        if (st != PDX_OK)
            break;
        sum->rounds = round + 1;
        if (cells == 0)
            break;
        if (round == last_round && cells >= last_cells && !force) {
            st = pdx_error_set(err, PDX_ERR_INTERNAL, NULL, 0, 0, "planner",
                               "round %d: its cells ran but are still "
                               "pending", round);
            break;
        }
        last_round = round;
        last_cells = cells;
        force = 0;
    }
    if (st == PDX_OK)
        st = call_planner(&p, "report", 1, NULL, err);
    if (st == PDX_OK) {
        /* the cells run: every finished cell of the file counts, as the
         * record's cells_run (the record is the authority) */
        FILE *f = fopen(sum->record, "r");
        char head[65536];
        size_t got = f ? fread(head, 1, sizeof head - 1, f) : 0;
        if (f)
            fclose(f);
        head[got] = '\0';
        const char *c = strstr(head, "\"cells_run\":");
        if (c)
            sum->cells_run = strtoull(c + 12, NULL, 10);
    }
    free(plan);
    free(text);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&lattice);
    pdx_spec_destroy(&spec);
    return st;
}
