#!/usr/bin/env bash
# Installs the 2.5Vision Edge agent on a Raspberry Pi (Raspberry Pi OS) or an NVIDIA Jetson
# (JetPack) as a hardened systemd service. Run as root from a checkout of the repository:
#
#   sudo deploy/install-edge.sh --device-id cam-0042 [--profile rpi5] [--dry-run]
#
# --dry-run prints every step instead of doing it. EDGE_INSTALL_ROOT (default /) is where the
# platform is read from (/proc/device-tree/model, /etc/nv_tegra_release): tests point it at fakes.
set -euo pipefail

ROOT="${EDGE_INSTALL_ROOT:-/}"
ROOT="${ROOT%/}"
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/edge-agent
CONF_DIR=/etc/edge-agent
DATA_DIR=/var/lib/edge-agent
SERVICE_USER=pm25
DRY_RUN=0
PROFILE=""
DEVICE_ID=""

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo "options: --device-id ID  --profile rpi4|rpi5|jetson-orin-nano|dev  --dry-run  --help"
}

die() {
  echo "install-edge: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --profile) PROFILE="${2:?--profile needs a value}"; shift ;;
    --device-id) DEVICE_ID="${2:?--device-id needs a value}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
  shift
done

# Print a step; run it unless this is a dry run.
step() {
  printf '+ %s\n' "$*"
  if [ "$DRY_RUN" -eq 0 ]; then
    "$@"
  fi
}

detect_platform() {
  local model=""
  if [ -r "$ROOT/proc/device-tree/model" ]; then
    model="$(tr -d '\0' <"$ROOT/proc/device-tree/model")"
  fi
  if [ -e "$ROOT/etc/nv_tegra_release" ] || [[ "$model" == *"NVIDIA Jetson"* ]]; then
    echo jetson
  elif [[ "$model" == "Raspberry Pi 5"* ]]; then
    echo rpi5
  elif [[ "$model" == "Raspberry Pi 4"* ]] || [[ "$model" == "Raspberry Pi Compute Module 4"* ]]; then
    echo rpi4
  else
    echo unknown
  fi
}

PLATFORM="$(detect_platform)"
if [ -z "$PROFILE" ]; then
  case "$PLATFORM" in
    rpi4 | rpi5) PROFILE="$PLATFORM" ;;
    jetson) PROFILE=jetson-orin-nano ;;
    *) die "unknown platform (no Raspberry Pi 4/5 or Jetson found under $ROOT); pass --profile" ;;
  esac
fi
[ -f "$SOURCE/firmware_configs/$PROFILE.yaml" ] || die "no profile firmware_configs/$PROFILE.yaml"
if [ -n "$DEVICE_ID" ] && ! [[ "$DEVICE_ID" =~ ^[a-z0-9_-]{1,64}$ ]]; then
  die "device id '$DEVICE_ID' must match ^[a-z0-9_-]{1,64}\$"
fi
if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (or with --dry-run)"
fi
echo "platform: $PLATFORM, profile: $PROFILE, source: $SOURCE"

# 1. System packages: the camera stack and Python.
VENV_FLAGS=()
case "$PLATFORM" in
  rpi4 | rpi5)
    # picamera2 and libcamera come from Raspberry Pi OS (they are tied to its kernel and
    # firmware), so the venv sees system site packages.
    step apt-get install -y --no-install-recommends python3-venv python3-picamera2 libcamera-apps
    VENV_FLAGS=(--system-site-packages)
    ;;
  jetson)
    # JetPack ships CUDA, cuDNN, TensorRT and GStreamer with nvarguscamerasrc for CSI cameras.
    step apt-get install -y --no-install-recommends python3-venv python3-opencv gstreamer1.0-tools
    VENV_FLAGS=(--system-site-packages)
    ;;
  *)
    step apt-get install -y --no-install-recommends python3-venv
    ;;
esac

# 2. The service user and its directories.
if ! id "$SERVICE_USER" >/dev/null 2>&1; then
  step useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin --groups video "$SERVICE_USER"
fi
step install -d -o root -g "$SERVICE_USER" -m 0750 "$CONF_DIR"
step install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0750 "$DATA_DIR"

# 3. The venv with the agent.
step python3 -m venv "${VENV_FLAGS[@]}" "$PREFIX/venv"
step "$PREFIX/venv/bin/pip" install --upgrade pip
step "$PREFIX/venv/bin/pip" install "${SOURCE}[edge]"
if [ "$PLATFORM" = jetson ]; then
  echo "note: for GPU inference install the onnxruntime-gpu wheel matching your JetPack from"
  echo "      NVIDIA's Jetson Zoo into $PREFIX/venv; TensorRT comes with JetPack (python3-libnvinfer)."
fi
step install -d "$PREFIX/docs"
step install -m 0644 "$SOURCE/docs/deployment.md" "$PREFIX/docs/deployment.md"

# 4. Configuration: the platform profile, and the unit's identity (never overwritten).
if [ ! -e "$CONF_DIR/config.yaml" ] || [ "$DRY_RUN" -eq 1 ]; then
  step install -o root -g "$SERVICE_USER" -m 0640 "$SOURCE/firmware_configs/$PROFILE.yaml" "$CONF_DIR/config.yaml"
fi
if [ -n "$DEVICE_ID" ]; then
  step sh -c "umask 027; echo EDGE_AGENT_DEVICE_ID=$DEVICE_ID > $CONF_DIR/device.env"
fi
echo "next: put the broker password in $CONF_DIR/mqtt-password (mode 0640, group $SERVICE_USER)"
echo "      and the broker CA in $CONF_DIR/ca.pem (or unpack the hub's config bundle there)"

# 5. The service.
step install -m 0644 "$SOURCE/deploy/systemd/edge-agent.service" /etc/systemd/system/edge-agent.service
step systemctl daemon-reload
step systemctl enable edge-agent.service
echo "start with: systemctl start edge-agent; check with: $PREFIX/venv/bin/edge-agent check --config $CONF_DIR/config.yaml"
