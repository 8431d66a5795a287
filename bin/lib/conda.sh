# shellcheck shell=bash
# shellcheck disable=SC2034 # INSTALLER_* / CONDA_* are this library's outputs
# Miniconda/Miniforge from the bundle, and conda pointed only at the bundle's
# file:// channels (conda notes: offline mode ignores every non-file:// channel,
# and conda does not checksum file:// packages, so this file does).

# conda_subdir -> REPLY: linux-64 / linux-aarch64 (every CF stack is x86_64 today)
conda_subdir() {
  case $(uname -m) in
    aarch64 | arm64) REPLY=linux-aarch64 ;;
    *) REPLY=linux-64 ;;
  esac
}

# installer_python_tag FILENAME -> REPLY: Miniconda3-py311_24.1.2-0-... -> 3.11; '' when unknown
installer_python_tag() {
  REPLY=''
  if [[ $1 =~ -py([0-9])([0-9]+)_ ]]; then
    REPLY="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
  fi
}

# installer_candidates: prints "flavor<TAB>name<TAB>version<TAB>path<TAB>sha256<TAB>url"
# for every installer the bundle (names.tsv) or the online lock (lock.tsv) lists.
installer_candidates() {
  local name version path sha size url stacks kind filename md5 channel subdir
  if [[ $BP_CACHED == yes ]]; then
    [[ -r $BP_DIR/dependencies/names.tsv ]] || return 0
    while IFS=$TAB read -r name version path sha size url stacks; do
      if [[ -n ${stacks:-} && -n ${CF_STACK:-} && ",$stacks," != *",$CF_STACK,"* ]]; then continue; fi
      case ${name,,} in
        miniforge*) printf 'Miniforge3\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$path" "$sha" "$url" ;;
        miniconda*) printf 'Miniconda3\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$path" "$sha" "$url" ;;
      esac
    done <"$BP_DIR/dependencies/names.tsv"
  else
    [[ -r $BP_DIR/lock.tsv ]] || return 0
    while IFS=$TAB read -r kind name version filename url sha md5 channel subdir; do
      [[ $kind == installer ]] || continue
      case ${name,,} in
        miniforge*) printf 'Miniforge3\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$filename" "$sha" "$url" ;;
        miniconda*) printf 'Miniconda3\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$filename" "$sha" "$url" ;;
      esac
    done <"$BP_DIR/lock.tsv"
  fi
}

# conda_choose_installer WANT_PYTHON: picks the installer, in this order:
#   1. BP_CONDA_INSTALLER=miniforge3|miniconda3[@VERSION] (the operator's choice);
#   2. a Miniconda whose base python (pyXY tag) is the one runtime.txt/environment.yml pins;
#   3. Miniforge3 before Miniconda3 (conda-forge defaults, no Anaconda terms of service;
#      Cloud Foundry's python buildpack moved to Miniforge in 2024);
#   newest first within each step (sort -V on the conda version: py39_25.7.0-2 > py312_24.5.0-0).
# Sets INSTALLER_FLAVOR, INSTALLER_NAME, INSTALLER_VERSION, INSTALLER_PATH (bundle path or
# file name online), INSTALLER_SHA256, INSTALLER_URL. Fails when there is none.
conda_choose_installer() {
  local want_py=$1 rows want_flavor='' want_version='' row
  # newest conda first: Miniconda versions sort by what follows the pyXY_ tag
  rows=$(installer_candidates | while IFS= read -r row; do
    IFS=$TAB read -r _ _ v _ <<<"$row"
    printf '%s\t%s\n' "${v#py*_}" "$row"
  done | sort -t "$TAB" -k1,1Vr | cut -f2-)
  if [[ -z $rows ]]; then
    bundle_missing "miniconda3 or miniforge3 installer" \
      "the app needs conda (or a Python from conda) and the buildpack lists no installer for ${CF_STACK:-this stack}"
    exit 1
  fi
  if [[ -n ${BP_CONDA_INSTALLER:-} ]]; then
    want_flavor=${BP_CONDA_INSTALLER%%@*}
    [[ $BP_CONDA_INSTALLER == *@* ]] && want_version=${BP_CONDA_INSTALLER#*@}
    case ${want_flavor,,} in
      miniforge*) want_flavor=Miniforge3 ;;
      miniconda*) want_flavor=Miniconda3 ;;
      *) fail "BP_CONDA_INSTALLER must be miniforge3 or miniconda3 (optionally @VERSION), found: $BP_CONDA_INSTALLER" ;;
    esac
  fi
  row=''
  if [[ -n $want_flavor ]]; then
    row=$(awk_free_pick "$rows" "$want_flavor" "$want_version" '')
    if [[ -z $row ]]; then
      bundle_missing "$want_flavor${want_version:+ $want_version} installer" "BP_CONDA_INSTALLER=$BP_CONDA_INSTALLER asks for it"
      exit 1
    fi
  fi
  if [[ -z $row && -n $want_py ]]; then row=$(awk_free_pick "$rows" Miniconda3 '' "$want_py"); fi
  [[ -z $row ]] && row=$(awk_free_pick "$rows" Miniforge3 '' '')
  [[ -z $row ]] && row=$(awk_free_pick "$rows" Miniconda3 '' '')
  IFS=$TAB read -r INSTALLER_FLAVOR INSTALLER_NAME INSTALLER_VERSION INSTALLER_PATH INSTALLER_SHA256 INSTALLER_URL <<<"$row"
}

# awk_free_pick ROWS FLAVOR VERSION PYTHON: first row of FLAVOR (and VERSION, and
# base python PYTHON via the file name's pyXY tag) - plain bash, the stack may lack awk.
awk_free_pick() {
  local rows=$1 flavor=$2 version=$3 py=$4 row f n v p rest
  while IFS= read -r row; do
    [[ -n $row ]] || continue
    IFS=$TAB read -r f n v p rest <<<"$row"
    [[ $f == "$flavor" ]] || continue
    [[ -z $version || $v == "$version" ]] || continue
    if [[ -n $py ]]; then
      installer_python_tag "${p##*/}"
      [[ -n $REPLY ]] || continue
      [[ $py == "$REPLY" || $py == "$REPLY".* ]] || continue
    fi
    printf '%s\n' "$row"
    return 0
  done <<<"$rows"
  return 0
}

# python_satisfies HAVE WANT: 3.11.7 satisfies 3.11.7, 3.11, 3
python_satisfies() {
  [[ -n $1 && ($1 == "$2" || $1 == "$2".*) ]]
}

# conda_channel_dir NAME_OR_URL -> REPLY: the bundled channel directory for an
# environment.yml channel, '' when the bundle has none. conda/channels.tsv
# (url <TAB> dir, written by the packager) decides when present; otherwise the
# packager's naming rule (src/bundle/layout.ts channelDirName): URL path segments
# joined with '-' (anaconda.org /t/<token> dropped), file:// keeps the last segment.
conda_channel_dir() {
  local ch=$1 url dir='' u d rest seg
  local -a segs kept
  ch=${ch%/}
  if [[ $ch == *://* ]]; then url=$ch; else url=https://conda.anaconda.org/$ch; fi
  redact_url "$url"
  url=$REPLY
  if [[ -r $BP_DIR/conda/channels.tsv ]]; then
    while IFS=$TAB read -r u d; do
      u=${u%/}
      if [[ $u == "$url" || ($ch != *://* && ${u##*/} == "$ch" && $u == https://conda.anaconda.org/*) ]]; then
        dir=$d
        break
      fi
    done <"$BP_DIR/conda/channels.tsv"
  fi
  if [[ -z $dir ]]; then
    if [[ $ch == *://* ]]; then
      rest=${ch#*://}
      rest=${rest%%[?#]*}
      if [[ $rest == */* ]]; then rest=${rest#*/}; else rest=''; fi
      IFS=/ read -r -a segs <<<"$rest"
      [[ ${ch,,} == file://* && ${#segs[@]} -gt 0 ]] && segs=("${segs[-1]}")
    else
      IFS=/ read -r -a segs <<<"$ch"
    fi
    kept=()
    local i=0 n=${#segs[@]}
    while ((i < n)); do
      seg=${segs[$i]}
      if [[ $seg == t ]] && ((i + 2 < n)); then
        i=$((i + 2))
        continue
      fi
      [[ -n $seg ]] && kept+=("$seg")
      i=$((i + 1))
    done
    dir=$(IFS=-; printf '%s' "${kept[*]}")
  fi
  REPLY=''
  [[ -n $dir && -d $BP_DIR/conda/$dir ]] && REPLY=$dir
  return 0
}

# conda_bundled_channels: every channel directory in the bundle (sorted)
conda_bundled_channels() {
  local d
  for d in "$BP_DIR"/conda/*/; do
    [[ -d $d ]] || continue
    d=${d%/}
    printf '%s\n' "${d##*/}"
  done
}

# conda_select_channels NAME...: CONDA_CHANNEL_DIRS[] = the bundled dirs for the app's
# channels, in the app's order; `defaults` = pkgs-main, pkgs-r; unknown channels are
# logged; none at all -> every bundled channel.
conda_select_channels() {
  local ch d
  CONDA_CHANNEL_DIRS=()
  for ch in "$@"; do
    case $ch in
      nodefaults) continue ;;
      defaults)
        for d in pkgs-main pkgs-r pkgs-free; do
          [[ -d $BP_DIR/conda/$d ]] && CONDA_CHANNEL_DIRS+=("$d")
        done
        continue
        ;;
    esac
    conda_channel_dir "$ch"
    if [[ -n $REPLY ]]; then
      [[ " ${CONDA_CHANNEL_DIRS[*]} " == *" $REPLY "* ]] || CONDA_CHANNEL_DIRS+=("$REPLY")
    else
      redact_url "$ch"
      log_info "Channel $REPLY is not in this buildpack; its packages can only come from the bundled channels"
    fi
  done
  if ((${#CONDA_CHANNEL_DIRS[@]} == 0)); then
    while IFS= read -r d; do CONDA_CHANNEL_DIRS+=("$d"); done < <(conda_bundled_channels)
  fi
}

# conda_write_condarc FILE PKGS_DIR ENVS_DIR: only file:// channels, offline, our
# package cache. channel_alias makes bare names (`conda-forge`, `-c conda-forge`)
# resolve inside the bundle too.
conda_write_condarc() {
  local file=$1 pkgs=$2 envs=$3 d
  local -a defaults=()
  for d in pkgs-main pkgs-r pkgs-free; do
    [[ " ${CONDA_CHANNEL_DIRS[*]} " == *" $d "* ]] && defaults+=("$d")
  done
  ((${#defaults[@]})) || defaults=("${CONDA_CHANNEL_DIRS[@]}")
  yaml_list() { # key dir...
    local key=$1 x
    shift
    if (($# == 0)); then
      printf '%s: []\n' "$key"
      return 0
    fi
    printf '%s:\n' "$key"
    for x in "$@"; do printf '  - file://%s/conda/%s\n' "$BP_DIR" "$x"; done
  }
  {
    printf '# written by the buildpack for staging; points only at the bundle\n'
    yaml_list channels "${CONDA_CHANNEL_DIRS[@]}"
    yaml_list default_channels "${defaults[@]}"
    printf 'channel_alias: file://%s/conda\n' "$BP_DIR"
    printf 'custom_channels: {}\n'
    printf 'offline: %s\n' "$([[ $BP_CACHED == yes ]] && echo true || echo false)"
    printf 'pkgs_dirs:\n  - %s\n' "$pkgs"
    printf 'envs_dirs:\n  - %s\n' "$envs"
    printf 'always_yes: true\n'
    printf 'auto_update_conda: false\n'
    printf 'notify_outdated_conda: false\n'
    printf 'report_errors: false\n'
    printf 'add_pip_as_python_dependency: false\n'
    printf 'show_channel_urls: true\n'
  } >"$file"
  unset -f yaml_list
}

# conda_env_vars: the hermetic environment every conda call gets
conda_export_env() {
  export CONDARC=$1
  export CONDA_PKGS_DIRS=$2
  export CONDA_ENVS_DIRS=$3
  export CONDA_ALWAYS_YES=true
  export CONDA_NOTIFY_OUTDATED_CONDA=false
  export CONDA_AUTO_UPDATE_CONDA=false
  export CONDA_REPORT_ERRORS=false
  export CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY=false
  [[ $BP_CACHED == yes ]] && export CONDA_OFFLINE=true
  unset CONDA_CHANNELS CONDA_DEFAULT_CHANNELS CONDA_CHANNEL_ALIAS MAMBARC
  return 0
}

# conda_bundled_versions NAME: prints the version of every file of conda package NAME
# in the selected channels (CONDA_CHANNEL_DIRS), for the stack's subdir or noarch
conda_bundled_versions() {
  local name=$1 d sd f base
  conda_subdir
  for d in "${CONDA_CHANNEL_DIRS[@]}"; do
    for sd in "$REPLY" noarch; do
      for f in "$BP_DIR/conda/$d/$sd/$name-"*; do
        [[ -f $f ]] || continue
        base=${f##*/}
        base=${base%.conda}
        base=${base%.tar.bz2}
        [[ ${base%-*-*} == "$name" ]] || continue # name-version-build
        base=${base#"$name"-}
        printf '%s\n' "${base%-*}"
      done
    done
  done
}

# conda_bundle_has NAME [VERSION_PREFIX]: a file of that package (and version: 3.11
# matches 3.11 and 3.11.x) in the selected channels
conda_bundle_has() {
  local ver=${2:-} v
  while IFS= read -r v; do
    [[ -z $ver || $v == "$ver" || $v == "$ver".* ]] && return 0
  done < <(conda_bundled_versions "$1")
  return 1
}

# conda_precheck SOURCE SPEC...: every spec's package name must exist in the
# bundle; the ones that do not are added to MISSING_ALL[]
conda_precheck() {
  local source=$1 spec
  shift
  for spec in "$@"; do
    spec_name "$spec"
    [[ -n $REPLY ]] || continue
    conda_bundle_has "$REPLY" || MISSING_ALL+=("conda package $spec (from $source)")
  done
  return 0
}

# bundle_sha_for_path PATH_IN_ZIP -> REPLY: sha256 recorded in index.tsv for that file
bundle_sha_for_path() {
  local p=$1 line rest
  REPLY=''
  while IFS= read -r line; do
    rest=${line#*"$TAB"}
    if [[ ${rest%%"$TAB"*} == "$p" ]]; then
      rest=${rest#*"$TAB"}
      REPLY=${rest%%"$TAB"*}
      return 0
    fi
  done < <(grep -F -- "$TAB$p$TAB" "$BP_DIR/dependencies/index.tsv" 2>/dev/null || true)
  return 1
}

# conda_verify_linked PREFIX PKGS_DIR: conda copies file:// packages without any
# checksum, so every package linked from the bundle is checked against index.tsv;
# a mismatch purges it from the package cache and fails staging.
conda_verify_linked() {
  local prefix=$1 pkgs=$2 meta url rel fn bad=0
  for meta in "$prefix"/conda-meta/*.json; do
    [[ -f $meta ]] || continue
    url=$(grep -o -m1 '"url": *"file://[^"]*"' "$meta" || true)
    url=${url#*\"file://}
    url=${url%\"}
    [[ $url == "$BP_DIR"/conda/* ]] || continue
    rel=${url#"$BP_DIR"/}
    if ! bundle_sha_for_path "$rel"; then
      log_warn "no checksum recorded in dependencies/index.tsv for $rel"
      continue
    fi
    if ! bundle_check_file "$url" "$REPLY" "conda package ${url##*/}"; then
      fn=${url##*/}
      rm -rf -- "${pkgs:?}/$fn" "${pkgs:?}/${fn%.conda}" "${pkgs:?}/${fn%.tar.bz2}"
      bad=1
    fi
  done
  ((bad == 0)) || fail "conda installed a package whose bytes differ from the buildpack's index; staging stopped"
}

# run_conda LABEL ARGS...: conda (CONDA_BIN) with its output in the log, --offline when
# cached; on failure, names what the bundle lacks (PackagesNotFoundError) and stops.
run_conda() {
  local label=$1 m
  shift
  local -a offline=() missing items=()
  [[ $BP_CACHED == yes ]] && offline=(--offline)
  run_logged "$WORK/conda.log" "$CONDA_BIN" "$@" "${offline[@]}" && return 0
  mapfile -t missing < <(conda_parse_missing "$WORK/conda.log")
  if ((${#missing[@]})); then
    for m in "${missing[@]}"; do items+=("conda package $m ($label)"); done
    missing_many "${items[@]}"
    exit 1
  fi
  fail "conda could not install $label from the buildpack (output above)"
}

# conda_parse_missing LOG: package names conda reported as unavailable
conda_parse_missing() {
  local log=$1 line on=no
  while IFS= read -r line; do
    if [[ $line == *PackagesNotFoundError* || $line == *ResolvePackageNotFound* ]]; then on=yes; continue; fi
    if [[ $line == *"Current channels"* || $line == *"alternate channels"* ]]; then on=no; continue; fi
    if [[ $on == yes && $line =~ ^[[:space:]]+-[[:space:]]+(.+)$ ]]; then
      trim "${BASH_REMATCH[1]}"
      printf '%s\n' "$REPLY"
    fi
  done <"$log"
}

# explicit_answer URL[#HASH] -> REPLY: the local file answering one @EXPLICIT line.
# Cached: exact (redacted) URL in index.tsv, else the same <subdir>/<filename> in any
# bundled channel (mirrors and repo.anaconda.com vs conda.anaconda.org spell the
# channel differently); the #md5 / #sha256 of the line must match the file.
# Online: the URL is downloaded (real curl) and must match its hash.
# Returns 1 with EXPLICIT_WHY set when nothing answers.
explicit_answer() {
  local line=$1 url frag='' want_md5='' want_sha='' sub fn cand sha
  local -a cands=()
  url=${line%%#*}
  [[ $line == *#* ]] && frag=${line#*#}
  frag=${frag#sha256:}
  if [[ $frag =~ ^[0-9a-fA-F]{32}$ ]]; then want_md5=${frag,,}; elif [[ $frag =~ ^[0-9a-fA-F]{64}$ ]]; then want_sha=${frag,,}; fi
  EXPLICIT_WHY=''
  fn=${url##*/}
  sub=${url%/*}
  sub=${sub##*/}
  if [[ $url == file://* ]]; then
    cand=${url#file://}
    [[ -f $cand ]] || { EXPLICIT_WHY="no such file"; return 1; }
    cands=("$cand")
  elif [[ $BP_CACHED != yes ]]; then
    [[ -n $want_md5 || -n $want_sha ]] || { EXPLICIT_WHY="no #md5 or #sha256 to verify it by (staging pins every download)"; return 1; }
    if [[ -n $want_sha ]]; then
      online_fetch "$url" "$want_sha" '' "$fn"
    else
      # content-addressed by sha256, which the line does not give: key the cache by md5
      online_fetch_md5 "$url" "$want_md5" "$fn"
    fi
    return 0
  else
    if bundle_lookup_index "$(redact_url "$url"; printf '%s' "$REPLY")"; then cands+=("$HIT_PATH"); fi
    for cand in "$BP_DIR"/conda/*/"$sub/$fn"; do
      [[ -f $cand && " ${cands[*]} " != *" $cand "* ]] && cands+=("$cand")
    done
  fi
  for cand in "${cands[@]}"; do
    [[ -f $cand ]] || continue
    sha=''
    if [[ $cand == "$BP_DIR"/* ]] && bundle_sha_for_path "${cand#"$BP_DIR"/}"; then
      sha=$REPLY
      bundle_check_file "$cand" "$sha" "conda package $fn" || exit 1
    fi
    if [[ -n $want_md5 ]]; then
      md5_of "$cand"
      if [[ $REPLY != "$want_md5" ]]; then EXPLICIT_WHY="the bundle's $sub/$fn has md5 $REPLY, the list pins $want_md5"; continue; fi
    elif [[ -n $want_sha ]]; then
      [[ -n $sha ]] || { sha256_of "$cand"; sha=$REPLY; }
      if [[ ${sha,,} != "$want_sha" ]]; then EXPLICIT_WHY="the bundle's $sub/$fn has sha256 $sha, the list pins $want_sha"; continue; fi
    fi
    REPLY=$cand
    return 0
  done
  [[ -n $EXPLICIT_WHY ]] || EXPLICIT_WHY="no $sub/$fn in any bundled channel"
  return 1
}

# online_fetch_md5 URL MD5 FILENAME -> REPLY: like online_fetch for @EXPLICIT lines
# that pin only an md5 (conda list --explicit --md5)
online_fetch_md5() {
  local url=$1 md5=$2 fn=$3 dir tmp
  dir=$CACHE_DIR/downloads/md5-$md5
  ONLINE_USED+=("$dir")
  if [[ -f $dir/$fn ]] && md5_of "$dir/$fn" && [[ $REPLY == "$md5" ]]; then
    log_info "Using cached $fn"
    REPLY=$dir/$fn
    return 0
  fi
  mkdir -p -- "$dir"
  tmp=$dir/$fn.partial.$$
  redact_url "$url"
  log_info "Download [$REPLY]"
  command curl -fsSL --retry 3 --retry-delay 1 --connect-timeout 30 -o "$tmp" -- "$url" ||
    { rm -f -- "$tmp"; redact_url "$url"; fail "could not download $REPLY"; }
  md5_of "$tmp"
  local got=$REPLY
  if [[ $got != "$md5" ]]; then
    rm -f -- "$tmp"
    redact_url "$url"
    fail "md5 mismatch for $REPLY" "Wanted: $md5" "Found:  $got"
  fi
  mv -f -- "$tmp" "$dir/$fn"
  REPLY=$dir/$fn
}

# conda_resolve_explicit SRC OUT LABEL: rewrites an @EXPLICIT list so that every line
# is a verified local file:// URL with its md5 (conda 23.7 accepts only #md5);
# every unanswered line is added to MISSING_ALL[].
conda_resolve_explicit() {
  local src=$1 out=$2 label=$3 raw line
  printf '# %s, answered by the buildpack\n@EXPLICIT\n' "$label" >"$out"
  while IFS= read -r raw || [[ -n $raw ]]; do
    trim "${raw%$'\r'}"
    line=$REPLY
    [[ -z $line || $line == \#* || $line == @EXPLICIT ]] && continue
    if explicit_answer "$line"; then
      local path=$REPLY
      md5_of "$path"
      printf 'file://%s#%s\n' "$path" "$REPLY" >>"$out"
    else
      redact_url "${line%%#*}"
      MISSING_ALL+=("$REPLY ($EXPLICIT_WHY; from $label)")
    fi
  done <"$src"
  return 0
}
