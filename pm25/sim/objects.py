"""The things a roadside camera sees, each painted with its true distance: ground and road,
roadside buildings, a closing wall (urban canyon), a distant skyline, hill ridges, trees, lamps."""

from __future__ import annotations

import numpy as np

from pm25.sim.canvas import F32, Canvas, PinholeCamera, facade_texture, value_noise

ASPHALT = np.array([0.07, 0.07, 0.075], np.float32)
SIDEWALK = np.array([0.22, 0.21, 0.2], np.float32)
MARKING = np.array([0.55, 0.55, 0.5], np.float32)
VERGES = (np.array([0.05, 0.09, 0.03], np.float32), np.array([0.13, 0.1, 0.07], np.float32))
WALLS = (
    np.array([0.30, 0.29, 0.27], np.float32),  # concrete
    np.array([0.22, 0.09, 0.06], np.float32),  # brick
    np.array([0.40, 0.34, 0.24], np.float32),  # render/beige
    np.array([0.10, 0.12, 0.14], np.float32),  # glass curtain wall
    np.array([0.45, 0.45, 0.45], np.float32),  # white paint
)


def _wall_colour(rng: np.random.Generator) -> F32:
    base = WALLS[int(rng.integers(len(WALLS)))]
    return (base * rng.uniform(0.7, 1.2, 3).astype(np.float32)).astype(np.float32)


def paint_ground(
    canvas: Canvas, cam: PinholeCamera, rng: np.random.Generator, far_m: float, road_half_m: float
) -> tuple[F32, F32, int]:
    """Road with lane marks, sidewalks and verge below the horizon; returns (distance, X, row0)."""
    row0 = int(np.floor(cam.horizon_y)) + 1
    ys = np.arange(row0, cam.height, dtype=np.float32) + 0.5
    d = np.minimum(cam.focal_px * cam.height_m / (ys - cam.horizon_y), far_m)[:, None]
    xs = np.arange(cam.width, dtype=np.float32)[None, :] + 0.5
    lateral = (xs - cam.vp_x) * d / cam.focal_px
    ax = np.abs(lateral)
    verge = VERGES[int(rng.integers(2))]
    albedo = np.where((ax < road_half_m + 3.0)[..., None], SIDEWALK, verge)
    albedo = np.where((ax < road_half_m)[..., None], ASPHALT, albedo)
    dash = (d % 12.0) < 4.0
    marks = ((ax < 0.08) & dash) | (np.abs(ax - road_half_m + 0.3) < 0.08)
    albedo = np.where(marks[..., None], MARKING, albedo)
    tex = 1.0 + 0.15 * value_noise(rng, ys.size, cam.width, 6)
    albedo = (albedo * tex[..., None]).astype(np.float32)
    mask = np.ones(ax.shape, bool)
    canvas.paint(row0, 0, mask, np.broadcast_to(d, ax.shape).astype(np.float32), albedo)
    return d.astype(np.float32), lateral.astype(np.float32), row0


def paint_side_facade(
    canvas: Canvas,
    cam: PinholeCamera,
    rng: np.random.Generator,
    *,
    x_m: float,
    d0: float,
    d1: float,
    height_m: float,
) -> None:
    """A building face parallel to the road at lateral offset x_m, from distance d0 to d1."""
    ca, cb = sorted((float(cam.col_of(x_m, d0)), float(cam.col_of(x_m, d1))))
    c0, c1 = max(int(ca), 0), min(int(np.ceil(cb)), cam.width)
    if c1 <= c0:
        return
    cols = np.arange(c0, c1, dtype=np.float32) + 0.5
    with np.errstate(divide="ignore"):
        d = np.clip(cam.focal_px * x_m / (cols - cam.vp_x), d0, d1).astype(np.float32)
    top = cam.row_of(height_m, d)
    bottom = cam.row_of(0.0, d)
    r0, r1 = max(int(np.min(top)), 0), min(int(np.ceil(np.max(bottom))), cam.height)
    if r1 <= r0:
        return
    rows = np.arange(r0, r1, dtype=np.float32)[:, None] + 0.5
    mask = (rows >= top[None, :]) & (rows < bottom[None, :])
    v = cam.height_m + (cam.horizon_y - rows) * d[None, :] / cam.focal_px
    u = np.broadcast_to(d[None, :], mask.shape)
    albedo, emission = facade_texture(u, v, _wall_colour(rng), rng)
    canvas.paint(r0, c0, mask, np.broadcast_to(d[None, :], mask.shape), albedo, emission=emission)


def paint_front_facade(
    canvas: Canvas,
    cam: PinholeCamera,
    rng: np.random.Generator,
    *,
    x0_m: float,
    x1_m: float,
    d: float,
    height_m: float,
) -> None:
    """A building face square to the view (end wall, skyline tower) from x0_m to x1_m at d."""
    c0, c1 = int(cam.col_of(x0_m, d)), int(np.ceil(cam.col_of(x1_m, d)))
    r0, r1 = int(cam.row_of(height_m, d)), int(np.ceil(cam.row_of(0.0, d)))
    c0, c1, r0, r1 = max(c0, 0), min(c1, cam.width), max(r0, 0), min(r1, cam.height)
    if c1 <= c0 or r1 <= r0:
        return
    cols = np.arange(c0, c1, dtype=np.float32)[None, :] + 0.5
    rows = np.arange(r0, r1, dtype=np.float32)[:, None] + 0.5
    u = np.broadcast_to((cols - cam.vp_x) * d / cam.focal_px, (r1 - r0, c1 - c0))
    v = np.broadcast_to(cam.height_m + (cam.horizon_y - rows) * d / cam.focal_px, u.shape)
    albedo, emission = facade_texture(u, v, _wall_colour(rng), rng, cam.focal_px / d)
    mask = np.ones(u.shape, bool)
    canvas.paint(r0, c0, mask, np.full(u.shape, d, np.float32), albedo, emission=emission)


def paint_ridge(
    canvas: Canvas, cam: PinholeCamera, rng: np.random.Generator, d: float, mean_height_m: float
) -> None:
    """A hill ridge at distance d: dark vegetation (a good far target for thin haze)."""
    x = np.arange(cam.width, dtype=np.float32)
    h = np.full(cam.width, mean_height_m, np.float32)
    for period in (cam.width * 1.5, cam.width / 2.5, cam.width / 9.0):
        h += mean_height_m * 0.35 * np.sin(2 * np.pi * x / period + rng.uniform(0, 6.3))
    h = np.maximum(h, 5.0)
    top = cam.row_of(h, d)
    bottom = float(cam.row_of(0.0, d)) + 1.0
    r0, r1 = max(int(np.min(top)), 0), min(int(np.ceil(bottom)), cam.height)
    if r1 <= r0:
        return
    rows = np.arange(r0, r1, dtype=np.float32)[:, None] + 0.5
    mask = rows >= top[None, :]
    base = np.array([0.035, 0.05, 0.03], np.float32) * rng.uniform(0.8, 1.6)
    tex = 1.0 + 0.25 * value_noise(rng, r1 - r0, cam.width, 4)
    canvas.paint(r0, 0, mask, np.float32(d), (base * tex[..., None]).astype(np.float32))


def paint_tree(
    canvas: Canvas, cam: PinholeCamera, rng: np.random.Generator, x_m: float, d: float
) -> None:
    """A trunk and a leafy elliptical crown at lateral x_m, distance d."""
    radius = float(rng.uniform(1.8, 4.0))
    centre_z = float(rng.uniform(2.5, 4.0)) + radius
    trunk_w = max(cam.focal_px * 0.35 / d, 1.0)
    cx = float(cam.col_of(x_m, d))
    c0, r0 = int(cx - trunk_w / 2), int(cam.row_of(centre_z, d))
    trunk = np.ones((max(int(cam.row_of(0.0, d)) - r0, 1), int(np.ceil(trunk_w))), bool)
    canvas.paint(r0, c0, trunk, np.float32(d), np.array([0.06, 0.045, 0.03], np.float32))
    rpx = cam.focal_px * radius / d
    cy = float(cam.row_of(centre_z, d))
    size = int(np.ceil(rpx * 1.3)) + 1
    r0, c0 = int(cy) - size, int(cx) - size
    yy, xx = np.mgrid[-size : size + 1, -size : size + 1].astype(np.float32)
    leaf = value_noise(rng, 2 * size + 1, 2 * size + 1, max(size // 4, 1))
    mask = ((xx / (rpx * 1.15)) ** 2 + (yy / rpx) ** 2) < 1.0 + 0.3 * leaf
    green = np.array([0.04, 0.08, 0.025], np.float32) * rng.uniform(0.7, 1.4)
    albedo = green * (1.0 + 0.35 * leaf[..., None])
    canvas.paint(r0, c0, mask, np.float32(d), albedo.astype(np.float32))


def paint_lamp(canvas: Canvas, cam: PinholeCamera, x_m: float, d: float) -> None:
    """A lamp post 8 m tall with an emissive head (lit only at night)."""
    pole_w = max(cam.focal_px * 0.2 / d, 1.0)
    top = int(cam.row_of(8.0, d))
    pole = np.ones((max(int(cam.row_of(0.0, d)) - top, 1), int(np.ceil(pole_w))), bool)
    col = int(cam.col_of(x_m, d))
    canvas.paint(top, col, pole, np.float32(d), np.array([0.15, 0.15, 0.15], np.float32))
    head = max(int(cam.focal_px * 0.6 / d), 1)
    mask = np.ones((max(head // 2, 1), head), bool)
    canvas.paint(
        top,
        col - head // 2,
        mask,
        np.float32(d * 0.999),
        np.full(3, 0.5, np.float32),
        emission=(mask * 3.0).astype(np.float32),
    )
