"""Handcrafted haze features, computed on the small resized region of interest.

Haze (Koschmieder: I = J·t + A·(1−t)) lowers contrast and saturation, lifts the dark channel
towards the airlight A, and does so most in the far field. These features measure exactly that.
They run on the ~160×96 model input, so each costs tens of microseconds, and they use OpenCV
reductions and a 256-bin histogram for percentiles instead of sorting.

Cameras auto-expose, so a feature should not change when the whole frame is scaled by k: most
are ratios (std/mean, (max−min)/(max+min), values divided by the airlight). The two brightness
features are absolute on purpose (they tell the model the exposure level) and say so in the name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_DARK_PATCH", "FEATURE_NAMES", "haze_features"]

FEATURE_NAMES: Final[tuple[str, ...]] = (
    "dark_mean",  # dark channel / airlight: mean, 10th, 50th, 90th percentile
    "dark_p10",
    "dark_p50",
    "dark_p90",
    "transmission_mean",  # DCP transmission 1 − ω·dark(I/A), per-channel airlight
    "transmission_std",
    "rms_contrast",  # std(gray) / mean(gray)
    "michelson_contrast",  # (p99 − p1) / (p99 + p1) of gray
    "saturation_mean",  # HSV saturation, 0..1
    "brightness_mean_abs",  # mean gray / 255 (exposure dependent by design)
    "brightness_std_abs",  # std gray / 255 (exposure dependent by design)
    "laplacian_var",  # var(Laplacian(gray)) / mean(gray)²: sharpness
    "edge_density",  # fraction of pixels with |Laplacian| > 0.2·mean(gray)
    "contrast_top",  # rms contrast of the top third (far field for a fixed camera)
    "contrast_bottom",  # rms contrast of the bottom third (near field)
    "contrast_top_bottom_ratio",  # far / near contrast: haze lowers it
    "airlight_blue_red",  # B/R of the airlight (brightest dark-channel pixels)
    "airlight_rel",  # airlight brightness / mean brightness
)
DEFAULT_DARK_PATCH: Final = 5  # min-filter size on the small image (≈15 px on a 480p frame)

_OMEGA: Final = 0.95  # He et al. 2009: keep a little haze so distant objects look natural
_AIRLIGHT_TOP: Final = 0.001  # brightest 0.1 % of the dark channel locate the airlight
_EPS: Final = 1.0  # in 8-bit units: avoids division by zero on black frames
_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(FEATURE_NAMES)}

Vector = npt.NDArray[np.float32]
# What OpenCV returns is typed loosely (integer | floating); internal helpers accept any array.
Image = npt.NDArray[Any]


def haze_features(
    small_bgr: npt.NDArray[np.uint8], names: Sequence[str], dark_patch: int = DEFAULT_DARK_PATCH
) -> Vector:
    """Compute the named features of a small BGR uint8 image, in the order of ``names``.

    All features are computed (they share intermediates and are cheap) and then selected, so
    the values never depend on which subset was asked for.
    """
    values = _all_features(small_bgr, dark_patch)
    return np.array([values[_INDEX[n]] for n in names], dtype=np.float32)


def _all_features(img: Image, dark_patch: int) -> list[float]:
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (dark_patch, dark_patch))
    b, g, r = cv2.split(img)
    dark = cv2.erode(cv2.min(cv2.min(b, g), r), kernel)

    airlight = _airlight(img, dark)
    a_max = max(*airlight, _EPS)
    d10, d50, d90 = _hist_percentiles(dark, (0.10, 0.50, 0.90))
    dark_mean = cv2.mean(dark)[0]

    # Transmission uses the per-channel airlight, so it carries colour information the
    # grey dark-channel statistics above do not (otherwise it would be a linear copy of them).
    inv = [1.0 / max(a, _EPS) for a in airlight]
    norm_min = cv2.min(
        cv2.min(b * np.float32(inv[0]), g * np.float32(inv[1])), r * np.float32(inv[2])
    )
    trans = 1.0 - _OMEGA * cv2.erode(norm_min, kernel)
    t_mean, t_std = _mean_std(trans)

    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    g_mean, g_std = _mean_std(gray)
    p1, p99 = _hist_percentiles(gray, (0.01, 0.99))
    sat = cv2.mean(cv2.cvtColor(img, cv2.COLOR_BGR2HSV))[1] / 255.0

    lap = cv2.Laplacian(gray, cv2.CV_32F, ksize=3)
    _, lap_std = _mean_std(lap)
    edges = np.count_nonzero(np.abs(lap) > 0.2 * (g_mean + _EPS)) / lap.size

    third = max(gray.shape[0] // 3, 1)
    c_top = _rms_contrast(gray[:third])
    c_bottom = _rms_contrast(gray[-third:])

    return [
        dark_mean / a_max,
        d10 / a_max,
        d50 / a_max,
        d90 / a_max,
        t_mean,
        t_std,
        g_std / (g_mean + _EPS),
        (p99 - p1) / (p99 + p1 + _EPS),
        sat,
        g_mean / 255.0,
        g_std / 255.0,
        (lap_std / (g_mean + _EPS)) ** 2,
        edges,
        c_top,
        c_bottom,
        c_top / (c_bottom + 1e-3),
        airlight[0] / (airlight[2] + _EPS),
        float(np.mean(airlight)) / (g_mean + _EPS),
    ]


def _airlight(img: Image, dark: Image) -> tuple[float, float, float]:
    """Mean BGR colour of the pixels whose dark channel is in the top 0.1 % (He et al. 2009)."""
    (threshold,) = _hist_percentiles(dark, (1.0 - _AIRLIGHT_TOP,))
    mask = cv2.compare(dark, np.full_like(dark, threshold), cv2.CMP_GE)
    b, g, r, _ = cv2.mean(img, mask=mask)
    return (b, g, r)


def _hist_percentiles(u8: Image, quantiles: Sequence[float]) -> list[float]:
    """Percentiles of a uint8 image from its histogram: exact to the 8-bit level, no sort."""
    hist = cv2.calcHist([u8], [0], None, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist)
    idx = np.searchsorted(cdf, np.asarray(quantiles) * cdf[-1], side="left")
    return [float(i) for i in np.minimum(idx, 255)]


def _mean_std(image: Image) -> tuple[float, float]:
    mean, std = cv2.meanStdDev(image)
    return float(mean[0, 0]), float(std[0, 0])


def _rms_contrast(gray: Image) -> float:
    mean, std = _mean_std(gray)
    return std / (mean + _EPS)
