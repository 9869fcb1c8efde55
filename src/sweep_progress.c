/* sweep_progress.c — the sweep's progress lines (moved out of sweep.c,
 * which had reached the 1,200-line limit). */
#include "sweep_progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

static double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void pdx__progress_start(progress *p, const pdx_sweep_options *options,
                          size_t n_todo)
{
    p->enabled = !options->quiet && n_todo > 0;
    p->tty = options->progress_tty;
    p->interval = options->progress_interval > 0 ? options->progress_interval
                                                 : 10.0;
    p->start = p->last = progress_now();
    p->total = n_todo;
}

static void format_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, size, "?");
    else if (s < 3600)
        snprintf(buf, size, "%d:%02d", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, size, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60,
                 (int)s % 60);
}

void pdx__progress_report(progress *p, int final)
{
    if (!p->enabled)
        return;
    double t = progress_now();
    double min_gap = p->tty ? 0.2 : p->interval;
    if (!final && t - p->last < min_gap)
        return;
    p->last = t;
    double frac = p->cost_total > 0 ? p->cost_done / p->cost_total : 1.0;
    double elapsed = t - p->start;
    double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : NAN;
    char el[32], et[32];
    format_duration(elapsed, el, sizeof el);
    format_duration(eta, et, sizeof et);
    if (p->tty) {
        char bar[31];
        int filled = (int)(frac * 30.0);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %5.1f%%  %llu/%llu tasks  elapsed %s  ETA %s ",
                bar, 100.0 * frac, (unsigned long long)p->finished,
                (unsigned long long)p->total, el, et);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr,
                "pdx: %5.1f%% done, %llu/%llu tasks, elapsed %s, ETA %s\n",
                100.0 * frac, (unsigned long long)p->finished,
                (unsigned long long)p->total, el, et);
    }
    fflush(stderr);
}
