#!/usr/bin/env bash
# Install the Debian 12 packages pathway needs to build, test and demo.
# Idempotent: does nothing (and needs no network) when all are present.
set -euo pipefail

packages=(
  build-essential
  postgresql-15
  postgresql-server-dev-15
  librdkafka-dev
  libcurl4-openssl-dev
  postgresql-15-pgtap
  libtap-parser-sourcehandler-pgtap-perl
  kcat
  bc
  python3
  dataset-fashion-mnist
)

missing_packages() {
  local p status
  for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "deps: dpkg-query not found; this script supports Debian 12 only" >&2
  exit 1
fi

mapfile -t missing < <(missing_packages)
if (( ${#missing[@]} == 0 )); then
  echo "deps: all ${#packages[@]} packages installed"
  exit 0
fi

echo "deps: missing: ${missing[*]}"
if (( EUID != 0 )); then
  echo "deps: not root; run:" >&2
  echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
  exit 1
fi

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"

mapfile -t missing < <(missing_packages)
if (( ${#missing[@]} != 0 )); then
  echo "deps: still missing after install: ${missing[*]}" >&2
  exit 1
fi
echo "deps: all ${#packages[@]} packages installed"
