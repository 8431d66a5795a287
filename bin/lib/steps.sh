# shellcheck shell=bash
# shellcheck disable=SC2034 # each step hands its results on in the globals its comment names
# The steps of bin/supply that a cached (offline) and an uncached (online) staging
# share, in the order they run; bin/lib/offline.sh and bin/lib/online.sh hold the
# steps of one kind only. Each step says what it sets for the later ones.

# supply_args BUILD_DIR CACHE_DIR DEPS_DIR INDEX: checked, made absolute.
# Sets BUILD_DIR, CACHE_DIR, DEPS_DIR, INDEX.
supply_args() {
  BUILD_DIR=${1:-}
  CACHE_DIR=${2:-}
  DEPS_DIR=${3:-}
  INDEX=${4:-}
  require_dir BUILD_DIR "$BUILD_DIR"
  [[ -n $CACHE_DIR ]] || fail "CACHE_DIR argument is missing (usage: supply BUILD_DIR CACHE_DIR DEPS_DIR INDEX)"
  require_dir DEPS_DIR "$DEPS_DIR"
  [[ $INDEX =~ ^[0-9]+$ ]] || fail "INDEX must be a number, found: ${INDEX:-<empty>}"
  mkdir -p -- "$CACHE_DIR"
  abs_dir "$BUILD_DIR"
  BUILD_DIR=$REPLY
  abs_dir "$CACHE_DIR"
  CACHE_DIR=$REPLY
  abs_dir "$DEPS_DIR"
  DEPS_DIR=$REPLY
}

# supply_begin: the deps dir, a work dir removed at exit, the banner, and pip cut off
# from the machine's configuration (PIP_OPTS-style options are read before every PIP_*
# variable is cleared). Sets BP_* (bundle_init), STARTED, DEP, WORK, MISSING_ALL,
# PKGS_DIR, CONDA_CHANNEL_DIRS.
supply_begin() {
  bundle_init "${BP_BIN%/bin}"
  printf -v STARTED '%(%s)T' -1
  DEP=$DEPS_DIR/$INDEX
  mkdir -p -- "$DEP/bin" "$DEP/profile.d" "$DEP/env"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/bp-supply.XXXXXX")
  # the .bp-* files are the environment file's pip section / `-e .`, written next to
  # the app so relative paths in them resolve as they would for the app's own files
  trap 'rm -rf -- "$WORK" "$BUILD_DIR/.bp-environment-pip.txt" "$BUILD_DIR/.bp-conda-pip.txt" "$BUILD_DIR/.bp-project-requirements.txt"' EXIT
  log_step "Python (conda/pip) buildpack version $BP_VERSION"
  check_stack
  pip_user_opts "${PIP_OPTS:-}"
  isolate_pip
  MISSING_ALL=()
  reuse_cache_dir
  PKGS_DIR=$REUSE_DIR/conda/pkgs
  CONDA_CHANNEL_DIRS=()
}

# check_stack: libbuildpack's CheckStackSupport (manifest.go): a zip packaged for one
# stack (top-level `stack:` in its manifest.yml) stages only on that stack; an
# any-stack zip on a stack one of its dependencies lists in cf_stacks (or on any
# stack when it has no dependencies). Fails with libbuildpack's words otherwise.
check_stack() {
  local want=${CF_STACK:-} s for
  buildpack_stacks "$BP_DIR/manifest.yml"
  if [[ -n $BP_STACK ]]; then
    [[ $BP_STACK == "$want" ]] && return 0
    for=$BP_STACK
  else
    ((BP_DEPENDENCIES == 0)) && return 0
    for s in "${BP_DEP_STACKS[@]}"; do [[ $s == "$want" ]] && return 0; done
    for=${BP_DEP_STACKS[*]}
  fi
  log_error "Stack not supported by buildpack: required stack $want was not found"
  if [[ -z $want ]]; then
    log_error "CF_STACK is not set (Cloud Foundry sets it to the app's stack); this buildpack is for ${for:-no stack}"
  else
    log_error "This buildpack is for ${for:-no stack}: push the app to one of those (cf push -s STACK), or ask your operator for a buildpack packaged for $want"
  fi
  exit 1
}

# buildpack_stacks MANIFEST: what libbuildpack reads for CheckStackSupport from the
# packaged manifest.yml (written by the packager as block YAML): BP_STACK (top-level
# `stack:`, '' for none), BP_DEPENDENCIES (how many `dependencies:` entries) and
# BP_DEP_STACKS (every stack their `cf_stacks` name).
buildpack_stacks() {
  local raw line section='' in_stacks=no indent item_indent=-1
  BP_STACK=''
  BP_DEPENDENCIES=0
  BP_DEP_STACKS=()
  [[ -r $1 ]] || return 0
  while IFS= read -r raw || [[ -n $raw ]]; do
    line=${raw%$'\r'}
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*):[[:space:]]*(.*)$ ]]; then
      section=${BASH_REMATCH[1]}
      if [[ $section == stack ]]; then
        yaml_scalar "${BASH_REMATCH[2]}"
        BP_STACK=$REPLY
      fi
      continue
    fi
    [[ $section == dependencies ]] || continue
    indent=${line%%[![:space:]]*}
    indent=${#indent}
    if [[ $line =~ ^[[:space:]]*-([[:space:]]+(.*))?$ ]]; then
      ((item_indent < 0)) && item_indent=$indent
      if ((indent == item_indent)); then
        BP_DEPENDENCIES=$((BP_DEPENDENCIES + 1))
        in_stacks=no
        line=" ${BASH_REMATCH[2]}" # the entry's first key, if on the dash's line
      elif [[ $in_stacks == yes ]]; then
        yaml_scalar "${BASH_REMATCH[2]}"
        BP_DEP_STACKS+=("$REPLY")
        continue
      fi
    fi
    if [[ $line =~ ^[[:space:]]*cf_stacks:[[:space:]]*(.*)$ ]]; then
      in_stacks=yes
      if [[ ${BASH_REMATCH[1]} == \[* ]]; then
        yaml_flow_list "${BASH_REMATCH[1]}" BP_DEP_STACKS
        in_stacks=no
      fi
    elif [[ $line =~ ^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*: ]]; then
      in_stacks=no
    fi
  done <"$1"
}

# reuse_cache_dir: where the caches that outlive a staging live (conda's package cache,
# pip's cache): $PYTHON_CACHE_DIR when set (Stackato's variable, e.g. a volume shared
# between stagings), else CACHE_DIR. Sets REUSE_DIR.
reuse_cache_dir() {
  REUSE_DIR=$CACHE_DIR
  [[ -n ${PYTHON_CACHE_DIR:-} ]] || return 0
  mkdir -p -- "$PYTHON_CACHE_DIR" 2>/dev/null || fail "PYTHON_CACHE_DIR cannot be created: $PYTHON_CACHE_DIR"
  abs_dir "$PYTHON_CACHE_DIR"
  REUSE_DIR=$REPLY
  log_info "Caching conda and pip packages in $REUSE_DIR (PYTHON_CACHE_DIR)"
}

# note_buildpack_version: CACHE_DIR/BUILDPACK_METADATA. A buildpack upgrade keeps the
# caches (same content-addressed files) but says so.
note_buildpack_version() {
  local meta=$CACHE_DIR/BUILDPACK_METADATA old
  if [[ -f $meta ]]; then
    old=$(grep -m1 '^version:' "$meta" || true)
    old=${old#version: }
    [[ -n $old && $old != "$BP_VERSION" ]] && log_warn "buildpack version changed from $old to $BP_VERSION"
  fi
  printf 'language: %s\nversion: %s\n' "$BP_LANGUAGE" "$BP_VERSION" >"$meta"
}

# read_app_request: what the app asks for. Fails when it asks for nothing.
# Sets CONDA_SOURCE (the file deciding the conda packages, '' for none), PIP_SOURCE
# (the file deciding the pip packages: a Python lock file or requirements.txt), ENV_FILE,
# ENV_CHANNELS/ENV_CONDA_DEPS/ENV_PIP_DEPS/ENV_VARS (app_parse_environment),
# WANT_PY and WANT_PY_FROM (the python it pins, and where), CONDA_KIND
# (none | specs | explicit | lock).
read_app_request() {
  local runtime_py spec v has_pip=no
  CONDA_SOURCE=''
  app_conda_source "$BUILD_DIR" && CONDA_SOURCE=$REPLY
  ENV_FILE=''
  app_env_file "$BUILD_DIR" && ENV_FILE=$REPLY
  app_python_version "$BUILD_DIR"
  runtime_py=$REPLY

  ENV_CHANNELS=() ENV_CONDA_DEPS=() ENV_PIP_DEPS=() ENV_VARS=()
  [[ -n $ENV_FILE ]] && app_parse_environment "$BUILD_DIR/$ENV_FILE"

  WANT_PY=''
  WANT_PY_FROM=''
  for spec in "${ENV_CONDA_DEPS[@]}"; do
    spec_name "$spec"
    if [[ $REPLY == python ]]; then
      spec_version "$spec"
      v=${REPLY#==}
      v=${v#=}
      v=${v%.\*}
      if [[ $v =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
        WANT_PY=$v
        WANT_PY_FROM=$ENV_FILE
      fi
    fi
  done
  if [[ -n $runtime_py ]]; then
    if [[ -n $WANT_PY && $WANT_PY != "$runtime_py" ]]; then
      log_warn "$APP_PYTHON_FROM asks for python $runtime_py and $ENV_FILE for python $WANT_PY; using $ENV_FILE (as Cloud Foundry's python buildpack does), remove one of the two"
    elif [[ -z $WANT_PY ]]; then
      WANT_PY=$runtime_py
      WANT_PY_FROM=$APP_PYTHON_FROM
    fi
  fi

  CONDA_KIND=none
  case $CONDA_SOURCE in
    conda-lock.yml) CONDA_KIND=lock ;;
    conda-linux-64.lock) CONDA_KIND=explicit ;;
    conda-requirements.txt)
      if is_explicit "$BUILD_DIR/$CONDA_SOURCE"; then CONDA_KIND=explicit; else CONDA_KIND=specs; fi
      ;;
    environment.yml | environment.yaml) CONDA_KIND=specs ;;
  esac

  PIP_SOURCE=''
  app_pip_source "$BUILD_DIR" && PIP_SOURCE=$REPLY
  [[ -n $PIP_SOURCE || ${#ENV_PIP_DEPS[@]} -gt 0 || -f $BUILD_DIR/setup.py || -f $BUILD_DIR/pyproject.toml ]] && has_pip=yes
  if [[ $CONDA_KIND == none && $has_pip == no ]]; then
    fail "nothing to install: none of ${APP_CONDA_FILES[*]} ${APP_PIP_FILES[*]} ${APP_PROJECT_FILES[*]} in the app"
  fi
}

# read_conda_specs: the conda specs of conda-requirements.txt or the environment file
# (CONDA_KIND specs). `name=version=pypi_0` lines (`conda list -e` writes them for
# pip-installed packages, which conda cannot install) go to pip as name==version, as
# the packager sends them. Sets CONDA_SPECS and CONDA_PIP_DEPS.
read_conda_specs() {
  local line
  CONDA_SPECS=()
  CONDA_PIP_DEPS=()
  [[ $CONDA_KIND == specs ]] || return 0
  if [[ $CONDA_SOURCE == conda-requirements.txt ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      trim "${line%%#*}"
      line=$REPLY
      [[ -n $line && $line != @* ]] || continue
      if [[ $line =~ ^([^[:space:]=\<\>!~]+)=([^[:space:]=\<\>!~,|*]+)=pypi_0$ ]]; then
        CONDA_PIP_DEPS+=("${BASH_REMATCH[1]}==${BASH_REMATCH[2]}")
      else
        CONDA_SPECS+=("$line")
      fi
    done <"$BUILD_DIR/$CONDA_SOURCE"
  else
    CONDA_SPECS=("${ENV_CONDA_DEPS[@]}")
  fi
  return 0
}

# read_conda_explicit: an @EXPLICIT file or conda-lock.yml (CONDA_KIND explicit or
# lock) as an @EXPLICIT list of verified local files; lines nothing answers go to
# MISSING_ALL. Sets EXPLICIT_FILE ('' for none) and LOCK_PIP (conda-lock's pip
# packages: name <TAB> url <TAB> sha256).
read_conda_explicit() {
  local manager name url md5 sha
  EXPLICIT_FILE=''
  LOCK_PIP=()
  [[ $CONDA_KIND == explicit || $CONDA_KIND == lock ]] || return 0
  EXPLICIT_FILE=$WORK/explicit.txt
  if [[ $CONDA_KIND == explicit ]]; then
    conda_resolve_explicit "$BUILD_DIR/$CONDA_SOURCE" "$EXPLICIT_FILE" "$CONDA_SOURCE"
    return 0
  fi
  conda_subdir
  app_parse_conda_lock "$BUILD_DIR/$CONDA_SOURCE" "$REPLY" >"$WORK/lock.rows"
  {
    echo '@EXPLICIT'
    while IFS=$TAB read -r manager name url md5 sha; do
      if [[ $manager == pip ]]; then
        LOCK_PIP+=("$name"$'\t'"$url"$'\t'"$sha")
        continue
      fi
      if [[ -n $md5 ]]; then echo "$url#$md5"; elif [[ -n $sha ]]; then echo "$url#sha256:$sha"; else echo "$url"; fi
    done <"$WORK/lock.rows"
  } >"$WORK/lock.explicit"
  conda_resolve_explicit "$WORK/lock.explicit" "$EXPLICIT_FILE" "$CONDA_SOURCE"
}

# read_pip_requirements MODE: the app's pip requirement files, copied with index
# options dropped (and, cached, direct URLs answered from the bundle). MODE is where
# pip installs from: bundle (cached) or online; an app with vendor/ installs from it
# either way. A Python lock file (PIP_SOURCE) is read once the python exists
# (read_python_lock); requirements.txt is then not read. Sets PIP_FILES (the app's
# files), PIP_LABELS (what messages call each), PY_LOCK (the lock file, '' for none),
# PIP_MODE, PIP_REQUIREMENTS (-r args).
read_pip_requirements() {
  local f n=0
  PIP_FILES=()
  PIP_LABELS=()
  PY_LOCK=''
  case $PIP_SOURCE in
    requirements.txt) PIP_FILES+=("$BUILD_DIR/requirements.txt") PIP_LABELS+=(requirements.txt) ;;
    ?*)
      PY_LOCK=$PIP_SOURCE
      [[ -f $BUILD_DIR/requirements.txt ]] && log_info "Using $PY_LOCK (a Python lock file); requirements.txt is not read"
      ;;
  esac
  if ((${#CONDA_PIP_DEPS[@]})); then
    printf '%s\n' "${CONDA_PIP_DEPS[@]}" >"$BUILD_DIR/.bp-conda-pip.txt"
    PIP_FILES+=("$BUILD_DIR/.bp-conda-pip.txt") PIP_LABELS+=("$CONDA_SOURCE")
  fi
  if ((${#ENV_PIP_DEPS[@]})); then
    printf '%s\n' "${ENV_PIP_DEPS[@]}" >"$BUILD_DIR/.bp-environment-pip.txt"
    PIP_FILES+=("$BUILD_DIR/.bp-environment-pip.txt") PIP_LABELS+=("the pip section of the environment file")
  fi
  if [[ -z $PIP_SOURCE ]] && ((${#PIP_FILES[@]} == 0 && ${#LOCK_PIP[@]} == 0)) && [[ -f $BUILD_DIR/setup.py || -f $BUILD_DIR/pyproject.toml ]]; then
    # Cloud Foundry's python buildpack: a project without requirements.txt installs itself
    printf -- '-e .\n' >"$BUILD_DIR/.bp-project-requirements.txt"
    PIP_FILES+=("$BUILD_DIR/.bp-project-requirements.txt") PIP_LABELS+=("the project")
  fi
  PIP_MODE=$1
  [[ -d $BUILD_DIR/vendor ]] && PIP_MODE=vendor
  PIP_REQUIREMENTS=()
  for f in "${PIP_FILES[@]}"; do
    n=$((n + 1))
    pip_sanitize "$f" "$WORK/requirements-$n.txt"
    PIP_REQUIREMENTS+=(-r "$WORK/requirements-$n.txt")
  done
}

# read_python_lock: the packages the app's Python lock file (PY_LOCK) selects for the
# app's python, read by that python (pip_inputs.py: default group only, plus
# BP_LOCK_GROUPS / BP_LOCK_EXTRAS), written as a hash-pinned requirements file that
# pip installs with --no-deps --require-hashes: exactly the locked files, never
# re-resolved. Each must be in the buildpack (bundle page / lock.tsv row with one of
# its hashes), else MISSING_ALL. Sets PY_LOCK_REQUIREMENTS ('' for none) and
# PY_LOCK_LOCAL (editable|plain:PATH of the app's own projects).
read_python_lock() {
  local out kind name version hashes line h
  local -a hs
  PY_LOCK_REQUIREMENTS='' PY_LOCK_LOCAL=()
  [[ -n $PY_LOCK ]] || return 0
  out=$("$PYTHON" "$BP_BIN/lib/pip_inputs.py" lock "$PY_LOCK" "$BUILD_DIR/$PY_LOCK" 2>"$WORK/python-lock.err") ||
    fail "$(cat "$WORK/python-lock.err")"
  PY_LOCK_REQUIREMENTS=$WORK/python-lock-requirements.txt
  : >"$PY_LOCK_REQUIREMENTS"
  while IFS=$TAB read -r kind name version hashes; do
    case $kind in
      pkg)
        line="$name==$version"
        IFS=, read -r -a hs <<<"$hashes"
        for h in "${hs[@]}"; do line+=" --hash=sha256:$h"; done
        printf '%s\n' "$line" >>"$PY_LOCK_REQUIREMENTS"
        python_lock_has "$name" "${hs[@]}" || MISSING_ALL+=("pip package $name==$version (from $PY_LOCK)")
        ;;
      local) PY_LOCK_LOCAL+=("$version:$name") ;;
    esac
  done <<<"$out"
  local own=''
  ((${#PY_LOCK_LOCAL[@]})) && own=", and ${#PY_LOCK_LOCAL[@]} project(s) of the app itself"
  log_info "$PY_LOCK: $(grep -c . "$PY_LOCK_REQUIREMENTS") packages locked for python $APP_PY$own"
}

# python_lock_has NAME SHA256...: the buildpack carries a file of NAME with one of
# these hashes (its bundle page links it with #sha256=, or its lock.tsv lists it)
python_lock_has() {
  local name=$1 h page
  shift
  if [[ $BP_CACHED == yes ]]; then
    normalize_project "$name"
    page=$BP_DIR/pypi/simple/$REPLY/index.html
    [[ -f $page ]] || return 1
    for h in "$@"; do grep -qi -- "sha256=$h" "$page" && return 0; done
  else
    for h in "$@"; do cut -f6 "$BP_DIR/lock.tsv" | grep -qix -- "$h" && return 0; done
  fi
  return 1
}

# report_missing: everything the app names that the buildpack lacks, at once, before
# anything is installed
report_missing() {
  if ((${#MISSING_ALL[@]})); then
    missing_many "${MISSING_ALL[@]}"
    exit 1
  fi
}

# choose_installer: Miniconda or Miniforge (the only Python the buildpack carries).
# Sets INSTALLER_* (conda_choose_installer).
choose_installer() {
  conda_choose_installer "$WANT_PY"
  log_step "Installing $INSTALLER_FLAVOR $INSTALLER_VERSION"
  deprecation_warn_eol "${INSTALLER_NAME,,}" "$INSTALLER_VERSION"
}

# install_conda INSTALLER_FILE: `bash <installer> -b -p DEP/conda`.
# Sets CONDA_ROOT, CONDA_BIN, BASE_PY.
install_conda() {
  local conda_version
  CONDA_ROOT=$DEP/conda
  rm -rf -- "$CONDA_ROOT"
  run_logged "$WORK/installer.log" bash "$1" -b -p "$CONDA_ROOT" ||
    fail "the $INSTALLER_FLAVOR installer failed (output above)"
  [[ -x $CONDA_ROOT/bin/python ]] || fail "the $INSTALLER_FLAVOR installer left no $CONDA_ROOT/bin/python"
  CONDA_BIN=$CONDA_ROOT/bin/conda
  [[ -x $CONDA_BIN ]] || CONDA_BIN=$CONDA_ROOT/condabin/conda
  BASE_PY=$("$CONDA_ROOT/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  conda_version=$("$CONDA_BIN" --version 2>/dev/null || true)
  log_info "Base environment: python $BASE_PY, ${conda_version:-conda (version unknown)}"
}

# configure_conda: only the bundle's channels (none online), offline when cached,
# caches under CACHE_DIR. Sets CONDARC_FILE, CHANNEL_ARGS, CACHED_PKGS.
configure_conda() {
  local d f
  mkdir -p -- "$PKGS_DIR"
  CONDARC_FILE=$WORK/condarc
  conda_write_condarc "$CONDARC_FILE" "$PKGS_DIR" "$CONDA_ROOT/envs"
  conda_export_env "$CONDARC_FILE" "$PKGS_DIR" "$CONDA_ROOT/envs"
  CHANNEL_ARGS=(--override-channels)
  for d in "${CONDA_CHANNEL_DIRS[@]}"; do CHANNEL_ARGS+=(-c "file://$BP_DIR/conda/$d"); done
  CACHED_PKGS=0
  for f in "$PKGS_DIR"/*.conda "$PKGS_DIR"/*.tar.bz2; do [[ -f $f ]] && CACHED_PKGS=$((CACHED_PKGS + 1)); done
  return 0
}

# choose_conda_env: the environment the app runs in: the base, unless the app's python
# is not the base python (then conda/envs/app, with that python from the channels).
# Sets ENV_PREFIX, CONDA_VERB (install | create), INSTALL_SPECS (CONDA_SPECS without
# python and pip, which come with the environment).
choose_conda_env() {
  local spec
  ENV_PREFIX=$CONDA_ROOT
  if [[ -n $EXPLICIT_FILE ]]; then
    # an explicit set that brings its own python gets its own env
    grep -Eq '/python-[0-9][^/]*\.(conda|tar\.bz2)#' "$EXPLICIT_FILE" && ENV_PREFIX=$CONDA_ROOT/envs/app
  elif [[ -n $WANT_PY ]] && ! python_satisfies "$BASE_PY" "$WANT_PY"; then
    ENV_PREFIX=$CONDA_ROOT/envs/app
  fi
  INSTALL_SPECS=()
  for spec in "${CONDA_SPECS[@]}"; do
    spec_name "$spec"
    [[ $REPLY == python || $REPLY == pip ]] || INSTALL_SPECS+=("$spec")
  done
  CONDA_VERB=install
  if [[ $ENV_PREFIX != "$CONDA_ROOT" ]]; then
    CONDA_VERB=create
    if [[ -n $EXPLICIT_FILE ]]; then
      log_step "Creating conda environment from $CONDA_SOURCE"
    else
      log_step "Creating conda environment with python $WANT_PY (from $WANT_PY_FROM)"
    fi
  elif [[ -n $EXPLICIT_FILE || ${#INSTALL_SPECS[@]} -gt 0 ]]; then
    log_step "Installing conda packages from $CONDA_SOURCE"
  fi
  ((CACHED_PKGS > 0)) && log_info "Using cached conda packages: $CACHED_PKGS in ${PKGS_DIR#"$CACHE_DIR"/}"
  return 0
}

# install_conda_explicit: the verified @EXPLICIT list, into ENV_PREFIX
install_conda_explicit() {
  run_conda "$CONDA_SOURCE" "$CONDA_VERB" -y -p "$ENV_PREFIX" --file "$EXPLICIT_FILE"
}

# check_python: the environment's python is the one the app pins; deprecation
# warnings; pip added with ensurepip when the environment has none. Sets PYTHON, APP_PY.
check_python() {
  local -a offered_py
  PYTHON=$ENV_PREFIX/bin/python
  [[ -x $PYTHON ]] || fail "the conda environment $ENV_PREFIX has no bin/python (the bundled python package is incomplete)"
  APP_PY=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
  if [[ -n $WANT_PY ]] && ! python_satisfies "$APP_PY" "$WANT_PY"; then
    fail "$WANT_PY_FROM asks for python $WANT_PY but the environment has python $APP_PY"
  fi
  deprecation_warn_eol python "$APP_PY"
  if [[ $WANT_PY =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    mapfile -t offered_py < <(bundled_conda_versions python)
    deprecation_warn_newer_patch python "$APP_PY" "${offered_py[@]}"
  fi
  if ! "$PYTHON" -c 'import pip' >/dev/null 2>&1; then
    log_info "Adding pip to the environment (ensurepip, offline)"
    run_logged "$WORK/ensurepip.log" "$PYTHON" -m ensurepip --default-pip || fail "python has no pip and ensurepip failed"
  fi
}

# install_pip_packages: conda-lock's pip packages (LOCK_FILES, verified files), then
# the app's requirements from PIP_MODE's source: vendor/, the bundle's PEP 503 tree,
# or the lock's pinned URLs (online)
install_pip_packages() {
  local -a pip_base pip_args=()
  export PIP_CACHE_DIR=$REUSE_DIR/pip
  pip_base=("$PYTHON" -m pip install --exists-action=w --src="$DEP/src" --no-warn-script-location --disable-pip-version-check)

  if ((${#LOCK_FILES[@]})); then
    log_step "Installing pip packages from $CONDA_SOURCE"
    run_logged "$WORK/pip.log" "${pip_base[@]}" --no-index --no-deps "${LOCK_FILES[@]}" ||
      { pip_report_failure "$WORK/pip.log"; fail "pip install of the $CONDA_SOURCE pip packages failed"; }
  fi

  ((${#PIP_REQUIREMENTS[@]})) || [[ -n ${PY_LOCK_REQUIREMENTS:-} ]] || return 0
  case $PIP_MODE in
    vendor)
      log_step "Running pip install (vendored)"
      pip_args=(--no-index --find-links="file://$BUILD_DIR/vendor")
      if pip_needs_no_build_isolation "$BUILD_DIR/vendor"; then pip_args+=(--no-build-isolation); fi
      ;;
    bundle)
      log_step "Running pip install"
      pip_args=(--index-url="file://$BP_DIR/pypi/simple")
      if pip_needs_no_build_isolation "$BP_DIR/pypi/files"; then pip_args+=(--no-build-isolation); fi
      pip_prereleases "$BP_DIR"/pypi/files/*
      ;;
    online)
      log_step "Running pip install (pinned by the buildpack lock)"
      online_pip_links "$WORK/links.html"
      pip_args=(--no-index --find-links="file://$WORK/links.html")
      local -a locked
      mapfile -t locked < <(cut -f4 "$BP_DIR/lock.tsv")
      pip_prereleases "${locked[@]}"
      ;;
  esac
  # the lock chose these pre-releases (pip 26's rules); an older pip here takes them only with --pre
  if [[ $PIP_MODE != vendor && -n $REPLY ]]; then
    log_info "The buildpack lock chose pre-releases ($REPLY): passing --pre so this pip accepts them"
    pip_args+=(--pre)
  fi
  [[ -n ${PY_LOCK_REQUIREMENTS:-} ]] && install_python_lock
  ((${#PIP_REQUIREMENTS[@]})) || return 0
  (
    cd "$BUILD_DIR"
    run_logged "$WORK/pip.log" "${pip_base[@]}" "${pip_args[@]}" "${PIP_USER_OPTS[@]}" "${PIP_REQUIREMENTS[@]}"
  ) || {
    pip_report_failure "$WORK/pip.log"
    [[ $PIP_MODE == vendor ]] && fail "Running pip install failed. You need to include all dependencies in the vendor directory."
    fail "Running pip install failed (output above)"
  }
}

# install_python_lock: the Python lock file's packages, exactly the locked files
# (--no-deps --require-hashes), from the same source as the requirements (pip_base,
# pip_args of install_pip_packages); then the app's own projects it names, without
# their dependencies (the lock has them)
install_python_lock() {
  local p
  log_info "Installing the packages $PY_LOCK locks (hash-checked, not re-resolved)"
  (
    cd "$BUILD_DIR"
    run_logged "$WORK/pip.log" "${pip_base[@]}" "${pip_args[@]}" --no-deps --require-hashes -r "$PY_LOCK_REQUIREMENTS"
  ) || {
    pip_report_failure "$WORK/pip.log"
    fail "pip install of the packages $PY_LOCK locks failed (output above)"
  }
  for p in "${PY_LOCK_LOCAL[@]}"; do
    log_info "Installing ${p#*:} (the app's own project in $PY_LOCK)"
    (
      cd "$BUILD_DIR"
      if [[ ${p%%:*} == editable ]]; then
        run_logged "$WORK/pip.log" "${pip_base[@]}" "${pip_args[@]}" --no-deps -e "./${p#*:}"
      else
        run_logged "$WORK/pip.log" "${pip_base[@]}" "${pip_args[@]}" --no-deps "./${p#*:}"
      fi
    ) || {
      pip_report_failure "$WORK/pip.log"
      fail "pip install of ${p#*:} (named by $PY_LOCK) failed: its build backend must be in the buildpack (output above)"
    }
  done
}

# write_launch_env: DEP/bin links (later buildpacks and the app find python, pip and
# conda there), profile.d/python-conda.sh for run time, config.yml for finalize
write_launch_env() {
  local rel_env=${ENV_PREFIX#"$DEP"/} exe kv
  for exe in python python3 pip pip3; do
    [[ -e $ENV_PREFIX/bin/$exe ]] && ln -sfn "../$rel_env/bin/$exe" "$DEP/bin/$exe"
  done
  [[ -e $CONDA_BIN ]] && ln -sfn "../${CONDA_BIN#"$DEP"/}" "$DEP/bin/conda"
  printf '%s' "$ENV_PREFIX" >"$DEP/env/CONDA_PREFIX"

  {
    cat <<PROFILE
# Written by the Python (conda/pip) buildpack $BP_VERSION at staging.
# The conda prefix was built at $DEP; at run time DEPS_DIR may differ
# (/home/vcap/deps), so text files naming the staging path are rewritten once,
# as Cloud Foundry's python buildpack does for conda.
bp_dep="\${DEPS_DIR:-\$HOME/.cloudfoundry}/$INDEX"
bp_staged="$DEP"
if [ "\$bp_dep" != "\$bp_staged" ] && [ ! -f "\$bp_dep/conda/.relocated" ]; then
  grep -rlI -- "\$bp_staged" "\$bp_dep/conda" 2>/dev/null | while IFS= read -r f; do
    sed -i -e "s|\$bp_staged|\$bp_dep|g" "\$f"
  done
  : >"\$bp_dep/conda/.relocated" 2>/dev/null || true
fi
export CONDA_PREFIX="\$bp_dep/$rel_env"
export PATH="\$CONDA_PREFIX/bin:\$bp_dep/bin:\$PATH"
export PYTHONUNBUFFERED="\${PYTHONUNBUFFERED:-1}"
export LANG="\${LANG:-C.UTF-8}"
PROFILE
    for kv in "${ENV_VARS[@]}"; do
      printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
    printf 'unset bp_dep bp_staged\n'
  } >"$DEP/profile.d/python-conda.sh"

  {
    printf -- '---\nname: python\nversion: %s\nconfig:\n' "$BP_VERSION"
    printf '  installer: %s %s\n' "$INSTALLER_FLAVOR" "$INSTALLER_VERSION"
    printf '  conda_prefix: %s\n' "$rel_env"
    printf '  python_version: %s\n' "$APP_PY"
    printf '  cached_buildpack: %s\n' "$([[ $BP_CACHED == yes ]] && echo true || echo false)"
    printf '  conda_source: %s\n' "${CONDA_SOURCE:-none}"
  } >"$DEP/config.yml"
}

# supply_done: the closing line, with the time staging took
supply_done() {
  elapsed_since "$STARTED"
  log_info "Python $APP_PY ready in ${ENV_PREFIX#"$DEPS_DIR"/} ($REPLY)"
}
