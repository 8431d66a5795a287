# shellcheck shell=bash
# What the curl and wget shims (bin/shim/*) share: starting up (or handing over to
# the real tool when the buildpack is not cached), reading a command line the way
# each tool does, usage errors, and writing a bundled file to where it was asked.
# The shim sets SHIM_SELF (its own path, with a slash) before sourcing this file.

SHIM_DIR=$(cd -- "${SHIM_SELF%/*}" && pwd -P)
# shellcheck source=bin/lib/bundle.sh
source "$SHIM_DIR/../lib/bundle.sh"

# shim_start NAME ARG...: NAME is curl or wget. Without a cached bundle, the real tool
# answers (the uncached buildpack downloads, pinned, with it).
shim_start() {
  SHIM_NAME=$1
  shift
  bundle_init "${SHIM_DIR%/bin/shim}"
  [[ $BP_CACHED == yes ]] || shim_exec_real "$@"
}

# shim_exec_real ARG...: execs the first SHIM_NAME on PATH that is not this shim, with
# every PATH entry that names the shim directory removed, so nothing the real tool
# starts comes back here. An empty entry stands for the current directory, as in the
# shell's own lookup; entries are split by hand so none is globbed or dropped.
shim_exec_real() {
  local rest=$PATH: entry dir real=''
  local -a kept=()
  while [[ -n $rest ]]; do
    entry=${rest%%:*}
    rest=${rest#*:}
    dir=${entry:-.}
    [[ -d $dir && $dir -ef $SHIM_DIR ]] && continue
    kept+=("$entry")
    if [[ -z $real && -f $dir/$SHIM_NAME && -x $dir/$SHIM_NAME && ! $dir/$SHIM_NAME -ef $SHIM_SELF ]]; then
      real=$dir/$SHIM_NAME
    fi
  done
  if [[ -z $real ]]; then
    printf '%s: command not found (the buildpack shim found no real %s on PATH)\n' "$SHIM_NAME" "$SHIM_NAME" >&2
    exit 127
  fi
  PATH=$(IFS=:; printf '%s' "${kept[*]}") exec "$real" "$@"
}

# shim_usage MESSAGE: a usage error (exit 2), in the tool's voice
shim_usage() {
  printf '%s: %s\n' "$SHIM_NAME" "$1" >&2
  printf '%s: (the buildpack %s shim answers downloads from the bundle; see docs/STAGING.md)\n' "$SHIM_NAME" "$SHIM_NAME" >&2
  exit 2
}

# shim_bad_option unknown|needs-value OPTION: the tool's own wording for a bad option
shim_bad_option() {
  case $SHIM_NAME:$1 in
    curl:unknown) shim_usage "option $2: is unknown" ;;
    curl:needs-value) shim_usage "option $2: requires parameter" ;;
    wget:unknown) [[ $2 == --* ]] && shim_usage "unrecognized option '$2'"
      shim_usage "invalid option -- '${2#-}'" ;;
    wget:needs-value) [[ $2 == --* ]] && shim_usage "option '$2' requires an argument"
      shim_usage "option requires an argument -- '${2#-}'" ;;
  esac
}

# shim_check_method METHOD: only GET and HEAD can be answered from the bundle. The
# method is echoed only when it looks like one: `-X <url>` must not print a token.
shim_check_method() {
  case ${1^^} in
    '' | GET | HEAD) return 0 ;;
  esac
  [[ ${1^^} =~ ^[A-Z][A-Z_-]{0,19}$ ]] && shim_usage "request method $1 cannot be answered from the buildpack"
  shim_usage "a request method other than GET or HEAD cannot be answered from the buildpack"
}

# shim_parse_args ARG...: reads a command line as the tool does. Operands are appended
# to urls[]; every option is passed to the tool's handle_value NAME VALUE or
# handle_flag NAME (NAME without dashes). The tool sets first:
#   SHIM_SHORT_VALUE / SHIM_SHORT_FLAGS  letters of one-dash options with / without a value
#   SHIM_LONG_VALUE / SHIM_LONG_FLAGS    " name name ... " of --options with / without one
#   SHIM_WORD_FLAGS                      " -nv -nc ... ": one-dash words (wget's)
# Every option that takes a value consumes it (`--retry 3` is not taken for a URL), and
# an option the tool would not know is a usage error, never guessed.
shim_parse_args() {
  local -a args=("$@")
  local next=0 a rest c no_more=no
  local long_value=${SHIM_LONG_VALUE//$'\n'/ } long_flags=${SHIM_LONG_FLAGS//$'\n'/ }
  while ((next < ${#args[@]})); do
    a=${args[next]}
    next=$((next + 1))
    if [[ $no_more == yes || $a != -* || $a == - ]]; then
      urls+=("$a")
      continue
    fi
    case $a in
      --) no_more=yes ;;
      --*=*) shim_option "${a%%=*}" "${a#*=}" ;;
      --*) shim_option "$a" ;;
      *)
        if [[ $SHIM_WORD_FLAGS == *" $a "* ]]; then
          handle_flag "${a#-}"
          continue
        fi
        rest=${a#-}
        while [[ -n $rest ]]; do
          c=${rest:0:1}
          rest=${rest:1}
          if [[ -n $rest && $SHIM_SHORT_VALUE == *"$c"* ]]; then
            shim_option "-$c" "$rest" # -ofile: the rest of the word is the value
            rest=''
          else
            shim_option "-$c"
          fi
        done
        ;;
    esac
  done
}

# shim_option -X|--NAME [VALUE]: one option of shim_parse_args, handed to the tool. One
# that takes a value and was given none in its word takes the next argument.
shim_option() {
  local opt=$1 name=${1#-} takes_value=no is_flag=no
  name=${name#-}
  if [[ -z $name ]]; then
    :
  elif [[ $opt == --* ]]; then
    [[ $long_value == *" $name "* ]] && takes_value=yes
    [[ $long_flags == *" $name "* ]] && is_flag=yes
  else
    [[ $SHIM_SHORT_VALUE == *"$name"* ]] && takes_value=yes
    [[ $SHIM_SHORT_FLAGS == *"$name"* ]] && is_flag=yes
  fi
  if [[ $takes_value == yes ]]; then
    if (($# < 2)); then
      ((next < ${#args[@]})) || shim_bad_option needs-value "$opt"
      set -- "$opt" "${args[next]}"
      next=$((next + 1))
    fi
    handle_value "$name" "$2"
  elif [[ $is_flag == yes ]]; then
    handle_flag "$name"
  else
    shim_bad_option unknown "$opt"
  fi
}

# shim_url OPERAND -> REPLY: the URL curl or wget fetches for a command-line
# operand (without a scheme: http://, as both tools guess). Returns 1 for one
# that cannot be a URL (empty, blanks, or a leading '-' after `--`): the shim
# reports that without echoing it, as it may be a misplaced --user=name:password.
shim_url() {
  REPLY=$1
  [[ $REPLY == *://* ]] && return 0
  [[ -z $REPLY || $REPLY == -* || $REPLY == *[[:space:]]* ]] && return 1
  # a scheme already there with one slash or backslashes (http:/u:p@h/x): kept
  # as written, so it is redacted and looked up as the packager wrote it
  [[ $REPLY =~ ^[a-zA-Z][a-zA-Z0-9+.-]*:[/\\] ]] && return 0
  REPLY=http://$REPLY
}

# shim_write DEST CMD...: CMD's output to DEST, as curl -o and wget -O write it:
#   "-"                          stdout;
#   an existing target that is not a plain regular file (/dev/null, a FIFO, a
#   device, /dev/stdout or any other symlink): written in place, as the real tools
#   open it, never renamed over (as root that would replace /dev/null itself);
#   anything else: through a temp file next to DEST, renamed over DEST once CMD has
#   succeeded, so a failed copy never shows under DEST's name.
# Returns 23 (curl's "Failure writing output") when DEST cannot be written (a
# directory, a missing or read-only directory) or CMD fails; leaves no temp file.
shim_write() {
  local dest=$1 target fd ok=yes
  shift
  if [[ $dest == - ]]; then
    "$@" || return 23
    return 0
  fi
  [[ -d $dest ]] && return 23
  target=$dest
  if [[ ! -L $dest && (-f $dest || ! -e $dest) ]]; then
    target=.${dest##*/}.bp-$$.tmp
    [[ $dest == */* ]] && target=${dest%/*}/$target
  fi
  # opened once, quietly: a FIFO's reader must see exactly one writer
  { exec {fd}>"$target"; } 2>/dev/null || return 23
  "$@" >&"$fd" || ok=no
  exec {fd}>&-
  if [[ $target == "$dest" ]]; then
    [[ $ok == yes ]] || return 23
    return 0
  fi
  [[ $ok == yes ]] && mv -fT -- "$target" "$dest" 2>/dev/null && return 0
  rm -f -- "$target"
  return 23
}
