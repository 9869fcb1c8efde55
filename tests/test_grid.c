/* placeholder: being written */
#include "pdx_test.h"
int main(void) { return 1; }
