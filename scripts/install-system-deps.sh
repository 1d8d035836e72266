#!/usr/bin/env bash
# Installs the Debian packages the test suite (or the demo) needs, once. Idempotent; does nothing
# for packages already present. Needs root (CI and `make test` run as root).
set -euo pipefail

# `install-system-deps.sh demo` installs only what `make demo` needs (the broker and npm);
# without an argument, everything the test suite needs.
if [ "${1:-test}" = demo ]; then
  packages=(mosquitto)
else
  packages=(mosquitto influxdb victoria-metrics shellcheck chromium)
fi
# The console's assets are vendored with npm at install time; take Debian's Node.js only when
# the machine has none (a newer one from elsewhere is fine).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

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
