/* cli_common.c — helpers shared by the `pdx` subcommands (cli_common.h). */
#include "cli_common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pdx/run.h"
#include "pdx/theory.h"

int pdx_cli_usage_error(const char *help, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pdx: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see %s --help)\n", help);
    va_end(ap);
    return 2;
}

int pdx_cli_report(const pdx_error *err)
{
    char buf[2048];
    pdx_error_format(err, buf, sizeof buf);
    fprintf(stderr, "pdx: %s%s\n",
            err->status == PDX_ERR_STOPPED ? "" : "error: ", buf);
    return pdx_status_exit_code(err->status);
}

int pdx_cli_want_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int pdx_cli_check_spec_path(const char *path)
{
    struct stat st;
    if (path[0] == '\0')
        return pdx_cli_usage_error("pdx", "the SPEC file name is empty");
    if (stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
        return pdx_cli_usage_error("pdx",
                                   "%s: no such spec file (give the path "
                                   "of a YAML sweep spec)",
                                   path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return pdx_cli_usage_error("pdx",
                                   "%s: a directory, not a spec file (give "
                                   "the path of a YAML sweep spec)",
                                   path);
    return 0;
}

int pdx_cli_load_spec(const char *path, pdx_spec **spec, pdx_grid **grid)
{
    return pdx_cli_load_spec_overrides(path, NULL, 0, spec, grid);
}

void pdx_cli_print_warnings(const pdx_spec *spec)
{
    for (const char *line = spec->warnings; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        int length = end != NULL ? (int)(end - line) : (int)strlen(line);
        fprintf(stderr, "pdx: %.*s\n", length, line);
        line = end != NULL ? end + 1 : NULL;
    }
}

int pdx_cli_take_overrides(int n, char **args, const char *command)
{
    for (int i = 0; i < n; i++)
        if (strchr(args[i], '=') == NULL)
            return pdx_cli_usage_error(
                "pdx",
                "%s needs exactly one SPEC file; '%s' after it is no "
                "KEY=VALUE override",
                command, args[i]);
    return -1;
}

int pdx_cli_load_spec_overrides(const char *path,
                                const char *const *overrides,
                                size_t n_overrides, pdx_spec **spec,
                                pdx_grid **grid)
{
    pdx_error err;
    pdx_error_clear(&err);
    int rc = pdx_cli_check_spec_path(path);
    if (rc != 0)
        return rc;
    if (pdx_spec_parse_file_overrides(spec, path, overrides, n_overrides,
                                      &err) != PDX_OK)
        return pdx_cli_report(&err);
    pdx_cli_print_warnings(*spec);
    if (pdx_grid_create(grid, *spec, &err) != PDX_OK) {
        pdx_spec_destroy(spec);
        return pdx_cli_report(&err);
    }
    return 0;
}

int pdx_cli_check_memory(const pdx_spec *spec, const pdx_grid *grid,
                         int threads)
{
    pdx_error err;
    if (pdx_run_check_memory(spec, grid, threads, &err) != PDX_OK)
        return pdx_cli_report(&err);
    return 0;
}

void pdx_cli_iso_time_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int pdx_cli_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int pdx_cli_load_spec_of_file(const pdx_store_info *info, const char *path,
                              pdx_spec **spec, pdx_grid **grid)
{
    pdx_error err;
    pdx_error_clear(&err);
    if (info->spec_text == NULL) {
        pdx_error_set(&err, PDX_ERR_MISMATCH, path, 0, 0, NULL,
                      "the file holds no spec");
        return pdx_cli_report(&err);
    }
    if (pdx_spec_parse_string(spec, info->spec_text, info->spec_length,
                              info->spec_path, &err) != PDX_OK) {
        fprintf(stderr, "pdx: error: %s: the spec stored in the file does "
                        "not parse with this pdx:\n",
                path);
        return pdx_cli_report(&err);
    }
    if (pdx_grid_create(grid, *spec, &err) != PDX_OK) {
        pdx_spec_destroy(spec);
        return pdx_cli_report(&err);
    }
    return 0;
}

void pdx_cli_missing_shards(const pdx_store_info *infos, int n,
                            uint64_t count, char *buf, size_t size)
{
    buf[0] = '\0';
    unsigned char *seen = calloc((size_t)count, 1);
    if (seen == NULL)
        return;
    for (int i = 0; i < n; i++)
        if (infos[i].shard_count == count)
            seen[infos[i].shard_index] = 1;
    size_t used = 0;
    for (uint64_t s = 0; s < count && used + 32 < size;) {
        if (seen[s]) {
            s++;
            continue;
        }
        uint64_t e = s;
        while (e + 1 < count && !seen[e + 1])
            e++;
        int w = e > s ? snprintf(buf + used, size - used, "%s%llu-%llu",
                                 used ? ", " : "", (unsigned long long)s,
                                 (unsigned long long)e)
                      : snprintf(buf + used, size - used, "%s%llu",
                                 used ? ", " : "", (unsigned long long)s);
        used += w > 0 ? (size_t)w : 0;
        s = e + 1;
    }
    free(seen);
}

const char *pdx_cli_theory_status(int status)
{
    switch (status) {
    case PDX_THEORY_SOLVED: return "solved";
    case PDX_THEORY_NOT_APPLICABLE: return "not_applicable";
    case PDX_THEORY_NOT_CONVERGED: return "not_converged";
    default: return "pending";
    }
}

void pdx_cli_put_csv(double v)
{
    if (isnan(v))
        printf(",nan");
    else
        printf(",%.10g", v); /* inf, -inf */
}
