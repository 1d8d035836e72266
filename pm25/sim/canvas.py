"""A z-buffered canvas and the pinhole camera that projects street-scene objects onto it.

Objects are painted in any order; a pixel keeps the nearest surface (depth test), so the depth map
and the albedo image always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]

SKY_DEPTH_M = 1.0e6
"""Depth stored for sky pixels: effectively infinite (t < 1e-5 for any β ≥ the Rayleigh floor)."""


@dataclass(frozen=True)
class PinholeCamera:
    """A level camera at ``height_m`` above a flat ground; image rows grow downwards.

    A ground point at distance d appears at row horizon_y + f·h/d; a point at height z at
    horizon_y − f·(z − h)/d; lateral offset X at column vp_x + f·X/d.
    """

    width: int
    height: int
    focal_px: float
    height_m: float
    horizon_y: float
    vp_x: float

    def row_of(self, z_m: float | F32, d_m: float | F32) -> F32:
        """Image row of a point at height z_m and distance d_m (array, 0-d for scalars)."""
        return np.asarray(self.horizon_y - self.focal_px * (z_m - self.height_m) / d_m, np.float32)

    def col_of(self, x_m: float | F32, d_m: float | F32) -> F32:
        """Image column of a point with lateral offset x_m (right positive) at distance d_m."""
        return np.asarray(self.vp_x + self.focal_px * x_m / d_m, np.float32)


class Canvas:
    """Albedo (linear RGB), depth [m] and emission (lit windows, lamp heads) being painted."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.albedo = np.zeros((height, width, 3), np.float32)
        self.depth = np.full((height, width), SKY_DEPTH_M, np.float32)
        self.emission = np.zeros((height, width), np.float32)

    def paint(
        self,
        r0: int,
        c0: int,
        mask: Mask,
        depth: F32 | np.float32,
        albedo: F32,
        *,
        emission: F32 | None = None,
    ) -> None:
        """Paint a patch whose top-left is (r0, c0) where ``mask`` is set and it is nearer."""
        h, w = mask.shape
        r1, c1 = min(r0 + h, self.height), min(c0 + w, self.width)
        rs, cs = max(r0, 0), max(c0, 0)
        if r1 <= rs or c1 <= cs:
            return
        sl = (slice(rs - r0, r1 - r0), slice(cs - c0, c1 - c0))
        dst = (slice(rs, r1), slice(cs, c1))
        d = np.broadcast_to(depth, mask.shape)[sl]
        win = mask[sl] & (d < self.depth[dst])
        self.depth[dst][win] = d[win]
        self.albedo[dst][win] = np.broadcast_to(albedo, (*mask.shape, 3))[sl][win]
        em = np.zeros(mask.shape, np.float32) if emission is None else emission
        self.emission[dst][win] = np.broadcast_to(em, mask.shape)[sl][win]


def value_noise(rng: np.random.Generator, height: int, width: int, cell_px: int) -> F32:
    """Smooth noise in about −1..1, features ``cell_px`` pixels wide (texture, ridges, smudges)."""
    gh, gw = max(height // cell_px + 2, 2), max(width // cell_px + 2, 2)
    grid = rng.uniform(-1.0, 1.0, (gh, gw)).astype(np.float32)
    return np.asarray(cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC), np.float32)


def facade_texture(
    u_m: F32, v_m: F32, base_rgb: F32, rng: np.random.Generator, px_per_m: float = 100.0
) -> tuple[F32, F32]:
    """Albedo and night emission of a facade with a window grid; u along, v up the wall [m].

    Below ~2 px per window the grid would alias into stripes, so far facades get the
    area-averaged colour instead (what a lens would resolve).
    """
    bay = float(rng.uniform(3.0, 4.5))
    storey = float(rng.uniform(3.0, 3.6))
    if px_per_m * bay < 5.0:
        mean = (0.7 * base_rgb + 0.3 * np.array([0.05, 0.06, 0.07], np.float32)).astype(np.float32)
        return np.broadcast_to(mean, (*u_m.shape, 3)), np.zeros(u_m.shape, np.float32)
    fu, fv = (u_m / bay) % 1.0, (v_m / storey) % 1.0
    window = (fu > 0.2) & (fu < 0.8) & (fv > 0.3) & (fv < 0.85) & (v_m > 2.5)
    albedo = np.broadcast_to(base_rgb, (*window.shape, 3)).copy()
    albedo[window] = np.array([0.05, 0.06, 0.07], np.float32)
    # About a third of windows are lit at night, chosen by a hash of the window's grid cell.
    cell = (np.floor(u_m / bay) * 7919 + np.floor(v_m / storey) * 104729).astype(np.int64)
    lit = window & ((cell * 2654435761 + int(rng.integers(1 << 16))) % 97 < 33)
    return albedo, (lit * np.float32(0.35)).astype(np.float32)
