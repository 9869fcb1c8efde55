#!/usr/bin/env bash
# Regenerate the key table in docs/SPEC.md from `pdx keys`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp)
sed '/<!-- keys:begin -->/q' docs/SPEC.md > "$tmp"
${PDX:-./build/pdx} keys >> "$tmp"
echo '<!-- keys:end -->' >> "$tmp"
mv "$tmp" docs/SPEC.md
