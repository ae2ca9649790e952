#!/usr/bin/env bash
# Installs the three agent CLIs that test/agents/real-cli.test.ts drives (Claude Code, Codex,
# opencode) at pinned versions into a cache folder OUTSIDE the repository, about 1 GB in all.
# Idempotent: a CLI whose pinned version is already there is skipped. Each CLI goes into its
# own npm prefix so that one failed install leaves the others usable; the suite skips a CLI
# whose `--version` does not run.
#
#   scripts/install-agent-clis.sh            # into $PLANSPACE_AGENT_CLIS or ~/.cache/planspace/agent-clis
#   PLANSPACE_AGENT_CLIS=/some/dir scripts/install-agent-clis.sh
#
# Prints the folder on its last line. Exits 0 even when an install fails (CI must not fail
# because the registry is out of reach): the failure is printed and that CLI is left out.
set -uo pipefail

dir="${PLANSPACE_AGENT_CLIS:-$HOME/.cache/planspace/agent-clis}"
mkdir -p "$dir"

# name|npm package|pinned version|binary. Bump together with the flags in README and the
# TOMLs `workflow models add` writes: the flags were checked against these versions.
clis=(
  "claude|@anthropic-ai/claude-code|2.1.337|claude"
  "codex|@openai/codex|0.171.0|codex"
  "opencode|opencode-ai|1.18.33|opencode"
)

for entry in "${clis[@]}"; do
  IFS='|' read -r name pkg version bin <<<"$entry"
  prefix="$dir/$name"
  stamp="$prefix/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkg@$version" ] && [ -x "$prefix/node_modules/.bin/$bin" ]; then
    echo "== $name: $pkg@$version already installed in $prefix"
    continue
  fi
  echo "== $name: installing $pkg@$version into $prefix"
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # Scripts stay on: each package picks its platform binary (an optional dependency, e.g.
  # @openai/codex-linux-x64); the postinstall of claude-code and opencode-ai puts it in place.
  started=$(date +%s)
  # Bounded: without a registry npm retries for many minutes, and CI has 90 in all.
  if timeout 600 npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "$pkg@$version" >"$prefix/install.log" 2>&1; then
    if version_out=$("$prefix/node_modules/.bin/$bin" --version 2>&1); then
      echo "$pkg@$version" >"$stamp"
      echo "== $name: installed in $(($(date +%s) - started)) s: $version_out"
    else
      echo "== $name: installed but \`$bin --version\` failed: $version_out" >&2
    fi
  else
    echo "== $name: npm install failed (the real-CLI tests for it will be skipped):" >&2
    tail -n 5 "$prefix/install.log" >&2
  fi
done

echo "$dir"
