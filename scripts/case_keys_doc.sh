#!/usr/bin/env bash
# Writes docs/case-keys.md: every case key of every command with its default, allowed values
# and meaning, as `ifactflow config COMMAND --markdown` prints them (the commands read their
# keys through the same calls, so the page is what the build reads). The cli_config test
# fails when the page and the build disagree.
#   bash scripts/case_keys_doc.sh [IFACTFLOW_EXE [OUTPUT]]
#     (defaults: build/release/apps/ifactflow, docs/case-keys.md)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exe="${1:-$root/build/release/apps/ifactflow}"
out="${2:-$root/docs/case-keys.md}"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
{
  echo "# Case keys"
  echo
  echo "Every key a case file of each command may hold: its default, the values or range it"
  echo "accepts, and its meaning with units. Made by \`bash scripts/case_keys_doc.sh\` from"
  echo "\`ifactflow config COMMAND --markdown\`; \`ifactflow config COMMAND --resolved CASE.yaml\`"
  echo "prints the values a case takes. A relative path in a case file is resolved against the"
  echo "case file's folder; one given with \`--set\`, against the working directory."
  for cmd in dns dataset train rollout compare; do
    echo
    echo "## \`ifactflow $cmd\`"
    echo
    "$exe" --log-level warn config "$cmd" --markdown
  done
} > "$tmp"
mv "$tmp" "$out"
