"""The camera between scene radiance and the JPEG: lens defects, auto-exposure, sensor noise,
sRGB encoding, pose error and compression.

Auto-exposure matters: a real camera rescales brightness so a hazy noon and a clear noon have
similar mean levels, so a model cannot read PM2.5 from brightness; it has to read contrast and
colour at distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from pm25.physics import linear_to_srgb
from pm25.sim.canvas import F32, value_noise

U8 = npt.NDArray[np.uint8]

_LUT_SIZE = 16384  # fine enough that a linear step is < 1 sRGB code even in the shadows
_BYTE_DIFF_STD = float(np.sqrt(2.0 * (256.0**2 - 1.0) / 12.0))  # std of (u8 − u8)
_SRGB_LUT = np.round(linear_to_srgb(np.linspace(0.0, 1.0, _LUT_SIZE)) * 255.0).astype(np.uint8)


@dataclass(frozen=True)
class CameraEffects:
    """Camera behaviour and optional defects (the quality gate's test cases).

    auto_exposure: scale the mean linear level to ``target_mean`` within [min_gain, max_gain];
        max_gain limits night exposure, so night frames stay dark.
    exposure_ev: extra exposure in stops after AE (+2 over-exposed, −2 under-exposed).
    noise: photon shot noise + read noise from ``full_well_e`` and ``read_noise_e``.
    jpeg_quality: re-encode as JPEG at this quality (None: no compression).
    blur_sigma_px: defocus / dirty-lens blur. dirt: 0..1 smudge veil strength.
    obstruction: 0..1 fraction of the frame covered by a dark blob (leaf, bag, spider).
    shift_px: (dx, dy) camera pose shift; rotation_deg: roll about the image centre.
    defect_seed: where smudges and obstructions sit (fixed per physical defect).
    """

    auto_exposure: bool = True
    target_mean: float = 0.18
    min_gain: float = 0.05
    max_gain: float = 8.0
    exposure_ev: float = 0.0
    noise: bool = True
    full_well_e: float = 6000.0
    read_noise_e: float = 4.0
    jpeg_quality: int | None = None
    blur_sigma_px: float = 0.0
    dirt: float = 0.0
    obstruction: float = 0.0
    shift_px: tuple[float, float] = (0.0, 0.0)
    rotation_deg: float = 0.0
    defect_seed: int = 0


def apply_lens_defects(radiance: F32, fx: CameraEffects) -> F32:
    """Blur, dirt veil and obstruction, in linear light (where optics mix photons)."""
    h, w = radiance.shape[:2]
    out = radiance
    if fx.blur_sigma_px > 0.0 or fx.dirt > 0.0:
        sigma = max(fx.blur_sigma_px, 2.5 * fx.dirt)
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), sigma), np.float32)
    if fx.dirt > 0.0:
        rng = np.random.default_rng([fx.defect_seed, 1])
        smudge = np.clip(0.5 + value_noise(rng, h, w, max(w // 6, 1)), 0.0, 1.0) * fx.dirt
        # Dirt scatters light inside the lens: a veil at the frame's mean level, less contrast.
        veil = float(out.mean()) * 1.3
        out = out * (1.0 - smudge[..., None]) + veil * smudge[..., None]
    if fx.obstruction > 0.0:
        rng = np.random.default_rng([fx.defect_seed, 2])
        radius = np.sqrt(fx.obstruction * h * w / np.pi)
        cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
        yy, xx = np.ogrid[:h, :w]
        r = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) / radius
        cover = np.clip((1.15 - r) / 0.3, 0.0, 1.0).astype(np.float32)  # soft, out of focus
        out = out * (1.0 - 0.97 * cover[..., None])
    return np.asarray(out, np.float32)


def exposure_gain(radiance: F32, fx: CameraEffects) -> float:
    """Gain that auto-exposure picks (metered on a 1/8 subsample), times the EV offset."""
    gain = 1.0
    if fx.auto_exposure:
        mean = float(radiance[::8, ::8].mean()) + 1e-6
        gain = min(max(fx.target_mean / mean, fx.min_gain), fx.max_gain)
    return float(gain * 2.0**fx.exposure_ev)


def expose(radiance: F32, gain: float, fx: CameraEffects, rng: np.random.Generator) -> F32:
    """Scale by the gain and add shot + read noise, in units of the full well (0..1 and beyond)."""
    signal = radiance * np.float32(gain)
    if not fx.noise:
        return signal
    # Gain beyond 4x comes from analog amplification, which amplifies the noise too.
    amp = max(gain / 4.0, 1.0)
    sigma = signal * np.float32(amp / fx.full_well_e)
    sigma += np.float32((fx.read_noise_e * amp / fx.full_well_e) ** 2)
    np.sqrt(sigma, out=sigma)
    sigma *= unit_noise(rng, signal.shape)
    signal += sigma
    return signal


def unit_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> F32:
    """Zero-mean, unit-variance noise: the difference of two uniform bytes (triangular).

    Close enough to Gaussian for sensor noise and ~10x faster than ``standard_normal``, which
    alone would take half the frame budget at 1280x720.
    """
    noise = rng.integers(0, 256, shape, dtype=np.uint8).astype(np.float32)
    noise -= rng.integers(0, 256, shape, dtype=np.uint8)
    noise *= np.float32(1.0 / _BYTE_DIFF_STD)
    return noise


def encode_bgr(linear_rgb: F32) -> U8:
    """Clip, sRGB-encode through a lookup table (fast), and swap to OpenCV's BGR order."""
    scaled = linear_rgb * np.float32(_LUT_SIZE - 1)
    np.clip(scaled, 0.0, _LUT_SIZE - 1, out=scaled)
    scaled += np.float32(0.5)
    rgb = np.take(_SRGB_LUT, scaled.astype(np.uint16))
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), np.uint8)


def apply_pose_and_codec(bgr: U8, fx: CameraEffects) -> U8:
    """Camera shift/roll (a knocked camera) and JPEG compression, on the 8-bit image."""
    out = bgr
    if fx.shift_px != (0.0, 0.0) or fx.rotation_deg != 0.0:
        h, w = out.shape[:2]
        mat = cv2.getRotationMatrix2D((w / 2, h / 2), fx.rotation_deg, 1.0)
        mat[:, 2] += np.asarray(fx.shift_px)
        out = np.asarray(cv2.warpAffine(out, mat, (w, h), borderMode=cv2.BORDER_REPLICATE))
    if fx.jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(fx.jpeg_quality)])
        if ok:
            out = np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)
    return np.asarray(out, np.uint8)
