#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_ROOT CC — `meson install` gives a usable
# library: install into a scratch DESTDIR, then compile and link a program
# against the installed headers and libpdx with pkg-config alone (no
# source tree on any path), and run it: it parses a spec, builds its grid
# and checks the cell count.
set -euo pipefail
BUILD=$1 SRC=$2 CC=$3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

meson install -C "$BUILD" --destdir "$TMP/root" --no-rebuild --quiet \
    || fail "meson install failed"
pc=$(find "$TMP/root" -name pdx.pc | head -1)
[[ -n $pc ]] || fail "no pdx.pc installed"
for h in "$SRC"/include/pdx/*.h; do
  [[ -n $(find "$TMP/root" -path "*/include/pdx/$(basename "$h")") ]] ||
    fail "public header $(basename "$h") is not installed"
done
# the installed prefix, moved under DESTDIR (the system packages' paths stay)
prefix=$(pkg-config --variable=prefix "$pc")
export PKG_CONFIG_PATH=$(dirname "$pc")
pc_args=(--define-variable=prefix="$TMP/root$prefix")
cflags=$(pkg-config "${pc_args[@]}" --cflags pdx) || fail "pkg-config --cflags pdx"
libs=$(pkg-config "${pc_args[@]}" --static --libs pdx) || fail "pkg-config --libs pdx"
[[ $(pkg-config --modversion pdx) == "$(meson introspect --projectinfo "$BUILD" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" ]] \
    || fail "pdx.pc has another version than the project"
cat > "$TMP/use_pdx.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <pdx/grid.h>
#include <pdx/spec.h>
int main(void)
{
    const char *text = "N: 20\nreplicas: 3\n"
                       "train: {learning_rate: [0.1, 0.5, 2.5], alpha: 2}\n"
                       "student: {hidden: [1, 2]}\n";
    pdx_error err;
    pdx_error_clear(&err);
    pdx_spec *spec = NULL;
    pdx_grid *grid = NULL;
    if (pdx_spec_parse_string(&spec, text, strlen(text), "inline", &err) != PDX_OK ||
        pdx_grid_create(&grid, spec, &err) != PDX_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("cells %llu\n", (unsigned long long)grid->n_cells);
    pdx_grid_destroy(&grid);
    pdx_spec_destroy(&spec);
    return 0;
}
C
# a sanitizer build's library needs the program linked with the sanitizer
san=$(meson introspect --buildoptions "$BUILD" | /usr/bin/python3 -c \
  'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"))')
[[ $san == none ]] && san_flags="" || san_flags="-fsanitize=$san"
# shellcheck disable=SC2086
"$CC" $san_flags -std=c17 -Wall -Wextra -Werror $cflags "$TMP/use_pdx.c" -o "$TMP/use_pdx" $libs \
    || fail "a program does not build against the installed pdx"
out=$("$TMP/use_pdx") || fail "the program built against pdx failed: $out"
[[ $out == "cells 6" ]] || fail "expected 'cells 6', got '$out'"
echo "install_test: installed library, headers and pdx.pc work ($out)"
