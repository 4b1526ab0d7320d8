#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME (default 10s) each.
# Usage: scripts/fuzz.sh [package-pattern]   e.g. scripts/fuzz.sh ./local/asl/...
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
pattern="${1:-./...}"
status=0
while IFS= read -r pkg; do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
      status=1
    fi
  done
done < <(go list "$pattern")
exit $status
