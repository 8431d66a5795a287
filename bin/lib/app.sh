# shellcheck shell=bash
# shellcheck disable=SC2034 # APP_* / ENV_* are this library's outputs
# The app's files: which ones the buildpack reads, in which precedence (this is
# the one place that says so on the staging side; docs/APP-DEVELOPERS.md has the
# table), and the bash readers of the simple ones (no python exists before
# Miniconda is installed, and the stack has no yq/jq). The Python lock files are
# read by bin/lib/pip_inputs.py, with the staged python.
#   runtime.txt, .python-version, $PYTHON_VERSION   python-3.11.7 | Python-3.11.x | 3.11
#   environment.yml          the subset conda env files use in practice: name,
#                            channels, dependencies (+ nested `- pip:`), variables
#                            (https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually)
#   @EXPLICIT files          `conda list --explicit --md5` / conda-lock render output
#   conda-lock.yml           conda-lock v1 `package:` list (https://conda.github.io/conda-lock/output/)
#   requirements.txt         top-level project names, for the pre-check

# Conda packages: the first of these (a lock is exact, so it beats specs).
APP_CONDA_FILES=(conda-lock.yml conda-linux-64.lock conda-requirements.txt environment.yml environment.yaml)
# pip packages: the first of these, after conda's (a Python lock file is a complete
# environment, so it beats requirements.txt, which is then not read).
APP_PIP_FILES=(pylock.toml uv.lock poetry.lock Pipfile.lock requirements.txt)
# A Python project installed itself when no pip file above names its packages.
APP_PROJECT_FILES=(setup.py pyproject.toml)
# The Python version: the first that names one (environment.yml's python= wins over all).
APP_PYTHON_FILES=(runtime.txt .python-version)

# app_detect_files: every file whose presence makes bin/detect accept the app
app_detect_files() {
  printf '%s\n' "${APP_CONDA_FILES[@]}" "${APP_PIP_FILES[@]}" "${APP_PROJECT_FILES[@]}"
}

# first_present BUILD_DIR FILE... -> REPLY: the first FILE that exists in BUILD_DIR ('' for none)
first_present() {
  local b=$1 f
  shift
  for f in "$@"; do
    if [[ -f $b/$f ]]; then
      REPLY=$f
      return 0
    fi
  done
  REPLY=''
  return 1
}

# app_conda_source BUILD_DIR -> REPLY: the file that decides the conda packages ('' for none)
app_conda_source() { first_present "$1" "${APP_CONDA_FILES[@]}"; }

# app_pip_source BUILD_DIR -> REPLY: the file that decides the pip packages ('' for none)
app_pip_source() { first_present "$1" "${APP_PIP_FILES[@]}"; }

# app_env_file BUILD_DIR -> REPLY environment.yml or environment.yaml or ''
app_env_file() { first_present "$1" environment.yml environment.yaml; }

# python_version_request TEXT WHERE -> REPLY: "3.11.7", "3.11" (for 3.11.x) from
# `python-3.11.7`, `Python-3.11.x`, `3.11`, `cpython-3.11.7`, `cpython@3.11` (pyenv,
# uv and Stackato spellings, any case); fails naming WHERE when it is none of them.
python_version_request() {
  local v=${1//[[:space:]]/}
  v=${v,,}
  v=${v#cpython@}
  v=${v#cpython-}
  v=${v#python-}
  v=${v#python}
  v=${v%.x}
  v=${v%.\*}
  if [[ ! $v =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]]; then
    printable "${1:0:80}"
    fail "$2 must name a CPython version like python-3.11.7, 3.11.x or 3.11, found: $REPLY"
  fi
  REPLY=$v
}

# app_python_version BUILD_DIR -> REPLY (the version, '' for none) and APP_PYTHON_FROM
# (where it came from): runtime.txt, then .python-version (its first line that is no
# comment), then $PYTHON_VERSION (Stackato's variable). Warns when a later one names
# another version than the one used.
app_python_version() {
  local b=$1 f line want='' from=''
  local -a asked=()
  for f in "${APP_PYTHON_FILES[@]}"; do
    [[ -f $b/$f ]] || continue
    line=''
    while IFS= read -r line || [[ -n $line ]]; do
      line=${line%%#*}
      line=${line//[[:space:]]/}
      [[ -n $line ]] && break
    done <"$b/$f"
    [[ -n $line ]] || continue
    python_version_request "$line" "$f"
    asked+=("$f=$REPLY")
  done
  if [[ -n ${PYTHON_VERSION:-} ]]; then
    python_version_request "$PYTHON_VERSION" 'PYTHON_VERSION'
    asked+=("PYTHON_VERSION=$REPLY")
  fi
  if ((${#asked[@]})); then
    from=${asked[0]%%=*}
    want=${asked[0]#*=}
    for f in "${asked[@]:1}"; do
      [[ ${f#*=} == "$want" ]] || log_warn "$from asks for python $want and ${f%%=*} for python ${f#*=}; using $from"
    done
  fi
  APP_PYTHON_FROM=$from
  REPLY=$want
}

# yaml_scalar TEXT -> REPLY: strips a trailing comment and one level of quotes
yaml_scalar() {
  local s=$1
  if [[ $s == \"* ]]; then
    s=${s#\"}
    s=${s%%\"*}
  elif [[ $s == \'* ]]; then
    s=${s#\'}
    s=${s%%\'*}
  else
    s=${s%%[[:space:]]#*}
  fi
  trim "$s"
}

# yaml_flow_list "[a, 'b']" -> appends items to the array named $2
yaml_flow_list() {
  local body=${1#*[}
  local -n into=$2
  local item
  body=${body%]*}
  local IFS=,
  for item in $body; do
    trim "$item"
    yaml_scalar "$REPLY"
    [[ -n $REPLY ]] && into+=("$REPLY")
  done
  return 0
}

# app_parse_environment FILE: fills ENV_NAME, ENV_CHANNELS[], ENV_CONDA_DEPS[],
# ENV_PIP_DEPS[], ENV_VARS[] (KEY=VALUE).
app_parse_environment() {
  local file=$1 raw line key='' indent dash_indent pip_indent=-1 item value
  ENV_NAME=''
  ENV_CHANNELS=()
  ENV_CONDA_DEPS=()
  ENV_PIP_DEPS=()
  ENV_VARS=()
  while IFS= read -r raw || [[ -n $raw ]]; do
    raw=${raw%$'\r'}
    line=${raw%%[[:space:]]#*}
    [[ $line == \#* ]] && continue
    [[ -z ${line//[[:space:]]/} ]] && continue
    if [[ $line =~ ^([A-Za-z_][A-Za-z0-9_-]*):[[:space:]]*(.*)$ ]]; then
      key=${BASH_REMATCH[1]}
      value=${BASH_REMATCH[2]}
      pip_indent=-1
      case $key in
        name) yaml_scalar "$value"; ENV_NAME=$REPLY ;;
        channels) [[ $value == \[* ]] && yaml_flow_list "$value" ENV_CHANNELS ;;
        dependencies) [[ $value == \[* ]] && yaml_flow_list "$value" ENV_CONDA_DEPS ;;
      esac
      continue
    fi
    indent=${line%%[![:space:]]*}
    indent=${#indent}
    if [[ $line =~ ^[[:space:]]*-[[:space:]]*(.*)$ ]]; then
      item=${BASH_REMATCH[1]}
      dash_indent=$indent
      case $key in
        channels)
          yaml_scalar "$item"
          ENV_CHANNELS+=("$REPLY")
          ;;
        dependencies)
          if ((pip_indent >= 0 && dash_indent > pip_indent)); then
            yaml_scalar "$item"
            ENV_PIP_DEPS+=("$REPLY")
          elif [[ $item =~ ^pip:[[:space:]]*(.*)$ ]]; then
            pip_indent=$dash_indent
            [[ ${BASH_REMATCH[1]} == \[* ]] && yaml_flow_list "${BASH_REMATCH[1]}" ENV_PIP_DEPS
          else
            pip_indent=-1
            yaml_scalar "$item"
            ENV_CONDA_DEPS+=("$REPLY")
          fi
          ;;
      esac
    elif [[ $key == variables && $line =~ ^[[:space:]]+([A-Za-z_][A-Za-z0-9_]*):[[:space:]]*(.*)$ ]]; then
      yaml_scalar "${BASH_REMATCH[2]}"
      ENV_VARS+=("${BASH_REMATCH[1]}=$REPLY")
    fi
  done <"$file"
}

# spec_name SPEC -> REPLY: conda MatchSpec package name ("conda-forge::numpy>=1" -> numpy)
spec_name() {
  local s=${1##*::}
  s=${s%%[[:space:]=<>!~\[]*}
  REPLY=${s,,}
}

# spec_version SPEC -> REPLY: the version part of a simple spec ("python=3.11" -> =3.11)
spec_version() {
  local s=${1##*::}
  spec_name "$s"
  s=${s:${#REPLY}}
  trim "$s"
  REPLY=${REPLY%%[[:space:]]*}
}

# is_explicit FILE: true for an @EXPLICIT list
is_explicit() {
  grep -q '^[[:space:]]*@EXPLICIT[[:space:]]*$' "$1"
}

# app_parse_conda_lock FILE PLATFORM: prints one line per package of PLATFORM:
# manager <TAB> name <TAB> url <TAB> md5 <TAB> sha256
app_parse_conda_lock() {
  local file=$1 want=$2 raw line in_pkg=no manager='' platform='' name='' url='' md5='' sha=''
  emit() {
    if [[ -n $url && $platform == "$want" ]]; then
      printf '%s\t%s\t%s\t%s\t%s\n' "${manager:-conda}" "$name" "$url" "$md5" "$sha"
    fi
    manager='' platform='' name='' url='' md5='' sha=''
  }
  while IFS= read -r raw || [[ -n $raw ]]; do
    line=${raw%$'\r'}
    if [[ $line =~ ^package:[[:space:]]*$ ]]; then in_pkg=yes; continue; fi
    if [[ $line =~ ^[A-Za-z_]+: ]]; then
      [[ $in_pkg == yes ]] && emit
      in_pkg=no
      continue
    fi
    [[ $in_pkg == yes ]] || continue
    if [[ $line =~ ^-[[:space:]]+(.*)$ ]]; then
      emit
      line="  ${BASH_REMATCH[1]}"
    fi
    if [[ $line =~ ^[[:space:]]+(name|manager|platform|url|md5|sha256):[[:space:]]*(.*)$ ]]; then
      yaml_scalar "${BASH_REMATCH[2]}"
      case ${BASH_REMATCH[1]} in
        name) name=$REPLY ;;
        manager) manager=$REPLY ;;
        platform) platform=$REPLY ;;
        url) url=$REPLY ;;
        md5) md5=$REPLY ;;
        sha256) sha=$REPLY ;;
      esac
    fi
  done <"$file"
  [[ $in_pkg == yes ]] && emit
  unset -f emit
}

# requirement_names FILE: prints the project names a requirements file asks an
# index for (nested -r files followed; options, direct `name @ URL` references,
# URLs and editables skipped: those are answered by URL, not by the index). A line
# with a marker (`; python_version < "3.11"`) is left out: whether pip installs it
# depends on the app's python, which pip_check_markers asks once it exists.
requirement_names() {
  local file=$1 dir raw line
  dir_of "$file"
  dir=$REPLY
  while IFS= read -r raw || [[ -n $raw ]]; do
    line=${raw%$'\r'}
    line=${line%%[[:space:]]#*}
    [[ $line == \#* ]] && continue
    trim "$line"
    line=$REPLY
    [[ -z $line ]] && continue
    if [[ $line =~ ^(-r|--requirement)[[:space:]=]+(.+)$ ]]; then
      local inc=${BASH_REMATCH[2]}
      [[ $inc == /* ]] || inc=$dir/$inc
      [[ -f $inc ]] && requirement_names "$inc"
      continue
    fi
    [[ $line == -* || $line == *\;* ]] && continue
    if [[ $line =~ ^([A-Za-z0-9][A-Za-z0-9._-]*) && $line != *://* ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
    fi
  done <"$file"
}
