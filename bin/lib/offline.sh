# shellcheck shell=bash
# shellcheck disable=SC2034 # each step hands its results on in the globals its comment names
# The steps of bin/supply for a cached (offline) buildpack only: every file comes
# from the bundle, checked against its recorded sha256, and nothing the bundle
# lacks is fetched (bin/lib/online.sh holds the uncached counterparts).

# offline_precheck_conda: every conda package the app's specs name is in a selected
# bundled channel (python is checked once the base python is known; pip comes with
# every python); the ones that are not go to MISSING_ALL
offline_precheck_conda() {
  local spec
  local -a check=()
  for spec in "${CONDA_SPECS[@]}"; do
    spec_name "$spec"
    [[ $REPLY == python || $REPLY == pip ]] || check+=("$spec")
  done
  conda_precheck "$CONDA_SOURCE" "${check[@]}"
}

# offline_precheck_pip: with the bundle as pip's index, every top-level project the
# app's requirement files name (without a marker) has a page in pypi/simple
offline_precheck_pip() {
  [[ $PIP_MODE == bundle ]] || return 0
  pip_precheck
}

# offline_check_pip_python: what only the app's python can tell, checked before pip
# runs: the requirements whose markers hold for it (pip_check_markers)
offline_check_pip_python() {
  [[ $PIP_MODE == bundle ]] || return 0
  pip_check_markers "$PYTHON"
}

# offline_lock_pip_files: conda-lock's pip packages (LOCK_PIP) from the bundle, by URL
# or by file name under pypi/files, checked against the lock's sha256. Sets LOCK_FILES;
# adds what the bundle lacks to MISSING_ALL.
offline_lock_pip_files() {
  local row name url sha fn
  LOCK_FILES=()
  for row in "${LOCK_PIP[@]}"; do
    IFS=$TAB read -r name url sha <<<"$row"
    fn=${url##*/}
    fn=${fn%%[?#]*}
    if bundle_lookup "$url" || { [[ -f $BP_DIR/pypi/files/$fn ]] && bundle_sha_for_path "pypi/files/$fn" && HIT_PATH=$BP_DIR/pypi/files/$fn && HIT_SHA256=$REPLY; }; then
      if [[ -n $sha && ${sha,,} != "${HIT_SHA256,,}" ]]; then
        MISSING_ALL+=("$fn (conda-lock.yml pins sha256 $sha, the bundle has $HIT_SHA256)")
        continue
      fi
      bundle_check_file "$HIT_PATH" "$HIT_SHA256" "$fn" || exit 1
      LOCK_FILES+=("$HIT_PATH")
    else
      redact_url "$url"
      MISSING_ALL+=("$REPLY (pip package $name from $CONDA_SOURCE)")
    fi
  done
}

# offline_installer: the chosen installer's file in the bundle, sha256 checked.
# Sets INSTALLER_FILE.
offline_installer() {
  INSTALLER_FILE=$BP_DIR/$INSTALLER_PATH
  bundle_check_file "$INSTALLER_FILE" "$INSTALLER_SHA256" "$INSTALLER_NAME $INSTALLER_VERSION installer" || exit 1
  log_info "Copy [${INSTALLER_PATH}] (sha256 verified)"
}

# offline_conda_install: the app's conda packages from the bundled channels (conda
# runs --offline): the @EXPLICIT list, or a new environment with the pinned python
# from the bundle, or the specs into the base environment
offline_conda_install() {
  local -a specs_new
  if [[ -n $EXPLICIT_FILE ]]; then
    install_conda_explicit
  elif [[ $CONDA_VERB == create ]]; then
    conda_bundle_has python "$WANT_PY" || fail_missing "conda package python $WANT_PY (from $WANT_PY_FROM)" \
      "the base environment has python $BASE_PY; another python must come from a bundled conda channel"
    specs_new=("python=$WANT_PY")
    conda_bundle_has pip && specs_new+=(pip)
    specs_new+=("${INSTALL_SPECS[@]}")
    run_conda "${CONDA_SOURCE:-$WANT_PY_FROM}" create -y -p "$ENV_PREFIX" "${CHANNEL_ARGS[@]}" "${specs_new[@]}"
  elif ((${#INSTALL_SPECS[@]})); then
    run_conda "$CONDA_SOURCE" install -y -p "$ENV_PREFIX" "${CHANNEL_ARGS[@]}" "${INSTALL_SPECS[@]}"
  fi
}
