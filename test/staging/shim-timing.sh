#!/usr/bin/env bash
# Measures what the curl shim costs on top of the copy itself, with a 10,000-line
# dependencies/index.tsv (the target is well under 50 ms). Not a test (no
# timing assertions in tests): run it and read the numbers.
#   test/staging/shim-timing.sh [ROWS] [RUNS]
set -euo pipefail
rows=${1:-10000}
runs=${2:-50}
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
bp=$work/bp
mkdir -p "$bp/dependencies/x"
cp -r "$repo/bin" "$bp/"
echo 0.0.0 >"$bp/VERSION"
head -c 1048576 /dev/urandom >"$bp/dependencies/x/payload.tgz"
sha=$(sha256sum "$bp/dependencies/x/payload.tgz" | cut -d' ' -f1)
target=https://files.example.org/pad/zzzz/target-1.0.tgz
{
  for ((i = 0; i < rows - 1; i++)); do
    printf 'https://files.example.org/pad/%06d/pkg_%d-1.0-py3-none-any.whl\tpypi/files/pkg_%d.whl\t%064d\t1\n' "$i" "$i" "$i" "$i"
  done
  printf '%s\tdependencies/x/payload.tgz\t%s\t1048576\n' "$target" "$sha"
} | LC_ALL=C sort >"$bp/dependencies/index.tsv"
: >"$bp/dependencies/url_map.tsv"
: >"$bp/dependencies/names.tsv"

ms() { date +%s%N; }
t0=$(ms)
for ((i = 0; i < runs; i++)); do cp "$bp/dependencies/x/payload.tgz" "$work/out"; sha256sum "$work/out" >/dev/null; done
t1=$(ms)
for ((i = 0; i < runs; i++)); do "$bp/bin/shim/curl" -fsSL -o "$work/out" "$target"; done
t2=$(ms)
for ((i = 0; i < runs; i++)); do "$bp/bin/shim/curl" -fsS -o "$work/out" https://files.example.org/absent.tgz 2>/dev/null || true; done
t3=$(ms)
copy=$(((t1 - t0) / runs / 1000))
hit=$(((t2 - t1) / runs / 1000))
miss=$(((t3 - t2) / runs / 1000))
printf 'index.tsv rows: %d, runs: %d, payload 1 MiB\n' "$rows" "$runs"
printf 'cp + sha256sum alone : %6d us per file\n' "$copy"
printf 'shim hit (copy+verify): %6d us per call -> %d us beyond the copy\n' "$hit" "$((hit - copy))"
printf 'shim miss (lookup only): %6d us per call\n' "$miss"
