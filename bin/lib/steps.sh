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
  STARTED=$(date +%s)
  DEP=$DEPS_DIR/$INDEX
  mkdir -p -- "$DEP/bin" "$DEP/profile.d" "$DEP/env"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/bp-supply.XXXXXX")
  # the .bp-* files are the environment file's pip section / `-e .`, written next to
  # the app so relative paths in them resolve as they would for the app's own files
  trap 'rm -rf -- "$WORK" "$BUILD_DIR/.bp-environment-pip.txt" "$BUILD_DIR/.bp-project-requirements.txt"' EXIT
  log_step "Python (conda/pip) buildpack version $BP_VERSION"
  pip_user_opts "${PIP_OPTS:-}"
  isolate_pip
  MISSING_ALL=()
  PKGS_DIR=$CACHE_DIR/conda/pkgs
  CONDA_CHANNEL_DIRS=()
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
# Sets CONDA_SOURCE (the file deciding the conda packages, '' for none), ENV_FILE,
# ENV_CHANNELS/ENV_CONDA_DEPS/ENV_PIP_DEPS/ENV_VARS (app_parse_environment),
# WANT_PY and WANT_PY_FROM (the python it pins, and where), CONDA_KIND
# (none | specs | explicit | lock).
read_app_request() {
  local runtime_py spec v has_pip=no
  CONDA_SOURCE=''
  app_conda_source "$BUILD_DIR" && CONDA_SOURCE=$REPLY
  ENV_FILE=''
  app_env_file "$BUILD_DIR" && ENV_FILE=$REPLY
  app_runtime_python "$BUILD_DIR"
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
      log_warn "runtime.txt asks for python $runtime_py and $ENV_FILE for python $WANT_PY; using $ENV_FILE (as Cloud Foundry's python buildpack does), remove one of the two"
    elif [[ -z $WANT_PY ]]; then
      WANT_PY=$runtime_py
      WANT_PY_FROM=runtime.txt
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

  [[ -f $BUILD_DIR/requirements.txt || ${#ENV_PIP_DEPS[@]} -gt 0 || -f $BUILD_DIR/setup.py || -f $BUILD_DIR/pyproject.toml ]] && has_pip=yes
  if [[ $CONDA_KIND == none && $has_pip == no ]]; then
    fail "nothing to install: no environment.yml, conda-requirements.txt, conda-lock.yml, requirements.txt, setup.py or pyproject.toml in the app"
  fi
}

# read_conda_specs: the conda specs of conda-requirements.txt or the environment file
# (CONDA_KIND specs). Sets CONDA_SPECS.
read_conda_specs() {
  local line
  CONDA_SPECS=()
  [[ $CONDA_KIND == specs ]] || return 0
  if [[ $CONDA_SOURCE == conda-requirements.txt ]]; then
    while IFS= read -r line || [[ -n $line ]]; do
      trim "${line%%#*}"
      [[ -n $REPLY && $REPLY != @* ]] && CONDA_SPECS+=("$REPLY")
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
# either way. Sets PIP_FILES (the app's files), PIP_MODE, PIP_REQUIREMENTS (-r args).
read_pip_requirements() {
  local f n=0
  PIP_FILES=()
  [[ -f $BUILD_DIR/requirements.txt ]] && PIP_FILES+=("$BUILD_DIR/requirements.txt")
  if ((${#ENV_PIP_DEPS[@]})); then
    printf '%s\n' "${ENV_PIP_DEPS[@]}" >"$BUILD_DIR/.bp-environment-pip.txt"
    PIP_FILES+=("$BUILD_DIR/.bp-environment-pip.txt")
  fi
  if ((${#PIP_FILES[@]} == 0 && ${#LOCK_PIP[@]} == 0)) && [[ -f $BUILD_DIR/setup.py || -f $BUILD_DIR/pyproject.toml ]]; then
    # Cloud Foundry's python buildpack: a project without requirements.txt installs itself
    printf -- '-e .\n' >"$BUILD_DIR/.bp-project-requirements.txt"
    PIP_FILES+=("$BUILD_DIR/.bp-project-requirements.txt")
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
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    log_info "Adding pip to the environment (ensurepip, offline)"
    run_logged "$WORK/ensurepip.log" "$PYTHON" -m ensurepip --default-pip || fail "python has no pip and ensurepip failed"
  fi
}

# install_pip_packages: conda-lock's pip packages (LOCK_FILES, verified files), then
# the app's requirements from PIP_MODE's source: vendor/, the bundle's PEP 503 tree,
# or the lock's pinned URLs (online)
install_pip_packages() {
  local -a pip_base pip_args=()
  export PIP_CACHE_DIR=$CACHE_DIR/pip
  pip_base=("$PYTHON" -m pip install --exists-action=w --src="$DEP/src" --no-warn-script-location --disable-pip-version-check)

  if ((${#LOCK_FILES[@]})); then
    log_step "Installing pip packages from $CONDA_SOURCE"
    run_logged "$WORK/pip.log" "${pip_base[@]}" --no-index --no-deps "${LOCK_FILES[@]}" ||
      { pip_report_failure "$WORK/pip.log"; fail "pip install of the $CONDA_SOURCE pip packages failed"; }
  fi

  ((${#PIP_REQUIREMENTS[@]})) || return 0
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
  (
    cd "$BUILD_DIR"
    run_logged "$WORK/pip.log" "${pip_base[@]}" "${pip_args[@]}" "${PIP_USER_OPTS[@]}" "${PIP_REQUIREMENTS[@]}"
  ) || {
    pip_report_failure "$WORK/pip.log"
    [[ $PIP_MODE == vendor ]] && fail "Running pip install failed. You need to include all dependencies in the vendor directory."
    fail "Running pip install failed (output above)"
  }
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
