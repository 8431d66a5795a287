# shellcheck shell=bash
# shellcheck disable=SC2034 # ONLINE_USED, LOCK_FILES and INSTALLER_FILE are this library's outputs
# Staging with an uncached (online) zip (the steps bin/supply's stage_online runs
# besides the shared ones in steps.sh): every artifact still comes pinned and
# verified, from the upstream URLs the packager recorded in lock.tsv at the zip root:
#   kind <TAB> name <TAB> version <TAB> filename <TAB> uri <TAB> sha256 <TAB> md5 <TAB> channel <TAB> subdir
# (kind = installer | conda | wheel | sdist; URIs redacted like the lock).
# Downloads use the real curl, land in CACHE_DIR/downloads/<sha256>/<filename>
# (reused by the next staging) and are checked before use: installers and conda
# packages by sha256 (and md5), pip files by pip itself against the #sha256 of a
# find-links page this file writes (pip refuses a file whose hash differs).

ONLINE_USED=()

# online_fetch URL SHA256 MD5 FILENAME -> REPLY (verified local path)
online_fetch() {
  local url=$1 sha=$2 md5=$3 fn=$4 dir dest tmp
  redact_url "$url"
  local shown=$REPLY
  [[ -n $sha ]] || fail "lock.tsv has no sha256 for $shown; re-package the online buildpack"
  dir=$CACHE_DIR/downloads/${sha,,}
  dest=$dir/$fn
  ONLINE_USED+=("$dir")
  if [[ -f $dest ]]; then
    sha256_of "$dest"
    if [[ $REPLY == "${sha,,}" ]]; then
      log_info "Using cached $fn"
      REPLY=$dest
      return 0
    fi
    rm -f -- "$dest"
  fi
  if [[ $url == *-redacted-* ]]; then
    fail "cannot download $shown: the lock keeps it without its credentials" \
      "stage with the cached (offline) buildpack, which carries the file"
  fi
  mkdir -p -- "$dir"
  tmp=$dest.partial.$$
  log_info "Download [$shown]"
  if ! command curl -fsSL --retry 3 --retry-delay 1 --connect-timeout 30 -o "$tmp" -- "$url"; then
    rm -f -- "$tmp"
    fail "could not download $shown"
  fi
  sha256_of "$tmp"
  if [[ $REPLY != "${sha,,}" ]]; then
    rm -f -- "$tmp"
    fail "sha256 mismatch for $shown" "Wanted: $sha" "Found:  $REPLY"
  fi
  if [[ -n $md5 ]]; then
    md5_of "$tmp"
    if [[ $REPLY != "${md5,,}" ]]; then
      rm -f -- "$tmp"
      fail "md5 mismatch for $shown" "Wanted: $md5" "Found:  $REPLY"
    fi
  fi
  mv -f -- "$tmp" "$dest"
  REPLY=$dest
}

# online_require_lock: an online zip without lock.tsv cannot stage conda/pip apps pinned
online_require_lock() {
  [[ -r $BP_DIR/lock.tsv ]] && return 0
  fail "this uncached buildpack has no lock.tsv, so it cannot pin what it downloads" \
    "re-package it with bin/package online (which writes lock.tsv), or use the cached buildpack"
}

# online_lock_pip_files: conda-lock's pip packages (LOCK_PIP), downloaded and checked
# against the lock's sha256. Sets LOCK_FILES.
online_lock_pip_files() {
  local row name url sha
  LOCK_FILES=()
  for row in "${LOCK_PIP[@]}"; do
    IFS=$TAB read -r name url sha <<<"$row"
    online_fetch "$url" "$sha" '' "${url##*/}"
    LOCK_FILES+=("$REPLY")
  done
}

# online_installer: the chosen installer, downloaded and sha256 checked. Sets INSTALLER_FILE.
online_installer() {
  online_fetch "$INSTALLER_URL" "$INSTALLER_SHA256" '' "${INSTALLER_PATH##*/}"
  INSTALLER_FILE=$REPLY
}

# online_conda_install: the @EXPLICIT list, or the lock's conda packages (downloaded,
# verified) with the app's specs checked against them: an uncached buildpack
# installs only what its lock pins
online_conda_install() {
  local spec
  if [[ -n $EXPLICIT_FILE ]]; then
    install_conda_explicit
    return 0
  fi
  [[ $CONDA_VERB == create || ${#INSTALL_SPECS[@]} -gt 0 ]] || return 0
  log_info "Installing the conda packages of the buildpack lock"
  online_conda_explicit "$WORK/online.explicit"
  run_conda "the buildpack lock" "$CONDA_VERB" -y -p "$ENV_PREFIX" --file "$WORK/online.explicit"
  for spec in "${INSTALL_SPECS[@]}"; do
    spec_name "$spec"
    compgen -G "$ENV_PREFIX/conda-meta/$REPLY-[0-9]*.json" >/dev/null ||
      fail "DEPENDENCY_MISSING_IN_MANIFEST: conda package $spec (from $CONDA_SOURCE) is not in this buildpack's lock"
  done
}

# online_conda_explicit OUT: the lock's conda packages for this subdir + noarch as an
# @EXPLICIT list of verified local files (one build per name: the highest version).
online_conda_explicit() {
  local out=$1 kind name version fn url sha md5 subdir sd rows _
  conda_subdir
  sd=$REPLY
  rows=$(while IFS=$TAB read -r kind name version fn url sha md5 _ subdir; do
    [[ $kind == conda && ($subdir == "$sd" || $subdir == noarch) ]] || continue
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$fn" "$url" "$sha" "$md5"
  done <"$BP_DIR/lock.tsv" | sort -t "$TAB" -k1,1 -k2,2Vr)
  {
    printf '# conda packages of the buildpack lock, downloaded and verified by the buildpack\n@EXPLICIT\n'
  } >"$out"
  local last=''
  while IFS=$TAB read -r name version fn url sha md5; do
    [[ -n $name && $name != "$last" ]] || continue
    last=$name
    online_fetch "$url" "$sha" "$md5" "$fn"
    local path=$REPLY
    if [[ -z $md5 ]]; then
      md5_of "$path"
      md5=$REPLY
    fi
    printf 'file://%s#%s\n' "$path" "$md5" >>"$out"
  done <<<"$rows"
}

# online_pip_links OUT: a find-links page of the lock's wheels and sdists, each
# link carrying #sha256= so pip verifies what it downloads.
online_pip_links() {
  local out=$1 kind name version fn url sha _
  {
    printf '<!DOCTYPE html>\n<html><body>\n'
    while IFS=$TAB read -r kind name version fn url sha _; do
      [[ $kind == wheel || $kind == sdist ]] || continue
      [[ $url == *-redacted-* ]] && continue
      printf '<a href="%s#sha256=%s">%s</a><br/>\n' "${url%%#*}" "$sha" "$fn"
    done <"$BP_DIR/lock.tsv"
    printf '</body></html>\n'
  } >"$out"
}

# online_cleanup: libbuildpack's CleanupAppCache: drop downloads this staging did not use
online_cleanup() {
  local d keep
  [[ -d $CACHE_DIR/downloads ]] || return 0
  for d in "$CACHE_DIR"/downloads/*/; do
    d=${d%/}
    keep=no
    local u
    for u in "${ONLINE_USED[@]}"; do [[ $u == "$d" ]] && keep=yes && break; done
    [[ $keep == yes ]] || rm -rf -- "$d"
  done
}
