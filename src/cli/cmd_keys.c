/* cmd_keys.c — `pdx keys`: every spec key as a Markdown table. */
#include "cli_common.h"

#include <stdio.h>

int pdx_cli_keys(int argc, char **argv)
{
    if (pdx_cli_want_help(argc, argv)) {
        printf("usage: pdx keys\n\nEvery key a sweep spec may hold, as a "
               "Markdown table (docs/SPEC.md is made from it).\n");
        return 0;
    }
    pdx_spec_print_keys(stdout);
    return 0;
}
