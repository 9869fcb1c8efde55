/* sweep_tests.h — test sets shared by a sweep's threads (issue 20). */
#ifndef PDX_SWEEP_TESTS_H
#define PDX_SWEEP_TESTS_H

#include <stddef.h>

#include "pdx/error.h"
#include "pdx/grid.h"
#include "pdx/train.h"

/* Test sets of up to max_test inputs of up to max_N, `entries` of them
 * (at least the number of trainers sharing them: each holds one at a
 * time), each made once by the trainers that need it, rows split between
 * them, and kept until the least recently used is needed for another. */
typedef struct pdx_sweep_tests pdx_sweep_tests;

/* *out: the test sets `threads` threads running the grid's cells share
 * (NULL when no cell needs one), as many as the threads' trainers would
 * keep of their own (pdx_trainer_test_slots each: the memory
 * pdx_sweep_memory_bytes counts), allocated at once but touched (made
 * resident) only as entries are first used. Returns PDX_OK or
 * PDX_ERR_NOMEM. */
pdx_status pdx_sweep_tests_create(pdx_sweep_tests **out, const pdx_grid *grid,
                                  int threads, pdx_error *err);
/* Frees them (NULL or *tests NULL is fine) and sets *tests to NULL;
 * returns the test sets drawn (each entry every time it was (re)made). */
uint64_t pdx_sweep_tests_destroy(pdx_sweep_tests **tests);

/* The source trainers take their test sets from (NULL for NULL). */
const pdx_test_source *pdx_sweep_tests_source(const pdx_sweep_tests *tests);

#endif
