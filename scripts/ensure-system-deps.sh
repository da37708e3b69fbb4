#!/bin/sh
# Installs the system programs the tests start for real, when they are missing (idempotent):
# Debian's etcd-server (the etcd store and multi-node tests start it on loopback) and Debian's
# Chromium (the dashboard's browser tests). Needs root and apt-get on a fresh machine.
set -eu

need=""
command -v etcd >/dev/null 2>&1 || need="$need etcd-server"
[ -x /usr/bin/chromium ] || need="$need chromium"

if [ -n "$need" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-deps: missing:$need (install them, e.g. apt-get install$need)" >&2
    exit 1
  fi
  echo "ensure-system-deps: installing$need" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
