#!/bin/sh
# Installs the system programs the tests drive, when they are missing (idempotent):
# Debian's Chromium for the dashboard's browser tests. Needs root and apt-get on a fresh machine.
set -eu

need=""
[ -x /usr/bin/chromium ] || need="$need chromium"

if [ -n "$need" ]; then
  echo "ensure-system-deps: installing$need" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
fi
