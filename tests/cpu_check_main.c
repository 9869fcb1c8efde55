/* cpu_check_main.c — must never run: the constructor of src/cpu_check.c,
 * built with PDX_CPU_CHECK_TEST, exits 1 first. */
#include <stdio.h>

int main(void)
{
    puts("main ran: the CPU check did not stop the program");
    return 0;
}
