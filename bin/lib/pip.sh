# shellcheck shell=bash
# shellcheck disable=SC2034 # PIP_ARGS / PIP_USER_OPTS are this library's outputs
# pip against the bundle's PEP 503 tree (file://<bp>/pypi/simple) and nothing else:
# the machine's pip.conf and PIP_* variables are cut off (isolate_pip), index
# options inside requirements files are stripped (as CF's python buildpack does
# for vendored apps), and direct URLs are answered from dependencies/index.tsv.

# pip_user_opts: the PIP_OPTS-style options an app may set (cf set-env PIP_OPTS ...),
# read before isolate_pip clears PIP_*. Honoured: --pre --no-deps --prefer-binary
# --only-binary X --no-binary X --no-build-isolation --use-pep517 --no-use-pep517
# --upgrade/-U --upgrade-strategy X --force-reinstall --ignore-installed/-I
# --no-compile --require-hashes --config-settings X --constraint/-c FILE
# -v/--verbose -q/--quiet. Everything else (index, find-links, proxy, trusted-host,
# user/target/prefix installs...) is dropped with a warning: it would reach the
# network or put packages where the app will not find them.
pip_user_opts() {
  local raw=$1 a
  local -a words
  PIP_USER_OPTS=()
  [[ -n $raw ]] || return 0
  read -r -a words <<<"$raw"
  local i=0 n=${#words[@]}
  while ((i < n)); do
    a=${words[$i]}
    case $a in
      --pre | --no-deps | --prefer-binary | --no-build-isolation | --use-pep517 | --no-use-pep517 | \
        --upgrade | -U | --force-reinstall | --ignore-installed | -I | --no-compile | --require-hashes | \
        -v | -vv | -vvv | --verbose | -q | --quiet | --only-binary=* | --no-binary=* | --upgrade-strategy=* | \
        --config-settings=* | --constraint=*)
        PIP_USER_OPTS+=("$a") ;;
      --only-binary | --no-binary | --upgrade-strategy | --config-settings | --constraint | -c)
        if ((i + 1 < n)); then
          PIP_USER_OPTS+=("$a" "${words[$((i + 1))]}")
          i=$((i + 1))
        fi
        ;;
      -i | --index-url | --extra-index-url | -f | --find-links | --trusted-host | --proxy | --cert | \
        --client-cert | -t | --target | --prefix | --root | --src | --cache-dir | --log | --timeout | --retries)
        redact_text "$a ${words[$((i + 1))]:-}"
        log_warn "PIP_OPTS: ignoring $REPLY (the bundle is pip's only index at staging)"
        i=$((i + 1))
        ;;
      *)
        redact_text "$a"
        log_warn "PIP_OPTS: ignoring $REPLY (not an option this buildpack passes to pip)"
        ;;
    esac
    i=$((i + 1))
  done
}

# pip_sanitize SRC DEST: copies a requirements file, dropping index options and
# answering direct URLs from the bundle; nested -r/-c files are sanitized too.
# Adds unanswerable URLs to MISSING_ALL[].
pip_sanitize() {
  local src=$1 dest=$2 dir raw line name url inc n=0
  dir_of "$src"
  dir=$REPLY
  : >"$dest"
  while IFS= read -r raw || [[ -n $raw ]]; do
    line=${raw%$'\r'}
    trim "${line%%[[:space:]]#*}"
    line=$REPLY
    [[ $line == \#* ]] && line=''
    if [[ -z $line ]]; then
      continue
    fi
    if [[ $line =~ ^(-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host|--no-index)([[:space:]=]+(.*))?$ ]]; then
      # a local find-links directory of the app (not a URL) is kept
      if [[ ${BASH_REMATCH[1]} =~ ^(-f|--find-links)$ && -n ${BASH_REMATCH[3]} && ${BASH_REMATCH[3]} != *://* ]]; then
        inc=${BASH_REMATCH[3]}
        [[ $inc == /* ]] || inc=$dir/$inc
        printf -- '--find-links %s\n' "$inc" >>"$dest"
        continue
      fi
      redact_text "$line"
      log_info "Ignoring \`$REPLY\` in ${src##*/}: the bundle is pip's only index"
      continue
    fi
    if [[ $line =~ ^(-r|--requirement|-c|--constraint)[[:space:]=]+(.+)$ ]]; then
      local opt=${BASH_REMATCH[1]}
      inc=${BASH_REMATCH[2]}
      [[ $inc == /* ]] || inc=$dir/$inc
      n=$((n + 1))
      pip_sanitize "$inc" "$dest.$n"
      printf -- '%s %s\n' "$opt" "$dest.$n" >>"$dest"
      continue
    fi
    # `name @ URL` or a bare URL: answer from the bundle, never from the network
    url=''
    name=''
    if [[ $line =~ ^([A-Za-z0-9][A-Za-z0-9._-]*[[:space:]]*(\[[^]]*\])?)[[:space:]]*@[[:space:]]*([^[:space:];]+)(.*)$ ]]; then
      name=${BASH_REMATCH[1]}
      url=${BASH_REMATCH[3]}
    elif [[ $line =~ ^(-e[[:space:]]+|--editable[[:space:]=]+)?([a-z+]+://[^[:space:]]+)(.*)$ ]]; then
      url=${BASH_REMATCH[2]}
    fi
    if [[ -n $url && $url != file://* && $BP_CACHED == yes ]]; then
      if [[ $url == git+* || $url == hg+* || $url == svn+* || $url == bzr+* ]]; then
        redact_url "$url"
        MISSING_ALL+=("$REPLY (a VCS requirement cannot be staged offline: vendor it or add the package to the manifest's pip section)")
        continue
      fi
      local frag=''
      [[ $url == *#* ]] && frag=${url#*#}
      if bundle_lookup "${url%%#*}" && bundle_check_file "$HIT_PATH" "$HIT_SHA256" "$HIT_REDACTED"; then
        if [[ $frag =~ sha256=([0-9a-fA-F]{64}) && ${BASH_REMATCH[1],,} != "${HIT_SHA256,,}" ]]; then
          MISSING_ALL+=("$HIT_REDACTED (the requirement pins sha256 ${BASH_REMATCH[1]}, the bundle has $HIT_SHA256)")
          continue
        fi
        if [[ -n $name ]]; then
          printf '%s @ file://%s\n' "$name" "$HIT_PATH" >>"$dest"
        else
          printf 'file://%s\n' "$HIT_PATH" >>"$dest"
        fi
      else
        MISSING_ALL+=("$HIT_REDACTED")
      fi
      continue
    fi
    printf '%s\n' "$line" >>"$dest"
  done <"$src"
}

# pip_precheck: every project the app's requirement files (PIP_FILES) name without
# a marker has a page in pypi/simple; the ones that do not are added to MISSING_ALL[].
# A line with a marker is checked once the app's python exists (pip_check_markers),
# which evaluates it exactly as pip will.
pip_precheck() {
  local i name
  for i in "${!PIP_FILES[@]}"; do
    while IFS= read -r name; do
      normalize_project "$name"
      [[ -f $BP_DIR/pypi/simple/$REPLY/index.html ]] || MISSING_ALL+=("pip package $name (from ${PIP_LABELS[$i]})")
    done < <(requirement_names "${PIP_FILES[$i]}")
  done
  return 0
}

# pip_check_markers PYTHON: every requirement of the app's files (the sanitized copies
# pip reads) whose marker holds for PYTHON, as pip itself reads and evaluates it
# (pip_inputs.py), has a page in pypi/simple; the ones that do not go to MISSING_ALL[].
pip_check_markers() {
  local py=$1 i file name out
  local -a files=()
  for i in "${!PIP_FILES[@]}"; do files+=("$WORK/requirements-$((i + 1)).txt"); done
  ((${#files[@]})) || return 0
  out=$("$py" "$BP_BIN/lib/pip_inputs.py" requirements "${files[@]}" 2>"$WORK/pip-inputs.err") ||
    fail "could not read the app's pip requirements with $py:" "$(cat "$WORK/pip-inputs.err")"
  [[ -s $WORK/pip-inputs.err ]] && indent <"$WORK/pip-inputs.err"
  while IFS=$TAB read -r file name; do
    [[ -n $name ]] || continue
    normalize_project "$name"
    [[ -f $BP_DIR/pypi/simple/$REPLY/index.html ]] && continue
    i=${file##*/requirements-}
    i=$((${i%.txt} - 1))
    MISSING_ALL+=("pip package $name (from ${PIP_LABELS[$i]})")
  done <<<"$out"
  return 0
}

# pip_needs_build_isolation_off: sdists to build but no setuptools/wheel in the
# bundle -> pip cannot populate an isolated build env offline, so build in the
# app's env (which has setuptools from the installer) instead.
pip_needs_no_build_isolation() {
  local dir=$1 f
  for f in "$dir"/*.tar.gz "$dir"/*.zip "$dir"/*.tar.bz2; do
    [[ -f $f ]] || continue
    [[ -f $BP_DIR/pypi/simple/setuptools/index.html && -f $BP_DIR/pypi/simple/wheel/index.html ]] && return 1
    return 0
  done
  return 1
}

# pip_report_failure LOG: turns pip's errors into DEPENDENCY_MISSING_IN_BUNDLE lines
# (a requirement pip's isolated build environment could not find is a build backend)
pip_report_failure() {
  local log=$1 line build=''
  local -a missing=()
  grep -q 'to install build dependencies did not run successfully' "$log" && build=' (a build requirement: [build-system] requires of a project pip builds)'
  while IFS= read -r line; do
    if [[ $line =~ No\ matching\ distribution\ found\ for\ ([^[:space:]]+) ]]; then
      missing+=("pip package ${BASH_REMATCH[1]}$build")
    elif [[ $line =~ No\ such\ file\ or\ directory:\ \'([^\']+)\' ]]; then
      missing+=("pip file ${BASH_REMATCH[1]##*/} (linked from pypi/simple but absent)")
    fi
  done <"$log"
  if ((${#missing[@]})); then
    missing_many "${missing[@]}"
    if [[ -n $build ]]; then
      # shellcheck disable=SC2016
      printf '%sAn app that is a project (setup.py / pyproject.toml) is built with its backend from the bundle: list the app under `apps:` in the manifest, and the packager bundles its [build-system] requires (for a setup.py: setuptools and wheel).\n' "$BP_INDENT" >&2
    fi
  elif grep -q 'THESE PACKAGES DO NOT MATCH THE HASHES' "$log"; then
    log_error "a pip file in the buildpack does not match the sha256 its index page records; the zip is damaged or altered"
  fi
}

# pip_prereleases FILE...: the wheel and sdist file names among FILE... whose
# version is a pre-release (PEP 440: a/b/rc or .dev), space-separated in REPLY.
# The lock follows pip 26, which takes a pre-release when nothing else
# satisfies a requirement; older pips take it only with --pre or an exact pin.
pip_prereleases() {
  local f base ver found=()
  for f in "$@"; do
    base=${f##*/}
    case $base in
      *.whl) ver=${base#*-} ver=${ver%%-*} ;;
      *.tar.gz | *.zip | *.tar.bz2 | *.tgz)
        base=${base%.tar.gz} base=${base%.zip} base=${base%.tar.bz2} base=${base%.tgz}
        ver=${base##*-}
        ;;
      *) continue ;;
    esac
    ver=${ver%%+*}
    ver=${ver,,}
    if [[ $ver =~ [0-9][-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?[0-9]*([-_.]?(post|rev|r)[-_.]?[0-9]*)?([-_.]?dev[-_.]?[0-9]*)?$ ||
      $ver =~ [0-9][-_.]?dev[-_.]?[0-9]*$ ]]; then
      found+=("${f##*/}")
    fi
  done
  REPLY=${found[*]}
}
