"""The simulator obeys the physics: contrast at distance falls with PM, near things barely change,
night is dark, scenes are deterministic per camera and have sane depth."""

import itertools
import time
from datetime import datetime
from typing import Any

import cv2
import numpy as np
import pytest

from pm25.physics import extinction_coefficient, visibility_m
from pm25.pollution import CityPollution
from pm25.scene import (
    SKY_DEPTH_M,
    CameraEffects,
    Conditions,
    Scene,
    SyntheticCamera,
    make_scene,
    render,
    render_with_truth,
)

W, H = 640, 360
NOON = datetime(2024, 4, 15, 12, 0)
CLEAN = CameraEffects(noise=False, auto_exposure=False)  # isolates the physics


def _open_scene() -> Scene:
    for seed in range(30):
        scene = make_scene(seed, W, H)
        if scene.farthest_surface_m > 5000:
            return scene
    raise AssertionError("no open scene with far hills among 30 seeds")


def _luma(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float64)


def _rms_contrast(values: np.ndarray) -> float:
    return float(values.std() / values.mean())


def test_scene_kinds_span_shallow_and_deep():
    far = [make_scene(s, 320, 180).farthest_surface_m for s in range(16)]
    assert min(far) < 500  # an urban canyon
    assert max(far) > 5000  # hills several km away


def test_depth_map_sane():
    for seed in (0, 1, 2):
        scene = make_scene(seed, W, H)
        sky, depth = scene.sky_mask, scene.depth_m
        assert sky.any() and (~sky).any()
        assert np.all(depth[sky] == SKY_DEPTH_M)
        assert depth[~sky].max() < depth[sky].min()  # sky is farthest
        assert np.median(depth[-1]) < 30.0  # road at the bottom is near
        assert np.all(depth > 0.0)
        assert not sky[-H // 4 :].any()  # no sky in the bottom quarter


def test_same_seed_same_scene_and_frame():
    a, b = make_scene(5, W, H), make_scene(5, W, H)
    assert np.array_equal(a.albedo, b.albedo) and np.array_equal(a.depth_m, b.depth_m)
    cond = Conditions(pm25_ugm3=40.0, rh=0.6, when=NOON)
    assert np.array_equal(render(a, cond, seed=3), render(b, cond, seed=3))
    assert not np.array_equal(render(a, cond, seed=3), render(a, cond, seed=4))  # noise


def test_different_seeds_different_scenes():
    depths = [make_scene(s, W, H).depth_m for s in range(4)]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.allclose(depths[i], depths[j])


def test_scene_is_read_only():
    scene = make_scene(1, W, H)
    with pytest.raises(ValueError):
        scene.depth_m[0, 0] = 1.0


def _one_far_surface(scene: Scene) -> np.ndarray:
    """Pixels of the most common depth beyond 3 km (a hill ridge): one target, one distance.

    A mix of distances would not do: haze brightens a 10 km ridge more than a 1 km tower, which
    can raise the variance of the mix even as every single target loses contrast.
    """
    far = scene.depth_m[(scene.depth_m > 3000.0) & ~scene.sky_mask]
    values, counts = np.unique(far, return_counts=True)
    return np.asarray(scene.depth_m == values[np.argmax(counts)])


def test_far_contrast_decreases_with_pm():
    scene = _open_scene()
    far = _one_far_surface(scene)
    assert far.sum() > 200
    contrasts = []
    for pm in (2.0, 10.0, 35.0, 80.0, 200.0):
        frame = render(scene, Conditions(pm25_ugm3=pm, rh=0.5, when=NOON, effects=CLEAN))
        contrasts.append(_rms_contrast(_luma(frame)[far]))
    assert all(a > b for a, b in itertools.pairwise(contrasts)), contrasts


def test_far_contrast_decreases_with_pm_under_auto_exposure_and_noise():
    scene = _open_scene()
    far = (scene.depth_m > 2000.0) & ~scene.sky_mask
    low = render(scene, Conditions(pm25_ugm3=5.0, rh=0.5, when=NOON), seed=1)
    high = render(scene, Conditions(pm25_ugm3=120.0, rh=0.5, when=NOON), seed=1)
    sky = scene.sky_mask

    # Michelson contrast of far targets against the horizon sky.
    def michelson(img: np.ndarray) -> float:
        target, bright = np.median(_luma(img)[far]), np.median(_luma(img)[sky])
        return float((bright - target) / (bright + target))

    assert michelson(low) > michelson(high) + 0.1


def test_near_region_changes_little_at_low_pm():
    scene = _open_scene()
    near = (scene.depth_m < 30.0) & ~scene.sky_mask
    far = (scene.depth_m > 2000.0) & ~scene.sky_mask
    a = _luma(render(scene, Conditions(pm25_ugm3=5.0, rh=0.5, when=NOON, effects=CLEAN)))
    b = _luma(render(scene, Conditions(pm25_ugm3=15.0, rh=0.5, when=NOON, effects=CLEAN)))
    near_change = float(np.abs(a - b)[near].mean())
    far_change = float(np.abs(a - b)[far].mean())
    assert near_change < 1.5  # under 1.5 grey levels of 255
    assert far_change > 4 * near_change


def test_auto_exposure_normalises_brightness():
    scene = _open_scene()
    means = [
        render(scene, Conditions(pm25_ugm3=pm, rh=0.5, when=NOON)).mean() for pm in (5.0, 150.0)
    ]
    raw = [
        render(scene, Conditions(pm25_ugm3=pm, rh=0.5, when=NOON, effects=CLEAN)).mean()
        for pm in (5.0, 150.0)
    ]
    assert abs(means[0] - means[1]) < abs(raw[0] - raw[1])


def test_night_is_dark_and_dawn_is_warm():
    scene = make_scene(2, W, H)
    night = render(scene, Conditions(pm25_ugm3=20.0, when=datetime(2024, 4, 15, 2, 0)))
    noon = render(scene, Conditions(pm25_ugm3=20.0, when=NOON))
    assert night.mean() < 50 < noon.mean()
    dawn = render_with_truth(scene, Conditions(pm25_ugm3=20.0, when=datetime(2024, 4, 15, 6, 0)))
    noon_truth = render_with_truth(scene, Conditions(pm25_ugm3=20.0, when=NOON))
    assert dawn.sun_elevation_deg < 10 < noon_truth.sun_elevation_deg
    b, _, r = (dawn.image[scene.sky_mask].mean(0)).tolist()
    nb, _, nr = (noon_truth.image[scene.sky_mask].mean(0)).tolist()
    assert r / b > nr / nb  # dawn sky redder than noon sky


def test_truth_metadata_follows_physics():
    scene = make_scene(4, W, H)
    prev_t = 1.0
    for pm in (5.0, 50.0, 200.0):
        f = render_with_truth(scene, Conditions(pm25_ugm3=pm, rh=0.7, when=NOON))
        beta = float(extinction_coefficient(pm, 0.7))
        assert f.beta_per_m == pytest.approx(beta)
        assert f.visibility_m == pytest.approx(float(visibility_m(beta)))
        assert f.mean_transmission_roi < prev_t
        prev_t = f.mean_transmission_roi
        assert f.image.shape == (H, W, 3) and f.image.dtype == np.uint8


def test_humidity_adds_haze():
    scene = _open_scene()
    far = (scene.depth_m > 1000.0) & ~scene.sky_mask
    dry = render(scene, Conditions(pm25_ugm3=30.0, rh=0.2, when=NOON, effects=CLEAN))
    wet = render(scene, Conditions(pm25_ugm3=30.0, rh=0.9, when=NOON, effects=CLEAN))
    assert _rms_contrast(_luma(dry)[far]) > _rms_contrast(_luma(wet)[far])


def test_defects():
    scene = make_scene(3, W, H)
    base = Conditions(pm25_ugm3=20.0, when=NOON, effects=CameraEffects(noise=False))

    def with_fx(**kw: Any) -> np.ndarray:
        return render(scene, Conditions(20.0, when=NOON, effects=CameraEffects(noise=False, **kw)))

    sharp = render(scene, base)

    def lap(img: np.ndarray) -> float:
        return float(cv2.Laplacian(_luma(img), cv2.CV_64F).var())

    assert lap(with_fx(blur_sigma_px=3.0)) < 0.3 * lap(sharp)
    assert lap(with_fx(dirt=0.8)) < lap(sharp)
    # Auto-exposure brightens the rest, so look for the blob itself: many near-black pixels.
    assert (_luma(with_fx(obstruction=0.2)) < 25).mean() > (_luma(sharp) < 25).mean() + 0.05
    assert with_fx(exposure_ev=2.0).mean() > sharp.mean() + 30
    assert with_fx(exposure_ev=-2.0).mean() < sharp.mean() - 30
    shifted = with_fx(shift_px=(4.0, 0.0))
    assert np.array_equal(shifted[:, 20:-20], sharp[:, 16:-24])
    assert not np.array_equal(with_fx(rotation_deg=2.0), sharp)
    jpeg = with_fx(jpeg_quality=30)
    assert 0 < np.abs(jpeg.astype(int) - sharp).mean() < 8


def test_synthetic_camera_is_deterministic_and_follows_city():
    cam = SyntheticCamera(7, CityPollution(7), width=W, height=H)
    when = datetime(2024, 11, 3, 8, 15)
    a, b = cam.capture(when), cam.capture(when)
    assert np.array_equal(a.image, b.image)
    assert a.pm25_ugm3 == pytest.approx(CityPollution(7).at(when).pm25_ugm3)


def test_render_speed_full_hd_ish():
    scene = make_scene(11)  # 1280x720
    cond = Conditions(pm25_ugm3=30.0, when=NOON)
    render(scene, cond)
    start = time.perf_counter()
    for i in range(3):
        render(scene, cond, seed=i)
    # Budget is ~50 ms on one core; allow slack for loaded CI machines.
    assert (time.perf_counter() - start) / 3 < 0.25
