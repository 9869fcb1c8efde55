/* sweep_tests.c — test sets shared by a sweep's threads (issue 20).
 *
 * A thread's trainer kept its own two test sets, so with T threads every
 * test set of the sweep was drawn up to T times, and T times the memory
 * was zeroed and touched (W2, sweeps/bench-minibatch.yaml: 2 test sets
 * of 10,000 x 200, 16 MB each; at 2 threads each thread drew both, 25 ms
 * of Gaussians and 15 ms of page faults per thread that a 1-thread run
 * pays once). Here the threads share `entries` sets: the first trainer to
 * need one claims it and draws it in chunks of rows; a trainer needing it
 * meanwhile draws the chunks not yet claimed, then waits for the rest.
 * A row is the same bits whoever draws it (the TEST stream is indexed by
 * row; labels come from the teacher the key names), so results do not
 * depend on the thread count. */
#include "sweep_tests.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Huge pages' size (x86-64) */
#define PDX_TESTS_HUGE ((size_t)2 << 20)

/* Rows a trainer claims at a time (200 KiB to 2 MiB of inputs). */
#define PDX_TESTS_CHUNK 256

typedef struct test_entry {
    uint64_t key[4];
    size_t rows;          /* inputs of the set (0: empty entry) */
    size_t claimed;       /* rows handed out to draw (critical) */
    atomic_size_t done;   /* rows drawn (release: their bits visible) */
    int users;            /* trainers holding it (critical) */
    uint64_t used;        /* last acquired (critical): least recent goes */
    double *x, *y;        /* max_test x max_N, max_test */
} test_entry;

struct pdx_sweep_tests {
    pdx_test_source source;
    test_entry *entry;
    size_t n, max_N, max_test;
    uint64_t clock;
    uint64_t drawn;       /* test sets made (critical) */
};

/* The entry holding `key`, else the least recently used one nobody holds
 * (reset for key), with one more user. Called inside critical. */
static test_entry *claim_entry(pdx_sweep_tests *s, const uint64_t key[4],
                               size_t rows)
{
    test_entry *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        test_entry *e = &s->entry[i];
        if (e->rows == rows && memcmp(e->key, key, sizeof e->key) == 0) {
            best = e;
            break;
        }
        if (e->users == 0 && (best == NULL || e->used < best->used))
            best = e;
    }
    if (best->rows != rows || memcmp(best->key, key, sizeof best->key) != 0) {
        memcpy(best->key, key, sizeof best->key);
        best->rows = rows;
        best->claimed = 0;
        s->drawn++;
        atomic_store_explicit(&best->done, 0, memory_order_relaxed);
    }
    best->users++;
    best->used = ++s->clock;
    return best;
}

static void *tests_acquire(void *ctx, const pdx_trainer *t, void *held,
                           const uint64_t key[4], size_t test_size, size_t N,
                           double **x, double **y)
{
    pdx_sweep_tests *s = ctx;
    test_entry *e = NULL;
    (void)N;
#pragma omp critical(pdx_tests)
    {
        if (held != NULL)
            ((test_entry *)held)->users--;
        if (test_size > 0)
            e = claim_entry(s, key, test_size);
    }
    if (e == NULL) {
        *x = *y = NULL;
        return NULL;
    }
    for (;;) { /* draw the chunks nobody has claimed yet */
        size_t first, end;
#pragma omp critical(pdx_tests)
        {
            first = e->claimed;
            end = first + PDX_TESTS_CHUNK < e->rows ? first + PDX_TESTS_CHUNK
                                                    : e->rows;
            e->claimed = end;
        }
        if (first >= end)
            break;
        pdx_trainer_fill_tests(t, first, end, e->x, e->y);
        atomic_fetch_add_explicit(&e->done, end - first,
                                  memory_order_release);
    }
    while (atomic_load_explicit(&e->done, memory_order_acquire) < e->rows)
        sched_yield(); /* another trainer draws its last chunk */
    *x = e->x;
    *y = e->y;
    return e;
}

uint64_t pdx_sweep_tests_destroy(pdx_sweep_tests **tests)
{
    if (tests == NULL || *tests == NULL)
        return 0;
    pdx_sweep_tests *s = *tests;
    uint64_t drawn = s->drawn;
    for (size_t i = 0; s->entry != NULL && i < s->n; i++) {
        free(s->entry[i].x);
        free(s->entry[i].y);
    }
    free(s->entry);
    free(s);
    *tests = NULL;
    return drawn;
}

/* n doubles on a 64-byte boundary, not zeroed (every row read is drawn
 * first), so untouched pages cost nothing; sets of 2 MiB or more on 2 MiB
 * boundaries, marked for transparent huge pages where the kernel has
 * them (a 16 MB set: 8 page faults to make resident instead of 4,096). */
static double *alloc_untouched(size_t n)
{
    if (n > (SIZE_MAX - PDX_TESTS_HUGE) / sizeof(double))
        return NULL;
    size_t bytes = (n > 0 ? n : 1) * sizeof(double);
    if (bytes < PDX_TESTS_HUGE)
        return aligned_alloc(64, (bytes + 63) / 64 * 64);
    bytes = (bytes + PDX_TESTS_HUGE - 1) / PDX_TESTS_HUGE * PDX_TESTS_HUGE;
    double *p = aligned_alloc(PDX_TESTS_HUGE, bytes);
#ifdef MADV_HUGEPAGE
    if (p != NULL)
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: may fail */
#endif
    return p;
}

pdx_status pdx_sweep_tests_create(pdx_sweep_tests **out, const pdx_grid *grid,
                                  int threads, pdx_error *err)
{
    *out = NULL;
    const size_t max_N = (size_t)grid->max_N;
    const size_t max_test = (size_t)grid->max_test_size;
    if (max_test == 0 || max_N == 0)
        return PDX_OK;
    const size_t entries = (size_t)(threads > 0 ? threads : 1) *
                           (size_t)pdx_trainer_test_slots(max_N, max_test);
    pdx_sweep_tests *s = calloc(1, sizeof *s);
    if (s == NULL)
        goto nomem;
    s->n = entries;
    s->max_N = max_N;
    s->max_test = max_test;
    s->source.acquire = tests_acquire;
    s->source.ctx = s;
    s->entry = calloc(s->n, sizeof *s->entry);
    if (s->entry == NULL)
        goto nomem;
    for (size_t i = 0; i < s->n; i++) {
        atomic_init(&s->entry[i].done, 0);
        s->entry[i].x = alloc_untouched(max_test * max_N);
        s->entry[i].y = alloc_untouched(max_test);
        if (s->entry[i].x == NULL || s->entry[i].y == NULL)
            goto nomem;
    }
    *out = s;
    return PDX_OK;
nomem:
    pdx_sweep_tests_destroy(&s);
    return pdx_error_set(err, PDX_ERR_NOMEM, NULL, 0, 0, NULL,
                         "cannot allocate %zu shared test sets of %zu x %zu",
                         entries, max_test, max_N);
}

const pdx_test_source *pdx_sweep_tests_source(const pdx_sweep_tests *tests)
{
    return tests != NULL ? &tests->source : NULL;
}
