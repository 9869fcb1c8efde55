/* cli_theory.h — the `pdx theory` subcommand (src/cli_theory.c), called by
 * main.c. Public headers only, like main.c. */
#ifndef PDX_CLI_THEORY_H
#define PDX_CLI_THEORY_H

/* Run `pdx theory ...` (argv[0] = "theory"); returns the exit code. */
int pdx_cli_theory(int argc, char **argv, const char *command_line);

#endif
