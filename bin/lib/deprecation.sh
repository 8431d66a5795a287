# shellcheck shell=bash
# Cloud Foundry's staging warnings about versions (libbuildpack installer.go):
#   warnEndOfLife:  "<name> <version_line> will no longer be available in new
#                   buildpacks released after <date>." (+ "See: <link>") when the
#                   date is past or at most 30 days away
#   warnNewerPatch: "A newer version of <name> is available in this buildpack. ..."
#                   when the app pinned an older patch of a line the bundle has newer
# The dates come from deprecations.tsv at the buildpack root, written by
# `bin/package` from the manifest's dependency_deprecation_dates:
#   name <TAB> version_line <TAB> date (YYYY-MM-DD) <TAB> link <TAB> match-regex
# BP_TODAY=YYYY-MM-DD pretends today is that date (tests, or checking ahead).
# bash + coreutils (GNU date) only.

# deprecation_today -> REPLY: BP_TODAY when it is a date, else today (UTC)
deprecation_today() {
  if [[ ${BP_TODAY:-} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
    REPLY=$BP_TODAY
  else
    REPLY=$(date -u +%Y-%m-%d)
  fi
}

# deprecation_days_until DATE TODAY -> REPLY: whole days (negative when past); 1 when unreadable
deprecation_days_until() {
  local a b
  a=$(date -u -d "$1" +%s 2>/dev/null) || return 1
  b=$(date -u -d "$2" +%s 2>/dev/null) || return 1
  REPLY=$(((a - b) / 86400))
}

# deprecation_covers VERSION_LINE MATCH VERSION: the version is on the line
# (same rules as the packager, src/bundle/deprecations.ts): the legacy match
# regex on the whole version; `3.10.x`/`3.x`/`3.*` wildcards (`1.0.x` covers 1.0); a plain line is
# the version itself or a dotted prefix of it (`2.7` covers 2.7.18).
deprecation_covers() {
  local line=$1 match=$2 version=$3 prefix
  if [[ -n $match ]]; then
    bundle_regex_to_ere "$match"
    [[ $version =~ ^($REPLY)$ ]] 2>/dev/null && return 0
  fi
  [[ $version == "$line" ]] && return 0
  case $line in
    x | X | \*) return 0 ;;
    *.x | *.X | *.\*)
      prefix=${line%.*}
      [[ $prefix == *[xX*]* ]] && return 1
      # a short version reads zero-padded (1.0 is 1.0.0), as libbuildpack's semver does
      local padded=$version pdots=${prefix//[^.]/} vdots=${version//[^.]/}
      while ((${#vdots} <= ${#pdots})); do
        padded+=.0
        vdots+=.
      done
      [[ $padded == "$prefix".* ]]
      return
      ;;
    *[xX*]*) return 1 ;;
  esac
  [[ $version == "$line".* ]]
}

# deprecation_warn_eol NAME VERSION: one warning per deprecations.tsv row of NAME
# that covers VERSION and whose date is at most 30 days away (or past)
deprecation_warn_eol() {
  local want=$1 version=$2 file=$BP_DIR/deprecations.tsv name line date link match today
  [[ -r $file ]] || return 0
  deprecation_today
  today=$REPLY
  while IFS=$TAB read -r name line date link match || [[ -n $name ]]; do
    [[ $name == "$want" ]] || continue
    deprecation_covers "$line" "$match" "$version" || continue
    deprecation_days_until "$date" "$today" || continue
    ((REPLY <= 30)) || continue
    log_warn "$name $line will no longer be available in new buildpacks released after $date."
    [[ -n $link ]] && log_info "See: $link"
  done <"$file"
  return 0
}

# deprecation_warn_newer_patch NAME VERSION AVAILABLE...: libbuildpack's warnNewerPatch
# for an exact X.Y.Z the app pinned: the newest X.Y.* among AVAILABLE, if newer
deprecation_warn_newer_patch() {
  local name=$1 version=$2 newest
  shift 2
  [[ $version =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || return 0
  local line="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}."
  newest=$(printf '%s\n' "$version" "$@" | grep -E "^${line//./\\.}[0-9]+$" | sort -V | tail -n 1)
  [[ -n $newest && $newest != "$version" ]] || return 0
  log_warn "A newer version of $name is available in this buildpack. Please adjust your app to use version $newest instead of version $version as soon as possible. Old versions of $name are only provided to assist in migrating to newer versions."
}

# bundled_conda_versions NAME: prints the versions of conda package NAME the
# buildpack offers: files in the selected bundled channels (cached), or lock.tsv rows (online)
bundled_conda_versions() {
  local want=$1 kind name version rest
  if [[ $BP_CACHED == yes ]]; then
    conda_bundled_versions "$want"
  elif [[ -r $BP_DIR/lock.tsv ]]; then
    while IFS=$TAB read -r kind name version rest; do
      [[ $kind == conda && $name == "$want" ]] && printf '%s\n' "$version"
    done <"$BP_DIR/lock.tsv"
  fi
  return 0
}
