#!/bin/sh
# Installs the Debian packages the tests start on loopback (nginx, PgBouncer, Redis Sentinel, Chromium) when one is missing.
# The README's test command runs this first, so a fresh machine needs no manual step; a machine
# where they cannot be installed fails here, loudly, instead of skipping the tests that need them.
set -eu

need=""
command -v nginx >/dev/null 2>&1 || need="$need nginx-light"
command -v pgbouncer >/dev/null 2>&1 || need="$need pgbouncer"
command -v redis-sentinel >/dev/null 2>&1 || need="$need redis-sentinel"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -z "$need" ] && exit 0

echo "installing Debian packages the tests need:$need" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Another apt-get may hold the lock for a while (a first boot's updates): wait for it.
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends $need >/dev/null ||
  { $SUDO apt-get -o DPkg::Lock::Timeout=300 update >/dev/null && $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends $need >/dev/null; }
