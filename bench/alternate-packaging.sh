#!/usr/bin/env bash
# alternate-packaging.sh OUT.tsv ROUNDS PROFILE... — times `bin/package offline` of several builds
# of the packager, alternated in every round (A B C A B C ...), cold (empty cache) and warm.
#
#   PRODUCTS  env: space-separated directories, each holding bin/, dist/, package.json and
#             node_modules (e.g. a copy of this tree at another commit after `npm run build`)
#   PROFILE   small | large | mixed: data sets of bench/tools/make-origin.sh, served by nginx
#
# Appends one line per run to OUT.tsv: profile, build, cold|warm, seconds, peak RSS KiB,
# user+sys CPU seconds, the zip's sha256, load average. On a shared machine, run it as
# `flock /work/bench.lock nice -n -10 bench/alternate-packaging.sh ...` (no other benchmark
# meanwhile, and other jobs' load weighs less; nice applies to nginx and the packager too).
set -euo pipefail
OUT=$1; ROUNDS=$2; shift 2
: "${PRODUCTS:?set PRODUCTS to the build directories to compare}"
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/tools
DATA=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/buildpack-bench}
PORT=${PORT:-18391}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/alternate-packaging.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

for profile in "$@"; do
  dir=$DATA/origin-$profile
  link=""
  [ "$profile" = mixed ] && link="$DATA/origin-small $DATA/origin-large"
  PORT=$PORT LINK_FROM=$link bash "$TOOLS/make-origin.sh" "$dir" "$profile" >/dev/null
  bash "$TOOLS/origin.sh" start "$dir" "$PORT" >/dev/null
  trap 'bash "$TOOLS/origin.sh" stop "$dir" "$PORT" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
  rm -rf "${WORK:?}"/*; mkdir -p "$WORK/root/bin"
  cp "$dir/manifest.yml" "$dir/VERSION" "$WORK/root/"; cp "$dir"/bin/* "$WORK/root/bin/"
  cat "$dir"/deps/*/* >/dev/null # the served files in the page cache
  args=(offline --manifest "$WORK/root/manifest.yml" --cache-dir "$WORK/cache" --output "$WORK/out.zip" --json)
  package() { "$1/bin/package" "${args[@]}"; }
  run() { # build kind
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$1/bin/package" "${args[@]}" >"$WORK/json" 2>"$WORK/err" \
      || { echo "failed: $1 $2" >&2; tail -5 "$WORK/err" >&2; exit 1; }
    read -r secs rss usr sys <"$WORK/time"
    sha=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).sha256)' "$WORK/json")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$profile" "$(basename "$1")" "$2" "$secs" "$rss" "$usr+$sys" "$sha" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT"
  }
  for p in $PRODUCTS; do rm -rf "$WORK/cache" "$WORK/out.zip"; package "$p" >/dev/null 2>&1; done # warm-up, not counted
  for _ in $(seq "$ROUNDS"); do
    for p in $PRODUCTS; do
      rm -rf "$WORK/cache" "$WORK/out.zip"; run "$p" cold
      rm -f "$WORK/out.zip"; run "$p" warm
    done
  done
  bash "$TOOLS/origin.sh" stop "$dir" "$PORT" >/dev/null
done
