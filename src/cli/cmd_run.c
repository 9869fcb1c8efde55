/* cmd_run.c — `pdx run SPEC`: argv into pdx_run_settings, the run's
 * outcome into messages and an exit code. The policy (which file, resume,
 * extend, refuse, finish, MPI merge) is the run module's (pdx/run.h). */
#include "cli_common.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdx/cluster.h"
#include "pdx/run.h"

/* Number of stop signals received (SIGINT, SIGTERM, SIGUSR1). */
static volatile sig_atomic_t stop_requested = 0;

static void on_stop_signal(int sig)
{
    (void)sig;
    if (stop_requested < 100)
        stop_requested++;
}

volatile sig_atomic_t *pdx_cli_stop_flag(void)
{
    return &stop_requested;
}

void pdx_cli_run_catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* a stop signal blocked by whoever started us (the mask survives
     * exec) is still a stop request: take it, now that it is caught */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &stops, NULL);
}

/* A stop that came before any task ran (issue 21: SIGTERM in the first
 * milliseconds killed pdx with 143): exit 75 with nothing written. */
static int stopped_before_work(void)
{
    pdx_error err;
    pdx_error_clear(&err);
    pdx_error_set(&err, PDX_ERR_STOPPED, NULL, 0, 0, NULL,
                  "stopped by a signal before any task ran; run the same "
                  "command again to run them");
    return pdx_cli_report(&err);
}

static const char *const run_usage =
    "usage: pdx run SPEC [KEY=VALUE ...] [-o OUT] [--threads N] [--quiet] "
    "[--force]\n"
    "               [--extend] [--shard I/N] [--grace SECONDS] [--fsync] "
    "[--bundle N]\n"
    "               [--commit-window SECONDS]\n\n"
    "Run every task (cell x replica) of SPEC into the HDF5 file "
    "OUT (default:\n<name>.h5). Finished tasks are committed "
    "within the commit window, so\nthe file is valid at every moment "
    "and a kill loses at most the tasks\nfinished in the last window; "
    "running the same command again resumes an interrupted run\n(finished "
    "tasks are kept, the others run again). Every finished task of an\n"
    "existing OUT is first checked against its checksum: damaged tasks "
    "are listed\nby cell and run again, even in a finished file.\n\n"
    "  KEY=VALUE          replace a key of SPEC, e.g. train.alpha=20 or\n"
    "                     'data.alpha={log: [0.5, 8, 9]}' (VALUE is YAML); "
    "recorded\n"
    "                     in OUT's spec text, so give the same overrides "
    "to resume\n"
    "  -o, --output OUT   result file\n"
    "  -t, --threads N    OpenMP threads (default: "
    "OMP_NUM_THREADS or all cores)\n"
    "  -q, --quiet        no progress on stderr\n"
    "  -f, --force        start over, replacing the results in "
    "OUT (only a pdx\n"
    "                     result file: a theory file, a spec or "
    "any other file is\n"
    "                     never written over, even with --force)"
    "\n"
    "      --extend       SPEC adds axis values or replicas to "
    "the spec of OUT: keep\n"
    "                     OUT's results, run only the new "
    "tasks\n"
    "      --shard I/N    run shard I of N (a cost-balanced "
    "share of the tasks) into\n"
    "                     OUT.shard-I-of-N.h5; `pdx merge` "
    "joins the shards. Default\n"
    "                     in a SLURM array job: the array task "
    "of the array's tasks\n"
    "      --grace S      after a stop signal, running tasks "
    "have S seconds to\n"
    "                     finish (default 20); the others are "
    "run again on resume\n"
    "      --fsync        fsync after every commit (node "
    "crashes)\n"
    "      --commit-window S  finished tasks are committed together "
    "at most S\n"
    "                     seconds after they finish (default 1; 0: "
    "each task or\n"
    "                     bundle at once): one write per variable "
    "and one flush\n"
    "                     pair per group, for sweeps of many tiny "
    "tasks\n"
    "      --bundle N     online tasks of one replica share "
    "each input, up to N\n"
    "                     at a time (default 8; 1 = alone); "
    "results are identical\n"
    "\nProgress: a live bar on a terminal, a line every 10 s "
    "otherwise.\nSIGINT, SIGTERM, SIGUSR1: stop taking tasks, "
    "let running ones finish within\nthe grace period, keep what "
    "is done, exit 75 (a second signal stops at once).\nUnder "
    "mpirun (a -Dmpi=enabled build) each rank runs one shard and "
    "rank 0\nmerges them into OUT.\n"
    "\nOverwrite policy (as pdx theory and pdx merge): a result file "
    "is never replaced\nwithout --force; --force and --extend "
    "together are refused. If OUT is a\nsymbolic link, its target "
    "is written. Exit codes: 0 ok, 1 runtime failure,\n2 bad usage, "
    "bad spec or a refused output, 75 stopped early.\n";

/* A whole number in [1, max] from an option argument; 0 if it is not. */
static int parse_count(const char *text, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || v < 1 || v > max)
        return 0;
    *out = (int)v;
    return 1;
}

/* One option of `pdx run` into the settings; -1 to go on, else the exit
 * code (an error printed). */
static int take_option(int c, const char *arg, pdx_run_settings *s,
                       const char **shard_text)
{
    switch (c) {
    case 'o': s->output = arg; return -1;
    case 't':
        if (!parse_count(arg, PDX_RUN_MAX_THREADS, &s->threads))
            return pdx_cli_usage_error(
                "pdx", "--threads: '%s' is not a thread count (1 .. %d)",
                arg, PDX_RUN_MAX_THREADS);
        return -1;
    case 'q': s->quiet = 1; return -1;
    case 'f': s->force = 1; return -1;
    case 's': s->fsync_each = 1; return -1;
    case 'b':
        if (!parse_count(arg, PDX_RUN_MAX_BUNDLE, &s->bundle))
            return pdx_cli_usage_error(
                "pdx", "--bundle: '%s' is not a bundle size (1 .. %d)", arg,
                PDX_RUN_MAX_BUNDLE);
        return -1;
    case 'S': *shard_text = arg; return -1;
    case 'e': s->extend = 1; return -1;
    case 'g': {
        char *end;
        s->grace = strtod(arg, &end);
        if (*end != '\0' || !(s->grace >= 0.0) ||
            s->grace > PDX_RUN_MAX_GRACE)
            return pdx_cli_usage_error(
                "pdx", "--grace: '%s' is not a number of seconds", arg);
        return -1;
    }
    case 'w': {
        char *end;
        s->commit_window = strtod(arg, &end);
        if (*end != '\0' || !(s->commit_window >= 0.0) ||
            s->commit_window > PDX_SWEEP_MAX_COMMIT_WINDOW)
            return pdx_cli_usage_error(
                "pdx", "--commit-window: '%s' is not a number of seconds "
                "(0 .. %g)", arg, PDX_SWEEP_MAX_COMMIT_WINDOW);
        return -1;
    }
    case 'h': fputs(run_usage, stdout); return 0;
    default: return 2;
    }
}

/* argv into settings and the spec path; -1 to go on, else the exit code. */
static int parse_run_args(int argc, char **argv, pdx_run_settings *s,
                          const char **spec_path)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},
        {"force", no_argument, 0, 'f'},
        {"fsync", no_argument, 0, 's'},
        {"bundle", required_argument, 0, 'b'},
        {"shard", required_argument, 0, 'S'},
        {"extend", no_argument, 0, 'e'},
        {"grace", required_argument, 0, 'g'},
        {"commit-window", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *shard_text = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:t:qfh", opts, NULL)) != -1) {
        int rc = take_option(c, optarg, s, &shard_text);
        if (rc >= 0)
            return rc;
    }
    if (optind >= argc)
        return pdx_cli_usage_error("pdx", "run needs exactly one SPEC file");
    *spec_path = argv[optind];
    int rc = pdx_cli_take_overrides(argc - optind - 1, argv + optind + 1,
                                    "run");
    if (rc >= 0)
        return rc;
    s->overrides = (const char *const *)(argv + optind + 1);
    s->n_overrides = (size_t)(argc - optind - 1);
    pdx_error err;
    pdx_error_clear(&err);
    if (shard_text != NULL && s->mpi_size > 1)
        s->shard_count = 1; /* given: refused below, whatever the text */
    else if (shard_text != NULL &&
             pdx_cluster_parse_shard(shard_text, &s->shard_index,
                                     &s->shard_count, &err) != PDX_OK)
        return pdx_cli_report(&err);
    if (pdx_run_settings_validate(s, &err) != PDX_OK)
        return pdx_cli_usage_error("pdx", "%s", err.message);
    return -1;
}

/* Print why an existing output file is refused, and return exit code 2. */
static int refuse_existing(const pdx_run_outcome *o)
{
    char buf[1200];
    pdx_error_format(&o->reason, buf, sizeof buf);
    if (o->decision.even_forced) { /* not a pdx result file */
        fprintf(stderr, "pdx: error: %s\n", buf);
        return 2;
    }
    if (o->spec_extends >= 0) { /* a file of another spec (issue 21) */
        fprintf(stderr,
                "pdx: error: %s already exists and does not match this spec "
                "(%s);\n%s",
                o->path, o->reason.message,
                o->spec_extends
                    ? "this spec extends it: use --extend to keep its "
                      "results and run only the new tasks (or -o to choose "
                      "another file; --force starts over and discards its "
                      "results)\n"
                    : "--extend cannot keep its results; use -o to choose "
                      "another file (--force starts over and discards its "
                      "results)\n");
        return 2;
    }
    fprintf(stderr,
            "pdx: error: %s already exists and does not match this spec "
            "(%s);\n%suse --force to start over, or -o to choose another "
            "file\n",
            o->path, buf,
            o->decision.hint_extend
                ? "use --extend if this spec only adds axis values or "
                  "replicas to it, "
                : "");
    return 2;
}

static void print_start(const pdx_run *run)
{
    const pdx_spec *spec = pdx_run_spec(run);
    const pdx_grid *grid = pdx_run_grid(run);
    if (pdx_run_shard_count(run) > 1)
        fprintf(stderr, "pdx: %s: shard %llu of %llu of %llu tasks "
                        "(%llu cells x %llu replicas) on %d threads -> "
                        "%s\n",
                spec->path, (unsigned long long)pdx_run_shard_index(run),
                (unsigned long long)pdx_run_shard_count(run),
                (unsigned long long)grid->n_tasks,
                (unsigned long long)grid->n_cells,
                (unsigned long long)grid->replicas, pdx_run_threads(run),
                pdx_run_file_path(run));
    else
        fprintf(stderr, "pdx: %s: %llu tasks (%llu cells x %llu "
                        "replicas) on %d threads -> %s\n",
                spec->path, (unsigned long long)grid->n_tasks,
                (unsigned long long)grid->n_cells,
                (unsigned long long)grid->replicas, pdx_run_threads(run),
                pdx_run_file_path(run));
}

static void print_summary(const pdx_sweep_summary *summary)
{
    fprintf(stderr,
            "pdx: %llu tasks run (%llu done, %llu diverged, %llu "
            "failed; %llu already done) in %.3f s, %.3g SGD "
            "steps/s; %llu commits in %.3f s\n",
            (unsigned long long)summary->run,
            (unsigned long long)summary->done,
            (unsigned long long)summary->diverged,
            (unsigned long long)summary->failed,
            (unsigned long long)summary->skipped, summary->wall_seconds,
            summary->wall_seconds > 0
                ? summary->steps / summary->wall_seconds
                : 0.0,
            (unsigned long long)summary->commits, summary->commit_seconds);
}

/* Run the sweep into the opened output and finish the file; returns the
 * exit code (errors printed). */
static int execute(pdx_run *run, int quiet)
{
    pdx_error err;
    pdx_error_clear(&err);
    pdx_sweep_summary summary;
    if (!quiet)
        print_start(run);
    pdx_status st = pdx_run_execute(run, &summary, &err);
    if (st != PDX_OK && !pdx_run_has_store(run))
        return pdx_cli_report(&err); /* the file could not be created */
    if (st != PDX_OK) {
        pdx_error sync_err;
        if (pdx_run_finish(run, st, &sync_err) != PDX_OK && !quiet)
            pdx_cli_report(&sync_err);
        int rc = pdx_cli_report(&err);
        if (err.status == PDX_ERR_IO)
            fprintf(stderr, "pdx: %s is valid and keeps every finished "
                            "task: free some space (or fix the error) "
                            "and run the same command again to "
                            "resume\n",
                    pdx_run_file_path(run));
        return rc;
    }
    if (pdx_run_finish(run, PDX_OK, &err) != PDX_OK) {
        int rc = pdx_cli_report(&err);
        fprintf(stderr, "pdx: %s is valid and holds every task "
                        "(uncompressed): free some space and run the "
                        "same command again to finish it\n",
                pdx_run_file_path(run));
        return rc;
    }
    if (!quiet)
        print_summary(&summary);
    return 0;
}

/* What the check of the file's checksums found (stderr): damaged tasks by
 * cell, always; a file without checksums, unless quiet. */
static void report_check(const pdx_run *run, const pdx_run_outcome *o,
                         int quiet)
{
    const pdx_store_verify_report *v = o->verify;
    if (v == NULL)
        return;
    const char *file = o->decision.action == PDX_RUN_EXTEND && o->base != NULL
                           ? o->base
                           : o->path;
    if (v->n_damaged > 0) {
        fprintf(stderr,
                "pdx: warning: %s: %llu of %llu finished tasks are damaged "
                "(their data do not match their checksum): not trusted, "
                "run again%s:\n",
                file, (unsigned long long)v->n_damaged,
                (unsigned long long)v->finished,
                o->decision.about_merged ? " by the shards they belong to"
                                         : "");
        for (uint64_t i = 0; i < v->n_damaged && i < 16; i++) {
            char where[512];
            pdx_grid_describe_task(pdx_run_grid(run), v->damaged[i], where,
                                   sizeof where);
            fprintf(stderr, "  task %llu: %s\n",
                    (unsigned long long)v->damaged[i], where);
        }
        if (v->n_damaged > 16)
            fprintf(stderr, "  ... and %llu more\n",
                    (unsigned long long)(v->n_damaged - 16));
    } else if (!v->verified && v->finished > 0 && !quiet) {
        fprintf(stderr, "pdx: note: %s has no checksums (written by an "
                        "older pdx): its %llu finished tasks are kept "
                        "unverified\n",
                file, (unsigned long long)v->finished);
    }
}

/* Open the output as the run module decides, then run or not; returns
 * the exit code. *nothing_to_do: the sweep's merged file is complete. */
static int open_and_execute(pdx_run *run, const pdx_run_settings *s,
                            int *nothing_to_do)
{
    pdx_error err;
    pdx_error_clear(&err);
    pdx_run_outcome o;
    pdx_status st = pdx_run_open(run, &o, &err);
    report_check(run, &o, s->quiet);
    if (o.opened && !s->quiet) {
        if (o.decision.action == PDX_RUN_RESUME)
            fprintf(stderr, "pdx: resuming %s\n", o.path);
        else if (o.carried > 0)
            fprintf(stderr, "pdx: %s: %llu finished tasks kept from %s\n",
                    o.path, (unsigned long long)o.carried, o.base);
    }
    if (st != PDX_OK)
        return pdx_cli_report(&err);
    switch (o.decision.action) {
    case PDX_RUN_SWEEP_COMPLETE:
        *nothing_to_do = 1;
        if (s->quiet || s->mpi_rank != 0)
            return 0;
        /* fall through */
    case PDX_RUN_COMPLETE:
        if (!s->quiet)
            fprintf(stderr, "pdx: %s is already complete for this spec; "
                            "nothing to do (--force reruns it)\n",
                    o.path);
        return 0;
    case PDX_RUN_REFUSE: return refuse_existing(&o);
    default:
        if (stop_requested)
            return stopped_before_work();
        return execute(run, s->quiet);
    }
}

int pdx_cli_run(int argc, char **argv, const char *command_line,
                int mpi_rank, int mpi_size)
{
    pdx_run_settings s = pdx_run_settings_default();
    s.command_line = command_line;
    s.mpi_rank = mpi_rank;
    s.mpi_size = mpi_size;
    s.stop = &stop_requested;
    s.progress_tty = isatty(STDERR_FILENO);
    const char *spec_path = NULL;
    int rc = parse_run_args(argc, argv, &s, &spec_path);
    if (rc >= 0)
        return rc;
    pdx_error err;
    pdx_error_clear(&err);
    pdx_run *run = NULL;
    rc = pdx_cli_check_spec_path(spec_path);
    if (rc != 0)
        return rc;
    if (pdx_run_create(&run, spec_path, &s, &err) != PDX_OK)
        return pdx_cli_report(&err);
    if (!s.quiet && mpi_rank == 0)
        pdx_cli_print_warnings(pdx_run_spec(run));
    int nothing_to_do = 0;
    if (stop_requested) /* before anything is opened or written */
        rc = stopped_before_work();
    else
        rc = open_and_execute(run, &s, &nothing_to_do);
    if (mpi_size > 1) {
        /* every rank's shard is finished (or stopped) before rank 0
         * merges; all ranks leave with the same code */
        rc = pdx_cluster_agree(rc);
        uint64_t n_files = 0;
        if (rc == 0 && !nothing_to_do && mpi_rank == 0) {
            if (pdx_run_merge_shards(run, &n_files, &err) != PDX_OK)
                rc = pdx_cli_report(&err);
            else if (!s.quiet)
                fprintf(stderr, "pdx: merged %llu shard files into %s\n",
                        (unsigned long long)n_files,
                        pdx_run_output_path(run));
        }
        if (rc == 0 && mpi_rank == 0)
            printf("%s\n", pdx_run_output_path(run));
    } else if (rc == 0) {
        printf("%s\n", nothing_to_do ? pdx_run_output_path(run)
                                     : pdx_run_file_path(run));
    }
    pdx_run_destroy(&run);
    return rc;
}
