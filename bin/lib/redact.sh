# shellcheck shell=bash
# Credential redaction, byte-for-byte the rules of src/core/redact.ts, so a URL the
# shim is asked for lines up with the redacted URLs the packager wrote into
# dependencies/index.tsv. test/staging/redact.test.ts runs both on one table.
#   userinfo           https://u:p@h/  -> https://-redacted-:-redacted-@h/  (no colon: -redacted-@)
#                      where a WHATWG parser finds it: special schemes with any
#                      run of / or \ (http:/u:p@h/), up to the LAST @ before / \ ? #
#   anaconda.org token /t/<token>/     -> /t/-redacted-/
#                      .../t/<token>   -> .../t/-redacted-  (ends the path; token chars [a-zA-Z0-9-])
#   secret query value ?token=abc      -> ?token=-redacted-  (names below, any case)
# Plain string rewrites, no URL parsing: bash ERE has no lookahead and no
# case-insensitive flag, so the global replacements are written as scans.

BP_REDACTED='-redacted-'
BP_SECRET_PARAMS='token|access_token|auth_token|private_token|auth|code|client_secret|password|passwd|secret|key|api_key|api-key|apikey|signature|sig|x-amz-[a-z0-9-]*|x-goog-[a-z0-9-]*'

# redact_url URL -> sets REPLY to the redacted URL (no subshell: the shim calls it on every request)
redact_url() {
  local u=$1 out='' rest m pre nocase=-u
  # byte semantics and ASCII ranges whatever the caller's locale
  local LC_ALL=C
  local re_special='^((https?|wss?|ftp|file):[/\\]*)([^/\\?#]*)@(.*)$'
  local re_user='^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)@(.*)$'
  local re_token='/t/[^/?#]+/'
  local re_query="^[?&](${BP_SECRET_PARAMS})=[^&#]*"
  local scheme='' userinfo='' after=''
  shopt -q nocasematch && nocase=-s
  shopt -s nocasematch
  if [[ $u =~ $re_special ]]; then
    scheme=${BASH_REMATCH[1]} userinfo=${BASH_REMATCH[3]} after=${BASH_REMATCH[4]}
  fi
  shopt "$nocase" nocasematch
  if [[ -z $scheme && $u =~ $re_user ]]; then
    scheme=${BASH_REMATCH[1]} userinfo=${BASH_REMATCH[2]} after=${BASH_REMATCH[3]}
  fi
  if [[ -n $scheme ]]; then
    if [[ $userinfo == *:* ]]; then
      u="${scheme}${BP_REDACTED}:${BP_REDACTED}@${after}"
    else
      u="${scheme}${BP_REDACTED}@${after}"
    fi
  fi
  # /t/<token>/ anywhere; the trailing slash is not consumed (JS lookahead), so
  # /t/a/t/b/ redacts both tokens.
  rest=$u
  while [[ $rest =~ $re_token ]]; do
    m=${BASH_REMATCH[0]}
    pre=${rest%%"$m"*}
    out+="${pre}/t/${BP_REDACTED}"
    rest="/${rest#*"$m"}"
  done
  u=$out$rest
  # /t/<token> ending the path (a channel_alias): conda's token alphabet, so a
  # file name (/t/tool-1.0.tgz) is left alone
  pre=${u%%[?#]*}
  if [[ $pre =~ /t/[a-zA-Z0-9-]+$ ]]; then
    u="${pre%/t/*}/t/${BP_REDACTED}${u:${#pre}}"
  fi
  # [?&]name=value anywhere (also after '#', as the JS global regex does)
  out=''
  rest=$u
  shopt -s nocasematch
  while :; do
    pre=${rest%%[?&]*}
    if [[ $pre == "$rest" ]]; then out+=$rest; break; fi
    out+=$pre
    rest=${rest:${#pre}}
    if [[ $rest =~ $re_query ]]; then
      out+="${rest:0:1}${BASH_REMATCH[1]}=${BP_REDACTED}"
      rest=${rest:${#BASH_REMATCH[0]}}
    else
      out+=${rest:0:1}
      rest=${rest:1}
    fi
  done
  shopt "$nocase" nocasematch
  REPLY=$out
}

# redact_text TEXT -> REPLY: every URL inside free text redacted (redactText() in TS)
redact_text() {
  local rest=$1 out='' m pre
  local LC_ALL=C
  local re_url="([a-zA-Z][a-zA-Z0-9+.-]*://|([hH][tT][tT][pP][sS]?|[wW][sS][sS]?|[fF][tT][pP]):[/\\]*)[^[:space:]'\"<>]+"
  while [[ $rest =~ $re_url ]]; do
    m=${BASH_REMATCH[0]}
    pre=${rest%%"$m"*}
    redact_url "$m"
    out+=$pre$REPLY
    rest=${rest#*"$m"}
  done
  REPLY=$out$rest
}
