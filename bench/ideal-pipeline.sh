#!/usr/bin/env bash
# ideal-pipeline.sh ORIGIN_DIR PORT — ONE run of the "ideal stock-tool pipeline" of
# bench/tools/limits.sh (same commands: 8-way curl straight to disk, sha256sum -c
# 2-way, zip -0 -r), so bench/run.mjs can time it in the same iteration as the baseline
# and our packager (limits.sh keeps the best of several runs of each stage instead).
# Prints one line: download=<s> verify=<s> zip0=<s> total=<s>. Temp files removed at exit.
set -euo pipefail
ORIGIN=$(cd "${1:?usage: ideal-pipeline.sh ORIGIN_DIR PORT}" && pwd)
PORT=${2:?PORT}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-ideal.XXXXXX")
trap 'rm -rf "$W"' EXIT
sed "s#^http://127\.0\.0\.1:[0-9]*/#http://127.0.0.1:$PORT/#" "$ORIGIN/urls.tsv" >"$W/urls.tsv"
N=$(wc -l <"$W/urls.tsv")
per=$(( (N + 7) / 8 ))
B="$W/bp"; mkdir -p "$B/dependencies" "$B/bin"
cp "$ORIGIN/manifest.yml" "$ORIGIN/VERSION" "$B/"; cp "$ORIGIN"/bin/* "$B/bin/"
awk -F'\t' '{ n = split($1, p, "/"); print $2 "  dependencies/" p[n] }' "$W/urls.tsv" >"$W/sums"
now() { date +%s.%N; }
t0=$(now)
(cd "$B/dependencies" && cut -f1 "$W/urls.tsv" | xargs -P 8 -n "$per" curl -s --fail -L --remote-name-all)
t1=$(now)
(cd "$B" && split -n r/2 "$W/sums" "$W/sums." && printf '%s\0' "$W"/sums.a? | xargs -0 -P 2 -n 1 sha256sum --quiet -c)
t2=$(now)
(cd "$B" && zip -q -r -0 "$W/ideal.zip" ./)
t3=$(now)
entries=$(unzip -Z1 "$W/ideal.zip" | grep -c '^dependencies/.' || true)
[ "$entries" -eq "$N" ] || { echo "ideal pipeline: expected $N dependency entries, got $entries" >&2; exit 1; }
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "download=%.3f verify=%.3f zip0=%.3f total=%.3f\n", b - a, c - b, d - c, d - a }'
