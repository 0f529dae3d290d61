#!/usr/bin/env bash
# Backticks in single quotes below are Markdown code, not command substitution.
# shellcheck disable=SC2016

# The shell half of the GitHub Action (action.yml). Kept in a file so tests can run it.
#
#   action-gate.sh gate     audit, write the reports and the job summary, run the drift gate;
#                           always exits 0 and leaves the verdict in $GITHUB_OUTPUT
#   action-gate.sh finish   turn that verdict into the job's result, with a clear error
#
# Everything comes in through the environment, never through ${{ }} in the script, so no input
# or file name can become shell code:
#   SCOPEAUDIT            the binary (default: scopeaudit on PATH)
#   SCOPEAUDIT_PATHS      files, directories or authorize URLs to audit, one per line
#   SCOPEAUDIT_FAIL_ON    --fail-on for the audit and the drift gate (empty: the policy's or high)
#   SCOPEAUDIT_ARGS       more audit arguments, split on whitespace
#   SCOPEAUDIT_DIFF_BASE  a commit (the pull request's base); empty: no drift gate
#   SCOPEAUDIT_REPORT_DIR where the reports go (default: $RUNNER_TEMP/scopeaudit)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY  as GitHub sets them (either may be unset here)
# finish reads: EXIT_CODE, DRIFT_EXIT_CODE, SARIF_UPLOADED.
set -uo pipefail

# GitHub's limit on one step's job summary.
SUMMARY_LIMIT=$((1024 * 1024))

output() { # name value
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
}

summary() { # appends stdin to the job summary (or stdout when there is none)
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat >>"$GITHUB_STEP_SUMMARY"; else cat; fi
}

# Workflow commands take their message after `::`; escape it so no input text can end the
# message and start a command of its own.
command_data() {
  local s=$1
  s=${s//'%'/'%25'}
  s=${s//$'\r'/'%0D'}
  s=${s//$'\n'/'%0A'}
  printf '%s' "$s"
}

# Runs scopeaudit with GitHub's command processing paused, so nothing from an input that the
# tool prints (an app name, a file name) is read by the runner as a workflow command.
scopeaudit_quiet() {
  local token status
  token="scopeaudit-$RANDOM$RANDOM$RANDOM"
  echo "::stop-commands::$token"
  "$SCOPEAUDIT" "$@"
  status=$?
  echo "::$token::"
  return "$status"
}

gate() {
  SCOPEAUDIT=${SCOPEAUDIT:-scopeaudit}
  local dir=${SCOPEAUDIT_REPORT_DIR:-${RUNNER_TEMP:-/tmp}/scopeaudit}
  mkdir -p "$dir" || { echo "::error::cannot create the report directory $(command_data "$dir")"; output exit-code 2; return 0; }
  local sarif="$dir/scopeaudit.sarif" md="$dir/scopeaudit.md" html="$dir/scopeaudit.html" json="$dir/scopeaudit.json"
  rm -f "$sarif" "$md" "$html" "$json" "$dir/drift.md"
  output report-dir "$dir"

  local -a paths=() args=()
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    # Trim surrounding blanks; a path with inner spaces stays one path.
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -n "$line" ] && paths+=("$line")
  done <<<"${SCOPEAUDIT_PATHS:-.}"
  [ ${#paths[@]} -gt 0 ] || paths=(.)
  set -f
  # shellcheck disable=SC2206 # split on whitespace, no globbing: documented for `args`
  args=(${SCOPEAUDIT_ARGS:-})
  set +f
  if [ -n "${SCOPEAUDIT_FAIL_ON:-}" ]; then args+=(--fail-on "$SCOPEAUDIT_FAIL_ON"); fi

  local code
  scopeaudit_quiet audit "${paths[@]}" "${args[@]}" -o "$sarif" -o "$md" -o "$html" -o "$json"
  code=$?
  output exit-code "$code"

  for pair in "sarif:$sarif" "markdown:$md" "html:$html" "json:$json"; do
    if [ -f "${pair#*:}" ]; then output "${pair%%:*}" "${pair#*:}"; fi
  done
  # Only a complete report goes to code scanning: an upload replaces the category's previous
  # one, and a report with files missing would mark their alerts fixed.
  if [ -f "$sarif" ] && { [ "$code" = 0 ] || [ "$code" = 1 ]; }; then
    output sarif-upload true
  else
    output sarif-upload false
  fi

  if [ -f "$md" ]; then
    local size
    size=$(wc -c <"$md")
    if [ "$size" -le "$SUMMARY_LIMIT" ]; then
      summary <"$md"
    else
      printf '# scopeaudit\n\nThe report (%s bytes) is over the 1 MiB job-summary limit, so it is not shown here: see the SARIF in code scanning or the report files (exit code %s).\n' "$size" "$code" | summary
    fi
  else
    printf '# scopeaudit\n\n**No report: scopeaudit exited %s before it could write one** (bad usage, an input that cannot be read, an invalid policy, rules or catalog). The error is in the log of this step.\n' "$code" | summary
  fi

  if [ -n "${SCOPEAUDIT_DIFF_BASE:-}" ]; then
    local drift
    if [ "$code" != 0 ] && [ "$code" != 1 ]; then
      echo "::warning title=scopeaudit drift gate::not run: the audit did not complete (exit $code)"
      printf '\n# Drift gate\n\nNot run: the audit did not complete (exit %s).\n' "$code" | summary
      drift=2
    else
      drift_gate "$dir" "$json" "${paths[@]}"
      drift=$?
    fi
    output drift-exit-code "$drift"
  fi
  return 0
}

# Compares every app under the audited paths with the same app (same platform and identity)
# at the base commit: `scopeaudit diff` for an app on both sides, a notice for an app that is
# new in the pull request (the audit above is its full review) or gone from it, and a warning
# for an app that cannot be compared one to one (a file holding several apps, two apps with
# one identity); the audit still gates those. Returns the worst exit code: 2 when the base or
# a compared app could not be read, else 1 when a diff gate failed.
drift_gate() {
  local dir=$1 head_json=$2
  shift 2
  local base=$SCOPEAUDIT_DIFF_BASE base_dir worst=0
  local drift_md="$dir/drift.md"
  : >"$drift_md"
  if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    echo "::error title=scopeaudit drift gate::the base $(command_data "$base") is not a commit in this checkout (check out with fetch-depth: 0)"
    printf '\n# Drift gate\n\nThe base commit is not in this checkout (check out with `fetch-depth: 0`).\n' | summary
    return 2
  fi
  base_dir=$(mktemp -d)
  # The audited paths as they were at the base; a path absent there is new. An argument that is
  # no path at all (an authorize URL) is the same on both sides.
  local -a base_inputs=()
  local p mode type object path
  for p in "$@"; do
    if git cat-file -e "$base:./${p%/}" 2>/dev/null; then
      while IFS=$'\t' read -r -d '' meta path; do
        read -r mode type object <<<"$meta"
        [ "$type" = blob ] || continue
        mkdir -p "$base_dir/$(dirname -- "$path")"
        if [ "$mode" = 120000 ]; then
          ln -s -- "$(git cat-file blob "$object")" "$base_dir/$path"
        else
          git cat-file blob "$object" >"$base_dir/$path"
        fi
      done < <(git ls-tree -r -z "$base" -- "$p")
      base_inputs+=("$base_dir/${p%/}")
    elif [ ! -e "$p" ]; then
      base_inputs+=("$p")
    fi
  done

  local base_json="$base_dir.json" base_err="$base_dir.err" code=0
  if [ ${#base_inputs[@]} -gt 0 ]; then
    "$SCOPEAUDIT" audit "${base_inputs[@]}" --no-config --fail-on never -f json >"$base_json" 2>"$base_err"
    code=$?
  fi
  if [ ${#base_inputs[@]} -eq 0 ] || { [ "$code" = 2 ] && grep -q '^error: no apps found in' "$base_err"; }; then
    echo '{"apps":[]}' >"$base_json"
  elif [ "$code" != 0 ] || ! jq -e '.complete' "$base_json" >/dev/null 2>&1; then
    echo "::error title=scopeaudit drift gate::the apps at the base commit could not all be read (exit $code)"
    sed 's/^/  base: /' "$base_err" >&2
    printf '\n# Drift gate\n\nThe apps at the base commit could not all be read; nothing was compared.\n' | summary
    rm -rf "$base_dir" "$base_json" "$base_err"
    return 2
  fi

  # One plan entry per app: compare (one app each side), new, removed or not comparable.
  local plan
  plan=$(jq -c -n --arg base_dir "$base_dir/" --slurpfile old "$base_json" --slurpfile new "$head_json" '
    def key: [.platform, .identity.kind, .identity.value] | tojson;
    def per_source($apps): reduce $apps[] as $a ({}; .[$a.source.path] += 1);
    ($old[0].apps) as $o | ($new[0].apps) as $n
    | per_source($o) as $os | per_source($n) as $ns
    | ($o | group_by(key) | map({key: (.[0] | key), value: .}) | from_entries) as $ob
    | ($n | group_by(key) | map({key: (.[0] | key), value: .}) | from_entries) as $nb
    | ($nb | to_entries[] | .key as $k | .value as $news
        | ($ob[$k] // []) as $olds
        | if ($olds | length) == 0 then {kind: "new", name: $news[0].name, platform: $news[0].platform, path: $news[0].source.path}
          elif ($olds | length) > 1 or ($news | length) > 1 then {kind: "ambiguous", name: $news[0].name, platform: $news[0].platform, path: $news[0].source.path, why: "\($news | length) apps in the pull request and \($olds | length) at the base share this identity"}
          elif $os[$olds[0].source.path] > 1 or $ns[$news[0].source.path] > 1 then {kind: "ambiguous", name: $news[0].name, platform: $news[0].platform, path: $news[0].source.path, why: "its file holds several apps, and diff compares one app per side"}
          else {kind: "compare", name: $news[0].name, old: $olds[0].source.path, path: $news[0].source.path}
          end),
      ($ob | to_entries[] | select($nb[.key] == null) | .value[0]
        | {kind: "removed", name: .name, platform: .platform, path: (.source.path | ltrimstr($base_dir))})
  ') || { echo "::error title=scopeaudit drift gate::cannot read the audit reports (is jq installed?)"; rm -rf "$base_dir" "$base_json" "$base_err"; return 2; }

  local entry kind name where old why n=0 rc short
  local -a diff_args=()
  if [ -n "${SCOPEAUDIT_FAIL_ON:-}" ]; then diff_args+=(--fail-on "$SCOPEAUDIT_FAIL_ON"); fi
  local new_list="" removed_list="" skipped_list=""
  while IFS= read -r entry; do
    [ -n "$entry" ] || continue
    kind=$(jq -r .kind <<<"$entry")
    name=$(jq -r '.name | gsub("[\u0000-\u001f\u007f]"; " ") | gsub("(?<c>[\\\\`*_{}\\[\\]<>()#+!|~:-])"; "\\\(.c)")' <<<"$entry")
    where=$(jq -r '.path | gsub("[\u0000-\u001f\u007f]"; " ") | gsub("(?<c>[\\\\`*_{}\\[\\]<>()#+!|~:-])"; "\\\(.c)")' <<<"$entry")
    case $kind in
      compare)
        n=$((n + 1))
        old=$(jq -r .old <<<"$entry")
        path=$(jq -r .path <<<"$entry")
        scopeaudit_quiet diff "$old" "$path" "${diff_args[@]}" -o "$dir/drift-$n.md"
        rc=$?
        if [ -f "$dir/drift-$n.md" ]; then
          { printf '\n'; cat "$dir/drift-$n.md"; } >>"$drift_md"
        else
          printf '\n- %s (%s): **could not be compared** (exit %s, see the log)\n' "$name" "$where" "$rc" >>"$drift_md"
        fi
        if [ "$rc" -gt "$worst" ]; then worst=$rc; fi
        ;;
      new)
        new_list+=$(printf -- '- **%s** (%s, `%s`)' "$name" "$(jq -r .platform <<<"$entry")" "$(jq -r '.path | gsub("[\u0000-\u001f\u007f`]"; "?")' <<<"$entry")")$'\n'
        echo "::warning title=scopeaudit: new app::$(command_data "$(jq -r '.name + " (" + .path + ") is new in this pull request: review its audit in full"' <<<"$entry")")"
        ;;
      removed)
        removed_list+=$(printf -- '- %s (%s, was %s)' "$name" "$(jq -r .platform <<<"$entry")" "$where")$'\n'
        ;;
      ambiguous)
        why=$(jq -r .why <<<"$entry")
        skipped_list+=$(printf -- '- %s (%s): %s' "$name" "$where" "$why")$'\n'
        echo "::warning title=scopeaudit drift gate::$(command_data "$(jq -r '.name' <<<"$entry"): not compared: $why; the audit above still gates it")"
        ;;
    esac
  done <<<"$plan"

  short=$(git rev-parse --short "$base^{commit}")
  {
    printf '\n# Drift gate against %s\n\n' "$short"
    if [ -n "$new_list" ]; then
      printf '## New apps (not at the base commit)\n\nEach is reviewed in full by the audit above; approve it there.\n\n%s\n' "$new_list"
    fi
    if [ -n "$removed_list" ]; then
      printf '## Removed apps\n\n%s\n' "$removed_list"
    fi
    if [ -n "$skipped_list" ]; then
      printf '## Not compared one to one\n\nThe audit above still gates these.\n\n%s\n' "$skipped_list"
    fi
    if [ "$n" = 0 ] && [ -z "$new_list" ] && [ -z "$removed_list" ] && [ -z "$skipped_list" ]; then
      printf 'No apps on either side.\n'
    fi
    cat "$drift_md"
  } | summary
  rm -rf "$base_dir" "$base_json" "$base_err"
  return "$worst"
}

finish() {
  local code=${EXIT_CODE:-} drift=${DRIFT_EXIT_CODE:-} failed=0
  case $code in
    0) echo "scopeaudit: the gate passed" ;;
    1)
      echo "::error title=scopeaudit::the gate failed: unsuppressed findings at or above fail-on. The job summary and code scanning list them; fix the grants, or waive a finding with a reason in .scopeaudit.yaml."
      failed=1
      ;;
    2)
      echo "::error title=scopeaudit::no verdict (exit 2): bad usage, an input that could not be read, or an invalid policy, rules or catalog; or the report is incomplete because some files could not be read. The audit step's log names each file. SARIF was not uploaded."
      failed=1
      ;;
    '')
      echo "::error title=scopeaudit::the audit did not run (no exit code): see the steps above"
      failed=1
      ;;
    *)
      echo "::error title=scopeaudit::scopeaudit exited $(command_data "$code") unexpectedly (a crash or a missing binary): see the audit step's log"
      failed=1
      ;;
  esac
  case $drift in
    '' | 0) ;;
    1)
      echo "::error title=scopeaudit drift gate::the pull request adds findings at or above fail-on to an app that exists at the base: see the drift section of the job summary"
      failed=1
      ;;
    *)
      echo "::error title=scopeaudit drift gate::the drift gate could not compare every app (exit $(command_data "$drift")): see the drift section of the job summary and the log"
      failed=1
      ;;
  esac
  if [ "${SARIF_UPLOADED:-}" = skipped-fork ]; then
    echo "::notice title=scopeaudit::SARIF not uploaded: a pull request from a fork has a read-only token (no security-events: write); the job summary has the report"
  fi
  return "$failed"
}

case ${1:-gate} in
  gate) gate ;;
  finish) finish ;;
  *)
    echo "usage: action-gate.sh gate|finish" >&2
    exit 2
    ;;
esac
