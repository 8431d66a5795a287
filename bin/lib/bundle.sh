# shellcheck shell=bash
# shellcheck disable=SC2034 # HIT_* / BP_* are this library's outputs
# Reads a cached (offline) buildpack's bundle: which upstream URL is answered by
# which file, and the sha256 every copy is checked against. Shared by the
# curl/wget shims and bin/supply. Needs bash, coreutils and grep only.
#
# Files read (written by `bin/package offline`, docs/BUNDLE.md):
#   dependencies/index.tsv    url <TAB> path-in-zip <TAB> sha256 <TAB> size          (URLs redacted)
#   dependencies/url_map.tsv  match-regex <TAB> name <TAB> version ("$1".."$9" allowed)
#   dependencies/names.tsv    name <TAB> version <TAB> path <TAB> sha256 <TAB> size <TAB> url [<TAB> cf_stacks]
# A buildpack is "cached" when <bp>/dependencies is a directory (libbuildpack's IsCached).

# shellcheck source=bin/lib/redact.sh
source "${BASH_SOURCE[0]%/*}/redact.sh"

TAB=$'\t'

# bundle_init BP_DIR: sets BP_DIR, BP_CACHED (yes/no), BP_VERSION, BP_LANGUAGE
bundle_init() {
  BP_DIR=$1
  BP_CACHED=no
  [[ -d $BP_DIR/dependencies ]] && BP_CACHED=yes
  BP_VERSION=unknown
  if [[ -r $BP_DIR/VERSION ]]; then
    IFS= read -r BP_VERSION <"$BP_DIR/VERSION" || true
    BP_VERSION=${BP_VERSION//[[:space:]]/}
  fi
  BP_LANGUAGE=python
  local line
  if [[ -r $BP_DIR/manifest.yml ]] && line=$(grep -m1 '^language:' "$BP_DIR/manifest.yml"); then
    line=${line#language:}
    line=${line//[[:space:]\"\']/}
    [[ -n $line ]] && BP_LANGUAGE=$line
  fi
  return 0
}

# bundle_describe: "python_buildpack v0.1.0 (cached)" for messages
bundle_describe() {
  local kind=uncached
  [[ $BP_CACHED == yes ]] && kind=cached
  REPLY="${BP_LANGUAGE}_buildpack v${BP_VERSION} (${kind})"
}

# printable TEXT -> REPLY: control characters (C0 and DEL) as %XX, as wget shows them
# in a URL, so text taken from a command line or an app's file stays on its log line
# and cannot forge another.
printable() {
  local rest=$1 out='' pre hex
  local LC_ALL=C
  while [[ $rest == *[[:cntrl:]]* ]]; do
    pre=${rest%%[[:cntrl:]]*}
    printf -v hex '%%%02X' "'${rest:${#pre}:1}"
    out+=$pre$hex
    rest=${rest:${#pre}+1}
  done
  REPLY=$out$rest
}

# bundle_missing WHAT [DETAIL...]: the DEPENDENCY_MISSING_IN_BUNDLE block on stderr.
# WHAT must already be redacted when it is a URL.
bundle_missing() {
  local what line described
  printable "$1"
  what=$REPLY
  shift
  bundle_describe
  described=$REPLY
  {
    printf 'DEPENDENCY_MISSING_IN_BUNDLE: %s\n' "$what"
    for line in "$@"; do
      printable "$line"
      printf '       %s\n' "$REPLY"
    done
    printf '       %s has no copy of it, and staging never falls back to the network.\n' "$described"
    # shellcheck disable=SC2016 # backquotes are literal text
    printf '       Hint: add it to the manifest (dependencies:, conda: or pip:), re-package with `bin/package offline`, update the buildpack and push again.\n'
  } >&2
}

# bundle_lookup_index REDACTED_URL: exact match in dependencies/index.tsv.
# Sets HIT_PATH (absolute), HIT_SHA256, HIT_SIZE; returns 1 when absent.
bundle_lookup_index() {
  local url=$1 index=$BP_DIR/dependencies/index.tsv line rest
  [[ -r $index ]] || return 1
  # grep -F finds candidates fast (10,000 lines in a few ms); the first field is
  # then compared exactly, since -F can also match inside a longer URL.
  while IFS= read -r line; do
    [[ ${line%%"$TAB"*} == "$url" ]] || continue
    rest=${line#*"$TAB"}
    HIT_PATH=$BP_DIR/${rest%%"$TAB"*}
    rest=${rest#*"$TAB"}
    HIT_SHA256=${rest%%"$TAB"*}
    rest=${rest#*"$TAB"}
    HIT_SIZE=${rest%%"$TAB"*}
    return 0
  done < <(grep -F -- "$url$TAB" "$index" || true)
  return 1
}

# bundle_lookup_name NAME VERSION: a manifest dependency by name and exact version
# (names.tsv). Honours the optional 7th column cf_stacks against $CF_STACK.
# Sets HIT_PATH, HIT_SHA256, HIT_SIZE, HIT_URL; returns 1 when absent.
bundle_lookup_name() {
  local name=$1 version=$2 names=$BP_DIR/dependencies/names.tsv line
  local -a f
  [[ -r $names ]] || return 1
  while IFS= read -r line; do
    IFS=$TAB read -r -a f <<<"$line"
    [[ ${f[0]} == "$name" && ${f[1]} == "$version" ]] || continue
    if [[ -n ${f[6]:-} && -n ${CF_STACK:-} && ",${f[6]}," != *",$CF_STACK,"* ]]; then continue; fi
    HIT_PATH=$BP_DIR/${f[2]}
    HIT_SHA256=${f[3]}
    HIT_SIZE=${f[4]}
    HIT_URL=${f[5]:-}
    return 0
  done < <(grep -F -- "$name$TAB$version$TAB" "$names" || true)
  return 1
}

# bundle_regex_to_ere RE: url_to_dependency_map patterns are Ruby/Go regexes;
# bash [[ =~ ]] is POSIX ERE. Translates the escapes real manifests use.
bundle_regex_to_ere() {
  local re=$1
  re=${re//\\d/[0-9]}
  re=${re//\\w/[A-Za-z0-9_]}
  re=${re//\\s/[[:space:]]}
  re=${re//\\D/[^0-9]}
  REPLY=$re
}

# bundle_lookup_url_map REDACTED_URL: libbuildpack/compile-extensions translation:
# the first url_map.tsv regex that matches gives name+version ($1.. substituted),
# then names.tsv gives the file. Sets HIT_* and HIT_NAME/HIT_VERSION.
bundle_lookup_url_map() {
  local url=$1 map=$BP_DIR/dependencies/url_map.tsv re name version i
  [[ -r $map ]] || return 1
  while IFS=$TAB read -r re name version; do
    [[ -n $re ]] || continue
    bundle_regex_to_ere "$re"
    # an untranslatable pattern (lookahead, \b...) is a non-match, never a crash
    [[ $url =~ $REPLY ]] 2>/dev/null || continue
    for i in 9 8 7 6 5 4 3 2 1; do
      name=${name//"\$$i"/${BASH_REMATCH[$i]:-}}
      version=${version//"\$$i"/${BASH_REMATCH[$i]:-}}
    done
    HIT_NAME=$name
    HIT_VERSION=$version
    bundle_lookup_name "$name" "$version" && return 0
    return 1
  done <"$map"
  return 1
}

# bundle_lookup URL: redacts, then index.tsv exact, then url_map translation.
# Sets HIT_REDACTED always; HIT_PATH/HIT_SHA256/HIT_SIZE/HIT_VIA on a hit.
bundle_lookup() {
  redact_url "$1"
  HIT_REDACTED=$REPLY
  HIT_VIA=''
  if bundle_lookup_index "$HIT_REDACTED"; then HIT_VIA=index; return 0; fi
  if bundle_lookup_url_map "$HIT_REDACTED"; then HIT_VIA=url_map; return 0; fi
  return 1
}

# sha256_of FILE -> REPLY
sha256_of() {
  local out
  out=$(sha256sum -- "$1") || return 1
  REPLY=${out%% *}
}

# md5_of FILE -> REPLY
md5_of() {
  local out
  out=$(md5sum -- "$1") || return 1
  REPLY=${out%% *}
}

# bundle_report_mismatch WHAT BUNDLE_PATH WANTED FOUND: the checksum error block on stderr.
bundle_report_mismatch() {
  {
    printf '**ERROR** sha256 mismatch in the buildpack bundle for %s: %s\n' "$1" "${2#"$BP_DIR"/}"
    printf '       Wanted: %s\n       Found:  %s\n' "$3" "$4"
    # shellcheck disable=SC2016
    printf '       Hint: the buildpack zip is damaged or was altered; upload one that `bin/package verify` accepts.\n'
  } >&2
}

# bundle_check_file PATH SHA256 WHAT: the bundled file exists and has its recorded
# sha256; otherwise a message on stderr and return 22 (absent) or 3 (mismatch).
bundle_check_file() {
  local path=$1 want=$2 what=$3
  if [[ ! -f $path ]]; then
    bundle_missing "$what" "the bundle index names ${path#"$BP_DIR"/}, which is not in the buildpack"
    return 22
  fi
  sha256_of "$path" || return 3
  if [[ ${REPLY,,} != "${want,,}" ]]; then
    bundle_report_mismatch "$what" "$path" "$want" "$REPLY"
    return 3
  fi
  return 0
}
