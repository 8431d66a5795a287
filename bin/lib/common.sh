# shellcheck shell=bash
# Shared by bin/detect, supply, finalize, compile, release: Cloud Foundry staging
# log style (libbuildpack: "-----> Step", details indented 7 spaces, **WARNING**
# and **ERROR**), argument checks, the hermetic environment for pip and conda.
# bash + coreutils (+ grep/sed, part of every Ubuntu base) only.

# shellcheck source=bin/lib/bundle.sh
source "${BASH_SOURCE[0]%/*}/bundle.sh"

BP_INDENT='       '

log_step() { printf -- '-----> %s\n' "$*"; }
log_info() { printf '%s%s\n' "$BP_INDENT" "$*"; }
log_warn() { printf '%s**WARNING** %s\n' "$BP_INDENT" "$*"; }
log_error() { printf '%s**ERROR** %s\n' "$BP_INDENT" "$*" >&2; }
log_debug() { [[ -n ${BP_DEBUG:-} ]] && printf '%sDEBUG: %s\n' "$BP_INDENT" "$*" >&2; return 0; }

# indent: copies stdin to stdout, each line indented like a staging detail
indent() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    printf '%s%s\n' "$BP_INDENT" "$line"
  done
}

# run_logged LOG CMD...: runs CMD with its output indented into the staging log
# and also kept in LOG (for error analysis); returns CMD's status.
run_logged() {
  local log=$1 status=0
  shift
  : >"$log"
  set +e
  "$@" 2>&1 | tee -a "$log" | indent
  status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

# fail MESSAGE...: an **ERROR** line per argument, exit 1 (staging fails)
fail() {
  local m
  for m in "$@"; do log_error "$m"; done
  exit 1
}

# fail_missing WHAT [DETAIL...]: DEPENDENCY_MISSING_IN_BUNDLE and staging fails
fail_missing() {
  bundle_missing "$@"
  exit 1
}

# missing_many ITEM...: one DEPENDENCY_MISSING_IN_BUNDLE line per item, one hint
missing_many() {
  local item described
  bundle_describe
  described=$REPLY
  {
    for item in "$@"; do
      printable "$item"
      printf 'DEPENDENCY_MISSING_IN_BUNDLE: %s\n' "$REPLY"
    done
    printf '%s%s has no copy of %s, and staging never falls back to the network.\n' "$BP_INDENT" "$described" "$([[ $# -gt 1 ]] && echo them || echo it)"
    # shellcheck disable=SC2016
    printf '%sHint: add %s to the manifest (conda: or pip:), re-package with `bin/package offline`, update the buildpack and push again.\n' "$BP_INDENT" "$([[ $# -gt 1 ]] && echo them || echo it)"
  } >&2
}

# require_dir NAME PATH: usage check for the staging scripts' arguments
require_dir() {
  [[ -n $2 ]] || fail "$1 argument is missing (usage: $(basename -- "$0") BUILD_DIR CACHE_DIR [DEPS_DIR INDEX])"
  [[ -d $2 ]] || fail "$1 is not a directory: $2"
}

# abs_path PATH -> REPLY (directory must exist)
abs_dir() {
  REPLY=$(cd -- "$1" && pwd -P)
}

# isolate_pip: nothing from the machine's pip configuration may steer pip
# (global pip.conf find-links, extra-index-url, constraints, PIP_* variables).
isolate_pip() {
  local v
  for v in $(compgen -e); do
    [[ $v == PIP_* ]] && unset "$v"
  done
  export PIP_CONFIG_FILE=/dev/null
  export PIP_DISABLE_PIP_VERSION_CHECK=1
  export PIP_NO_INPUT=1
  export PIP_PROGRESS_BAR=off
  export PYTHONNOUSERSITE=1
  unset PYTHONPATH PYTHONHOME PYTHONSTARTUP
}

# normalize_project NAME -> REPLY (PEP 503: runs of -_. become -, lower case)
normalize_project() {
  local n=${1,,}
  n=${n//[._]/-}
  while [[ $n == *--* ]]; do n=${n//--/-}; done
  REPLY=$n
}

# dir_of PATH -> REPLY: dirname without a process (staging runs this per file)
dir_of() {
  REPLY=.
  [[ $1 == */* ]] && REPLY=${1%/*}
  REPLY=${REPLY:-/}
}

# trim STRING -> REPLY
trim() {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  s=${s%"${s##*[![:space:]]}"}
  REPLY=$s
}

# elapsed_since START_SECONDS -> "12s"
elapsed_since() {
  local now
  printf -v now '%(%s)T' -1
  REPLY="$((now - $1))s"
}
