#!/usr/bin/env bash
# Install the Debian packages a step needs, the same way on a laptop and in CI.
#
#   tools/system_packages.sh PACKAGE:COMMAND [PACKAGE:COMMAND ...]
#
# For each pair, COMMAND (a path or a name on PATH) proves PACKAGE is there. Missing packages
# are installed with apt-get (after one `apt-get update`) when we are root; otherwise the script
# stops with one line naming the exact command to run, before any test starts.
set -euo pipefail

missing=()
for pair in "$@"; do
  package=${pair%%:*}
  command=${pair#*:}
  if [ -x "$command" ] || command -v "$command" >/dev/null 2>&1; then
    continue
  fi
  missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]}; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${missing[*]}, and this machine has no apt-get: install them with its package manager" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
for pair in "$@"; do
  command=${pair#*:}
  if ! { [ -x "$command" ] || command -v "$command" >/dev/null 2>&1; }; then
    echo "apt-get installed ${pair%%:*} but $command is still missing" >&2
    exit 1
  fi
done
