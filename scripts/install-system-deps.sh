#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, once. Idempotent; does nothing
# for packages already present. Needs root (CI and `make test` run as root).
set -euo pipefail

packages=(mosquitto influxdb victoria-metrics shellcheck chromium)

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root or install them)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
