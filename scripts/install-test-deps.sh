#!/usr/bin/env bash
# Installs the Debian packages micro's tests need, only those missing (used by `npm run test:all`
# and .ci/run): ip (iproute2: network namespaces for mDNS and cross-process tests), python3 (a
# second-language protocol client), curl (README examples), strip (binutils, for the
# single-executable build), tmux (a real terminal for micro explore), chromium (the web dashboard's
# browser tests, driven by playwright-core), etcd, nats-server and redis-server (the etcd, NATS and
# Redis plugins' contract tests and the cross-host test), postgresql (the db's PostgreSQL engine's
# contract tests; Debian keeps its binaries off PATH, in /usr/lib/postgresql/<major>/bin), prometheus
# (a real Prometheus server scraping micro's metrics), prosody (a real XMPP server for the bot). Runs apt-get as root, or through sudo.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need ip iproute2
need python3 python3
need curl curl
need strip binutils
need tmux tmux
need chromium chromium
need etcd etcd-server
need nats-server nats-server
need redis-server redis-server
need prometheus prometheus
need prosody prosody
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n --preserve-env=DEBIAN_FRONTEND)
else
  echo "micro's tests need these Debian packages: ${missing[*]}" >&2
  echo "install them as root (apt-get install ${missing[*]}), or run this again as root or with sudo" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "micro's tests need: ${missing[*]}; this script installs them with apt-get (Debian, Ubuntu), which is not here" >&2
  exit 1
fi
echo "installing what the tests need: ${missing[*]}" >&2
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
