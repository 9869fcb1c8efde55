#!/usr/bin/env bash
# header_test.sh CC SOURCE_ROOT — every public header (include/pdx/*.h)
# compiles alone, included twice, in strict C17 with every warning an
# error, with only include/ on the include path: it includes what it uses
# and nothing private.
set -euo pipefail
CC=$1 SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
for h in "$SRC"/include/pdx/*.h; do
  name=$(basename "$h")
  printf '#include "pdx/%s"\n#include "pdx/%s"\nint pdx_header_test_%s;\n' \
      "$name" "$name" "${name%.h}" > "$TMP/t.c"
  if ! "$CC" -std=c17 -Wall -Wextra -Wpedantic -Werror -I"$SRC/include" \
       -fsyntax-only "$TMP/t.c" 2>"$TMP/err"; then
    echo "header_test: pdx/$name does not compile alone:" >&2
    cat "$TMP/err" >&2
    exit 1
  fi
  n=$((n + 1))
done
((n > 0)) || { echo "header_test: no headers in $SRC/include/pdx" >&2; exit 1; }
echo "header_test: $n public headers compile alone"
